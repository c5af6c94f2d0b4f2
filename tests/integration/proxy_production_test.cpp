// SPDX-License-Identifier: Apache-2.0
// Issue 4: the proxy path under the conditions of production: big and slow transfers,
// clients and upstreams that go away, limits, timeouts, logs and stopping.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <thread>

#include "harness/json_doc.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

// A client socket that the test drives byte by byte.
class RawClient {
  public:
    explicit RawClient(int port, int receive_buffer = 0) {
        fd_ = connectLoopback(port, connected_, receive_buffer);
    }
    ~RawClient() { close(); }
    bool connected() const { return connected_; }
    void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
    // Reads up to `size` bytes, waiting at most `timeout_ms`; "" on EOF or timeout.
    std::string read(std::size_t size, int timeout_ms = 5000) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0)
            return "";
        std::string data(size, '\0');
        ssize_t n = ::recv(fd_, data.data(), size, 0);
        data.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return data;
    }
    void close() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

class ProxyProduction : public ::testing::Test {
  protected:
    void start(const std::string& services, const std::string& proxy_extra = "",
               std::vector<std::string> args = {}) {
        std::string head = configHead(proxy_port, admin_port);
        if (proxy_extra.find("access_log") != std::string::npos)
            head.replace(head.find("access_log = \"\"\n"), 16, "");
        if (proxy_extra.find("listen") != std::string::npos) {
            auto line = head.find("listen = ");
            head.erase(line, head.find('\n', line) + 1 - line);
        }
        head.insert(head.find("\n[admin]"), proxy_extra);
        writeFile(path(), head + services);
        switchboard =
            std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port, std::move(args));
        ASSERT_TRUE(switchboard->started()) << switchboard->log();
    }
    static std::string service(const std::string& name, const std::vector<std::string>& addresses) {
        std::string list;
        for (const auto& address : addresses)
            list += (list.empty() ? "\"" : ", \"") + address + "\"";
        return "\n[services." + name + "]\nupstreams = [" + list + "]\n";
    }
    std::string path() const { return dir.file("switchboard.toml"); }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

bool matchesPattern(const std::string& body, std::uint64_t expected_size) {
    if (body.size() != expected_size)
        return false;
    for (std::uint64_t i = 0; i < expected_size; ++i)
        if (body[i] != patternByte(i))
            return false;
    return true;
}

}  // namespace

TEST_F(ProxyProduction, LargeResponseArrivesComplete) {
    constexpr std::uint64_t kSize = 64ull << 20;
    UpstreamServer big("big", [](const ReceivedRequest&) { return streamedReply(kSize); });
    start(service("files", {big.address()}));
    auto response = switchboard->proxy("GET", "/files/large.bin");
    ASSERT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.header("Content-Length"), std::to_string(kSize));
    EXPECT_TRUE(matchesPattern(response.body, kSize)) << "size " << response.body.size();
}

TEST_F(ProxyProduction, ChunkedResponsePassesThrough) {
    UpstreamServer chunked("chunked", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.body = std::string(100000, 'z') + "end";
        reply.chunked = true;
        return reply;
    });
    start(service("c", {chunked.address()}));
    HttpConnection connection("127.0.0.1", proxy_port);
    auto response = connection.request("GET", "/c");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(response.body, std::string(100000, 'z') + "end");
    EXPECT_EQ(connection.request("GET", "/c").status, 200);  // still in step on one connection
    // An HTTP/1.0 client gets the body unchunked, delimited by the close.
    RawClient old(proxy_port);
    old.send("GET /c HTTP/1.0\r\n\r\n");
    std::string all, piece;
    while (!(piece = old.read(65536)).empty())
        all += piece;
    auto body = all.substr(all.find("\r\n\r\n") + 4);
    EXPECT_EQ(body, std::string(100000, 'z') + "end");
}

