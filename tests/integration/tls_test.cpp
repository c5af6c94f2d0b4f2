// SPDX-License-Identifier: Apache-2.0
// Issue 15, SPEC §10: TLS termination on the proxy port, with real certificates made by the
// `openssl` command and real clients (curl, openssl s_client, an OpenSSL client).
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <thread>

#include "harness/admin_helpers.h"
#include "harness/switchboard_process.h"
#include "harness/tls_client.h"
#include "harness/upstream_server.h"
#include "harness/websocket.h"

using namespace harness;

namespace {

// The echo of what the upstream saw, for the tests to read back.
UpstreamReply echoProto(const ReceivedRequest& request) {
    UpstreamReply reply;
    reply.body = "proto=" + request.header("X-Forwarded-Proto") + " path=" + request.target;
    return reply;
}

class Tls : public ::testing::Test {
  protected:
    void SetUp() override {
        first = makeCertificate(dir.path(), "first", {"a.example", "*.a.example"});
        second = makeCertificate(dir.path(), "second", {"b.example"});
    }

    // switchboard with a plain and a TLS listener, the two certificates (first, second) and
    // `services`; `proxy_extra` goes into [proxy].
    void start(const std::string& services, const std::string& proxy_extra = "") {
        for (int attempt = 0; attempt < 5; ++attempt) {
            std::string head = configHead(proxy_port, admin_port);
            head.insert(head.find("\n[admin]"),
                        "tls_listen = \"127.0.0.1:" + std::to_string(tls_port) + "\"\n" +
                            proxy_extra);
            // Relative paths: taken from the config file's directory.
            std::string certificates = "\n[[proxy.certificates]]\ncert = \"first.crt\"\n"
                                       "key = \"first.key\"\n"
                                       "\n[[proxy.certificates]]\ncert = \"" +
                                       second.cert + "\"\nkey = \"" + second.key + "\"\n";
            writeFile(path(), head + certificates + services);
            switchboard = std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port);
            if (switchboard->started() && switchboard->waitForLog("started with") &&
                switchboard->running())
                return;
            last_log = switchboard->log();
            switchboard.reset();
            proxy_port = freePort();
            admin_port = freePort();
            tls_port = freePort();
        }
        FAIL() << "switchboard did not start:\n" << last_log;
    }

    std::string path() const { return dir.file("switchboard.toml"); }
    std::string url(const std::string& target) const {
        return "https://a.example:" + std::to_string(tls_port) + target;
    }
    // curl to the TLS listener, trusting the first certificate, with a.example on loopback.
    CommandResult curl(std::vector<std::string> args) const {
        std::vector<std::string> command = {
            "curl",       "-sS",
            "--max-time", "60",
            "--cacert",   first.cert,
            "--resolve",  "a.example:" + std::to_string(tls_port) + ":127.0.0.1"};
        command.insert(command.end(), args.begin(), args.end());
        return runCommand(command);
    }
    double metric(const std::string& sample) const {
        return metricValue(switchboard->admin("GET", "/metrics").body, sample).value_or(-1);
    }
    // SIGHUP, and wait for the reload's log line (refused or not).
    void reload() {
        int before = switchboard->logCount("SIGHUP: reload");
        switchboard->signal(SIGHUP);
        ASSERT_TRUE(eventually([&] { return switchboard->logCount("SIGHUP: reload") > before; }))
            << switchboard->log();
    }

    TempDir dir;
    CertificatePaths first, second;
    int proxy_port = freePort();
    int admin_port = freePort();
    int tls_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
    std::string last_log;
};

std::string servicesOn(const UpstreamServer& up) {
    return "\n[services.apiA]\nupstreams = [\"" + up.address() + "\"]\n";
}

TEST_F(Tls, CurlRoutesOverHttpsWithKeepAliveAndForwardedProto) {
    UpstreamServer up("up", echoProto);
    start(servicesOn(up));
    // Two URLs on one curl: the second request reuses the first connection.
    auto result = curl(
        {"-w", " connects=%{num_connects} %{http_version}\\n", url("/apiA/x"), url("/apiA/y")});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_NE(result.out.find("proto=https path=/apiA/x connects=1 1.1"), std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("proto=https path=/apiA/y connects=0 1.1"), std::string::npos)
        << result.out;
    EXPECT_EQ(metric("switchboard_tls_handshakes_total{result=\"ok\"}"), 1);
    EXPECT_NE(switchboard->log().find("started with 1 service and 1 upstream on "),
              std::string::npos);
    EXPECT_NE(switchboard->log().find(":" + std::to_string(tls_port) + " with 2 certificates\n"),
              std::string::npos)
        << switchboard->log();
    // The plain listener still says http, and a route that is missing is a 404 either way.
    EXPECT_EQ(switchboard->proxy("GET", "/apiA/z").body, "proto=http path=/apiA/z");
    auto missing = curl({"-o", "/dev/null", "-w", "%{http_code}", url("/nowhere")});
    EXPECT_EQ(missing.out, "404");
}

