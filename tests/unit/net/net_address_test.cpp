// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "switchboard/net/net_address.h"

using namespace switchboard;

TEST(ParseHostPort, AcceptsIPv4) {
    auto parsed = parseHostPort("127.0.0.1:3001");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->host, "127.0.0.1");
    EXPECT_EQ(parsed->port, 3001);
    EXPECT_EQ(parsed->kind, HostPort::Kind::IPv4);
    EXPECT_EQ(parsed->toString(), "127.0.0.1:3001");
}

TEST(ParseHostPort, AcceptsBracketedIPv6AndCanonicalizesIt) {
    auto parsed = parseHostPort("[0:0:0:0:0:0:0:1]:8080");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->host, "::1");
    EXPECT_EQ(parsed->kind, HostPort::Kind::IPv6);
    EXPECT_EQ(parsed->toString(), "[::1]:8080");
}

TEST(ParseHostPort, AcceptsHostnamesLowercased) {
    auto parsed = parseHostPort("Backend-1.Example.com:80");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->host, "backend-1.example.com");
    EXPECT_EQ(parsed->kind, HostPort::Kind::Hostname);
}

TEST(ParseHostPort, RejectsBadPorts) {
    for (const char* text : {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:http",
                             "127.0.0.1:80x", "127.0.0.1:-1", "[::1]:99999"}) {
        auto parsed = parseHostPort(text);
        ASSERT_FALSE(parsed.ok()) << text;
        EXPECT_NE(parsed.error().message.find("port"), std::string::npos) << text;
    }
}

TEST(ParseHostPort, RejectsJunk) {
    for (const char* text :
         {"", "127.0.0.1", ":80", "::1:80", "[::1]80", "[::1", "[zz::1]:80", "999.1.1.1:80",
          "1.2.3:80", "bad_host:80", "-host:80", "host-:80", "a..b:80", "host name:80", "a/b:80"}) {
        EXPECT_FALSE(parseHostPort(text).ok()) << text;
    }
}

TEST(IsValidHostname, FollowsRfc1123) {
    EXPECT_TRUE(isValidHostname("localhost"));
    EXPECT_TRUE(isValidHostname("1example.com"));
    EXPECT_TRUE(isValidHostname(std::string(63, 'a')));
    EXPECT_FALSE(isValidHostname(std::string(64, 'a')));
    EXPECT_FALSE(isValidHostname("example.com."));
    EXPECT_FALSE(isValidHostname("ex_ample.com"));
}