TEST_F(ProxyProduction, SlowClientCostsBoundedMemory) {
    constexpr std::uint64_t kSize = 256ull << 20;
    UpstreamServer big("big", [](const ReceivedRequest&) { return streamedReply(kSize); });
    start(service("files", {big.address()}));
    long before = switchboard->residentKiB();
    RawClient client(proxy_port, 64 * 1024);
    ASSERT_TRUE(client.connected());
    client.send("GET /files/huge HTTP/1.1\r\nHost: x\r\n\r\n");
    long peak = 0;
    std::uint64_t received = 0;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (std::chrono::steady_clock::now() < until) {
        received += client.read(16 * 1024).size();
        peak = std::max(peak, switchboard->residentKiB());
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_GT(received, 100u * 1024);  // it was being served...
    EXPECT_LT(received, kSize / 4);    // ...slowly
    EXPECT_LT(peak, 100 * 1024) << "VmRSS peaked at " << peak << " KiB (started at " << before
                                << ")";
    EXPECT_LT(peak - before, 20 * 1024) << "VmRSS grew by " << (peak - before) << " KiB";
}

TEST_F(ProxyProduction, SlowClientIsNotCutOffByTheUpstreamTimeout) {
    constexpr std::uint64_t kSize = 8ull << 20;
    UpstreamServer big("big", [](const ReceivedRequest&) { return streamedReply(kSize); });
    // The upstream sends everything at once; the client takes 2 s and more to read it: far
    // longer than the upstream timeout, which must not count the time the client takes.
    start(service("files", {big.address()}), "upstream_timeout_ms = 300\n");
    RawClient client(proxy_port, 64 * 1024);
    client.send("GET /files/big HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string received;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
        std::string piece = client.read(64 * 1024, 3000);
        if (piece.empty())
            break;
        received += piece;
        if (received.size() >= kSize + 60)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
    auto body_start = received.find("\r\n\r\n");
    ASSERT_NE(body_start, std::string::npos);
    EXPECT_TRUE(matchesPattern(received.substr(body_start + 4), kSize))
        << "got " << received.size() - body_start - 4 << " of " << kSize << " bytes\n"
        << switchboard->log();
}

TEST_F(ProxyProduction, SlowUpstreamStreamOutlastsTheClientTimeout) {
    // 30 pieces, 100 ms apart: 3 s of a response that never stalls for long, through a
    // client timer of 1 s. Bytes moving either way are not the client idling.
    constexpr std::uint64_t kSize = 30 * 16 * 1024;
    UpstreamServer slow("slow", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.stream_bytes = kSize;
        reply.stream_interval_ms = 100;
        return reply;
    });
    start(service("files", {slow.address()}),
          "client_timeout_ms = 1000\nupstream_timeout_ms = 500\nconnect_timeout_ms = 100\n");
    auto response = switchboard->proxy("GET", "/files/stream");
    ASSERT_EQ(response.status, 200) << response.error;
    EXPECT_TRUE(matchesPattern(response.body, kSize))
        << "got " << response.body.size() << " of " << kSize << "\n"
        << switchboard->log();
}

TEST_F(ProxyProduction, ClientGoneMidDownloadClosesTheUpstreamAndServesTheNext) {
    UpstreamServer big("big", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        if (request.target == "/files/huge")
            reply.stream_bytes = 512ull << 20;
        else
            reply.body = "small";
        return reply;
    });
    start(service("files", {big.address()}));
    {
        RawClient client(proxy_port);
        client.send("GET /files/huge HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_FALSE(client.read(65536).empty());
    }  // closed mid-download
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (big.brokenSends() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(big.brokenSends(), 1);
    EXPECT_EQ(switchboard->proxy("GET", "/files/small").body, "small");
}

// Bodies with 16 KiB and more to go after the head pass through a pipe (splice), not our
// memory: that path must end a response cut short and refuse a connection with bytes left
// over, as the copying path does.
TEST_F(ProxyProduction, UpstreamCutOffMidBodyClosesTheClientConnection) {
    constexpr std::uint64_t kPromised = 4ull << 20;
    constexpr std::uint64_t kSent = 300 * 1024;
    UpstreamServer cut("cut", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        if (request.target == "/files/cut") {
            reply.stream_bytes = kPromised;
            reply.stream_stop_after = kSent;
        } else {
            reply.body = "small";
        }
        return reply;
    });
    // One request's failure is a debug line (SPEC §13: no line per request at info or warn).
    start(service("files", {cut.address()}), "", {"--log-level", "debug"});
    RawClient client(proxy_port);
    client.send("GET /files/cut HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string received, piece;
    auto started = std::chrono::steady_clock::now();
    while (!(piece = client.read(65536, 4000)).empty())
        received += piece;
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    EXPECT_LT(waited.count(), 3000) << "the client connection was left open";
    auto body_start = received.find("\r\n\r\n");
    ASSERT_NE(body_start, std::string::npos) << received.substr(0, 200);
    EXPECT_NE(received.find("Content-Length: " + std::to_string(kPromised)), std::string::npos);
    std::string body = received.substr(body_start + 4);
    EXPECT_TRUE(matchesPattern(body, kSent)) << "got " << body.size() << " of " << kSent;
    EXPECT_NE(switchboard->log().find("debug: service files: upstream " + cut.address() +
                                      " failed mid-response (connection closed before the end "
                                      "of the body)"),
              std::string::npos)
        << switchboard->log();
    EXPECT_EQ(switchboard->proxy("GET", "/files/small").body, "small");
}

TEST_F(ProxyProduction, BytesPastAResponseBodyAreNeverServedAsTheNextResponse) {
    constexpr std::uint64_t kSize = 200 * 1024;
    UpstreamServer sloppy("sloppy", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        if (request.target == "/files/big") {
            reply.stream_bytes = kSize;
            reply.trailing_bytes = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged";
        } else {
            reply.body = "small";
        }
        return reply;
    });
    start(service("files", {sloppy.address()}));
    HttpConnection connection("127.0.0.1", proxy_port);
    auto big = connection.request("GET", "/files/big");
    ASSERT_EQ(big.status, 200) << big.error;
    EXPECT_TRUE(matchesPattern(big.body, kSize)) << "size " << big.body.size();
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(connection.request("GET", "/files/small").body, "small") << i;
    // The connection that carried the extra bytes was dropped, not reused.
    EXPECT_EQ(sloppy.acceptedConnections(), 2);
}

TEST_F(ProxyProduction, ResponseHeadLongerThanTheFirstReadIsServedWhole) {
    // The first read of a response stops at 4 KiB (the body behind the head should stay in
    // the kernel, to be spliced); a longer head must still arrive whole, before either body.
    constexpr std::uint64_t kSize = 200 * 1024;
    UpstreamServer wordy("wordy", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        for (int i = 0; i < 10; ++i)
            reply.headers.push_back({"X-Filler-" + std::to_string(i), std::string(4000, 'a' + i)});
        if (request.target == "/w/big")
            reply.stream_bytes = kSize;
        else
            reply.body = "small";
        return reply;
    });
    start(service("w", {wordy.address()}));
    HttpConnection connection("127.0.0.1", proxy_port);
    for (const char* target : {"/w/big", "/w/small", "/w/big"}) {
        auto response = connection.request("GET", target);
        ASSERT_EQ(response.status, 200) << target << " " << response.error;
        for (int i = 0; i < 10; ++i)
            EXPECT_EQ(response.header("X-Filler-" + std::to_string(i)),
                      std::string(4000, static_cast<char>('a' + i)))
                << target << " " << i;
        if (std::string(target) == "/w/big")
            EXPECT_TRUE(matchesPattern(response.body, kSize)) << "size " << response.body.size();
        else
            EXPECT_EQ(response.body, "small");
    }
}

