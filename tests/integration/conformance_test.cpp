// SPDX-License-Identifier: Apache-2.0
// Issue 19: HTTP/1.1 conformance (SPEC §3, §14), sent as raw bytes through the proxy.
//
//  * absolute-form targets (RFC 9112 §3.2.2): the authority replaces Host for routing and
//    forwarding, and the upstream gets the origin form;
//  * `OPTIONS *` answered by switchboard itself;
//  * no answer switchboard makes itself to a HEAD carries a body, and its Content-Length is
//    the one the same GET gets;
//  * a chunked body whose first chunk is already malformed when the head arrives never
//    reaches the upstream, not even its head.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/connection_threads.h"
#include "harness/raw_connection.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;
using namespace std::string_literals;

namespace {

// A TCP listener that only counts: the connections it accepted and every byte they carried.
// It never answers. An upstream that must receive nothing at all, not even a head.
class ByteCounter {
  public:
    ByteCounter() {
        listen_fd_ = listenLoopback(/*ipv6=*/false, 0, 64, port_);
        thread_ = std::thread([this] { loop(); });
    }
    ~ByteCounter() {
        stopping_ = true;
        thread_.join();
        for (int fd : connections_)
            ::close(fd);
        ::close(listen_fd_);
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    int accepted() const { return accepted_.load(); }
    long bytes() const { return bytes_.load(); }
    std::string received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }

  private:
    void loop() {
        while (!stopping_) {
            std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
            for (int fd : connections_)
                fds.push_back({fd, POLLIN, 0});
            if (::poll(fds.data(), fds.size(), 50) <= 0)
                continue;
            if (fds[0].revents & POLLIN) {
                int fd = ::accept(listen_fd_, nullptr, nullptr);
                if (fd >= 0) {
                    connections_.push_back(fd);
                    ++accepted_;
                }
            }
            for (std::size_t i = 1; i < fds.size(); ++i) {
                if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char chunk[65536];
                ssize_t n = ::recv(fds[i].fd, chunk, sizeof chunk, MSG_DONTWAIT);
                if (n > 0) {
                    bytes_ += n;
                    std::lock_guard lock(mutex_);
                    received_.append(chunk, static_cast<std::size_t>(n));
                } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    for (auto& fd : connections_)
                        if (fd == fds[i].fd) {
                            ::close(fd);
                            fd = -1;
                        }
                }
            }
            std::erase(connections_, -1);
        }
    }

    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> accepted_{0};
    std::atomic<long> bytes_{0};
    mutable std::mutex mutex_;
    std::string received_;
    std::vector<int> connections_;
    std::thread thread_;
};

constexpr int kClientTimeoutMs = 3000;
constexpr int kUpstreamTimeoutMs = 400;
constexpr int kMaxHeaderBytes = 1024;
constexpr int kMaxBodyBytes = 1000;

// The answer of every echoing upstream: who it is and what it understood.
UpstreamServer::Handler echo(const std::string& name) {
    return [name](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = name + " " + request.method + " " + request.target;
        return reply;
    };
}

