// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <string>

#include "switchboard/admin/status_page.h"

using namespace switchboard;

TEST(StatusPage, IsTheEmbeddedHtmlFile) {
    std::string_view html = statusPageHtml();
    EXPECT_EQ(html.substr(0, 15), "<!DOCTYPE html>");
    EXPECT_NE(html.find("</html>"), std::string_view::npos);
    EXPECT_FALSE(inlineBlock(html, "script").empty());
    EXPECT_FALSE(inlineBlock(html, "style").empty());
}

// The policy allows the first block of each kind by its hash; a second one (or the tag's name
// in a comment before the block) would be refused by the browser.
TEST(StatusPage, HasOneScriptAndOneStyleBlock) {
    auto count = [](std::string_view text, std::string_view needle) {
        int n = 0;
        for (auto at = text.find(needle); at != std::string_view::npos;
             at = text.find(needle, at + 1))
            ++n;
        return n;
    };
    EXPECT_EQ(count(statusPageHtml(), "<script"), 1);
    EXPECT_EQ(count(statusPageHtml(), "<style"), 1);
    EXPECT_EQ(count(statusPageHtml(), " style="), 0);
}

TEST(StatusPage, InlineBlockIsTheTextBetweenTheTags) {
    EXPECT_EQ(inlineBlock("<p><script>run();</script></p>", "script"), "run();");
    EXPECT_EQ(inlineBlock("<script>never closed", "script"), "");
    EXPECT_EQ(inlineBlock("no such tag", "style"), "");
}

TEST(StatusPage, HashSourceIsBase64OfSha256) {
    // printf '' | openssl dgst -sha256 -binary | base64
    EXPECT_EQ(cspHashSource(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
}

TEST(StatusPage, PolicyAllowsOnlyThePagesOwnBlocksAndItsOwnOrigin) {
    const std::string& policy = statusPagePolicy();
    EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
    EXPECT_NE(policy.find("script-src " + cspHashSource(inlineBlock(statusPageHtml(), "script"))),
              std::string::npos);
    EXPECT_NE(policy.find("style-src " + cspHashSource(inlineBlock(statusPageHtml(), "style"))),
              std::string::npos);
    EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos);
    EXPECT_EQ(policy.find("unsafe"), std::string::npos);
}