TEST_F(ProxyProduction, KeepAliveConnectionsToUpstreamsAreReused) {
    UpstreamServer a("a"), b("b");
    start(service("svc", {a.address(), b.address()}));
    HttpConnection connection("127.0.0.1", proxy_port);
    for (int i = 0; i < 200; ++i)
        ASSERT_EQ(connection.request("GET", "/svc").status, 200) << i;
    EXPECT_EQ(a.requestCount() + b.requestCount(), 200);
    EXPECT_LE(a.acceptedConnections() + b.acceptedConnections(), 4);
}

TEST_F(ProxyProduction, DeadUpstreamIsHiddenFromClients) {
    UpstreamServer live("live");
    start(service("svc", {"127.0.0.1:" + std::to_string(freePort()), live.address()}));
    for (int i = 0; i < 50; ++i) {
        auto response = switchboard->proxy("GET", "/svc");
        ASSERT_EQ(response.status, 200) << i << " " << response.body;
        EXPECT_EQ(response.body, "live");
    }
    // A POST goes elsewhere too: a connect failure sent no byte.
    EXPECT_EQ(switchboard->proxy("POST", "/svc", "data").status, 200);
}

TEST_F(ProxyProduction, UpstreamThatNeverAnswersGets504InTime) {
    UpstreamServer silent("silent", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.never_answer = true;
        return reply;
    });
    start(service("svc", {silent.address()}), "upstream_timeout_ms = 300\n");
    auto started = std::chrono::steady_clock::now();
    auto response = switchboard->proxy("GET", "/svc");
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(response.status, 504);
    EXPECT_EQ(JsonDoc(response.body)["error"].str(), "upstream timeout");
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    EXPECT_GE(elapsed, std::chrono::milliseconds(250));
    EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
    silent.stop();
}

