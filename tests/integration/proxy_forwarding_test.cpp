// SPDX-License-Identifier: Apache-2.0
// The proxy port as a client sees it: routing, round robin, what reaches the upstream.
#include <gtest/gtest.h>

#include <map>

#include "harness/json_doc.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

class ProxyForwarding : public ::testing::Test {
  protected:
    void start(const std::string& services) {
        writeFile(dir.file("switchboard.toml"), configHead(proxy_port, admin_port) + services);
        switchboard = std::make_unique<SwitchboardProcess>(dir.file("switchboard.toml"), proxy_port,
                                                           admin_port);
        ASSERT_TRUE(switchboard->started()) << switchboard->log();
    }

    static std::string service(const std::string& name, const std::vector<UpstreamServer*>& ups,
                               const std::string& extra = "") {
        std::string list;
        for (auto* up : ups)
            list += (list.empty() ? "\"" : ", \"") + up->address() + "\"";
        return "\n[services." + name + "]\n" + extra + "upstreams = [" + list + "]\n";
    }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

}  // namespace

TEST_F(ProxyForwarding, StrictAlternationAcrossTwoAndThreeUpstreams) {
    UpstreamServer a("a"), b("b"), c("c");
    start(service("two", {&a, &b}) + service("three", {&a, &b, &c}));
    // On one keep-alive connection, so on one worker: round robin is exact within a worker
    // (SPEC §9), so this holds for any number of them.
    HttpConnection connection("127.0.0.1", proxy_port);
    std::string two, three;
    for (int i = 0; i < 6; ++i)
        two += connection.request("GET", "/two").body;
    for (int i = 0; i < 9; ++i)
        three += connection.request("GET", "/three").body;
    EXPECT_EQ(two, "ababab");
    EXPECT_EQ(three, "abcabcabc");

    // On new connections: the same sequence with one worker; over N workers each upstream is
    // within N requests of its fair share.
    std::map<std::string, int> shares;
    std::string sequence;
    for (int i = 0; i < 9; ++i) {
        std::string body = switchboard->proxy("GET", "/three").body;
        sequence += body;
        ++shares[body];
    }
    if (testWorkers() == 1) {
        EXPECT_EQ(sequence, "abcabcabc");
    }
    for (const char* name : {"a", "b", "c"})
        EXPECT_NEAR(shares[name], 3, fairShareTolerance()) << name << " in " << sequence;
    EXPECT_EQ(shares.size(), 3u) << sequence;
}

TEST_F(ProxyForwarding, UnknownRouteAnswersJson404) {
    UpstreamServer a("a");
    start(service("apiA", {&a}));
    for (const char* path : {"/", "/apiAB", "/other", "/apia"}) {
        auto response = switchboard->proxy("GET", path);
        EXPECT_EQ(response.status, 404) << path;
        EXPECT_EQ(response.header("Content-Type"), "application/json");
        EXPECT_EQ(JsonDoc(response.body)["error"].str(), "no route");
        EXPECT_EQ(JsonDoc(response.body)["path"].str(), path);
    }
    EXPECT_EQ(a.requestCount(), 0);
}

TEST_F(ProxyForwarding, LongestPrefixOnSegmentBoundaryWins) {
    UpstreamServer api("api"), v2("v2"), root("root");
    start(service("api", {&api}, "route = \"/api\"\n") +
          service("v2", {&v2}, "route = \"/api/v2\"\n") +
          service("root", {&root}, "route = \"/\"\n"));
    EXPECT_EQ(switchboard->proxy("GET", "/api").body, "api");
    EXPECT_EQ(switchboard->proxy("GET", "/api/v1/x").body, "api");
    EXPECT_EQ(switchboard->proxy("GET", "/api/v2").body, "v2");
    EXPECT_EQ(switchboard->proxy("GET", "/api/v2/users?id=1").body, "v2");
    EXPECT_EQ(switchboard->proxy("GET", "/api/v2x").body, "api");
    EXPECT_EQ(switchboard->proxy("GET", "/apix").body, "root");
    EXPECT_EQ(switchboard->proxy("GET", "/api?q=1").body, "api");
}

