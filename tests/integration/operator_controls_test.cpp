// SPDX-License-Identifier: Apache-2.0
// SPEC §11, part A: an upstream's admin_state (drain, maint), PATCH of one upstream, and
// ETag / If-Match on the calls that change a service. Over real HTTP against the real binary,
// with real upstreams that record what reaches them (health checks included).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "harness/admin_helpers.h"

using namespace harness;

namespace {

int countTarget(const UpstreamServer& server, const std::string& prefix) {
    int count = 0;
    for (const auto& request : server.requests())
        if (request.target.rfind(prefix, 0) == 0)
            ++count;
    return count;
}

int healthChecks(const UpstreamServer& server) {
    return countTarget(server, "/healthz");
}

int proxied(const UpstreamServer& server) {
    return countTarget(server, "/apiA");
}

// Answers with its name; a request for /apiA/slow only after 1.5 s.
UpstreamServer::Handler slowOnRequest(const std::string& name) {
    return [name](const ReceivedRequest& request) {
        UpstreamReply reply;
        reply.body = name;
        if (request.target == "/apiA/slow")
            reply.delay_ms = 1500;
        return reply;
    };
}

class OperatorControls : public AdminTest {
  protected:
    // apiA: `one`, and `two` with a comment on its line; health checks every 100 ms. `two`
    // weighs 1000 so that every worker's first pick is `two` (smooth weighted round robin).
    void startWithCanary() {
        start("\n[services.apiA]\nupstreams = [\n    \"" + one.address() +
              "\",\n    { address = \"" + two.address() +
              "\", weight = 1000 },  # the canary\n]\n\n[services.apiA.health_check]\n"
              "path = \"/healthz\"\ninterval_ms = 100\nrise = 1\nfall = 1\n");
    }

    // Stops switchboard and starts it again on the same file.
    void restart() {
        ASSERT_EQ(switchboard->stop(), 0);
        switchboard = std::make_unique<SwitchboardProcess>(path(), proxy_port, admin_port);
        ASSERT_TRUE(switchboard->started());
        ASSERT_TRUE(switchboard->waitForLog("started with"));
    }

    // The canary's line in the file says `state`, with its comment; after a restart on that
    // file the canary is still in it and takes no request.
    void restartInState(const std::string& state) {
        EXPECT_NE(file().find("    { address = \"" + two.address() +
                              "\", weight = 1000, admin_state = \"" + state +
                              "\" },  # the canary\n"),
                  std::string::npos)
            << file();
        restart();
        EXPECT_EQ(upstreamState(1)["admin_state"].str(), state);
        EXPECT_EQ(split(50), "one:50 two:0");
    }

    // The names of the upstreams that answered `count` requests, as "one:N two:M".
    std::string split(int count) {
        int from_one = 0, from_two = 0, other = 0;
        for (int i = 0; i < count; ++i) {
            auto response = switchboard->proxy("GET", "/apiA/x");
            (response.body == "one" ? from_one : response.body == "two" ? from_two : other)++;
        }
        return "one:" + std::to_string(from_one) + " two:" + std::to_string(from_two) +
               (other ? " other:" + std::to_string(other) : "");
    }

    JsonDoc upstreamState(int index) {
        return JsonDoc(admin("GET", "/services/apiA").body)["upstreams"][index];
    }

    UpstreamServer one{"one", slowOnRequest("one")}, two{"two", slowOnRequest("two")};
};

}  // namespace

