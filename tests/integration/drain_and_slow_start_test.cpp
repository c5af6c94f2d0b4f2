// SPEC §11, part B: DELETE ...?drain=1 (drain, then remove: a second change of its own) and
// slow start. Over real HTTP against the real binary, with real upstreams on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <iostream>
#include <mutex>
#include <thread>

#include "harness/admin_helpers.h"

using namespace harness;

namespace {

using Millis = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

long long msSince(SteadyClock::time_point start) {
    return std::chrono::duration_cast<Millis>(SteadyClock::now() - start).count();
}

// Answers with its name; /apiA/slow after `slow_ms`.
UpstreamServer::Handler namedWithSlowPath(const std::string& name, int slow_ms) {
    return [name, slow_ms](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = name;
        if (request.target == "/apiA/slow")
            reply.delay_ms = slow_ms;
        return reply;
    };
}

class DrainRemoval : public AdminTest {
  protected:
    // apiA: `one`, and `two` weighing 1000 so that every worker's first pick is `two`.
    void startPool(int drain_timeout_ms) {
        proxy_settings = "drain_timeout_ms = " + std::to_string(drain_timeout_ms) + "\n";
        start("\n[services.apiA]\nupstreams = [\n    \"" + one.address() +
              "\",\n    { address = \"" + two.address() +
              "\", weight = 1000 },  # the canary\n]\n");
    }

    // A request to /apiA/slow, sent now and held by `two`.
    std::future<HttpResponse> slowRequestOnTwo() {
        auto slow = std::async(std::launch::async,
                               [this] { return switchboard->proxy("GET", "/apiA/slow"); });
        EXPECT_TRUE(eventually([&] {
            for (const auto& request : two.requests())
                if (request.target == "/apiA/slow")
                    return true;
            return false;
        }));
        return slow;
    }

    std::string drainTarget() const { return "/services/apiA/upstreams/" + two.address(); }

    bool twoIsListed() {
        return admin("GET", "/services/apiA").body.find(two.address()) != std::string::npos;
    }

    JsonDoc changes() { return JsonDoc(admin("GET", "/changes").body)["changes"]; }

    UpstreamServer one{"one", namedWithSlowPath("one", 1500)};
    UpstreamServer two{"two", namedWithSlowPath("two", 1500)};
};

}  // namespace

TEST_F(DrainRemoval, RemovedAsSoonAsItsLastRequestFinishes) {
    startPool(20000);
    auto slow = slowRequestOnTwo();
    const auto asked = SteadyClock::now();
    auto drained = admin("DELETE", drainTarget() + "?drain=1");
    ASSERT_EQ(drained.status, 202) << drained.body;
    EXPECT_FALSE(drained.header("ETag").empty());
    JsonDoc state(drained.body);
    EXPECT_EQ(state["upstreams"][1]["address"].str(), two.address());
    EXPECT_EQ(state["upstreams"][1]["admin_state"].str(), "drain");
    // Saved in drain at once, the comment kept.
    EXPECT_NE(file().find("{ address = \"" + two.address() +
                          "\", weight = 1000, admin_state = \"drain\" },  # the canary"),
              std::string::npos)
        << file();

    // No new request reaches it while the slow one runs.
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/apiA/x").body, "one");
    EXPECT_TRUE(twoIsListed());

    auto finished = slow.get();
    EXPECT_EQ(finished.status, 200);
    EXPECT_EQ(finished.body, "two");
    const auto request_done = SteadyClock::now();
    ASSERT_TRUE(eventually([&] { return !twoIsListed(); }));
    const long long after_request = msSince(request_done);
    const long long after_delete = std::chrono::duration_cast<Millis>(request_done - asked).count();
    std::cout << "[ measured ] removed " << after_request << " ms after its last request ended ("
              << after_delete << " ms after the DELETE; drain_timeout_ms 20000)\n";
    EXPECT_LT(after_request, 1000);
    EXPECT_EQ(file().find(two.address()), std::string::npos) << file();

    // The journal: the drain (202), then the removal (200), both from the same call.
    JsonDoc journal = changes();
    EXPECT_EQ(journal[0]["status"].num(), 200);
    EXPECT_EQ(journal[0]["call"].str(), "DELETE " + drainTarget() + "?drain=1");
    EXPECT_NE(journal[0]["message"].str().find("removed " + two.address()), std::string::npos)
        << journal[0]["message"].str();
    EXPECT_NE(journal[0]["message"].str().find("drained: nothing in flight"), std::string::npos)
        << journal[0]["message"].str();
    EXPECT_EQ(journal[1]["status"].num(), 202);
    EXPECT_EQ(journal[1]["call"].str(), "DELETE " + drainTarget() + "?drain=1");
    EXPECT_NE(journal[1]["message"].str().find("drain"), std::string::npos)
        << journal[1]["message"].str();
    EXPECT_TRUE(switchboard->waitForLog("drained: nothing in flight"));
}

