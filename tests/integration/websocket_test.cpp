// SPDX-License-Identifier: Apache-2.0
// SPEC §10, Upgrade (WebSocket): an upgrade request goes to the upstream with its Upgrade and
// Connection: upgrade; a 101 turns both connections into a tunnel with the bodies'
// backpressure, closed when one side closes or after tunnel_timeout_ms idle; any other answer
// is a normal response; h2c is never passed on; no retry once an upstream took the request.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "harness/admin_helpers.h"
#include "harness/json_doc.h"
#include "harness/raw_connection.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"
#include "harness/websocket.h"

using namespace harness;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

class WebSocketTest : public ::testing::Test {
  protected:
    // Starts switchboard with one service, route /ws, on `upstreams`; `proxy_extra` holds
    // more [proxy] lines. Retried on fresh ports when another process took one meanwhile.
    void start(const std::vector<std::string>& upstreams, const std::string& proxy_extra = "") {
        std::string list;
        for (const auto& address : upstreams)
            list += (list.empty() ? "\"" : ", \"") + address + "\"";
        for (int attempt = 0; attempt < 5; ++attempt) {
            std::string head = configHead(proxy_port, admin_port);
            head.insert(head.find("\n[admin]"), proxy_extra);
            if (!access_log.empty())
                head.replace(head.find("access_log = \"\""), 15,
                             "access_log = \"" + access_log + "\"");
            writeFile(dir.file("switchboard.toml"),
                      head + "\n[services.ws]\nroute = \"/ws\"\nupstreams = [" + list + "]\n");
            switchboard = std::make_unique<SwitchboardProcess>(dir.file("switchboard.toml"),
                                                               proxy_port, admin_port);
            if (switchboard->started() && switchboard->waitForLog("started with") &&
                switchboard->running())
                return;
            switchboard.reset();
            proxy_port = freePort();
            admin_port = freePort();
        }
        FAIL() << "switchboard did not start";
    }

    double metric(const std::string& sample) const {
        return metricValue(switchboard->admin("GET", "/metrics").body, sample).value_or(-1);
    }
    double inFlight() const {
        auto response = switchboard->admin("GET", "/services");
        return JsonDoc(response.body)["services"][0]["upstreams"][0]["in_flight"].num();
    }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::string access_log;
    std::unique_ptr<SwitchboardProcess> switchboard;
};

// `length` bytes of patternByte from `offset`.
std::string patternBlock(std::uint64_t offset, std::size_t length) {
    std::string block(length, '\0');
    for (std::size_t i = 0; i < length; ++i)
        block[i] = patternByte(offset + i);
    return block;
}

// Sends `total` pattern bytes on the client's socket from a thread, counting what went out.
class PatternSender {
  public:
    PatternSender(WebSocketClient& client, std::uint64_t total)
        : thread_([this, &client, total] {
              constexpr std::size_t kPiece = 256 * 1024;
              for (std::uint64_t offset = 0; offset < total; offset += kPiece) {
                  const auto length =
                      static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, total - offset));
                  if (!client.sendAll(patternBlock(offset, length).data(), length))
                      return;
                  sent_.store(offset + length);
              }
          }) {}
    ~PatternSender() { thread_.join(); }
    std::uint64_t sent() const { return sent_.load(); }

  private:
    std::atomic<std::uint64_t> sent_{0};
    std::thread thread_;
};

}  // namespace