TEST_F(OperatorControls, DrainFinishesInFlightTakesNoNewRequestsAndKeepsHealthChecks) {
    startWithCanary();
    // A slow request lands on `two` (the first pick of whichever worker takes it).
    auto slow =
        std::async(std::launch::async, [&] { return switchboard->proxy("GET", "/apiA/slow"); });
    ASSERT_TRUE(eventually([&] { return countTarget(two, "/apiA/slow") == 1; }));

    auto drained =
        admin("PATCH", "/services/apiA/upstreams/" + two.address(), R"({"admin_state": "drain"})");
    ASSERT_EQ(drained.status, 200) << drained.body;
    JsonDoc state(drained.body);
    EXPECT_EQ(state["upstreams"][1]["address"].str(), two.address());
    EXPECT_EQ(state["upstreams"][1]["admin_state"].str(), "drain");
    EXPECT_EQ(state["upstreams"][1]["state"].str(), "up");  // health is apart
    EXPECT_EQ(state["upstreams"][1]["weight"].num(), 1000);
    EXPECT_EQ(state["upstreams"][0]["admin_state"].str(), "active");

    EXPECT_EQ(split(200), "one:200 two:0");
    EXPECT_EQ(proxied(two), 1);

    auto finished = slow.get();
    EXPECT_EQ(finished.status, 200);
    EXPECT_EQ(finished.body, "two");

    // Health checks go on.
    int checks = healthChecks(two);
    EXPECT_TRUE(eventually([&] { return healthChecks(two) >= checks + 3; }));

    auto metrics = admin("GET", "/metrics").body;
    const std::string labels = "{service=\"apiA\",upstream=\"" + two.address() + "\",state=";
    EXPECT_EQ(metricValue(metrics, "switchboard_upstream_admin_state" + labels + "\"drain\"}"), 1);
    EXPECT_EQ(metricValue(metrics, "switchboard_upstream_admin_state" + labels + "\"active\"}"), 0);

    // In the file, on the canary's line with its comment; and so across a restart.
    restartInState("drain");
    checks = healthChecks(two);
    EXPECT_TRUE(eventually([&] { return healthChecks(two) >= checks + 2; }));

    // Active again: `two` takes requests (its weight of 1000: nearly all of them).
    auto active =
        admin("PATCH", "/services/apiA/upstreams/" + two.address(), R"({"admin_state": "active"})");
    ASSERT_EQ(active.status, 200) << active.body;
    int before = proxied(two);
    split(20);
    EXPECT_GE(proxied(two) - before, 18);
    EXPECT_NE(
        file().find("    { address = \"" + two.address() + "\", weight = 1000 },  # the canary\n"),
        std::string::npos)
        << file();
}

TEST_F(OperatorControls, MaintTakesNoRequestsAndNoHealthChecks) {
    startWithCanary();
    ASSERT_TRUE(eventually([&] { return healthChecks(two) >= 2; }));
    auto maint =
        admin("PATCH", "/services/apiA/upstreams/" + two.address(), R"({"admin_state": "maint"})");
    ASSERT_EQ(maint.status, 200) << maint.body;
    EXPECT_EQ(JsonDoc(maint.body)["upstreams"][1]["admin_state"].str(), "maint");

    // A check under way when the change came may still arrive; none after that.
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    const int checks = healthChecks(two);
    const int one_checks = healthChecks(one);
    EXPECT_EQ(split(200), "one:200 two:0");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(healthChecks(two), checks);
    EXPECT_GE(healthChecks(one), one_checks + 3);  // the other one is still checked

    restartInState("maint");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(healthChecks(two), checks);
    auto metrics = admin("GET", "/metrics").body;
    EXPECT_EQ(metricValue(metrics, "switchboard_upstream_admin_state{service=\"apiA\",upstream=\"" +
                                       two.address() + "\",state=\"maint\"}"),
              1);
}

TEST_F(OperatorControls, PatchWeightSplitsExactly) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\", \"" + two.address() +
          "\"]\n");
    auto patched = admin("PATCH", "/services/apiA/upstreams/" + two.address(), R"({"weight": 3})");
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(JsonDoc(patched.body)["upstreams"][1]["weight"].num(), 3);
    EXPECT_EQ(JsonDoc(patched.body)["upstreams"][1]["admin_state"].str(), "active");
    EXPECT_NE(file().find("{ address = \"" + two.address() + "\", weight = 3 }"), std::string::npos)
        << file();

    HttpConnection connection("127.0.0.1", proxy_port);  // one worker: exact (SPEC §9)
    int from_one = 0, from_two = 0;
    for (int i = 0; i < 200; ++i) {
        auto response = connection.request("GET", "/apiA/x");
        ASSERT_EQ(response.status, 200);
        (response.body == "one" ? from_one : from_two)++;
    }
    EXPECT_EQ(from_one, 50);
    EXPECT_EQ(from_two, 150);

    auto changes = JsonDoc(admin("GET", "/changes").body)["changes"];
    EXPECT_EQ(changes[0]["call"].str(), "PATCH /services/apiA/upstreams/" + two.address());
    EXPECT_EQ(changes[0]["status"].num(), 200);
}