class Conformance : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        a_ = new UpstreamServer("a", echo("a"));
        b_ = new UpstreamServer("b", echo("b"));
        any_ = new UpstreamServer("any", echo("any"));
        root_ = new UpstreamServer("root", echo("root"));
        silent_ = new UpstreamServer("silent", [](const ReceivedRequest&) {
            UpstreamReply reply;
            reply.never_answer = true;
            return reply;
        });
        late_ = new UpstreamServer("late", echo("late"));
        first_chunk_ = new ByteCounter();
        int refused_port = freePort();  // nothing listens there

        proxy_port_ = freePort();
        int admin_port = freePort();
        std::string head = configHead(proxy_port_, admin_port);
        head.insert(head.find("\n[admin]"),
                    "max_header_bytes = " + std::to_string(kMaxHeaderBytes) +
                        "\nmax_request_body_bytes = " + std::to_string(kMaxBodyBytes) +
                        "\nclient_timeout_ms = " + std::to_string(kClientTimeoutMs) +
                        "\nupstream_timeout_ms = " + std::to_string(kUpstreamTimeoutMs) +
                        "\nconnect_timeout_ms = 300\n"
                        // A failing upstream stays in: every GET and HEAD below meets the
                        // same failure, so their answers can be compared.
                        "max_fails = 1000\n");
        auto service = [](const std::string& name, const std::string& route,
                          const std::string& host, const std::string& upstreams) {
            return "\n[services." + name + "]\nroute = \"" + route + "\"\n" +
                   (host.empty() ? "" : "host = \"" + host + "\"\n") + "upstreams = [" + upstreams +
                   "]\n";
        };
        auto quoted = [](const std::string& address) { return "\"" + address + "\""; };
        std::string config = head;
        config += service("a", "/apiA", "a.example", quoted(a_->address()));
        config += service("b", "/apiA", "b.example", quoted(b_->address()));
        config += service("any", "/apiA", "", quoted(any_->address()));
        config += service("root", "/", "a.example", quoted(root_->address()));
        config += service("none", "/none", "", "");
        config +=
            service("refused", "/refused", "", quoted("127.0.0.1:" + std::to_string(refused_port)));
        config += service("silent", "/silent", "", quoted(silent_->address()));
        config += service("late", "/late", "", quoted(late_->address()));
        config += service("first", "/first-chunk", "", quoted(first_chunk_->address()));
        writeFile(dir_->file("switchboard.toml"), config);
        // debug: the line about an aborted upstream request must show whatever its level.
        switchboard_ = new SwitchboardProcess(dir_->file("switchboard.toml"), proxy_port_,
                                              admin_port, {"--log-level", "debug"});
    }
    static void TearDownTestSuite() {
        delete switchboard_;
        delete first_chunk_;
        delete late_;
        delete silent_;
        delete root_;
        delete any_;
        delete b_;
        delete a_;
        delete dir_;
    }
    void SetUp() override {
        ASSERT_TRUE(switchboard_->started()) << switchboard_->log();
        for (auto* upstream : echoing())
            before_[upstream] = upstream->requestCount();
    }

    static std::vector<UpstreamServer*> echoing() { return {a_, b_, any_, root_, late_}; }

    // The requests `upstream` received since the test began.
    std::vector<ReceivedRequest> received(UpstreamServer* upstream) const {
        auto all = upstream->requests();
        return {all.begin() + before_.at(upstream), all.end()};
    }
    // How many requests all echoing upstreams received since the test began.
    int receivedAnywhere() const {
        int count = 0;
        for (auto* upstream : echoing())
            count += static_cast<int>(received(upstream).size());
        return count;
    }

    // Sends one request on a fresh connection and returns its answer (an answer with status 0
    // when none came).
    Answer exchange(const std::string& bytes) {
        RawConnection connection(proxy_port_);
        EXPECT_TRUE(connection.connected());
        connection.send(bytes);
        Exchange exchange = connection.read(1, false);
        EXPECT_EQ(exchange.answers.size(), 1u) << "raw answer:\n" << exchange.raw;
        return exchange.answers.empty() ? Answer{} : exchange.answers[0];
    }

    // Sends `bytes` and expects them forwarded, once, to `upstream` and nowhere else; returns
    // what the upstream received.
    ReceivedRequest expectForwarded(const std::string& bytes, UpstreamServer* upstream) {
        Answer answer = exchange(bytes);
        EXPECT_EQ(answer.status, 200) << answer.body;
        EXPECT_EQ(answer.body.substr(0, upstream->name().size() + 1), upstream->name() + " ")
            << "answered by the wrong upstream: " << answer.body;
        auto requests = received(upstream);
        EXPECT_EQ(requests.size(), 1u);
        EXPECT_EQ(receivedAnywhere(), 1) << "the request reached another upstream too";
        return requests.empty() ? ReceivedRequest{} : requests.back();
    }

    // Sends `bytes` on a fresh connection and expects a refusal: one answer with `status`,
    // the connection closed, and no request at any upstream.
    void expectRefused(const std::string& bytes, int status) {
        RawConnection connection(proxy_port_);
        ASSERT_TRUE(connection.connected());
        connection.send(bytes);
        Exchange exchange = connection.read(1, /*until_close=*/true);
        ASSERT_EQ(exchange.answers.size(), 1u) << "raw answer:\n" << exchange.raw;
        EXPECT_EQ(exchange.answers[0].status, status) << exchange.raw;
        EXPECT_TRUE(exchange.closed) << "the connection stayed open after a refusal";
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_EQ(receivedAnywhere(), 0) << "a refused request reached an upstream";
    }

    // The HEAD request `head` gets the same answer as the GET request `get` -- status,
    // Content-Length, Content-Type, the connection closed or not -- but only its head: not one
    // byte after the blank line, neither before the close nor before the next answer.
    void expectHeadLikeGet(const std::string& get, const std::string& head, int status) {
        constexpr int kQuietMs = 400;
        RawConnection get_connection(proxy_port_);
        ASSERT_TRUE(get_connection.connected());
        get_connection.send(get);
        Exchange got = get_connection.read(1, false);
        ASSERT_EQ(got.answers.size(), 1u) << "raw answer to the GET:\n" << got.raw;
        Exchange after_get = get_connection.readRaw(kQuietMs, kQuietMs);
        bool get_closed = got.closed || after_get.closed;
        const Answer& get_answer = got.answers[0];
        ASSERT_EQ(get_answer.status, status) << got.raw;
        EXPECT_EQ(got.raw.size(), got.raw.find("\r\n\r\n") + 4 + get_answer.body.size());
        EXPECT_TRUE(after_get.raw.empty()) << "bytes after the GET's answer: " << after_get.raw;
        ASSERT_FALSE(get_answer.body.empty()) << "the GET's answer has no body to leave out";

        RawConnection head_connection(proxy_port_);
        ASSERT_TRUE(head_connection.connected());
        head_connection.send(head);
        Exchange raw = head_connection.readRaw(kQuietMs);
        auto end = raw.raw.find("\r\n\r\n");
        ASSERT_NE(end, std::string::npos) << "no complete head came back:\n" << raw.raw;
        Answer head_answer = parseHead(raw.raw.substr(0, end));
        EXPECT_EQ(head_answer.status, status) << raw.raw;
        EXPECT_EQ(raw.raw.substr(end + 4), "")
            << "the answer to HEAD carries " << raw.raw.size() - end - 4 << " body byte(s)";
        EXPECT_EQ(head_answer.headerCount("Content-Length"), 1) << raw.raw;
        EXPECT_EQ(head_answer.header("Content-Length"), std::to_string(get_answer.body.size()))
            << "HEAD's Content-Length differs from the length of the GET's body";
        EXPECT_EQ(head_answer.header("Content-Type"), get_answer.header("Content-Type"));
        EXPECT_EQ(head_answer.headerCount("Transfer-Encoding"), 0);
        EXPECT_EQ(raw.closed, get_closed)
            << "GET's connection closed: " << get_closed << ", HEAD's: " << raw.closed;
        if (!raw.closed) {
            // The connection is in step: the next request gets the next answer, and it starts
            // right where the HEAD's head ended.
            head_connection.send(get);
            Exchange next = head_connection.read(1, false);
            ASSERT_EQ(next.answers.size(), 1u) << "after the HEAD: " << next.raw;
            EXPECT_EQ(next.raw.substr(0, 9), "HTTP/1.1 ") << next.raw;
            EXPECT_EQ(next.answers[0].status, status);
            EXPECT_EQ(next.answers[0].body, get_answer.body);
        }
    }

    static TempDir* dir_;
    static UpstreamServer* a_;
    static UpstreamServer* b_;
    static UpstreamServer* any_;
    static UpstreamServer* root_;
    static UpstreamServer* silent_;
    static UpstreamServer* late_;
    static ByteCounter* first_chunk_;
    static SwitchboardProcess* switchboard_;
    static int proxy_port_;
    std::map<UpstreamServer*, int> before_;
};

