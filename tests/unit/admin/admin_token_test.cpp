// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "switchboard/admin/admin_token.h"

using namespace switchboard;

TEST(BearerToken, TakesTheTokenOfTheBearerScheme) {
    EXPECT_EQ(bearerToken("Bearer abc"), "abc");
    EXPECT_EQ(bearerToken("bearer   abc  "), "abc");
    EXPECT_EQ(bearerToken("BEARER\tabc"), "abc");
    EXPECT_FALSE(bearerToken(nullptr));
    EXPECT_FALSE(bearerToken(""));
    EXPECT_FALSE(bearerToken("Bearer"));
    EXPECT_FALSE(bearerToken("Bearer "));
    EXPECT_FALSE(bearerToken("Bearerabc"));
    EXPECT_FALSE(bearerToken("Basic YWJj"));
}

TEST(TokenMatches, OnlyTheExactToken) {
    EXPECT_TRUE(tokenMatches("s3cret", "s3cret"));
    EXPECT_FALSE(tokenMatches("s3cret", "s3cre"));
    EXPECT_FALSE(tokenMatches("s3cret", "s3cret!"));
    EXPECT_FALSE(tokenMatches("s3cret", "s3cres"));
    EXPECT_FALSE(tokenMatches("s3cret", "S3cret"));
    EXPECT_FALSE(tokenMatches("s3cret", ""));
    // A given token that is the expected one repeated must not match by cycling.
    EXPECT_FALSE(tokenMatches("abab", "ab"));
    EXPECT_FALSE(tokenMatches("aaaa", "a"));
    // Lengths that differ by a multiple of 256 still differ.
    EXPECT_FALSE(tokenMatches(std::string(256, 'a'), ""));
    EXPECT_FALSE(tokenMatches(std::string(300, 'a'), std::string(44, 'a')));
    EXPECT_FALSE(tokenMatches("", ""));
}