TEST_F(OperatorControls, PatchRefusesBadBodiesAndUnknownNamesChangingNothing) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]  # keep\n");
    const std::string target = "/services/apiA/upstreams/" + one.address();
    const std::string before = file();
    const std::string state = admin("GET", "/services/apiA").body;
    for (const char* body :
         {R"({"weight": 0})", R"({"weight": 1001})", R"({"weight": "2"})", R"({"weight": 1.5})",
          R"({"admin_state": "down"})", R"({"admin_state": null})", R"({"address": "127.0.0.1:1"})",
          R"({"weight": 2, "bogus": 1})", R"([1])", R"(nope)", ""}) {
        auto refused = admin("PATCH", target, body);
        EXPECT_EQ(refused.status, 400) << body << " -> " << refused.body;
        EXPECT_FALSE(JsonDoc(refused.body)["error"].str().empty()) << refused.body;
    }
    EXPECT_EQ(JsonDoc(admin("PATCH", target, R"({"weight": 0})").body)["field"].str(), "weight");
    auto unknown_service =
        admin("PATCH", "/services/nosuch/upstreams/" + one.address(), R"({"weight": 2})");
    EXPECT_EQ(unknown_service.status, 404);
    EXPECT_EQ(JsonDoc(unknown_service.body)["error"].str(), "unknown service 'nosuch'");
    auto unknown_upstream =
        admin("PATCH", "/services/apiA/upstreams/127.0.0.1:1", R"({"weight": 2})");
    EXPECT_EQ(unknown_upstream.status, 404);
    EXPECT_EQ(JsonDoc(unknown_upstream.body)["error"].str(),
              "service 'apiA' has no upstream '127.0.0.1:1'");

    // An empty patch changes nothing and says so with the state.
    auto empty = admin("PATCH", target, "{}");
    EXPECT_EQ(empty.status, 200);
    EXPECT_EQ(empty.body, state);
    EXPECT_EQ(file(), before);
    EXPECT_EQ(admin("GET", "/services/apiA").body, state);
    EXPECT_EQ(JsonDoc(admin("GET", "/changes").body)["changes"].size(), 0);
}

TEST_F(OperatorControls, PatchDryRunGivesTheDiffAndChangesNothing) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]  # keep\n");
    const std::string target = "/services/apiA/upstreams/" + one.address();
    const std::string before = file();
    auto dry = admin("PATCH", target + "?dry_run=1", R"({"admin_state": "drain", "weight": 5})");
    ASSERT_EQ(dry.status, 200) << dry.body;
    JsonDoc answer(dry.body);
    EXPECT_EQ(answer["upstreams"][0]["admin_state"].str(), "drain");
    EXPECT_EQ(answer["upstreams"][0]["weight"].num(), 5);
    const std::string diff = answer["diff"].str();
    EXPECT_NE(diff.find("-upstreams = [\"" + one.address() + "\"]  # keep"), std::string::npos)
        << diff;
    EXPECT_NE(diff.find("+upstreams = [{ address = \"" + one.address() +
                        "\", weight = 5, admin_state = \"drain\" }]  # keep"),
              std::string::npos)
        << diff;
    EXPECT_EQ(file(), before);
    EXPECT_EQ(upstreamState(0)["admin_state"].str(), "active");
    EXPECT_EQ(upstreamState(0)["weight"].num(), 1);
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").body, "one");
    EXPECT_EQ(JsonDoc(admin("GET", "/changes").body)["changes"].size(), 0);

    // The real call answers what the dry run said, without the diff.
    auto real = admin("PATCH", target, R"({"admin_state": "drain", "weight": 5})");
    ASSERT_EQ(real.status, 200);
    EXPECT_EQ(JsonDoc(real.body)["upstreams"][0]["admin_state"].str(), "drain");
    EXPECT_EQ(JsonDoc(real.body)["upstreams"][0]["weight"].num(), 5);
    EXPECT_EQ(real.header("ETag"), dry.header("ETag"));
    EXPECT_EQ(switchboard->proxy("GET", "/apiA").status, 502);
}