TEST_F(ProxyProduction, RestartedUpstreamGetsTrafficAfterTheHalfOpenRetry) {
    auto a = std::make_unique<UpstreamServer>("a");
    UpstreamServer b("b");
    int a_port = a->port();
    start(service("svc", {a->address(), b.address()}), "fail_timeout_ms = 300\n");
    a->stop();
    a.reset();
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "b");
    a = std::make_unique<UpstreamServer>("a", nullptr, a_port);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    int to_a = 0;
    for (int i = 0; i < 10; ++i)
        to_a += switchboard->proxy("GET", "/svc").body == "a";
    // Round robin is exact within each worker (SPEC §9): a worker that took m of the 10 new
    // connections gave a at least m/2 rounded down, so over N workers a gets (10 - N) / 2.
    EXPECT_GE(to_a, std::max(1, (10 - testWorkers()) / 2));
}

TEST_F(ProxyProduction, BodyOverTheLimitGets413) {
    UpstreamServer up("up");
    start(service("svc", {up.address()}), "max_request_body_bytes = 1000\n");
    auto too_big = switchboard->proxy("POST", "/svc", std::string(1001, 'x'));
    EXPECT_EQ(too_big.status, 413);
    EXPECT_EQ(too_big.header("Content-Type"), "application/json");
    EXPECT_EQ(switchboard->proxy("POST", "/svc", std::string(1000, 'x')).status, 200);
    // Chunked bodies are counted as they arrive.
    HttpConnection connection("127.0.0.1", proxy_port);
    auto chunked =
        connection.raw("POST /svc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3e8\r\n" +
                       std::string(1000, 'y') + "\r\n5\r\nyyyyy\r\n0\r\n\r\n");
    EXPECT_EQ(chunked.status, 413);
    EXPECT_EQ(up.requestCount(), 1);
}

TEST_F(ProxyProduction, HugeHeaderGets431) {
    UpstreamServer up("up");
    start(service("svc", {up.address()}), "max_header_bytes = 4096\n");
    auto response = switchboard->proxy("GET", "/svc", "", {{"X-Big", std::string(8000, 'h')}});
    EXPECT_TRUE(response.status == 431 || response.status == 400) << response.status;
    EXPECT_EQ(up.requestCount(), 0);
    EXPECT_EQ(switchboard->proxy("GET", "/svc").status, 200);
}

TEST_F(ProxyProduction, ChunkedRequestBodyIsReframed) {
    UpstreamServer up("up", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = request.body;
        return reply;
    });
    start(service("svc", {up.address()}));
    HttpConnection connection("127.0.0.1", proxy_port);
    auto response =
        connection.raw("POST /svc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello world");
    ASSERT_EQ(up.requestCount(), 1);
    auto seen = up.requests()[0];
    EXPECT_EQ(seen.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(seen.body, "hello world");
    EXPECT_EQ(seen.headerCount("Trailer"), 0);  // the trailer section is not passed on
    EXPECT_EQ(connection.request("GET", "/svc").status, 200);  // the connection stays in step
}

TEST_F(ProxyProduction, SigtermLetsTheRequestInFlightFinish) {
    UpstreamServer slow("slow", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.delay_ms = 700;
        reply.body = "finished";
        return reply;
    });
    start(service("svc", {slow.address()}));
    HttpResponse response;
    std::thread client([&] { response = switchboard->proxy("GET", "/svc"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int status = switchboard->stop(5000);
    client.join();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "finished");
    EXPECT_EQ(status, 0);
}

TEST_F(ProxyProduction, AccessLogHasEveryFieldAndReopensOnSigusr1) {
    UpstreamServer up("up");
    std::string log_path = dir.file("access.log");
    start(service("svc", {up.address()}), "access_log = \"" + log_path + "\"\n");
    ASSERT_EQ(switchboard->proxy("GET", "/svc/x?y=1", "", {{"Host", "h"}}).status, 200);
    switchboard->proxy("GET", "/nowhere");
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // flushed once a second
    std::string log = readFile(log_path);
    EXPECT_NE(log.find("127.0.0.1 \"GET /svc/x?y=1 HTTP/1.1\" 200 2 "), std::string::npos) << log;
    // Then the service, the upstreams tried and their statuses, bytes received (the head),
    // the upstream's seconds, the request ID (off: "-").
    EXPECT_NE(log.find(" svc " + up.address() + " 200 "), std::string::npos) << log;
    EXPECT_NE(log.find("\"GET /nowhere HTTP/1.1\" 404 "), std::string::npos) << log;
    EXPECT_NE(log.find(" - - - "), std::string::npos) << log;  // no service, no upstream
    EXPECT_NE(log.find(" - -\n"), std::string::npos) << log;   // no upstream time, no ID
    EXPECT_EQ(log.find("Z 127.0.0.1"), 23u) << log;            // ISO-8601 UTC time first

    std::filesystem::rename(log_path, log_path + ".1");
    switchboard->signal(SIGUSR1);
    ASSERT_TRUE(switchboard->waitForLog("access log reopened"));
    switchboard->proxy("GET", "/svc/after-rotation");
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    EXPECT_NE(readFile(log_path).find("/svc/after-rotation"), std::string::npos);
    EXPECT_EQ(readFile(log_path + ".1").find("/svc/after-rotation"), std::string::npos);
}

TEST_F(ProxyProduction, IPv6ListenerAndUpstream) {
    UpstreamServer six("six", nullptr, 0, /*ipv6=*/true);
    int v6_port = freePort();
    start(service("svc", {six.address()}), "listen = [\"127.0.0.1:" + std::to_string(proxy_port) +
                                               "\", \"[::1]:" + std::to_string(v6_port) + "\"]\n");
    HttpConnection over_v6("::1", v6_port);
    auto response = over_v6.request("GET", "/svc");
    EXPECT_EQ(response.status, 200) << response.error;
    EXPECT_EQ(response.body, "six");
    EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "six");
    ASSERT_EQ(six.requestCount(), 2);
    EXPECT_EQ(six.requests()[0].header("X-Forwarded-For"), "::1");
}