TEST_F(Tls, DownloadsSixtyFourMebibytesByteExact) {
    constexpr std::uint64_t kSize = 64ull << 20;
    UpstreamServer up("up", [](const ReceivedRequest&) { return streamedReply(kSize); });
    start(servicesOn(up));
    std::string out = dir.file("download");
    auto result = curl({"-o", out, url("/apiA/big")});
    ASSERT_EQ(result.status, 0) << result.err;
    std::string body = readFile(out);
    ASSERT_EQ(body.size(), kSize);
    for (std::uint64_t i = 0; i < kSize; ++i)
        if (body[i] != patternByte(i))
            FAIL() << "byte " << i << " differs";
}

TEST_F(Tls, UploadReachesTheUpstreamWhole) {
    UpstreamServer up("up");
    start(servicesOn(up));
    std::string body(8 << 20, '\0');
    for (std::size_t i = 0; i < body.size(); ++i)
        body[i] = patternByte(i);
    writeFile(dir.file("upload"), body);
    auto result = curl({"--data-binary", "@" + dir.file("upload"), url("/apiA/up")});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.out, "up");
    auto requests = up.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_TRUE(requests[0].body == body) << "the upstream got " << requests[0].body.size();
    EXPECT_EQ(requests[0].header("X-Forwarded-Proto"), "https");
}

TEST_F(Tls, SniPicksTheCertificateAndAlpnIsHttp11) {
    UpstreamServer up("up");
    start(servicesOn(up));
    auto subject = [&](std::vector<std::string> extra) {
        std::vector<std::string> command = {"timeout",  "20",
                                            "openssl",  "s_client",
                                            "-connect", "127.0.0.1:" + std::to_string(tls_port)};
        command.insert(command.end(), extra.begin(), extra.end());
        auto result = runCommand(command);
        auto at = result.out.find("subject=");
        return at == std::string::npos ? result.out + result.err
                                       : result.out.substr(at, result.out.find('\n', at) - at);
    };
    EXPECT_EQ(subject({"-servername", "b.example"}), "subject=CN = b.example");
    EXPECT_EQ(subject({"-servername", "a.example"}), "subject=CN = a.example");
    EXPECT_EQ(subject({"-noservername"}), "subject=CN = a.example");  // no SNI: the first
    // A wildcard covers one label; an unknown name gets the first.
    EXPECT_EQ(TlsClient(tls_port, "www.a.example").peerCommonName(), "a.example");
    EXPECT_EQ(TlsClient(tls_port, "B.Example").peerCommonName(), "b.example");
    EXPECT_EQ(TlsClient(tls_port, "x.www.a.example").peerCommonName(), "a.example");
    EXPECT_EQ(TlsClient(tls_port, "unknown.test").peerCommonName(), "a.example");
    TlsClient client(tls_port, "b.example");
    ASSERT_TRUE(client.ok()) << client.error();
    EXPECT_EQ(client.alpn(), "http/1.1");
    EXPECT_EQ(client.request("GET", "/apiA").body, "up");
}

TEST_F(Tls, SessionsResumeAcrossAReload) {
    UpstreamServer up("up");
    start(servicesOn(up));
    SSL_SESSION* session = nullptr;
    {
        TlsClient client(tls_port, "a.example");
        ASSERT_TRUE(client.ok()) << client.error();
        ASSERT_EQ(client.request("GET", "/apiA").status, 200);  // the TLS 1.3 ticket came
        session = client.session();
    }
    ASSERT_NE(session, nullptr);
    {
        TlsClient again(tls_port, "a.example", session);
        ASSERT_TRUE(again.ok()) << again.error();
        EXPECT_TRUE(again.resumed());
        EXPECT_EQ(again.request("GET", "/apiA").status, 200);
    }
    reload();
    {
        // The ticket keys survived the reload.
        TlsClient after(tls_port, "a.example", session);
        ASSERT_TRUE(after.ok()) << after.error();
        EXPECT_TRUE(after.resumed());
    }
    SSL_SESSION_free(session);
}

