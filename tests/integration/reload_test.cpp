// SPDX-License-Identifier: Apache-2.0
// SPEC §7: SIGHUP and POST /reload re-read the file; a bad file never takes service down.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include "harness/json_doc.h"
#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

class Reload : public ::testing::Test {
  protected:
    std::string config(const std::string& services) const {
        return configHead(proxy_port, admin_port) + services;
    }

    void start(const std::string& text) {
        writeFile(path(), text);
        switchboard = std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port);
        ASSERT_TRUE(switchboard->started()) << switchboard->log();
    }

    std::string path() const { return dir.file("switchboard.toml"); }

    // Sends SIGHUP and waits for the n-th reload log line (reloaded or refused).
    void sighup() {
        int before = reloads();
        switchboard->signal(SIGHUP);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (reloads() == before && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_GT(reloads(), before) << switchboard->log();
    }

    int reloads() const {
        return switchboard->logCount("SIGHUP: reloaded") +
               switchboard->logCount("SIGHUP: reload refused");
    }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

}  // namespace

TEST_F(Reload, GoodEditIsServedWithoutFailingAConcurrentLoad) {
    UpstreamServer a("a"), b("b");
    start(config("\n[services.svc]\nupstreams = [\"" + a.address() + "\"]\n"));

    std::atomic<bool> stop{false};
    std::atomic<int> served{0}, failed{0};
    std::thread load([&] {
        HttpConnection connection("127.0.0.1", proxy_port);
        while (!stop) {
            auto response = connection.request("GET", "/svc");
            (response.status == 200 ? served : failed)++;
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    writeFile(path(),
              config("\n[services.svc]\nupstreams = [\"" + a.address() + "\", \"" + b.address() +
                     "\"]\n\n[services.fresh]\nupstreams = [\"" + b.address() + "\"]\n"));
    auto signalled = std::chrono::steady_clock::now();
    switchboard->signal(SIGHUP);
    bool fresh_served = false;
    while (std::chrono::steady_clock::now() - signalled < std::chrono::seconds(1)) {
        if (switchboard->proxy("GET", "/fresh").body == "b") {
            fresh_served = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    load.join();
    EXPECT_TRUE(fresh_served) << switchboard->log();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_GT(served.load(), 50);
    EXPECT_GT(b.requestCount(), 1);  // svc now balances over both
    EXPECT_TRUE(switchboard->waitForLog("SIGHUP: reloaded"));
}

TEST_F(Reload, BadFilesKeepTheOldConfigAndLogLineAndColumn) {
    UpstreamServer a("a");
    const std::string good = config("\n[services.svc]\nupstreams = [\"" + a.address() + "\"]\n");
    start(good);
    struct Bad {
        std::string text;
        std::string expected;
    };
    const int lines = static_cast<int>(std::count(good.begin(), good.end(), '\n'));
    auto at = [&](int line, int column) {
        return path() + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    };
    std::vector<Bad> bad_files = {
        {good + "\n[services.broken\n", at(lines + 2, 17)},
        {good + "bogus_key = 1\n", at(lines + 1, 1) + "unknown key 'services.svc.bogus_key'"},
        {good + "\n[services.other]\nupstreams = [\"127.0.0.1:99999\"]\n", at(lines + 3, 14)},
    };
    for (const auto& bad : bad_files) {
        writeFile(path(), bad.text);
        sighup();
        EXPECT_TRUE(switchboard->running());
        EXPECT_NE(switchboard->log().find(bad.expected), std::string::npos) << bad.expected << "\n"
                                                                            << switchboard->log();
        EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "a");
        // POST /reload answers the same errors as JSON.
        auto reload = switchboard->admin("POST", "/reload");
        EXPECT_EQ(reload.status, 400);
        JsonDoc body(reload.body);
        ASSERT_GE(body["errors"].size(), 1) << reload.body;
        EXPECT_NE(body["errors"][0].str().find(bad.expected), std::string::npos) << reload.body;
        // And changes stay refused until a reload succeeds.
        EXPECT_EQ(switchboard->admin("POST", "/add_upstream/svc/127.0.0.1:3009").status, 409);
    }
    writeFile(path(), good);
    auto reload = switchboard->admin("POST", "/reload");
    EXPECT_EQ(reload.status, 200) << reload.body;
    EXPECT_EQ(switchboard->admin("POST", "/add_upstream/svc/127.0.0.1:3009").status, 201);
}

TEST_F(Reload, SummaryNamesWhatChanged) {
    start(config("\n[services.keep]\nupstreams = [\"127.0.0.1:1001\"]\n"
                 "\n[services.gone]\nupstreams = [\"127.0.0.1:1002\"]\n"));
    writeFile(path(),
              config("\n[services.keep]\nupstreams = [\"127.0.0.1:1001\", \"127.0.0.1:1003\"]\n"
                     "\n[services.fresh]\nupstreams = []\n"));
    auto reload = switchboard->admin("POST", "/reload");
    ASSERT_EQ(reload.status, 200);
    JsonDoc body(reload.body);
    EXPECT_EQ(body["services"]["added"][0].str(), "fresh");
    EXPECT_EQ(body["services"]["removed"][0].str(), "gone");
    EXPECT_EQ(body["services"]["changed"][0].str(), "keep");
    EXPECT_EQ(body["upstreams"]["added"].num(), 1);
    EXPECT_EQ(body["upstreams"]["removed"].num(), 1);
    EXPECT_EQ(body["upstreams"]["kept"].num(), 1);
    EXPECT_EQ(switchboard->proxy("GET", "/gone").status, 404);
    EXPECT_EQ(switchboard->proxy("GET", "/fresh").status, 502);
    EXPECT_EQ(switchboard->admin("GET", "/reload").status, 405);
}

TEST_F(Reload, ListenerMovesToTheNewAddress) {
    UpstreamServer a("a");
    const std::string services = "\n[services.svc]\nupstreams = [\"" + a.address() + "\"]\n";
    start(config(services));
    int new_port = freePort();
    writeFile(path(), configHead(new_port, admin_port) + services);
    sighup();
    EXPECT_TRUE(switchboard->waitForLog("SIGHUP: reloaded")) << switchboard->log();
    EXPECT_EQ(httpRequest(new_port, "GET", "/svc").body, "a");
    EXPECT_EQ(httpRequest(proxy_port, "GET", "/svc").status, 0);  // old listener closed
}

TEST_F(Reload, ListenerThatCannotBeBoundRefusesTheWholeReload) {
    UpstreamServer a("a"), b("b");
    start(config("\n[services.svc]\nupstreams = [\"" + a.address() + "\"]\n"));
    // b's port is taken (by b itself): binding the proxy there fails.
    writeFile(path(), configHead(b.port(), admin_port) + "\n[services.svc]\nupstreams = [\"" +
                          b.address() + "\"]\n");
    auto reload = switchboard->admin("POST", "/reload");
    EXPECT_EQ(reload.status, 400);
    EXPECT_NE(reload.body.find("cannot bind"), std::string::npos) << reload.body;
    EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "a");  // old config, old listener
}

TEST_F(Reload, UpstreamsThatStayKeepTheirState) {
    UpstreamServer a("a"), b("b");
    start(config("\n[services.svc]\nupstreams = [\"" + a.address() + "\", \"" + b.address() +
                 "\"]\n"));
    HttpConnection connection("127.0.0.1", proxy_port);  // one worker: exact (SPEC §9)
    for (int i = 0; i < 4; ++i)
        connection.request("GET", "/svc");
    writeFile(path(), config("\n[services.svc]\nupstreams = [\"" + a.address() + "\", \"" +
                             b.address() + "\"]\n\n[services.other]\nupstreams = []\n"));
    ASSERT_EQ(switchboard->admin("POST", "/reload").status, 200);
    auto state = switchboard->admin("POST", "/add_upstream/svc/" + a.address());
    ASSERT_EQ(state.status, 200);
    EXPECT_EQ(JsonDoc(state.body)["upstreams"][0]["requests"].num(), 2);
    EXPECT_EQ(JsonDoc(state.body)["upstreams"][1]["requests"].num(), 2);
}