TEST_F(ProxyProduction, HostnameUpstreamIsResolvedWithoutBlocking) {
    UpstreamServer named("named");
    start(service("svc", {"localhost:" + std::to_string(named.port())}));
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "named");
    auto unknown = switchboard->admin("POST", "/add_upstream/nowhere/no-such-host.invalid:80");
    EXPECT_EQ(unknown.status, 201);
    auto response = switchboard->proxy("GET", "/nowhere");
    EXPECT_EQ(response.status, 502);
    EXPECT_EQ(JsonDoc(response.body)["error"].str(), "upstream unavailable");
}

TEST_F(ProxyProduction, ConnectTimeoutMovesToTheNextUpstream) {
    // A listener that never accepts, with its queue full: the kernel drops further SYNs,
    // so a connect to it hangs as it would to a host that is down.
    int blackhole = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(blackhole, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::listen(blackhole, 0);
    socklen_t length = sizeof address;
    getsockname(blackhole, reinterpret_cast<sockaddr*>(&address), &length);
    std::vector<int> fillers;  // non-blocking: once the queue is full, a connect hangs
    for (int i = 0; i < 3; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        fillers.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    UpstreamServer live("live");
    start(service("svc", {"127.0.0.1:" + std::to_string(ntohs(address.sin_port)), live.address()}),
          "connect_timeout_ms = 300\n");
    // Two requests on one connection, so on one worker: its round robin offers the black hole
    // to one of them (the first, with one worker; SPEC §9 leaves where each worker's turn
    // starts open), which waits for the connect timeout and is then served by live.
    HttpConnection connection("127.0.0.1", proxy_port);
    std::vector<std::chrono::steady_clock::duration> took;
    for (int i = 0; i < 2; ++i) {
        auto started = std::chrono::steady_clock::now();
        auto response = connection.request("GET", "/svc");
        took.push_back(std::chrono::steady_clock::now() - started);
        EXPECT_EQ(response.status, 200) << i;
        EXPECT_EQ(response.body, "live") << i;
    }
    auto elapsed = std::max(took[0], took[1]);
    EXPECT_GE(elapsed, std::chrono::milliseconds(250));
    EXPECT_LT(elapsed, std::chrono::milliseconds(2500));
    EXPECT_LT(std::min(took[0], took[1]), std::chrono::milliseconds(250))
        << "both requests waited: the black hole was tried twice";
    if (testWorkers() == 1) {
        EXPECT_GE(took[0], std::chrono::milliseconds(250))
            << "the first turn is the first upstream";
    }
    for (int fd : fillers)
        ::close(fd);
    ::close(blackhole);
}

TEST_F(ProxyProduction, IdleClientConnectionsAreClosed) {
    UpstreamServer up("up");
    start(service("svc", {up.address()}), "client_timeout_ms = 300\n");
    RawClient idle(proxy_port);
    ASSERT_TRUE(idle.connected());
    idle.send("GET /svc HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(idle.read(4096).find("200"), std::string::npos);
    // Then nothing: the connection is closed after the timeout (EOF: read returns "").
    auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(idle.read(4096, 3000), "");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2000));
}