TEST_F(DrainRemoval, IdleUpstreamGoesAtOnce) {
    startPool(20000);
    const auto asked = SteadyClock::now();
    ASSERT_EQ(admin("DELETE", drainTarget() + "?drain=1").status, 202);
    ASSERT_TRUE(eventually([&] { return !twoIsListed(); }));
    std::cout << "[ measured ] idle upstream removed " << msSince(asked)
              << " ms after the DELETE\n";
    EXPECT_LT(msSince(asked), 1000);
}

TEST_F(DrainRemoval, RemovedAfterTheTimeoutWhenARequestNeverFinishes) {
    startPool(600);
    // `two` holds its slow request longer than the drain may last.
    auto slow = slowRequestOnTwo();
    const auto asked = SteadyClock::now();
    ASSERT_EQ(admin("DELETE", drainTarget() + "?drain=1").status, 202);
    ASSERT_TRUE(eventually([&] { return !twoIsListed(); }));
    const long long removed_after = msSince(asked);
    std::cout << "[ measured ] removed " << removed_after
              << " ms after the DELETE with a request in flight (drain_timeout_ms 600)\n";
    EXPECT_GE(removed_after, 550);
    EXPECT_LT(removed_after, 1400);
    EXPECT_EQ(file().find(two.address()), std::string::npos) << file();
    JsonDoc journal = changes();
    EXPECT_NE(journal[0]["message"].str().find("drain_timeout_ms 600 passed with 1 in flight"),
              std::string::npos)
        << journal[0]["message"].str();
    // The request in flight still finishes, from the removed upstream.
    auto finished = slow.get();
    EXPECT_EQ(finished.status, 200);
    EXPECT_EQ(finished.body, "two");
}

TEST_F(DrainRemoval, RefusedSecondSaveLeavesItInDrain) {
    startPool(20000);
    auto slow = slowRequestOnTwo();
    ASSERT_EQ(admin("DELETE", drainTarget() + "?drain=1").status, 202);
    // A hand edit between the two changes: the removal may not overwrite it.
    writeFile(path(), file() + "# edited by hand\n");
    EXPECT_EQ(slow.get().status, 200);
    ASSERT_TRUE(eventually([&] { return changes()[0]["status"].num() == 409; }));
    JsonDoc journal = changes();
    EXPECT_EQ(journal[0]["call"].str(), "DELETE " + drainTarget() + "?drain=1");
    EXPECT_NE(journal[0]["message"].str().find("refused: "), std::string::npos)
        << journal[0]["message"].str();
    EXPECT_NE(journal[0]["message"].str().find("config file changed on disk"), std::string::npos)
        << journal[0]["message"].str();
    EXPECT_EQ(journal[1]["status"].num(), 202);
    // Still there, in drain, in the API and the file (with the hand edit).
    auto service = JsonDoc(admin("GET", "/services/apiA").body);
    ASSERT_EQ(service["upstreams"].size(), 2);
    EXPECT_EQ(service["upstreams"][1]["admin_state"].str(), "drain");
    EXPECT_NE(file().find("admin_state = \"drain\""), std::string::npos) << file();
    EXPECT_NE(file().find("# edited by hand"), std::string::npos);
    EXPECT_EQ(switchboard->proxy("GET", "/apiA/x").body, "one");
}

