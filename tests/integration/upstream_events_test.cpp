// SPDX-License-Identifier: Apache-2.0
// Issue 18, SPEC §13: what the operator's log says when an upstream fails. Each change of
// passive health is one line (warn when taken out, with the reason; info when back), however
// many workers and requests see it; a retry is a debug line with its reason.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/switchboard_process.h"
#include "harness/upstream_server.h"

using namespace harness;

namespace {

class UpstreamEvents : public ::testing::Test {
  protected:
    void start(const std::string& upstreams, const std::string& proxy_extra,
               std::vector<std::string> args = {}) {
        std::string head = configHead(proxy_port, admin_port);
        head.insert(head.find("\n[admin]"), proxy_extra);
        writeFile(dir.file("switchboard.toml"),
                  head + "\n[services.svc]\nupstreams = [" + upstreams + "]\n");
        switchboard = std::make_unique<SwitchboardProcess>(dir.file("switchboard.toml"), proxy_port,
                                                           admin_port, args);
        ASSERT_TRUE(switchboard->started()) << switchboard->log();
    }

    // The log's lines at `level` ("warn", "info", "debug") about the service.
    std::vector<std::string> lines(const std::string& level) const {
        std::vector<std::string> found;
        std::istringstream text(switchboard->log());
        for (std::string line; std::getline(text, line);)
            if (line.find("]: " + level + ": service svc: ") != std::string::npos)
                found.push_back(line);
        return found;
    }

    TempDir dir;
    int proxy_port = freePort();
    int admin_port = freePort();
    std::unique_ptr<SwitchboardProcess> switchboard;
};

// Requests on new connections from several threads (so that they spread over the workers)
// until destroyed.
class Load {
  public:
    Load(const SwitchboardProcess& switchboard, int threads) {
        for (int t = 0; t < threads; ++t)
            threads_.emplace_back([this, &switchboard] {
                while (!stop_) {
                    switchboard.proxy("GET", "/svc");
                    ++sent_;
                }
            });
    }
    ~Load() {
        stop_ = true;
        for (auto& thread : threads_)
            thread.join();
    }
    int sent() const { return sent_; }

  private:
    std::atomic<bool> stop_{false};
    std::atomic<int> sent_{0};
    std::vector<std::thread> threads_;
};

int countIn(const std::vector<std::string>& lines, const std::string& needle) {
    int count = 0;
    for (const auto& line : lines)
        count += line.find(needle) != std::string::npos;
    return count;
}

}  // namespace

TEST_F(UpstreamEvents, AnUpstreamKilledUnderLoadIsLoggedOutOnceAndBackOnce) {
    auto a = std::make_unique<UpstreamServer>("a");
    UpstreamServer b("b");
    const int a_port = a->port();
    const std::string a_name = a->address();
    start("\"" + a_name + "\", \"" + b.address() + "\"", "fail_timeout_ms = 300\n");
    int sent_while_down = 0;
    std::chrono::milliseconds down_for{0};
    {
        Load load(*switchboard, 4);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const auto killed = std::chrono::steady_clock::now();
        a->stop();
        a.reset();
        EXPECT_TRUE(switchboard->waitForLog(" taken out for ", 5000)) << switchboard->log();
        const int before = load.sent();
        // Several fail_timeout periods under load: each trial fails once.
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        sent_while_down = load.sent() - before;
        a = std::make_unique<UpstreamServer>("a", nullptr, a_port);
        EXPECT_TRUE(switchboard->waitForLog(" is back ", 5000)) << switchboard->log();
        down_for = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - killed);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    EXPECT_GT(sent_while_down, 20) << "the load did not go on while the upstream was down";
    EXPECT_GT(a->requestCount(), 0);

    const std::string about_a = "service svc: upstream " + a_name;
    auto warn = lines("warn");
    auto info = lines("info");
    // Exactly one "taken out", with the reason: the kill made the connects fail (refused), or
    // broke connections that had a request on them.
    ASSERT_EQ(countIn(warn, " taken out for "), 1) << switchboard->log();
    const std::string out_prefix = about_a + " taken out for 300 ms after 1 failure (last: ";
    ASSERT_EQ(countIn(warn, out_prefix), 1) << switchboard->log();
    std::string reason;
    for (const auto& line : warn)
        if (auto at = line.find(out_prefix); at != std::string::npos)
            reason = line.substr(at + out_prefix.size());
    EXPECT_TRUE(reason == "connect: Connection refused)" || reason == "Connection reset by peer)" ||
                reason == "connection closed before a response head)")
        << reason;
    // Exactly one "back", after the "taken out", and it was the trial that brought it back.
    ASSERT_EQ(countIn(info, " is back "), 1) << switchboard->log();
    EXPECT_EQ(countIn(info, about_a + " is back (trial request succeeded)"), 1)
        << switchboard->log();
    EXPECT_LT(switchboard->log().find(" taken out for "), switchboard->log().find(" is back "));
    // In between, each fail_timeout period's trial failed once: a line per 300 ms at most
    // (about a second down: a handful of lines), not one per request.
    const int trials_failed = countIn(warn, about_a + " trial request failed (");
    EXPECT_LE(trials_failed, down_for.count() / 300) << switchboard->log();
    // Nothing else about the upstreams at warn or info: no line per request.
    EXPECT_EQ(static_cast<int>(warn.size()), 1 + trials_failed) << switchboard->log();
    EXPECT_EQ(info.size(), 1u) << switchboard->log();
}

TEST_F(UpstreamEvents, ARetryIsADebugLineWithItsReason) {
    const int dead_port = freePort();  // nothing listens there
    const std::string dead = "127.0.0.1:" + std::to_string(dead_port);
    UpstreamServer b("b");
    // max_fails = 0: passive health off, so that every request that picks the dead one retries.
    start("\"" + dead + "\", \"" + b.address() + "\"", "max_fails = 0\n", {"--log-level", "debug"});
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/svc").body, "b");
    auto debug = lines("debug");
    const int retries = countIn(debug, "service svc: retrying on another upstream after " + dead +
                                           " failed: connect: Connection refused");
    // Round robin gives the dead one every other request of each worker: 3 of 6 with one
    // worker, at least one with more.
    EXPECT_GE(retries, 1) << switchboard->log();
    EXPECT_LE(retries, 6) << switchboard->log();
    EXPECT_EQ(countIn(debug, "retrying on another upstream"), retries) << switchboard->log();
    EXPECT_TRUE(lines("warn").empty()) << switchboard->log();
}
