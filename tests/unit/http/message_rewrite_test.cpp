// SPDX-License-Identifier: Apache-2.0
// The upgrade exception to the hop-by-hop rule (SPEC §10): which requests are upgrade
// requests, and what the upstream and the client get of their Upgrade and Connection.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "switchboard/http/message_rewrite.h"

using namespace switchboard;

namespace {

constexpr std::size_t kLimit = 8192;

// Parses `text` (a whole head) into `head`, which must outlive the views into `text`.
void parseRequest(const std::string& text, RequestHead& head) {
    std::size_t length = 0;
    HttpParseError error;
    ASSERT_EQ(parseRequestHead(text, kLimit, head, length, error), ParseResult::Complete)
        << error.message;
}

std::string upgradeOf(const std::string& text) {
    RequestHead head;
    parseRequest(text, head);
    return requestedUpgrade(head);
}

std::string upstreamHead(const std::string& text) {
    RequestHead head;
    parseRequest(text, head);
    std::string upgrade = requestedUpgrade(head);
    std::string out;
    appendUpstreamRequestHead({head, head.target, "192.0.2.7", HopFraming::None, 0, upgrade}, out);
    return out;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST(MessageRewrite, UpgradeNeedsTheUpgradeHeaderAndTheConnectionToken) {
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\n\r\n"),
              "websocket");
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUPGRADE: WebSocket\r\n"
                        "Connection: keep-alive\r\nConnection: upgrade\r\n\r\n"),
              "WebSocket");
    // Several lines are one list.
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: foo/2\r\nUpgrade: websocket\r\n"
                        "Connection: upgrade\r\n\r\n"),
              "foo/2, websocket");
    // An empty line adds nothing (a fuzz finding: it left a trailing ", ").
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nUpgrade: \r\n"
                        "Connection: upgrade\r\n\r\n"),
              "websocket");
    // Either half alone is no upgrade request.
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n"), "");
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n"), "");
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: \r\nConnection: upgrade\r\n\r\n"),
              "");
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                        "Connection: upgraded\r\n\r\n"),
              "");
    // RFC 9110 §7.8: ignored in HTTP/1.0.
    EXPECT_EQ(upgradeOf("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"), "");
}

TEST(MessageRewrite, H2cIsNeverAnUpgradeRequest) {
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
                        "Connection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMA\r\n\r\n"),
              "");
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket, H2C\r\n"
                        "Connection: upgrade\r\n\r\n"),
              "");
    EXPECT_EQ(upgradeOf("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c/1\r\n"
                        "Connection: upgrade\r\n\r\n"),
              "");
}

TEST(MessageRewrite, UpgradeRequestKeepsUpgradeAndConnectionUpgrade) {
    std::string head = upstreamHead(
        "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_TRUE(contains(head, "\r\nUpgrade: websocket\r\n")) << head;
    EXPECT_TRUE(contains(head, "\r\nConnection: upgrade\r\n")) << head;
    EXPECT_FALSE(contains(head, "keep-alive")) << head;
    EXPECT_TRUE(contains(head, "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")) << head;
    EXPECT_TRUE(contains(head, "\r\nSec-WebSocket-Version: 13\r\n")) << head;
    // Still one strict request, still an upgrade request.
    EXPECT_EQ(upgradeOf(head), "websocket");
}

TEST(MessageRewrite, H2cUpgradeIsDroppedAsHopByHop) {
    std::string head = upstreamHead("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
                                    "Connection: Upgrade, HTTP2-Settings\r\n"
                                    "HTTP2-Settings: AAMA\r\n\r\n");
    EXPECT_FALSE(contains(head, "pgrade")) << head;
    EXPECT_FALSE(contains(head, "HTTP2-Settings")) << head;
    EXPECT_FALSE(contains(head, "Connection")) << head;
}

TEST(MessageRewrite, SwitchingProtocolsHeadKeepsUpgradeAndEndToEndFields) {
    const std::string text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    ResponseHead response;
    std::size_t length = 0;
    HttpParseError error;
    ASSERT_EQ(parseResponseHead(text, kLimit, false, response, length, error),
              ParseResult::Complete)
        << error.message;
    std::string out;
    appendSwitchingProtocolsHead(response, out);
    EXPECT_EQ(out, "HTTP/1.1 101 Switching Protocols\r\n"
                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                   "Upgrade: websocket\r\nConnection: upgrade\r\n\r\n");
}

TEST(MessageRewrite, OtherRequestsStillLoseUpgrade) {
    std::string head =
        upstreamHead("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nX-Keep: 1\r\n\r\n");
    EXPECT_FALSE(contains(head, "Upgrade")) << head;
    EXPECT_TRUE(contains(head, "X-Keep: 1")) << head;
}