TEST_F(Tls, ReloadTakesRenewedFilesAndKeepsOpenConnections) {
    UpstreamServer up("up");
    start(servicesOn(up));
    TlsClient before(tls_port, "a.example");
    ASSERT_TRUE(before.ok()) << before.error();
    ASSERT_EQ(before.request("GET", "/apiA").status, 200);

    // certbot's renewal: new files in place, the config text unchanged.
    makeCertificate(dir.path(), "first", {"renewed.a.example", "a.example"});
    reload();
    EXPECT_EQ(switchboard->logCount("reload refused"), 0) << switchboard->log();
    EXPECT_EQ(TlsClient(tls_port, "a.example").peerCommonName(), "renewed.a.example");
    // The connection opened before keeps working, on the certificate it was made with.
    EXPECT_EQ(before.peerCommonName(), "a.example");
    EXPECT_EQ(before.request("GET", "/apiA").body, "up");

    // A broken key is refused: the old certificate keeps serving.
    writeFile(dir.file("first.key"), "-----BEGIN PRIVATE KEY-----\nnot a key\n"
                                     "-----END PRIVATE KEY-----\n");
    reload();
    EXPECT_TRUE(switchboard->waitForLog("reload refused")) << switchboard->log();
    EXPECT_NE(switchboard->log().find(dir.file("first.key")), std::string::npos)
        << switchboard->log();
    EXPECT_EQ(metric("switchboard_reloads_total{result=\"failed\"}"), 1);
    TlsClient still(tls_port, "a.example");
    ASSERT_TRUE(still.ok()) << still.error();
    EXPECT_EQ(still.peerCommonName(), "renewed.a.example");
    EXPECT_EQ(still.request("GET", "/apiA").status, 200);
    // POST /reload?dry_run=1 reads the files too.
    auto dry = switchboard->admin("POST", "/reload?dry_run=1");
    EXPECT_EQ(dry.status, 400) << dry.body;
    EXPECT_NE(dry.body.find("first.key"), std::string::npos) << dry.body;
}

TEST_F(Tls, ABadFileAtStartExitsOneNamingIt) {
    writeFile(dir.file("broken.key"), "nothing\n");
    std::string config = configHead(proxy_port, admin_port);
    config.insert(config.find("\n[admin]"), "tls_listen = \"127.0.0.1:" + std::to_string(tls_port) +
                                                "\"\n\n[[proxy.certificates]]\ncert = \"" +
                                                first.cert + "\"\nkey = \"" +
                                                dir.file("broken.key") + "\"\n");
    writeFile(path(), config);
    auto check = runSwitchboard({"--check", "-c", path()});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.err.find(dir.file("broken.key") + ": not a usable PEM private key"),
              std::string::npos)
        << check.err;
    auto run = runSwitchboard({"-c", path()});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find(dir.file("broken.key")), std::string::npos) << run.err;

    // A missing file, and a key that belongs to another certificate.
    writeFile(path(),
              std::string(config).replace(config.find(dir.file("broken.key")),
                                          dir.file("broken.key").size(), dir.file("missing.key")));
    run = runSwitchboard({"-c", path()});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find(dir.file("missing.key") + ": cannot read: No such file or directory"),
              std::string::npos)
        << run.err;
    writeFile(path(), std::string(config).replace(config.find(dir.file("broken.key")),
                                                  dir.file("broken.key").size(), second.key));
    run = runSwitchboard({"--check", "-c", path()});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.err.find(second.key + ": does not match the certificate " + first.cert),
              std::string::npos)
        << run.err;
}

TEST_F(Tls, ConfigErrorsHaveLineAndColumn) {
    std::string config = configHead(proxy_port, admin_port);
    config.insert(config.find("\n[admin]"),
                  "tls_listen = [\"127.0.0.1:" + std::to_string(tls_port) + "\"]\n");
    writeFile(path(), config);
    auto check = runSwitchboard({"--check", "-c", path()});
    EXPECT_EQ(check.status, 1);
    const auto line =
        std::count(config.begin(), config.begin() + config.find("tls_listen"), '\n') + 1;
    EXPECT_NE(
        check.err.find(path() + ":" + std::to_string(line) +
                       ":14: proxy.tls_listen needs at least one [[proxy.certificates]] entry"),
        std::string::npos)
        << config << check.err;

    writeFile(path(), configHead(proxy_port, admin_port) +
                          "\n[[proxy.certificates]]\ncert = \"x.crt\"\nbogus = 1\n");
    check = runSwitchboard({"--check", "-c", path()});
    EXPECT_EQ(check.status, 1);
    EXPECT_NE(check.err.find("unknown key 'proxy.certificates[].bogus'"), std::string::npos)
        << check.err;
    EXPECT_NE(check.err.find("[[proxy.certificates]] needs both cert and key"), std::string::npos)
        << check.err;
}

