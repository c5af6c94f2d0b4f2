// SPDX-License-Identifier: Apache-2.0
#include "switchboard/net/tls_context.h"

#include <gtest/gtest.h>

using namespace switchboard;

TEST(TlsContext, DnsNamesMatchExactlyOrByOneWildcardLabel) {
    EXPECT_TRUE(dnsNameMatches("a.example", "a.example"));
    EXPECT_FALSE(dnsNameMatches("a.example", "b.example"));
    EXPECT_TRUE(dnsNameMatches("*.a.example", "www.a.example"));
    EXPECT_FALSE(dnsNameMatches("*.a.example", "a.example"));        // no label
    EXPECT_FALSE(dnsNameMatches("*.a.example", "x.www.a.example"));  // two labels
    EXPECT_FALSE(dnsNameMatches("*.a.example", ".a.example"));       // an empty label
    EXPECT_FALSE(dnsNameMatches("*.", "a."));
    EXPECT_FALSE(dnsNameMatches("w*.a.example", "www.a.example"));  // partial wildcards: no
}

TEST(TlsContext, UnreadableFilesAreErrorsNamingThem) {
    auto loaded = TlsServerContext::load({{"/nonexistent/site.crt", "/nonexistent/site.key"}});
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().message,
              "/nonexistent/site.crt: cannot read: No such file or directory");
    EXPECT_FALSE(TlsServerContext::load({}));
}
