// SPDX-License-Identifier: Apache-2.0
// The product's original walk-through (issue 2), over real HTTP against the real binary.
#include <gtest/gtest.h>

#include "harness/json_doc.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

class SeedCalls : public ::testing::Test {
  protected:
    void SetUp() override {
        writeFile(dir.file("switchboard.toml"),
                  configHead(proxy_port, admin_port) +
                      "\n[services.apiA]\nupstreams = []\n\n[services.apiB]\nupstreams = []\n");
        switchboard = std::make_unique<SwitchboardProcess>(dir.file("switchboard.toml"), proxy_port,
                                                           admin_port);
        ASSERT_TRUE(switchboard->started()) << switchboard->log();
    }

    std::vector<std::string> answers(const std::string& path, int count) {
        std::vector<std::string> bodies;
        for (int i = 0; i < count; ++i)
            bodies.push_back(switchboard->proxy("GET", path).body);
        return bodies;
    }

    std::vector<std::string> answersOnOneConnection(const std::string& path, int count) {
        HttpConnection connection("127.0.0.1", proxy_port);
        std::vector<std::string> bodies;
        for (int i = 0; i < count; ++i)
            bodies.push_back(connection.request("GET", path).body);
        return bodies;
    }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

}  // namespace

TEST_F(SeedCalls, WalkThrough) {
    UpstreamServer first("first"), second("second");

    auto empty = switchboard->proxy("GET", "/apiA");
    EXPECT_EQ(empty.status, 502);
    EXPECT_EQ(empty.header("Content-Type"), "application/json");
    EXPECT_EQ(JsonDoc(empty.body)["error"].str(), "no upstreams available");
    EXPECT_EQ(JsonDoc(empty.body)["service"].str(), "apiA");

    auto added = switchboard->admin("POST", "/add_upstream/apiA/" + first.address());
    EXPECT_EQ(added.status, 201);
    EXPECT_EQ(added.header("Content-Type"), "application/json");
    JsonDoc state(added.body);
    EXPECT_EQ(state["name"].str(), "apiA");
    EXPECT_EQ(state["route"].str(), "/apiA");
    EXPECT_EQ(state["strategy"].str(), "round_robin");
    ASSERT_EQ(state["upstreams"].size(), 1);
    EXPECT_EQ(state["upstreams"][0]["address"].str(), first.address());
    EXPECT_EQ(state["upstreams"][0]["weight"].num(), 1);
    EXPECT_EQ(state["upstreams"][0]["state"].str(), "up");

    EXPECT_EQ(switchboard->admin("POST", "/add_upstream/apiA/" + second.address()).status, 201);
    // One keep-alive connection: one worker, whose round robin is exact (SPEC §9).
    EXPECT_EQ(answersOnOneConnection("/apiA", 4),
              (std::vector<std::string>{"first", "second", "first", "second"}));
    if (testWorkers() == 1) {
        EXPECT_EQ(answers("/apiA", 4),
                  (std::vector<std::string>{"first", "second", "first", "second"}));
    }

    auto removed = switchboard->admin("POST", "/remove_upstream/apiA/" + first.address());
    EXPECT_EQ(removed.status, 200);
    ASSERT_EQ(JsonDoc(removed.body)["upstreams"].size(), 1);
    EXPECT_EQ(JsonDoc(removed.body)["upstreams"][0]["address"].str(), second.address());
    EXPECT_EQ(answers("/apiA", 3), (std::vector<std::string>{"second", "second", "second"}));

    EXPECT_TRUE(
        switchboard->waitForLog("service apiA: added " + first.address() + " (1 upstream)"));
    EXPECT_TRUE(
        switchboard->waitForLog("service apiA: added " + second.address() + " (2 upstreams)"));
    EXPECT_TRUE(
        switchboard->waitForLog("service apiA: removed " + first.address() + " (1 upstream)"));
}

TEST_F(SeedCalls, AddingTwiceAnswers200AndChangesNothing) {
    UpstreamServer upstream("one");
    EXPECT_EQ(switchboard->admin("POST", "/add_upstream/apiA/" + upstream.address()).status, 201);
    auto again = switchboard->admin("POST", "/add_upstream/apiA/" + upstream.address());
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(JsonDoc(again.body)["upstreams"].size(), 1);
}