TEST_F(DrainRemoval, SetActiveAgainCallsTheRemovalOff) {
    startPool(20000);
    auto slow = slowRequestOnTwo();
    ASSERT_EQ(admin("DELETE", drainTarget() + "?drain=1").status, 202);
    ASSERT_EQ(admin("PATCH", drainTarget(), R"({"admin_state": "active"})").status, 200);
    EXPECT_EQ(slow.get().status, 200);
    EXPECT_TRUE(switchboard->waitForLog("is no longer draining; its removal is called off"));
    EXPECT_TRUE(twoIsListed());
    EXPECT_NE(file().find(two.address()), std::string::npos);
}

TEST_F(DrainRemoval, DryRunAndBadValues) {
    startPool(20000);
    auto dry = admin("DELETE", drainTarget() + "?drain=1&dry_run=1");
    ASSERT_EQ(dry.status, 202) << dry.body;
    JsonDoc answer(dry.body);
    EXPECT_EQ(answer["upstreams"][1]["admin_state"].str(), "drain");
    EXPECT_NE(answer["diff"].str().find("+    { address = \"" + two.address() +
                                        "\", weight = 1000, admin_state = \"drain\" },"),
              std::string::npos)
        << answer["diff"].str();
    std::this_thread::sleep_for(Millis(200));
    EXPECT_TRUE(twoIsListed());
    EXPECT_EQ(file().find("admin_state"), std::string::npos);

    auto bad = admin("DELETE", drainTarget() + "?drain=maybe");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(JsonDoc(bad.body)["field"].str(), "drain");
    EXPECT_EQ(admin("DELETE", "/services/apiA/upstreams/127.0.0.1:1?drain=1").status, 404);
    EXPECT_EQ(admin("DELETE", drainTarget() + "?drain=1", "", {{"If-Match", "\"stale\""}}).status,
              412);
    EXPECT_TRUE(twoIsListed());
    EXPECT_EQ(file().find("admin_state"), std::string::npos);
    // drain=0 is the plain DELETE.
    EXPECT_EQ(admin("DELETE", drainTarget() + "?drain=0").status, 200);
    EXPECT_FALSE(twoIsListed());
}

namespace {

class SlowStart : public AdminTest {
  protected:
    // Shares of `two` in consecutive windows after `from`, sending requests back to back.
    struct Window {
        int until_ms;
        int to_two = 0;
        int total = 0;
    };
    // Four clients at once, so that even a sanitizer build on a loaded machine gets enough
    // requests into the first 200 ms for the share to mean something.
    void measure(SteadyClock::time_point from, std::vector<Window>& windows) {
        std::mutex mutex;
        auto client = [&] {
            for (auto& window : windows) {
                while (msSince(from) < window.until_ms) {
                    auto response = switchboard->proxy("GET", "/apiA/x");
                    std::lock_guard lock(mutex);
                    EXPECT_EQ(response.status, 200);
                    // A request counts in the window it ended in.
                    auto& ended_in = windowAt(windows, msSince(from));
                    ended_in.to_two += response.body == "two";
                    ++ended_in.total;
                }
            }
        };
        std::vector<std::thread> clients;
        for (int i = 0; i < 4; ++i)
            clients.emplace_back(client);
        for (auto& thread : clients)
            thread.join();
    }
    static Window& windowAt(std::vector<Window>& windows, int ms) {
        for (auto& window : windows)
            if (ms < window.until_ms)
                return window;
        return windows.back();
    }
    static std::string report(const std::vector<Window>& windows, int from = 0) {
        std::string text;
        for (const auto& window : windows) {
            text += " " + std::to_string(from) + "-" + std::to_string(window.until_ms) +
                    " ms: " + std::to_string(window.to_two) + "/" + std::to_string(window.total);
            from = window.until_ms;
        }
        return text;
    }