TEST_F(Tls, CheckDescribesTheCertificates) {
    auto soon = makeCertificate(dir.path(), "soon", {"soon.example"}, 3);
    std::string config = configHead(proxy_port, admin_port);
    config.insert(config.find("\n[admin]"), "tls_listen = \"127.0.0.1:" + std::to_string(tls_port) +
                                                "\"\n\n[[proxy.certificates]]\ncert = \"" +
                                                soon.cert + "\"\nkey = \"" + soon.key + "\"\n");
    writeFile(path(), config);
    auto check = runSwitchboard({"--check", "-c", path()});
    EXPECT_EQ(check.status, 0) << check.err;
    EXPECT_NE(check.out.find("certificate " + soon.cert + ": soon.example; valid until"),
              std::string::npos)
        << check.out;
    EXPECT_NE(check.err.find("warning: certificate " + soon.cert + " expires in "),
              std::string::npos)
        << check.err;
}

// Opens a TCP connection and sends `bytes`; true when the server closes it within
// `timeout_ms`.
bool closedWithin(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (::poll(&p, 1, 50) > 0) {
            char buffer[4096];
            ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN))
                return true;
        }
    }
    return false;
}

TEST_F(Tls, UnfinishedHandshakesAreClosedAfterTheTimeout) {
    UpstreamServer up("up");
    start(servicesOn(up), "tls_handshake_timeout_ms = 400\n");
    bool connected = false;
    int silent = connectLoopback(tls_port, connected);
    ASSERT_TRUE(connected);
    int half = connectLoopback(tls_port, connected);
    ASSERT_TRUE(connected);
    // The first bytes of a ClientHello: a handshake record that announces 512 bytes.
    const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03,
                                   0x03, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    ASSERT_EQ(::send(half, hello, sizeof hello, MSG_NOSIGNAL), (ssize_t)sizeof hello);
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(closedWithin(silent, 5000));
    EXPECT_TRUE(closedWithin(half, 5000));
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, std::chrono::milliseconds(300));
    ::close(silent);
    ::close(half);
    EXPECT_TRUE(eventually(
        [&] { return metric("switchboard_tls_handshakes_total{result=\"timeout\"}") == 2; }));
    // Bytes that are not TLS at all fail at once.
    int wrong = connectLoopback(tls_port, connected);
    std::string plain = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    ::send(wrong, plain.data(), plain.size(), MSG_NOSIGNAL);
    EXPECT_TRUE(closedWithin(wrong, 2000));
    ::close(wrong);
    EXPECT_TRUE(eventually(
        [&] { return metric("switchboard_tls_handshakes_total{result=\"failed\"}") == 1; }));
}

TEST_F(Tls, TwoThousandSilentClientsDoNotStopARealOne) {
    UpstreamServer up("up");
    // The silent ones time out after 6 s; the real client must be served well before that
    // (4 s leaves room for a sanitizer build on a loaded machine: CI saw one over 2 s).
    start(servicesOn(up), "tls_handshake_timeout_ms = 6000\n");
    std::vector<int> silent;
    for (int i = 0; i < 2000; ++i) {
        bool connected = false;
        int fd = connectLoopback(tls_port, connected);
        if (!connected) {
            ::close(fd);
            break;
        }
        silent.push_back(fd);
    }
    EXPECT_EQ(silent.size(), 2000u);
    auto started = std::chrono::steady_clock::now();
    TlsClient client(tls_port, "a.example");
    ASSERT_TRUE(client.ok()) << client.error();
    EXPECT_EQ(client.request("GET", "/apiA").body, "up");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
    // Then the silent ones are closed, and their slots given back.
    EXPECT_TRUE(eventually(
        [&] { return metric("switchboard_tls_handshakes_total{result=\"timeout\"}") == 2000; },
        30000))
        << metric("switchboard_tls_handshakes_total{result=\"timeout\"}");
    EXPECT_TRUE(eventually([&] { return metric("switchboard_client_connections") <= 1; }));
    for (int fd : silent)
        ::close(fd);
}

}  // namespace