TEST_F(OperatorControls, UpstreamObjectsInBodiesTakeAdminState) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]\n");
    auto posted = admin("POST", "/services/apiA/upstreams",
                        R"({"address": ")" + two.address() + R"(", "admin_state": "maint"})");
    ASSERT_EQ(posted.status, 201) << posted.body;
    EXPECT_EQ(JsonDoc(posted.body)["upstreams"][1]["admin_state"].str(), "maint");
    // Posted again without admin_state: it keeps the one it has.
    auto again = admin("POST", "/services/apiA/upstreams",
                       R"({"address": ")" + two.address() + R"(", "weight": 2})");
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(JsonDoc(again.body)["upstreams"][1]["admin_state"].str(), "maint");
    EXPECT_EQ(split(10), "one:10 two:0");

    auto put = admin("PUT", "/services/apiA",
                     R"({"upstreams": [{"address": ")" + one.address() +
                         R"(", "admin_state": "drain"}, ")" + two.address() + R"("]})");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(JsonDoc(put.body)["upstreams"][0]["admin_state"].str(), "drain");
    EXPECT_EQ(JsonDoc(put.body)["upstreams"][1]["admin_state"].str(), "active");
    EXPECT_EQ(split(10), "one:0 two:10");

    const std::string before = file();
    auto bad =
        admin("PUT", "/services/apiA",
              R"({"upstreams": [{"address": ")" + one.address() + R"(", "admin_state": "off"}]})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(JsonDoc(bad.body)["field"].str(), "upstreams[0].admin_state");
    auto bad_post = admin("POST", "/services/apiA/upstreams",
                          R"({"address": ")" + one.address() + R"(", "admin_state": 2})");
    EXPECT_EQ(bad_post.status, 400);
    EXPECT_EQ(file(), before);
}

