// SPDX-License-Identifier: Apache-2.0
// Issue 9: slow and many clients. Thousands of idle connections that sent part of a request
// head (slowloris) must not stop normal clients from being served; past proxy.max_connections
// new connections are closed at once while the open ones keep working; client_timeout_ms
// closes connections that stall in the middle of a head.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPartialHead = "GET /app/slow HTTP/1.1\r\nHost: a\r\nX-Slow: ";

// A client socket on the proxy port, closed on destruction.
class Client {
  public:
    explicit Client(int port) { fd_ = connectLoopback(port, connected_); }
    ~Client() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool connected() const { return connected_; }
    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }
    // True when the peer closed the connection within `timeout_ms` (bytes before the close,
    // if any, are read and dropped).
    bool closedWithin(int timeout_ms) {
        auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        while (true) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0)
                return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                return false;
            char buffer[4096];
            ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0)
                return true;
        }
    }
    // Reads one whole answer (Content-Length framed); its status, or 0.
    int readStatus(int timeout_ms = 10000) {
        std::string data;
        auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        while (true) {
            auto end = data.find("\r\n\r\n");
            if (end != std::string::npos) {
                auto at = data.find("Content-Length: ");
                std::size_t length = at == std::string::npos ? 0 : std::stoul(data.substr(at + 16));
                if (data.size() >= end + 4 + length)
                    return data.size() > 12 ? std::atoi(data.c_str() + 9) : 0;
            }
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                return 0;
            char buffer[4096];
            ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0)
                return 0;
            data.append(buffer, static_cast<std::size_t>(n));
        }
    }

  private:
    int fd_ = -1;
    bool connected_ = false;
};

// Thousands of sockets in this process and as many in switchboard: the soft limit (often
// 1024) is raised to the hard one, which the switchboard child inherits.
void raiseOpenFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

rlim_t openFileLimit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

class SlowClients : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { raiseOpenFileLimit(); }

    void start(const std::string& proxy_settings) {
        std::string head = configHead(proxy_port, admin_port);
        head.insert(head.find("\n[admin]"), proxy_settings);
        writeFile(dir.file("switchboard.toml"),
                  head + "\n[services.app]\nupstreams = [\"" + upstream.address() + "\"]\n");
        switchboard = std::make_unique<SwitchboardProcess>(dir.file("switchboard.toml"), proxy_port,
                                                           admin_port);
        ASSERT_TRUE(switchboard->started()) << switchboard->log();
    }

    // `count` connections that each sent part of a head and then nothing.
    std::vector<std::unique_ptr<Client>> openStalled(std::size_t count) {
        std::vector<std::unique_ptr<Client>> clients;
        for (std::size_t i = 0; i < count; ++i) {
            clients.push_back(std::make_unique<Client>(proxy_port));
            EXPECT_TRUE(clients.back()->connected()) << "connection " << i;
            clients.back()->send(kPartialHead);
        }
        return clients;
    }

    // The proxy's open client connections, from GET /metrics (-1 if not there).
    long openConnections() const {
        std::string metrics = switchboard->admin("GET", "/metrics").body;
        auto at = metrics.find("\nswitchboard_client_connections ");
        if (at == std::string::npos)
            return -1;
        return std::strtol(metrics.c_str() + at + 32, nullptr, 10);
    }

    // Waits until switchboard has taken `count` connections (when the metric exists).
    void waitForConnections(long count) {
        auto deadline = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < deadline) {
            long open = openConnections();
            if (open < 0 || open >= count)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ADD_FAILURE() << "switchboard took " << openConnections() << " of " << count
                      << " connections";
    }

    TempDir dir;
    UpstreamServer upstream{"up"};
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

}  // namespace

TEST_F(SlowClients, TwoThousandStalledHeadsDoNotStopNormalClients) {
    constexpr std::size_t kStalled = 2000;
    if (openFileLimit() < 2 * kStalled + 200)
        GTEST_SKIP() << "open file limit " << openFileLimit() << " is too low for this test";
    start("max_connections = 5000\nclient_timeout_ms = 60000\n");
    auto connecting = Clock::now();
    auto stalled = openStalled(kStalled);
    waitForConnections(static_cast<long>(kStalled));
    // A burst this size fits the listen backlog (4096); with libevent's default of 128 the
    // connections past it waited for SYN retransmits, a second and more each.
    EXPECT_LT(Clock::now() - connecting, std::chrono::seconds(3));

    auto started = Clock::now();
    for (int i = 0; i < 50; ++i) {
        auto response = switchboard->proxy("GET", "/app/normal/" + std::to_string(i));
        ASSERT_EQ(response.status, 200) << "request " << i << ": " << response.error;
        EXPECT_EQ(response.body, "up");
    }
    auto elapsed = Clock::now() - started;
    EXPECT_LT(elapsed, std::chrono::seconds(10))
        << "50 requests took "
        << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms";

    // The stalled ones were only waited for, never dropped: finishing a head gets an answer.
    for (std::size_t i = 0; i < kStalled; i += 400) {
        ASSERT_TRUE(stalled[i]->send("1\r\n\r\n"));
        EXPECT_EQ(stalled[i]->readStatus(), 200) << "stalled connection " << i;
    }
    EXPECT_EQ(switchboard->log().find("max_connections"), std::string::npos) << switchboard->log();
}