namespace {

TEST_F(Tls, AdminChangesKeepTheCertificatesInTheFile) {
    UpstreamServer up("up"), other("other");
    start(servicesOn(up));
    auto added = switchboard->admin("POST", "/add_upstream/apiA/" + other.address());
    ASSERT_EQ(added.status / 100, 2) << added.body;
    std::string text = readFile(path());
    EXPECT_EQ(std::count(text.begin(), text.end(), '['), std::count(text.begin(), text.end(), ']'));
    EXPECT_NE(text.find("[[proxy.certificates]]\ncert = \"first.crt\""), std::string::npos) << text;
    EXPECT_NE(text.find(other.address()), std::string::npos) << text;
    // The file still loads, certificates and all.
    auto check = runSwitchboard({"--check", "-c", path()});
    EXPECT_EQ(check.status, 0) << check.err;
    reload();
    EXPECT_EQ(switchboard->logCount("reload refused"), 0) << switchboard->log();
    EXPECT_EQ(TlsClient(tls_port, "b.example").peerCommonName(), "b.example");
}

}  // namespace

namespace {

// wss://: the upgrade and the frames go through the TLS listener.
TEST_F(Tls, WebSocketOverTls) {
    WebSocketServer ws(WebSocketMode::Echo);
    start("\n[services.ws]\nupstreams = [\"" + ws.address() + "\"]\n");
    TlsClient client(tls_port, "a.example");
    ASSERT_TRUE(client.ok()) << client.error();
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    ASSERT_TRUE(client.send("GET /ws/chat HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: " +
                            key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"));
    Answer answer = parseHead(client.receiveHead());
    ASSERT_EQ(answer.status, 101);
    EXPECT_EQ(answer.header("Sec-WebSocket-Accept"), websocketAccept(key));
    EXPECT_EQ(answer.header("Upgrade"), "websocket");
    // A text frame and a 60000-byte binary one come back as they went (unmasked).
    ASSERT_TRUE(client.send(encodeFrame(kWsText, "hello over tls", true)));
    EXPECT_EQ(client.receive(2 + 14), encodeFrame(kWsText, "hello over tls", false));
    std::string binary(60000, '\0');
    for (std::size_t i = 0; i < binary.size(); ++i)
        binary[i] = patternByte(i);
    ASSERT_TRUE(client.send(encodeFrame(kWsBinary, binary, true)));
    EXPECT_TRUE(client.receive(4 + binary.size()) == encodeFrame(kWsBinary, binary, false));
    auto requests = ws.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].header("X-Forwarded-Proto"), "https");
    EXPECT_EQ(metric("switchboard_tunnels_open"), 1);
    // The close handshake: the server answers and closes; the client's side is closed too.
    ASSERT_TRUE(client.send(encodeFrame(kWsClose, "", true)));
    EXPECT_EQ(client.receive(2), encodeFrame(kWsClose, "", false));
    EXPECT_EQ(client.receive(1), "");  // closed
    EXPECT_TRUE(eventually([&] { return metric("switchboard_tunnels_open") == 0; }));
}

}  // namespace

namespace {

// SIGTERM: a TLS request in flight finishes, an idle TLS connection is closed, as on a plain
// listener.
TEST_F(Tls, SigtermLetsATlsRequestInFlightFinish) {
    UpstreamServer up("up", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.body = "slow";
        reply.delay_ms = 600;
        return reply;
    });
    start(servicesOn(up));
    TlsClient idle(tls_port, "a.example");
    ASSERT_TRUE(idle.ok()) << idle.error();
    TlsClient busy(tls_port, "a.example");
    ASSERT_TRUE(busy.ok()) << busy.error();
    ASSERT_TRUE(busy.send("GET /apiA HTTP/1.1\r\nHost: a.example\r\n\r\n"));
    ASSERT_TRUE(eventually([&] { return up.requestCount() == 1; }));
    switchboard->signal(SIGTERM);
    std::string head = busy.receiveHead();
    EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 200") << head;
    EXPECT_NE(head.find("Connection: close"), std::string::npos) << head;
    EXPECT_EQ(busy.receive(4), "slow");
    EXPECT_EQ(idle.receive(1), "");  // closed without a byte
    EXPECT_EQ(switchboard->stop(), 0);
}

}  // namespace