TEST(WebSocketHarness, AcceptKeyIsTheOneOfRfc6455) {
    EXPECT_EQ(websocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_F(WebSocketTest, TextAndBinaryFramesBothWays) {
    WebSocketServer upstream(WebSocketMode::Echo);
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    Answer answer = client.handshake("/ws/chat");
    ASSERT_EQ(answer.status, 101) << switchboard->log();
    EXPECT_TRUE(client.accepted()) << "Sec-WebSocket-Accept passed on unchanged";
    EXPECT_EQ(answer.header("Upgrade"), "websocket");
    EXPECT_EQ(answer.header("Connection"), "upgrade");

    auto requests = upstream.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, "/ws/chat");
    EXPECT_EQ(requests[0].header("Upgrade"), "websocket");
    EXPECT_EQ(requests[0].header("Connection"), "upgrade");
    EXPECT_EQ(requests[0].header("Sec-WebSocket-Version"), "13");
    EXPECT_EQ(requests[0].header("X-Forwarded-For"), "127.0.0.1");

    client.sendFrame(kWsText, "hello");
    WebSocketFrame frame = client.readFrame();
    ASSERT_TRUE(frame.ok);
    EXPECT_EQ(frame.opcode, kWsText);
    EXPECT_FALSE(frame.masked);
    EXPECT_EQ(frame.payload, "hello");
    for (std::size_t size : {200u, 70000u}) {  // 16-bit and 64-bit lengths
        std::string binary(size, '\0');
        for (std::size_t i = 0; i < size; ++i)
            binary[i] = static_cast<char>(i * 31 % 256);
        client.sendFrame(kWsBinary, binary);
        frame = client.readFrame();
        ASSERT_TRUE(frame.ok) << size;
        EXPECT_EQ(frame.opcode, kWsBinary);
        EXPECT_EQ(frame.payload, binary);
    }
    // The closing handshake: the close frame comes back, then the connection ends.
    client.sendFrame(kWsClose, "\x03\xe8");
    frame = client.readFrame();
    ASSERT_TRUE(frame.ok);
    EXPECT_EQ(frame.opcode, kWsClose);
    EXPECT_TRUE(client.closedWithin(3000));
}

TEST_F(WebSocketTest, HundredMebibytesEachWayByteExact) {
    WebSocketServer upstream(WebSocketMode::RawEcho);
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/bulk").status, 101);
    constexpr std::uint64_t kTotal = 100 * kMiB;
    PatternSender sender(client, kTotal);
    std::uint64_t received = 0;
    std::uint64_t mismatches = 0;
    std::string chunk(256 * 1024, '\0');
    while (received < kTotal) {
        std::size_t n = client.readSome(chunk.data(), chunk.size(), 20000);
        if (n == 0)
            break;
        for (std::size_t i = 0; i < n; ++i)
            mismatches += chunk[i] != patternByte(received + i);
        received += n;
    }
    EXPECT_EQ(received, kTotal);
    EXPECT_EQ(mismatches, 0u);
    client.close();
}

TEST_F(WebSocketTest, SlowReaderStopsTheSenderAndBoundsMemory) {
    WebSocketServer upstream(WebSocketMode::RawSink);
    upstream.holdReading(true);
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/slow").status, 101);
    const long rss_before = switchboard->residentKiB();
    constexpr std::uint64_t kTotal = 128 * kMiB;
    {
        PatternSender sender(client, kTotal);
        // The sender stops once the kernel's buffers and switchboard's high-water mark are
        // full: no progress for a while.
        std::uint64_t last = 0;
        for (int quiet = 0; quiet < 5;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const std::uint64_t now = sender.sent();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
        const long rss_blocked = switchboard->residentKiB();
        EXPECT_LT(sender.sent(), 48 * kMiB) << "the sender was not stopped";
        EXPECT_LT(rss_blocked - rss_before, 32 * 1024)
            << "switchboard buffered what the reader did not take";
        upstream.holdReading(false);
        if (!eventually([&] { return upstream.sunkBytes() == kTotal; }, 60000))
            ::shutdown(client.fd(), SHUT_RDWR);  // the sender thread must end either way
    }
    EXPECT_EQ(upstream.sunkBytes(), kTotal);
    EXPECT_TRUE(upstream.sunkPatternOk());
}

TEST_F(WebSocketTest, ClientCloseClosesTheUpstreamSide) {
    WebSocketServer upstream(WebSocketMode::Echo);
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/a").status, 101);
    client.sendFrame(kWsText, "ping");
    ASSERT_TRUE(client.readFrame().ok);
    client.close();
    EXPECT_TRUE(eventually([&] { return upstream.closedByPeer() == 1; }));
    EXPECT_TRUE(eventually([&] { return metric("switchboard_tunnels_open") == 0; }));
}

TEST_F(WebSocketTest, UpstreamCloseClosesTheClientSide) {
    WebSocketServer upstream(WebSocketMode::Echo);
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/a").status, 101);
    client.sendFrame(kWsText, "close-me");
    WebSocketFrame frame = client.readFrame();
    ASSERT_TRUE(frame.ok) << "what the upstream sent before closing comes first";
    EXPECT_EQ(frame.opcode, kWsClose);
    EXPECT_TRUE(client.closedWithin(3000));
}

TEST_F(WebSocketTest, IdleTunnelIsClosedOnBothSides) {
    WebSocketServer upstream(WebSocketMode::Echo);
    start({upstream.address()}, "tunnel_timeout_ms = 300\n");
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/idle").status, 101);
    // Traffic keeps it open past the timeout...
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        client.sendFrame(kWsText, "still here");
        ASSERT_TRUE(client.readFrame().ok) << i;
    }
    // ...silence closes it.
    const auto quiet_since = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.closedWithin(3000));
    EXPECT_GE(std::chrono::steady_clock::now() - quiet_since, std::chrono::milliseconds(250));
    EXPECT_TRUE(eventually([&] { return upstream.closedByPeer() == 1; }));
}