TempDir* Conformance::dir_ = nullptr;
UpstreamServer* Conformance::a_ = nullptr;
UpstreamServer* Conformance::b_ = nullptr;
UpstreamServer* Conformance::any_ = nullptr;
UpstreamServer* Conformance::root_ = nullptr;
UpstreamServer* Conformance::silent_ = nullptr;
UpstreamServer* Conformance::late_ = nullptr;
ByteCounter* Conformance::first_chunk_ = nullptr;
SwitchboardProcess* Conformance::switchboard_ = nullptr;
int Conformance::proxy_port_ = 0;

}  // namespace

// ---- absolute-form targets (RFC 9112 §3.2.2) -------------------------------------------------

TEST_F(Conformance, AbsoluteFormIsForwardedInOriginFormWithTheAuthorityAsHost) {
    ReceivedRequest request = expectForwarded(
        "GET http://a.example/apiA/x?y=1 HTTP/1.1\r\nHost: client.example\r\n\r\n", a_);
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/apiA/x?y=1");
    EXPECT_EQ(request.headerCount("Host"), 1) << "exactly one Host line upstream";
    EXPECT_EQ(request.header("Host"), "a.example") << "the target's authority, not the client's";
    EXPECT_EQ(request.headerCount("X-Forwarded-Host"), 1);
    EXPECT_EQ(request.header("X-Forwarded-Host"), "a.example");
}