TEST_F(OperatorControls, EtagAndIfMatchStopALostUpdate) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() +
          "\"]\n\n[services.apiB]\n"
          "upstreams = []\n");
    auto first_read = admin("GET", "/services/apiA");
    auto second_read = admin("GET", "/services/apiA");
    const std::string etag = first_read.header("ETag");
    ASSERT_EQ(etag.size(), 18u) << etag;
    EXPECT_EQ(etag.front(), '"');
    EXPECT_EQ(second_read.header("ETag"), etag);
    auto head = admin("HEAD", "/services/apiA");
    EXPECT_EQ(head.header("ETag"), etag);
    const std::string all = admin("GET", "/services").header("ETag");
    ASSERT_FALSE(all.empty());
    EXPECT_NE(all, etag);

    // Traffic moves counters, not ETags.
    EXPECT_EQ(split(20), "one:20 two:0");
    EXPECT_EQ(admin("GET", "/services/apiA").header("ETag"), etag);
    EXPECT_EQ(admin("GET", "/services").header("ETag"), all);

    auto first = admin("PUT", "/services/apiA",
                       R"({"upstreams": [")" + one.address() + R"(", ")" + two.address() + R"("]})",
                       {{"If-Match", etag}});
    ASSERT_EQ(first.status, 200) << first.body;
    const std::string changed = first.header("ETag");
    EXPECT_NE(changed, etag);
    EXPECT_EQ(admin("GET", "/services/apiA").header("ETag"), changed);
    const std::string after_first = file();
    EXPECT_NE(after_first.find(two.address()), std::string::npos);

    auto second = admin("PUT", "/services/apiA", R"({"route": "/other"})", {{"If-Match", etag}});
    EXPECT_EQ(second.status, 412);
    EXPECT_EQ(second.body, R"({"error":"precondition failed"})");
    EXPECT_EQ(second.header("ETag"), changed);
    EXPECT_EQ(file(), after_first);
    EXPECT_EQ(JsonDoc(admin("GET", "/services/apiA").body)["route"].str(), "/apiA");
    EXPECT_NE(admin("GET", "/services").header("ETag"), all);

    // Every change of a service takes If-Match; a stale one changes nothing.
    const std::string upstream = "/services/apiA/upstreams/" + two.address();
    EXPECT_EQ(admin("PATCH", upstream, R"({"weight": 2})", {{"If-Match", etag}}).status, 412);
    EXPECT_EQ(admin("DELETE", upstream, "", {{"If-Match", etag}}).status, 412);
    EXPECT_EQ(admin("DELETE", "/services/apiA", "", {{"If-Match", etag}}).status, 412);
    EXPECT_EQ(admin("POST", "/services/apiA/upstreams",
                    R"({"address": "127.0.0.1:9", "weight": 2})", {{"If-Match", etag}})
                  .status,
              412);
    EXPECT_EQ(
        admin("PATCH", upstream + "?dry_run=1", R"({"weight": 2})", {{"If-Match", etag}}).status,
        412);
    EXPECT_EQ(file(), after_first);
    EXPECT_EQ(admin("GET", "/services/apiA").header("ETag"), changed);

    // The current one, a list holding it, or `*`, match.
    auto patched = admin("PATCH", upstream, R"({"weight": 2})", {{"If-Match", changed}});
    EXPECT_EQ(patched.status, 200) << patched.body;
    const std::string third = patched.header("ETag");
    EXPECT_NE(third, changed);
    EXPECT_EQ(
        admin("PATCH", upstream, R"({"weight": 3})", {{"If-Match", "\"x\", " + third}}).status,
        200);
    EXPECT_EQ(admin("PATCH", upstream, R"({"weight": 4})", {{"If-Match", "*"}}).status, 200);
    // `*` on a service that does not exist: nothing to match.
    auto created = admin("PUT", "/services/apiC", "{}", {{"If-Match", "*"}});
    EXPECT_EQ(created.status, 412);
    EXPECT_EQ(admin("GET", "/services/apiC").status, 404);
    // Another service's ETag is not this one's.
    const std::string other = admin("GET", "/services/apiB").header("ETag");
    EXPECT_EQ(admin("DELETE", "/services/apiB", "", {{"If-Match", other}}).status, 200);
}

TEST_F(OperatorControls, ConflictKeepsItsErrorAndGivesTheReasonApart) {
    start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]\n");
    writeFile(path(), file() + "# edited by hand\n");
    auto refused =
        admin("PATCH", "/services/apiA/upstreams/" + one.address(), R"({"admin_state": "drain"})");
    EXPECT_EQ(refused.status, 409);
    JsonDoc body(refused.body);
    EXPECT_EQ(body["error"].str(), "config file changed on disk; reload first");
    EXPECT_FALSE(body["reason"].str().empty()) << refused.body;
    EXPECT_EQ(upstreamState(0)["admin_state"].str(), "active");

    // After a failed reload, the reason says so.
    writeFile(path(), file() + "[broken\n");
    EXPECT_EQ(admin("POST", "/reload").status, 400);
    auto after_failed_reload =
        admin("PATCH", "/services/apiA/upstreams/" + one.address(), R"({"weight": 2})");
    EXPECT_EQ(after_failed_reload.status, 409);
    EXPECT_EQ(JsonDoc(after_failed_reload.body)["error"].str(),
              "config file changed on disk; reload first");
    EXPECT_EQ(JsonDoc(after_failed_reload.body)["reason"].str(), "the last reload failed");
}