TEST_F(ProxyForwarding, HostSpecificServiceWinsOnEqualRoute) {
    UpstreamServer any("any"), example("example");
    start(service("any", {&any}, "route = \"/app\"\n") +
          service("example", {&example}, "route = \"/app\"\nhost = \"example.com\"\n"));
    EXPECT_EQ(switchboard->proxy("GET", "/app", "", {{"Host", "example.com"}}).body, "example");
    EXPECT_EQ(switchboard->proxy("GET", "/app", "", {{"Host", "EXAMPLE.com:8080"}}).body,
              "example");
    EXPECT_EQ(switchboard->proxy("GET", "/app", "", {{"Host", "other.org"}}).body, "any");
}

TEST_F(ProxyForwarding, HostOnlyServiceIsNotReachableFromOtherHosts) {
    UpstreamServer example("example");
    start(service("example", {&example}, "host = \"example.com\"\n"));
    EXPECT_EQ(switchboard->proxy("GET", "/example", "", {{"Host", "example.com"}}).status, 200);
    EXPECT_EQ(switchboard->proxy("GET", "/example", "", {{"Host", "evil.com"}}).status, 404);
}

TEST_F(ProxyForwarding, PathAndQueryForwardedUnchangedOrStripped) {
    UpstreamServer kept("kept"), stripped("stripped");
    start(service("kept", {&kept}) + service("stripped", {&stripped}, "strip_prefix = true\n"));
    switchboard->proxy("GET", "/kept/a/b?x=1&y=%20");
    switchboard->proxy("GET", "/stripped/a/b?x=1");
    switchboard->proxy("GET", "/stripped");
    switchboard->proxy("GET", "/stripped?only=query");
    ASSERT_EQ(kept.requestCount(), 1);
    EXPECT_EQ(kept.requests()[0].target, "/kept/a/b?x=1&y=%20");
    auto seen = stripped.requests();
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0].target, "/a/b?x=1");
    EXPECT_EQ(seen[1].target, "/");
    EXPECT_EQ(seen[2].target, "/?only=query");
}

TEST_F(ProxyForwarding, RequestHeadersSeenByTheUpstream) {
    UpstreamServer up("up");
    start(service("svc", {&up}));
    auto response = switchboard->proxy("GET", "/svc", "",
                                       {{"Host", "shop.example:6188"},
                                        {"X-Custom", "kept"},
                                        {"X-Forwarded-For", "10.1.1.1"},
                                        {"X-Forwarded-For", "10.2.2.2, 10.3.3.3"},
                                        {"Via", "1.0 edge"},
                                        {"X-Forwarded-Proto", "https"},
                                        {"X-Forwarded-Host", "spoofed"},
                                        {"Connection", "keep-alive, X-Drop-Me"},
                                        {"X-Drop-Me", "secret"},
                                        {"Keep-Alive", "timeout=5"},
                                        {"Proxy-Connection", "keep-alive"},
                                        {"TE", "trailers"},
                                        {"Upgrade", "websocket"}});
    ASSERT_EQ(response.status, 200);
    ASSERT_EQ(up.requestCount(), 1);
    auto seen = up.requests()[0];
    EXPECT_EQ(seen.header("Host"), "shop.example:6188");
    EXPECT_EQ(seen.header("X-Custom"), "kept");
    EXPECT_EQ(seen.header("X-Forwarded-For"), "10.1.1.1, 10.2.2.2, 10.3.3.3, 127.0.0.1");
    EXPECT_EQ(seen.headerCount("X-Forwarded-For"), 1);
    EXPECT_EQ(seen.header("X-Forwarded-Proto"), "http");
    EXPECT_EQ(seen.headerCount("X-Forwarded-Proto"), 1);
    EXPECT_EQ(seen.header("X-Forwarded-Host"), "shop.example:6188");
    EXPECT_EQ(seen.headerCount("X-Forwarded-Host"), 1);
    EXPECT_EQ(seen.header("Via"), "1.0 edge, 1.1 switchboard");
    for (const char* hop : {"X-Drop-Me", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade"})
        EXPECT_EQ(seen.headerCount(hop), 0) << hop;
}

TEST_F(ProxyForwarding, ResponseStatusHeadersAndBodyReachTheClient) {
    UpstreamServer up("up", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.status = 418;
        reply.headers = {{"X-Answer", "42"},
                         {"Set-Cookie", "a=1"},
                         {"Connection", "keep-alive, X-Secret"},
                         {"X-Secret", "hop"},
                         {"Keep-Alive", "timeout=5"}};
        reply.body = "teapot body";
        return reply;
    });
    start(service("svc", {&up}));
    auto response = switchboard->proxy("GET", "/svc");
    EXPECT_EQ(response.status, 418);
    EXPECT_EQ(response.header("X-Answer"), "42");
    EXPECT_EQ(response.header("Set-Cookie"), "a=1");
    EXPECT_EQ(response.body, "teapot body");
    EXPECT_FALSE(response.hasHeader("X-Secret"));
    EXPECT_FALSE(response.hasHeader("Keep-Alive"));
}

TEST_F(ProxyForwarding, PostBodyForwarded) {
    UpstreamServer up("up", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = "got " + std::to_string(request.body.size());
        return reply;
    });
    start(service("svc", {&up}));
    std::string body(100000, 'x');
    body[0] = '{';
    auto response = switchboard->proxy("POST", "/svc/items", body,
                                       {{"Content-Type", "application/octet-stream"}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "got 100000");
    ASSERT_EQ(up.requestCount(), 1);
    auto seen = up.requests()[0];
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.body, body);
    EXPECT_EQ(seen.header("Content-Type"), "application/octet-stream");

    for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
        EXPECT_EQ(switchboard->proxy(method, "/svc").status, 200) << method;
    auto all = up.requests();
    ASSERT_EQ(all.size(), 6u);
    EXPECT_EQ(all[1].method, "PUT");
    EXPECT_EQ(all[2].method, "DELETE");
    EXPECT_EQ(all[3].method, "PATCH");
    EXPECT_EQ(all[4].method, "OPTIONS");
    EXPECT_EQ(all[5].method, "HEAD");
}