TEST_F(Conformance, AbsoluteFormRoutesByItsAuthorityNotByTheHostHeader) {
    ReceivedRequest request =
        expectForwarded("GET http://b.example/apiA HTTP/1.1\r\nHost: a.example\r\n\r\n", b_);
    EXPECT_EQ(request.target, "/apiA");
    EXPECT_EQ(request.header("Host"), "b.example");
    EXPECT_EQ(request.headerCount("Host"), 1);
    EXPECT_EQ(request.header("X-Forwarded-Host"), "b.example");
    EXPECT_TRUE(received(a_).empty()) << "routed by the Host header";
}

TEST_F(Conformance, AbsoluteFormWithAnAgreeingHostRoutesTheSame) {
    ReceivedRequest request =
        expectForwarded("GET http://b.example/apiA/y HTTP/1.1\r\nHost: b.example\r\n\r\n", b_);
    EXPECT_EQ(request.target, "/apiA/y");
    EXPECT_EQ(request.header("Host"), "b.example");
    EXPECT_EQ(request.headerCount("Host"), 1);
}

TEST_F(Conformance, AbsoluteFormSchemeIsCaseInsensitiveAndHttpsIsAccepted) {
    ReceivedRequest upper =
        expectForwarded("GET HTTP://b.example/apiA/u HTTP/1.1\r\nHost: a.example\r\n\r\n", b_);
    EXPECT_EQ(upper.target, "/apiA/u");
    EXPECT_EQ(upper.header("Host"), "b.example");
    before_[b_] = b_->requestCount();
    ReceivedRequest mixed =
        expectForwarded("GET HtTp://b.example/apiA/m HTTP/1.1\r\nHost: a.example\r\n\r\n", b_);
    EXPECT_EQ(mixed.target, "/apiA/m");
    before_[b_] = b_->requestCount();
    ReceivedRequest https =
        expectForwarded("GET https://b.example/apiA/s HTTP/1.1\r\nHost: a.example\r\n\r\n", b_);
    EXPECT_EQ(https.target, "/apiA/s");
    EXPECT_EQ(https.header("Host"), "b.example");
}