    UpstreamServer one{"one"}, two{"two"};
};

}  // namespace

TEST_F(SlowStart, NewUpstreamRampsUpToItsFullShare) {
    start("\n[services.apiA]\nslow_start_ms = 2000\nupstreams = [\"" + one.address() + "\"]\n");
    EXPECT_EQ(JsonDoc(admin("GET", "/services/apiA").body)["slow_start_ms"].num(), 2000);
    auto added =
        admin("POST", "/services/apiA/upstreams", R"({"address": ")" + two.address() + "\"}");
    ASSERT_EQ(added.status, 201) << added.body;
    const auto from = SteadyClock::now();
    std::vector<Window> windows{{200}, {500}, {1000}, {1500}, {2000}};
    measure(from, windows);
    std::cout << "[ measured ] share of the new upstream (weight 1 next to 1):" << report(windows)
              << "\n";
    ASSERT_GT(windows[0].total, 20) << report(windows);
    EXPECT_LT(windows[0].to_two * 4, windows[0].total) << report(windows);
    // Rising: the last half second takes more than the first 200 ms.
    EXPECT_GT(windows[4].to_two * windows[0].total, windows[0].to_two * windows[4].total)
        << report(windows);

    // After slow_start_ms: its full share, half.
    std::vector<Window> full{{2600}};
    measure(from, full);
    std::cout << "[ measured ] after 2 s:" << report(full, 2000) << "\n";
    ASSERT_GT(full[0].total, 20);
    EXPECT_NEAR(static_cast<double>(full[0].to_two) / full[0].total, 0.5, 0.05)
        << report(full, 2000);
}

TEST_F(SlowStart, ActiveAgainRampsAndZeroIsOff) {
    start("\n[services.apiA]\nslow_start_ms = 2000\nupstreams = [\"" + one.address() + "\", \"" +
          two.address() + "\"]\n");
    const std::string target = "/services/apiA/upstreams/" + two.address();
    ASSERT_EQ(admin("PATCH", target, R"({"admin_state": "maint"})").status, 200);
    ASSERT_EQ(admin("PATCH", target, R"({"admin_state": "active"})").status, 200);
    std::vector<Window> ramp{{200}};
    measure(SteadyClock::now(), ramp);
    EXPECT_LT(ramp[0].to_two * 4, ramp[0].total) << report(ramp);

    // slow_start_ms = 0 in the file: off; a new upstream takes its share at once.
    auto put = admin("PUT", "/services/apiA",
                     R"({"slow_start_ms": 0, "upstreams": [")" + one.address() + "\"]}");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_NE(file().find("\nslow_start_ms = 0\n"), std::string::npos) << file();
    ASSERT_EQ(admin("POST", "/services/apiA/upstreams", R"({"address": ")" + two.address() + "\"}")
                  .status,
              201);
    std::vector<Window> at_once{{200}};
    measure(SteadyClock::now(), at_once);
    EXPECT_NEAR(static_cast<double>(at_once[0].to_two) / at_once[0].total, 0.5, 0.05)
        << report(at_once);
}

TEST_F(SlowStart, BadValuesAreRefused) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]\n");
    auto put = admin("PUT", "/services/apiA",
                     R"({"slow_start_ms": -1, "upstreams": [")" + one.address() + "\"]}");
    EXPECT_EQ(put.status, 400);
    EXPECT_EQ(JsonDoc(put.body)["field"].str(), "slow_start_ms");
    writeFile(path(), file() + "\n[services.apiB]\nslow_start_ms = \"2s\"\nupstreams = [\"" +
                          one.address() + "\"]\n");
    auto reload = admin("POST", "/reload");
    EXPECT_EQ(reload.status, 400);
    EXPECT_NE(reload.body.find("services.apiB.slow_start_ms must be an integer"), std::string::npos)
        << reload.body;
}
