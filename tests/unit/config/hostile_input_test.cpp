// SPDX-License-Identifier: Apache-2.0
// Issue 9: what the fuzzers found in the config path, kept as plain tests, and the
// proxy.max_connections setting.
#include <gtest/gtest.h>

#include "switchboard/admin/admin_json.h"
#include "switchboard/config/config_edit.h"
#include "switchboard/config/config_file.h"

using namespace switchboard;

namespace {

ConfigParse parse(std::string_view text) {
    return parseConfigText(text, "t.toml");
}

std::string firstError(std::string_view text) {
    auto result = parse(text);
    return result.errors.empty() ? "" : result.errors.front().toString();
}

}  // namespace

// toml++ 3.3 reaches TOML_UNREACHABLE (undefined behaviour) when it looks for whitespace at
// most non-ASCII characters; the fuzzer found it after a value. Such text is refused first.
TEST(HostileConfig, NonAsciiWhereTomlExpectsATokenIsAnErrorWithItsPosition) {
    EXPECT_EQ(firstError("a = 1\xce\xa3\n"), "t.toml:1:6: non-ASCII character outside a quoted "
                                             "string or comment");
    EXPECT_EQ(firstError("[proxy]\nretries =0[\"x\"'1\xce\xa3\"]\n"),
              "t.toml:2:17: non-ASCII character outside a quoted string or comment");
    EXPECT_FALSE(parse("\xd0\x96 = 1\n").config);
    EXPECT_FALSE(parse("s = \"\"\"\\\n\xc2\xa7\"\"\"\n").config);  // toml++ issue #190
    EXPECT_FALSE(parse("s = \"\"\"\"\\\xc2\xa7").config);
    EXPECT_FALSE(parse("s = \"\\\xc2\xa7\"").config);
    // A quoted segment of a dotted key is no comment, whatever it holds.
    EXPECT_FALSE(parse("a.\"x# y\".b\xef\xba\xbf = 1\n").config);
}

TEST(HostileConfig, NonAsciiInCommentsAndStringsIsFine) {
    auto result =
        parse("\xEF\xBB\xBF# caf\xc3\xa9 \xce\xa3 \xe3\x81\x82\n"
              "[proxy]\naccess_log = \"/var/log/\xce\xa3.log\"  # \xd0\x96\n"
              "[admin]\ntoken = '\xe3\x81\x82'\n"
              "[services.a]\nupstreams = [\"127.0.0.1:1\"] # \xc2\xa7\n"
              "[services.b]\nroute = \"\"\"/b\"\"\"\nupstreams = [ '''127.0.0.1:2''' ]\n");
    ASSERT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors[0].toString());
    EXPECT_EQ(result.config->proxy.access_log, "/var/log/\xce\xa3.log");
    EXPECT_EQ(result.config->admin.token, "\xe3\x81\x82");
    EXPECT_EQ(result.config->services.size(), 2u);
}

// toml++ 3.3 asserts (aborting a build without NDEBUG) when `[` is followed by a byte that
// cannot start a key; it must be a parse error.
TEST(HostileConfig, BrokenTableHeadersAreParseErrors) {
    const std::string_view texts[] = {"[=]\n", "[[[1]]]\n", std::string_view("[\0a]\n", 5),
                                      "[#]\n"};
    for (std::string_view text : texts) {
        auto result = parse(text);
        EXPECT_FALSE(result.config);
        EXPECT_FALSE(result.errors.empty());
    }
}

// The fuzzer's admin body {"route": "/\xff..."} was accepted and written into a file that no
// longer parsed. Routes are visible ASCII now, in the file and the API alike.
TEST(HostileConfig, RoutesAreVisibleAsciiOnly) {
    EXPECT_TRUE(checkRoute("/caf\xc3\xa9"));
    EXPECT_TRUE(checkRoute("/\xff"));
    EXPECT_TRUE(checkRoute("/a\x7f"));
    EXPECT_FALSE(checkRoute("/caf%C3%A9"));
    EXPECT_FALSE(checkRoute("/a\"b\\c'"));

    auto body = parseJsonObject(R"({"route": "/\u00e9"})");
    ASSERT_TRUE(body);
    auto service = parseServiceJson("apiA", body.value->get());
    EXPECT_FALSE(service);
    EXPECT_EQ(service.field, "route");
}

TEST(MaxConnections, DefaultsToTenThousandAndReadsFromTheFile) {
    EXPECT_EQ(Config{}.proxy.max_connections, 10000);
    auto result = parse("[proxy]\nmax_connections = 50\n");
    ASSERT_TRUE(result.config);
    EXPECT_EQ(result.config->proxy.max_connections, 50);
}

TEST(MaxConnections, OutOfRangeIsAnError) {
    EXPECT_EQ(firstError("[proxy]\nmax_connections = 0\n"),
              "t.toml:2:19: proxy.max_connections must be from 1 to 1000000, not 0");
    EXPECT_FALSE(parse("[proxy]\nmax_connections = 1000001\n").config);
    EXPECT_FALSE(parse("[proxy]\nmax_connections = \"many\"\n").config);
}

TEST(MaxConnections, RendersAndEditsInPlace) {
    Config config;
    config.proxy.max_connections = 123;
    std::string text = renderConfig(config);
    EXPECT_NE(text.find("max_connections = 123\n"), std::string::npos) << text;
    EXPECT_EQ(parse(text).config, config);
    EXPECT_EQ(renderConfig(Config{}).find("max_connections"), std::string::npos);

    std::string original = "[proxy]\n# keep me\nretries = 2  # and me\n";
    Config before = *parse(original).config;
    Config after = before;
    after.proxy.max_connections = 42;
    auto edited = editConfigText(original, before, after);
    EXPECT_TRUE(edited.edited_in_place);
    EXPECT_EQ(edited.text, "[proxy]\n# keep me\nretries = 2  # and me\nmax_connections = 42\n");
}