TEST_F(Conformance, AbsoluteFormWithAQueryAndNoPathGetsTheRootPath) {
    ReceivedRequest request =
        expectForwarded("GET http://a.example?x=1 HTTP/1.1\r\nHost: b.example\r\n\r\n", root_);
    EXPECT_EQ(request.target, "/?x=1");
    EXPECT_EQ(request.header("Host"), "a.example");
    EXPECT_EQ(request.headerCount("Host"), 1);
}

TEST_F(Conformance, AbsoluteFormWithNoPathGetsTheRootPath) {
    ReceivedRequest request =
        expectForwarded("GET http://a.example HTTP/1.1\r\nHost: b.example\r\n\r\n", root_);
    EXPECT_EQ(request.target, "/");
    EXPECT_EQ(request.header("Host"), "a.example");
}

TEST_F(Conformance, AbsoluteFormWithAPortRoutesByTheHostAlone) {
    ReceivedRequest request =
        expectForwarded("GET http://a.example:8080/apiA HTTP/1.1\r\nHost: b.example\r\n\r\n", a_);
    EXPECT_EQ(request.target, "/apiA");
    EXPECT_EQ(request.headerCount("Host"), 1);
    EXPECT_EQ(request.header("Host"), "a.example:8080");
    EXPECT_EQ(request.header("X-Forwarded-Host"), "a.example:8080");
    before_[a_] = a_->requestCount();
    // Service hosts match case-insensitively, as with the Host header.
    ReceivedRequest upper =
        expectForwarded("GET http://A.EXAMPLE:8080/apiA/c HTTP/1.1\r\nHost: b.example\r\n\r\n", a_);
    EXPECT_EQ(upper.target, "/apiA/c");
}

TEST_F(Conformance, AbsoluteFormWithAnIpv6AuthorityRoutesByItsAddress) {
    // No service has host "::1" (a service host is a hostname): the request goes to the
    // service on /apiA without a host -- not to a.example's, which the Host header names.
    ReceivedRequest request =
        expectForwarded("GET http://[::1]:8080/apiA/v6 HTTP/1.1\r\nHost: a.example\r\n\r\n", any_);
    EXPECT_EQ(request.target, "/apiA/v6");
    EXPECT_EQ(request.headerCount("Host"), 1);
    EXPECT_EQ(request.header("Host"), "[::1]:8080");
    EXPECT_EQ(request.header("X-Forwarded-Host"), "[::1]:8080");
    EXPECT_TRUE(received(a_).empty()) << "routed by the Host header";
}

TEST_F(Conformance, AbsoluteFormWithoutHostInHttp11IsRefused) {
    // RFC 9112 §3.2: a server must answer 400 to an HTTP/1.1 request without Host, whatever
    // the form of its target.
    expectRefused("GET http://a.example/apiA HTTP/1.1\r\n\r\n", 400);
}

