// SPDX-License-Identifier: Apache-2.0
// Issue 18, SPEC §13: what the operator sees of a request: the access log in its three
// formats (every upstream tried, with its status), request IDs, and the Host upstreams get.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <thread>

#include "harness/json_doc.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

class OperatorView : public ::testing::Test {
  protected:
    // switchboard on `services`, with `proxy_extra` in [proxy] (the access log goes to a file).
    void start(const std::string& services, const std::string& proxy_extra = "") {
        for (int attempt = 0; attempt < 5; ++attempt) {
            std::string head = configHead(proxy_port, admin_port);
            head.replace(head.find("access_log = \"\"\n"), 16,
                         "access_log = \"" + logPath() + "\"\n" + proxy_extra);
            writeFile(dir.file("switchboard.toml"), head + services);
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
    std::string logPath() const { return dir.file("access.log"); }
    // The access log's lines once `count` are there (lines are written once a second).
    std::vector<std::string> logLines(std::size_t count) const {
        std::vector<std::string> lines;
        eventually(
            [&] {
                lines.clear();
                std::istringstream text(readFile(logPath()));
                for (std::string line; std::getline(text, line);)
                    lines.push_back(line);
                return lines.size() >= count;
            },
            5000);
        return lines;
    }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

// Two upstreams, the first of which refuses connections: round robin sends one of two
// requests there first, and it fails over to the second.
struct FailoverSetup {
    int refused_port = freePort();  // nothing listens there
    std::string refused = "127.0.0.1:" + std::to_string(refused_port);
    UpstreamServer good{"good"};
    std::string services() const {
        return "\n[services.svc]\nupstreams = [\"" + refused + "\", \"" + good.address() + "\"]\n";
    }
};

TEST_F(OperatorView, DefaultLineNamesEveryUpstreamTriedWithItsStatus) {
    FailoverSetup setup;
    start(setup.services(), "max_fails = 0\n");
    // Separate connections: each request is a round robin turn even with several workers.
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(switchboard->proxy("GET", "/svc/x").status, 200);
    auto lines = logLines(4);
    ASSERT_EQ(lines.size(), 4u);
    int failed_over = 0;
    for (const auto& line : lines) {
        // ... 200 2 0.0004 svc <upstreams> <statuses> <bytes received> <seconds> <id>
        if (line.find(" svc " + setup.refused + "," + setup.good.address() + " -,200 ") !=
            std::string::npos)
            ++failed_over;
        else
            EXPECT_NE(line.find(" svc " + setup.good.address() + " 200 "), std::string::npos)
                << line;
        EXPECT_EQ(line.substr(line.size() - 2), " -") << line;  // request IDs are off
    }
    EXPECT_GE(failed_over, 1);
}

TEST_F(OperatorView, CombinedLineIsApacheCombinedWithTheUpstreamsAfter) {
    FailoverSetup setup;
    start(setup.services(), "max_fails = 0\naccess_log_format = \"combined\"\n");
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(switchboard
                      ->proxy("GET", "/svc/x?q=1", "",
                              {{"User-Agent", "curl/7.88 \"quoted\""},
                               {"Referer", "http://site.example/page"}})
                      .status,
                  200);
    auto lines = logLines(4);
    ASSERT_EQ(lines.size(), 4u);
    int failed_over = 0;
    for (const auto& line : lines) {
        EXPECT_EQ(line.rfind("127.0.0.1 - - [", 0), 0u) << line;
        EXPECT_NE(line.find(" +0000] \"GET /svc/x?q=1 HTTP/1.1\" 200 4 "
                            "\"http://site.example/page\" \"curl/7.88 \\x22quoted\\x22\" \""),
                  std::string::npos)
            << line;
        failed_over += line.find("\"" + setup.refused + ", " + setup.good.address() +
                                 "\" \"-, 200\" ") != std::string::npos;
        EXPECT_EQ(line.substr(line.size() - 6), " - svc") << line;
    }
    EXPECT_GE(failed_over, 1);
}

TEST_F(OperatorView, JsonLineParsesAndHasEveryField) {
    FailoverSetup setup;
    start(setup.services(), "max_fails = 0\naccess_log_format = \"json\"\n");
    for (int i = 0; i < 4; ++i)
        ASSERT_EQ(switchboard
                      ->proxy("POST", "/svc/x?q=1", "hello",
                              {{"User-Agent", "agent \"x\" \\ y"}, {"Referer", "r"}})
                      .status,
                  200);
    auto lines = logLines(4);
    ASSERT_EQ(lines.size(), 4u);
    int failed_over = 0;
    for (const auto& line : lines) {
        JsonDoc doc(line);
        ASSERT_TRUE(doc.valid()) << line;
        EXPECT_EQ(doc["time"].str().size(), 24u) << line;
        EXPECT_EQ(doc["client"].str(), "127.0.0.1");
        EXPECT_EQ(doc["method"].str(), "POST");
        EXPECT_EQ(doc["path"].str(), "/svc/x");
        EXPECT_EQ(doc["query"].str(), "q=1");
        EXPECT_EQ(doc["protocol"].str(), "HTTP/1.1");
        EXPECT_EQ(doc["status"].num(), 200);
        EXPECT_EQ(doc["bytes_sent"].num(), 4);      // "good"
        EXPECT_GT(doc["bytes_received"].num(), 5);  // the head and the 5-byte body
        EXPECT_GE(doc["duration_s"].num(), 0);
        EXPECT_GE(doc["upstream_duration_s"].num(), 0);
        EXPECT_EQ(doc["service"].str(), "svc");
        EXPECT_EQ(doc["user_agent"].str(), "agent \"x\" \\ y");
        EXPECT_EQ(doc["referer"].str(), "r");
        EXPECT_TRUE(doc["request_id"].isNull()) << line;
        EXPECT_TRUE(doc["tls"].isBool() && !doc["tls"].isTrue()) << line;
        if (doc["upstreams"][1].valid()) {
            ++failed_over;
            EXPECT_EQ(doc["upstreams"][0].str(), setup.refused);
            EXPECT_EQ(doc["upstreams"][1].str(), setup.good.address());
            EXPECT_TRUE(doc["upstream_statuses"][0].isNull()) << line;
            EXPECT_EQ(doc["upstream_statuses"][1].num(), 200);
        } else {
            EXPECT_EQ(doc["upstreams"][0].str(), setup.good.address());
            EXPECT_EQ(doc["upstream_statuses"][0].num(), 200);
        }
    }
    EXPECT_GE(failed_over, 1);
}

TEST_F(OperatorView, RequestIdsReachTheUpstreamAndComeBack) {
    UpstreamServer up("up", [](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = request.header("X-Request-Id") + "|" +
                     std::to_string(request.headerCount("X-Request-Id"));
        return reply;
    });
    start("\n[services.svc]\nupstreams = [\"" + up.address() + "\"]\n",
          "request_id = true\naccess_log_format = \"json\"\n");
    auto fresh = switchboard->proxy("GET", "/svc");
    ASSERT_EQ(fresh.status, 200);
    std::string id = fresh.header("X-Request-Id");
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_EQ(fresh.body, id + "|1");
    EXPECT_NE(switchboard->proxy("GET", "/svc").header("X-Request-Id"), id);  // new each time

    auto kept = switchboard->proxy("GET", "/svc", "", {{"X-Request-Id", "trace-42.abc"}});
    EXPECT_EQ(kept.header("X-Request-Id"), "trace-42.abc");
    EXPECT_EQ(kept.body, "trace-42.abc|1");

    for (const std::string& bad : {std::string(129, 'x'), std::string("a\tb")}) {
        auto replaced = switchboard->proxy("GET", "/svc", "", {{"X-Request-Id", bad}});
        EXPECT_EQ(replaced.header("X-Request-Id").size(), 32u) << bad;
        EXPECT_EQ(replaced.body, replaced.header("X-Request-Id") + "|1");
    }
    // switchboard's own answers carry it too, and the log has it.
    auto missing = switchboard->proxy("GET", "/nowhere", "", {{"X-Request-Id", "own-404"}});
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("X-Request-Id"), "own-404");
    auto lines = logLines(6);
    ASSERT_GE(lines.size(), 6u);
    // With several workers, lines come in the order their workers flushed them.
    std::set<std::string> logged;
    for (const auto& line : lines)
        logged.insert(JsonDoc(line)["request_id"].str());
    EXPECT_EQ(logged.count(id), 1u);
    EXPECT_EQ(logged.count("own-404"), 1u);
}

TEST_F(OperatorView, UpstreamHostIsTheClientsTheUpstreamsOrALiteral) {
    auto echoHost = [](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = request.header("Host") + "|" + request.header("X-Forwarded-Host") + "|" +
                     std::to_string(request.headerCount("Host"));
        return reply;
    };
    UpstreamServer v4("v4", echoHost);
    UpstreamServer v6("v6", echoHost, 0, /*ipv6=*/true);
    start("\n[services.client]\nupstreams = [\"" + v4.address() + "\"]\n" +
          "\n[services.upstream]\nupstream_host = \"upstream\"\nupstreams = [\"" + v4.address() +
          "\"]\n" + "\n[services.upstream6]\nupstream_host = \"upstream\"\nupstreams = [\"" +
          v6.address() + "\"]\n" +
          "\n[services.literal]\nupstream_host = \"api.internal:8080\"\nupstreams = [\"" +
          v4.address() + "\"]\n");
    const std::vector<std::pair<std::string, std::string>> host = {{"Host", "site.example"}};
    EXPECT_EQ(switchboard->proxy("GET", "/client", "", host).body, "site.example|site.example|1");
    EXPECT_EQ(switchboard->proxy("GET", "/upstream", "", host).body,
              v4.address() + "|site.example|1");
    EXPECT_EQ(switchboard->proxy("GET", "/upstream6", "", host).body,
              v6.address() + "|site.example|1");
    EXPECT_EQ(switchboard->proxy("GET", "/literal", "", host).body,
              "api.internal:8080|site.example|1");
    // GET /services shows the setting; a bad one is refused with 400.
    auto service = switchboard->admin("GET", "/services/literal");
    EXPECT_EQ(JsonDoc(service.body)["upstream_host"].str(), "api.internal:8080");
    auto bad = switchboard->admin("PUT", "/services/literal",
                                  R"({"upstreams":[")" + v4.address() +
                                      R"("],"upstream_host":"bad host"})");
    EXPECT_EQ(bad.status, 400) << bad.body;
}

}  // namespace