TEST_F(SlowClients, ConnectionsPastMaxConnectionsAreClosedAtOnce) {
    start("max_connections = 50\nclient_timeout_ms = 60000\n");
    auto stalled = openStalled(50);
    waitForConnections(50);

    for (int i = 0; i < 3; ++i) {
        Client extra(proxy_port);
        ASSERT_TRUE(extra.connected());  // the kernel completes the handshake...
        extra.send("GET /app/extra HTTP/1.1\r\nHost: a\r\n\r\n");
        EXPECT_TRUE(extra.closedWithin(2000)) << "connection 51+" << i << " was not closed";
    }
    EXPECT_TRUE(switchboard->waitForLog("max_connections (50) reached")) << switchboard->log();

    // The 50 are untouched: each can still finish its request.
    for (std::size_t i = 0; i < stalled.size(); i += 7) {
        ASSERT_TRUE(stalled[i]->send("1\r\n\r\n"));
        EXPECT_EQ(stalled[i]->readStatus(), 200) << "connection " << i;
    }

    // Room again once some go: a new client is served.
    stalled.resize(40);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (status != 200 && Clock::now() < deadline) {
        auto response = switchboard->proxy("GET", "/app/after");
        status = response.status;
        if (status != 200)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, 200);
}

TEST_F(SlowClients, MaxConnectionsChangesWithReload) {
    start("max_connections = 5\nclient_timeout_ms = 60000\n");
    auto stalled = openStalled(5);
    waitForConnections(5);
    {
        Client extra(proxy_port);
        EXPECT_TRUE(extra.closedWithin(2000));
    }
    std::string text = readFile(dir.file("switchboard.toml"));
    text.replace(text.find("max_connections = 5"), 19, "max_connections = 10");
    writeFile(dir.file("switchboard.toml"), text);
    ASSERT_EQ(switchboard->admin("POST", "/reload").status, 200);
    Client sixth(proxy_port);
    ASSERT_TRUE(sixth.send("GET /app/sixth HTTP/1.1\r\nHost: a\r\n\r\n"));
    EXPECT_EQ(sixth.readStatus(), 200);
}

TEST_F(SlowClients, ClientTimeoutClosesStalledHeadSenders) {
    constexpr int kTimeoutMs = 500;
    start("client_timeout_ms = " + std::to_string(kTimeoutMs) + "\n");
    auto started = Clock::now();
    auto stalled = openStalled(20);
    Client silent(proxy_port);  // connected, sent nothing at all
    ASSERT_TRUE(silent.connected());

    for (std::size_t i = 0; i < stalled.size(); ++i)
        EXPECT_TRUE(stalled[i]->closedWithin(kTimeoutMs + 3000)) << "connection " << i;
    EXPECT_TRUE(silent.closedWithin(kTimeoutMs + 3000));
    auto elapsed = Clock::now() - started;
    EXPECT_GE(elapsed, std::chrono::milliseconds(kTimeoutMs - 50));

    auto response = switchboard->proxy("GET", "/app/after");
    EXPECT_EQ(response.status, 200) << response.error;
}

// Disabled until ClientConnection bounds the time a whole head may take (reported): today
// client_timeout_ms is an idle timeout, re-armed by every byte, so a client that trickles a
// byte of its head now and then holds its connection for ever. nginx
// (client_header_timeout) and HAProxy (timeout http-request) give the whole head one deadline.
TEST_F(SlowClients, TricklingHeadSenderIsClosedAtTheHeadDeadline) {
    constexpr int kTimeoutMs = 600;
    start("client_timeout_ms = " + std::to_string(kTimeoutMs) + "\n");
    Client trickler(proxy_port);
    ASSERT_TRUE(trickler.send(kPartialHead));
    auto started = Clock::now();
    bool closed = false;
    while (!closed && Clock::now() - started < std::chrono::milliseconds(4 * kTimeoutMs)) {
        trickler.send("x");
        closed = trickler.closedWithin(kTimeoutMs / 3);
    }
    EXPECT_TRUE(closed) << "a head trickled a byte at a time was never cut off";
}