TEST_F(SeedCalls, AddingToUnknownServiceCreatesItWithDefaultRoute) {
    UpstreamServer upstream("fresh");
    auto created = switchboard->admin("POST", "/add_upstream/newsvc/" + upstream.address());
    EXPECT_EQ(created.status, 201);
    EXPECT_EQ(JsonDoc(created.body)["route"].str(), "/newsvc");
    EXPECT_EQ(switchboard->proxy("GET", "/newsvc/x").body, "fresh");
}

TEST_F(SeedCalls, RemovingUnknownAnswers404) {
    auto no_service = switchboard->admin("POST", "/remove_upstream/nosuch/127.0.0.1:3001");
    EXPECT_EQ(no_service.status, 404);
    EXPECT_FALSE(JsonDoc(no_service.body)["error"].str().empty());
    auto no_upstream = switchboard->admin("POST", "/remove_upstream/apiA/127.0.0.1:3001");
    EXPECT_EQ(no_upstream.status, 404);
    EXPECT_NE(JsonDoc(no_upstream.body)["error"].str().find("127.0.0.1:3001"), std::string::npos);
}

TEST_F(SeedCalls, BadInputAnswers400AndChangesNothing) {
    const char* bad_calls[] = {
        "/add_upstream/apiA/127.0.0.1:0",
        "/add_upstream/apiA/127.0.0.1:99999",
        "/add_upstream/apiA/127.0.0.1",
        "/add_upstream/apiA/not_a_host:80",
        "/add_upstream/.hidden/127.0.0.1:3001",
        "/add_upstream/a%2Fb/127.0.0.1:3001",
        "/add_upstream/apiA",
        "/add_upstream/apiA/127.0.0.1:1/extra",
        "/remove_upstream/apiA/junk",
    };
    for (const char* call : bad_calls) {
        auto response = switchboard->admin("POST", call);
        EXPECT_EQ(response.status, 400) << call;
        EXPECT_EQ(response.header("Content-Type"), "application/json") << call;
        EXPECT_FALSE(JsonDoc(response.body)["error"].str().empty()) << call << response.body;
    }
    // Nothing was created or added by any of them.
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").status, 502);
    EXPECT_EQ(switchboard->proxy("GET", "/.hidden").status, 404);
    EXPECT_EQ(switchboard->proxy("GET", "/a/b").status, 404);
}

TEST_F(SeedCalls, WrongMethodAnswers405WithAllow) {
    auto response = switchboard->admin("GET", "/add_upstream/apiA/127.0.0.1:3001");
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.header("Allow"), "POST");
    EXPECT_EQ(switchboard->admin("DELETE", "/remove_upstream/apiA/127.0.0.1:3001").status, 405);
    EXPECT_EQ(switchboard->admin("POST", "/healthz").header("Allow"), "GET");
}

TEST_F(SeedCalls, UnknownAdminPathAnswersJson404) {
    auto response = switchboard->admin("GET", "/nope");
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.header("Content-Type"), "application/json");
    EXPECT_FALSE(JsonDoc(response.body)["error"].str().empty());
}

TEST_F(SeedCalls, HealthzAnswersOk) {
    auto response = switchboard->admin("GET", "/healthz");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(JsonDoc(response.body)["status"].str(), "ok");
}

TEST_F(SeedCalls, IPv6AddressesBracketedOrPercentEncoded) {
    auto bracketed = switchboard->admin("POST", "/add_upstream/apiB/[::1]:3001");
    EXPECT_EQ(bracketed.status, 201) << bracketed.body;
    auto encoded = switchboard->admin("POST", "/add_upstream/apiB/%5B0:0::1%5D:3001");
    EXPECT_EQ(encoded.status, 200) << encoded.body;  // the same address, canonicalized
    EXPECT_EQ(JsonDoc(encoded.body)["upstreams"][0]["address"].str(), "[::1]:3001");
}