TEST_F(Conformance, AbsoluteFormWithUserinfoEmptyAuthorityOrOtherSchemeIsRefused) {
    expectRefused("GET http://user@a.example/apiA HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
    expectRefused("GET http://user:pw@a.example/apiA HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
    expectRefused("GET http:///apiA HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
    expectRefused("GET ftp://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
}

// ---- the asterisk form -----------------------------------------------------------------------

TEST_F(Conformance, OptionsAsteriskIsAnsweredBySwitchboard) {
    RawConnection connection(proxy_port_);
    ASSERT_TRUE(connection.connected());
    connection.send("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n");
    Exchange first = connection.read(1, false);
    ASSERT_EQ(first.answers.size(), 1u) << first.raw;
    const Answer& answer = first.answers[0];
    EXPECT_EQ(answer.status, 200) << first.raw;
    EXPECT_EQ(answer.headerCount("Allow"), 1) << first.raw;
    std::set<std::string> allowed;
    std::stringstream list(answer.header("Allow"));
    for (std::string method; std::getline(list, method, ',');) {
        while (!method.empty() && method.front() == ' ')
            method.erase(0, 1);
        while (!method.empty() && method.back() == ' ')
            method.pop_back();
        allowed.insert(method);
    }
    EXPECT_EQ(allowed,
              (std::set<std::string>{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}))
        << "Allow: " << answer.header("Allow");
    EXPECT_EQ(answer.header("Content-Length"), "0") << first.raw;
    EXPECT_EQ(first.raw.size(), first.raw.find("\r\n\r\n") + 4) << "a body after the head";
    EXPECT_FALSE(first.closed);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(receivedAnywhere(), 0) << "OPTIONS * was forwarded";

    // The connection stays open and in step.
    connection.send("GET /apiA/next HTTP/1.1\r\nHost: a.example\r\n\r\n");
    Exchange second = connection.read(1, false);
    ASSERT_EQ(second.answers.size(), 1u) << second.raw;
    EXPECT_EQ(second.answers[0].status, 200);
    EXPECT_EQ(second.answers[0].body, "a GET /apiA/next");
    EXPECT_EQ(receivedAnywhere(), 1);
}

TEST_F(Conformance, AsteriskIsForOptionsOnly) {
    expectRefused("GET * HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
    expectRefused("POST * HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0\r\n\r\n", 400);
}

TEST_F(Conformance, ConnectStaysNotImplemented) {
    expectRefused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 501);
}

// ---- HEAD: the errors switchboard makes itself carry no body ---------------------------------

TEST_F(Conformance, HeadOf400WithoutHostHasNoBody) {
    expectHeadLikeGet("GET /apiA HTTP/1.1\r\n\r\n", "HEAD /apiA HTTP/1.1\r\n\r\n", 400);
}

TEST_F(Conformance, HeadOf404NoRouteHasNoBody) {
    expectHeadLikeGet("GET /nothing/here HTTP/1.1\r\nHost: z.example\r\n\r\n",
                      "HEAD /nothing/here HTTP/1.1\r\nHost: z.example\r\n\r\n", 404);
}

TEST_F(Conformance, HeadOf413BodyTooLargeHasNoBody) {
    std::string length = "Content-Length: " + std::to_string(kMaxBodyBytes * 5) + "\r\n";
    expectHeadLikeGet("GET /apiA HTTP/1.1\r\nHost: a.example\r\n" + length + "\r\n",
                      "HEAD /apiA HTTP/1.1\r\nHost: a.example\r\n" + length + "\r\n", 413);
    EXPECT_EQ(receivedAnywhere(), 0);
}

TEST_F(Conformance, HeadOf414OverLongRequestLineHasNoBody) {
    std::string path = "/apiA/" + std::string(kMaxHeaderBytes * 2, 'a');
    expectHeadLikeGet("GET " + path + " HTTP/1.1\r\nHost: a.example\r\n\r\n",
                      "HEAD " + path + " HTTP/1.1\r\nHost: a.example\r\n\r\n", 414);
}

TEST_F(Conformance, HeadOf431OverLongHeadHasNoBody) {
    std::string big = "X-Big: " + std::string(kMaxHeaderBytes * 2, 'b') + "\r\n";
    expectHeadLikeGet("GET /apiA HTTP/1.1\r\nHost: a.example\r\n" + big + "\r\n",
                      "HEAD /apiA HTTP/1.1\r\nHost: a.example\r\n" + big + "\r\n", 431);
}

TEST_F(Conformance, HeadOf505OtherVersionHasNoBody) {
    expectHeadLikeGet("GET /apiA HTTP/2.0\r\nHost: a.example\r\n\r\n",
                      "HEAD /apiA HTTP/2.0\r\nHost: a.example\r\n\r\n", 505);
}

TEST_F(Conformance, HeadOf502NoUpstreamsHasNoBody) {
    expectHeadLikeGet("GET /none HTTP/1.1\r\nHost: a.example\r\n\r\n",
                      "HEAD /none HTTP/1.1\r\nHost: a.example\r\n\r\n", 502);
}

TEST_F(Conformance, HeadOf502UpstreamRefusesHasNoBody) {
    expectHeadLikeGet("GET /refused HTTP/1.1\r\nHost: a.example\r\n\r\n",
                      "HEAD /refused HTTP/1.1\r\nHost: a.example\r\n\r\n", 502);
}

TEST_F(Conformance, HeadOf504UpstreamTimeoutHasNoBody) {
    expectHeadLikeGet("GET /silent HTTP/1.1\r\nHost: a.example\r\n\r\n",
                      "HEAD /silent HTTP/1.1\r\nHost: a.example\r\n\r\n", 504);
}

// ---- malformed chunked bodies ----------------------------------------------------------------

TEST_F(Conformance, MalformedFirstChunkWithTheHeadNeverReachesTheUpstream) {
    int accepted_before = first_chunk_->accepted();
    long bytes_before = first_chunk_->bytes();
    RawConnection connection(proxy_port_);
    ASSERT_TRUE(connection.connected());
    // One write: when switchboard reads the head, the broken chunk is already there.
    connection.send("POST /first-chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\nhello\r\n0\r\n\r\n");
    Exchange exchange = connection.read(1, /*until_close=*/true);
    ASSERT_EQ(exchange.answers.size(), 1u) << exchange.raw;
    EXPECT_EQ(exchange.answers[0].status, 400) << exchange.raw;
    EXPECT_TRUE(exchange.closed);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(first_chunk_->bytes() - bytes_before, 0)
        << "the upstream received: " << first_chunk_->received();
    EXPECT_EQ(first_chunk_->accepted() - accepted_before, 0)
        << "switchboard connected to the upstream for a request it refused";
}

TEST_F(Conformance, MalformedFirstChunkVariantsWithTheHeadNeverReachTheUpstream) {
    const char* bodies[] = {
        "-5\r\nhello\r\n0\r\n\r\n",
        "5\r\nhelloXX0\r\n\r\n",  // no CRLF after the first chunk's data
        "5\nhello\n0\n\n",        // bare LF
        "\r\n5\r\nhello\r\n0\r\n\r\n",
    };
    for (const char* body : bodies) {
        SCOPED_TRACE(body);
        long bytes_before = first_chunk_->bytes();
        RawConnection connection(proxy_port_);
        ASSERT_TRUE(connection.connected());
        connection.send("POST /first-chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                        "\r\n\r\n"s +
                        body);
        Exchange exchange = connection.read(1, /*until_close=*/true);
        ASSERT_EQ(exchange.answers.size(), 1u) << exchange.raw;
        EXPECT_EQ(exchange.answers[0].status, 400) << exchange.raw;
        EXPECT_TRUE(exchange.closed);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(first_chunk_->bytes() - bytes_before, 0)
            << "the upstream received: " << first_chunk_->received();
    }
}

TEST_F(Conformance, MalformedLaterChunkAbortsTheUpstreamRequestAndIsLogged) {
    const std::string line = "client sent a malformed chunked body; upstream request aborted";
    int logged_before = switchboard_->logCount(line);
    RawConnection connection(proxy_port_);
    ASSERT_TRUE(connection.connected());
    connection.send("POST /late HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // on its way upstream
    connection.send("zz\r\nworld\r\n0\r\n\r\n");
    Exchange exchange = connection.read(1, /*until_close=*/true);
    ASSERT_EQ(exchange.answers.size(), 1u) << exchange.raw;
    EXPECT_EQ(exchange.answers[0].status, 400) << exchange.raw;
    EXPECT_TRUE(exchange.closed);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(received(late_).empty()) << "a complete request reached the upstream";
    EXPECT_TRUE(switchboard_->waitForLog(line, 2000)) << switchboard_->log();
    EXPECT_EQ(switchboard_->logCount(line), logged_before + 1);
}