TEST_F(ProxyForwarding, DeadUpstreamIsSkippedAnd502WhenAllFail) {
    int dead_port = freePort();  // nothing listens there
    start("\n[services.svc]\nupstreams = [\"127.0.0.1:" + std::to_string(dead_port) + "\"]\n");
    auto response = switchboard->proxy("GET", "/svc");
    EXPECT_EQ(response.status, 502);
    EXPECT_EQ(JsonDoc(response.body)["error"].str(), "upstream unavailable");
    EXPECT_EQ(JsonDoc(response.body)["service"].str(), "svc");
}

TEST_F(ProxyForwarding, KeepAliveClientGetsManyAnswersOnOneConnection) {
    UpstreamServer up("up");
    start(service("svc", {&up}));
    HttpConnection connection("127.0.0.1", proxy_port);
    for (int i = 0; i < 20; ++i) {
        auto response = connection.request("GET", "/svc");
        ASSERT_EQ(response.status, 200) << i << response.error;
        EXPECT_EQ(response.body, "up");
        EXPECT_TRUE(connection.connected());
    }
}

TEST_F(ProxyForwarding, Http10ClientIsServed) {
    UpstreamServer up("up");
    start(service("svc", {&up}));
    HttpConnection connection("127.0.0.1", proxy_port);
    auto response = connection.raw("GET /svc HTTP/1.0\r\n\r\n");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "up");
}

TEST_F(ProxyForwarding, HostIsAlwaysPassedOnExactlyOnce) {
    UpstreamServer up("up");
    start(service("svc", {&up}));
    HttpConnection connection("127.0.0.1", proxy_port);
    EXPECT_EQ(connection.raw("GET /svc HTTP/1.1\r\nHost:\r\n\r\n").status, 200);
    EXPECT_EQ(connection.raw("GET /svc HTTP/1.1\r\nHost: h\r\nConnection: host\r\n\r\n").status,
              200);
    auto seen = up.requests();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].headerCount("Host"), 1);  // the empty one, not a second of ours
    EXPECT_EQ(seen[1].headerCount("Host"), 1);  // Connection cannot make Host hop-by-hop
    EXPECT_EQ(seen[1].header("Host"), "h");
}

TEST_F(ProxyForwarding, EveryTransferCodingOfAChunkedResponseReachesTheClient) {
    UpstreamServer up("up", [](const ReceivedRequest&) {
        UpstreamReply reply;
        reply.headers = {{"Transfer-Encoding", "gzip"}};
        reply.body = "not really gzip";
        reply.chunked = true;  // adds "Transfer-Encoding: chunked" after it
        return reply;
    });
    start(service("svc", {&up}));
    HttpConnection connection("127.0.0.1", proxy_port);
    auto response = connection.request("GET", "/svc");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Transfer-Encoding"), "gzip, chunked");
    EXPECT_EQ(response.body, "not really gzip");
    EXPECT_EQ(connection.request("GET", "/svc").status, 200);  // still in step
}