TEST_F(WebSocketTest, AnswerOtherThan101IsANormalResponse) {
    WebSocketServer upstream(WebSocketMode::Refuse);
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    Answer answer = client.handshake("/ws/no");
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, "no thanks");
    EXPECT_EQ(answer.header("Upgrade"), "");
    EXPECT_EQ(answer.header("Connection"), "keep-alive");
    EXPECT_FALSE(client.accepted());
    // The connection goes on as any keep-alive one.
    EXPECT_EQ(client.handshake("/ws/no").status, 200);
    EXPECT_EQ(upstream.requests().size(), 2u);
    EXPECT_EQ(metric("switchboard_tunnels_total"), 0);
}

TEST_F(WebSocketTest, H2cUpgradeNeverReachesTheUpstream) {
    UpstreamServer upstream("plain");
    start({upstream.address()});
    RawConnection connection(proxy_port);
    connection.send("GET /ws/h2 HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
    Exchange exchange = connection.read(1, false);
    ASSERT_EQ(exchange.answers.size(), 1u) << exchange.raw;
    EXPECT_EQ(exchange.answers[0].status, 200);
    EXPECT_EQ(exchange.answers[0].body, "plain");
    auto requests = upstream.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].headerCount("Upgrade"), 0);
    EXPECT_EQ(requests[0].headerCount("HTTP2-Settings"), 0);
    EXPECT_EQ(requests[0].header("Connection").find("pgrade"), std::string::npos);
}

TEST_F(WebSocketTest, NotRetriedOnceAnUpstreamTookIt) {
    WebSocketServer first(WebSocketMode::CloseAtRequest), second(WebSocketMode::CloseAtRequest);
    start({first.address(), second.address()});
    WebSocketClient client(proxy_port);
    EXPECT_EQ(client.handshake("/ws/once").status, 502);
    EXPECT_EQ(first.requests().size() + second.requests().size(), 1u)
        << "an upgrade request went to a second upstream";
}

TEST_F(WebSocketTest, ConnectFailureStillMovesOn) {
    WebSocketServer upstream(WebSocketMode::Echo);
    const int refused = freePort();  // nothing listens there
    start({"127.0.0.1:" + std::to_string(refused), upstream.address()});
    for (int i = 0; i < 2; ++i) {  // whichever upstream round robin starts with
        WebSocketClient client(proxy_port);
        EXPECT_EQ(client.handshake("/ws/on").status, 101) << i;
    }
}

TEST_F(WebSocketTest, SwitchBeforeTheRequestBodyIsSentIs502) {
    WebSocketServer upstream(WebSocketMode::Echo);  // answers 101 at the head
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    EXPECT_EQ(client.handshake("/ws/body", "Content-Length: 10\r\n").status, 502);
    EXPECT_EQ(metric("switchboard_tunnels_total"), 0);
}

TEST_F(WebSocketTest, OpenTunnelCountsInFlightAndIsLoggedWhenItCloses) {
    WebSocketServer upstream(WebSocketMode::Echo);
    access_log = dir.file("access.log");
    start({upstream.address()});
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/logged").status, 101);
    client.sendFrame(kWsText, "12345");
    ASSERT_TRUE(client.readFrame().ok);
    EXPECT_EQ(inFlight(), 1);
    EXPECT_EQ(metric("switchboard_tunnels_open"), 1);
    EXPECT_EQ(metric("switchboard_tunnels_total"), 1);
    EXPECT_EQ(readFile(access_log).find(" 101 "), std::string::npos) << "logged before it closed";

    client.close();
    EXPECT_TRUE(eventually([&] { return inFlight() == 0; }));
    EXPECT_TRUE(eventually([&] { return metric("switchboard_tunnels_open") == 0; }));
    EXPECT_EQ(metric("switchboard_tunnels_total"), 1);
    // The echoed frame: 2 bytes of header and 5 of payload went to the client.
    EXPECT_TRUE(eventually(
        [&] {
            return readFile(access_log).find("\"GET /ws/logged HTTP/1.1\" 101 7 ") !=
                   std::string::npos;
        },
        5000))
        << readFile(access_log);
}

// SPEC §7: a stop lets requests in flight finish up to shutdown_timeout_ms; a tunnel is one,
// and may not hold the stop past that.
TEST_F(WebSocketTest, OpenTunnelHoldsAStopOnlyUntilShutdownTimeout) {
    WebSocketServer upstream(WebSocketMode::Echo);
    start({upstream.address()}, "shutdown_timeout_ms = 500\n");
    WebSocketClient client(proxy_port);
    ASSERT_EQ(client.handshake("/ws/stop").status, 101);
    client.sendFrame(kWsText, "before");
    ASSERT_TRUE(client.readFrame().ok);
    const auto asked = std::chrono::steady_clock::now();
    EXPECT_EQ(switchboard->stop(10000), 0);
    const auto took = std::chrono::steady_clock::now() - asked;
    EXPECT_GE(took, std::chrono::milliseconds(400)) << "the tunnel was not waited for";
    EXPECT_LT(took, std::chrono::milliseconds(5000));
    EXPECT_TRUE(client.closedWithin(3000));
}
