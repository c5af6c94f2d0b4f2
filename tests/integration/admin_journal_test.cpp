// SPDX-License-Identifier: Apache-2.0
// SPEC §5 change journal: every applied change (time, peer, call, service, before -> after,
// result) is logged as one line and kept; GET /changes answers newest first.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>

#include "harness/admin_helpers.h"

using namespace harness;

namespace {

class AdminJournal : public AdminTest {
  protected:
    void SetUp() override { start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]\n"); }
    JsonDoc changes() {
        auto response = admin("GET", "/changes");
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.header("Content-Type"), "application/json");
        return JsonDoc(response.body);
    }
    UpstreamServer one{"one"}, two{"two"};
};

std::vector<std::string> addressesOf(const JsonDoc& service) {
    std::vector<std::string> addresses;
    for (int i = 0; i < service["upstreams"].size(); ++i)
        addresses.push_back(service["upstreams"][i]["address"].str());
    return addresses;
}

}  // namespace

TEST_F(AdminJournal, RecordsEachChangeWithBeforeAndAfterNewestFirst) {
    EXPECT_EQ(changes()["changes"].size(), 0);
    ASSERT_EQ(
        admin("POST", "/services/apiA/upstreams", R"({"address": ")" + two.address() + R"("})")
            .status,
        201);
    ASSERT_EQ(admin("DELETE", "/services/apiA/upstreams/" + one.address()).status, 200);
    ASSERT_EQ(admin("PUT", "/services/apiB", R"({"route": "/b"})").status, 201);
    ASSERT_EQ(admin("DELETE", "/services/apiB").status, 200);
    ASSERT_EQ(admin("POST", "/add_upstream/apiA/" + one.address()).status, 201);

    JsonDoc doc = changes();
    ASSERT_EQ(doc["changes"].size(), 5);
    JsonDoc newest = doc["changes"][0];
    EXPECT_EQ(newest["call"].str(), "POST /add_upstream/apiA/" + one.address());
    EXPECT_EQ(newest["peer"].str(), "127.0.0.1");
    EXPECT_EQ(newest["service"].str(), "apiA");
    EXPECT_EQ(newest["status"].num(), 201);
    EXPECT_EQ(addressesOf(newest["before"]), std::vector<std::string>{two.address()});
    EXPECT_EQ(addressesOf(newest["after"]),
              (std::vector<std::string>{two.address(), one.address()}));
    EXPECT_EQ(newest["message"].str(), "service apiA: added " + one.address() + " (2 upstreams)");
    EXPECT_TRUE(std::regex_match(newest["time"].str(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << newest["time"].str();

    JsonDoc deleted = doc["changes"][1];
    EXPECT_EQ(deleted["call"].str(), "DELETE /services/apiB");
    EXPECT_EQ(deleted["before"]["route"].str(), "/b");
    EXPECT_EQ(deleted["after"].str(), "<not a string>");  // null
    EXPECT_EQ(deleted["status"].num(), 200);

    JsonDoc created = doc["changes"][2];
    EXPECT_EQ(created["call"].str(), "PUT /services/apiB");
    EXPECT_EQ(created["after"]["route"].str(), "/b");
    EXPECT_EQ(created["status"].num(), 201);

    JsonDoc removed = doc["changes"][3];
    EXPECT_EQ(removed["call"].str(), "DELETE /services/apiA/upstreams/" + one.address());
    EXPECT_EQ(addressesOf(removed["before"]),
              (std::vector<std::string>{one.address(), two.address()}));
    EXPECT_EQ(addressesOf(removed["after"]), std::vector<std::string>{two.address()});

    EXPECT_EQ(doc["changes"][4]["call"].str(), "POST /services/apiA/upstreams");
    EXPECT_LE(doc["changes"][4]["time"].str(), newest["time"].str());

    // One log line per change, with the same record.
    EXPECT_TRUE(switchboard->waitForLog("change: {\"time\":"));
    EXPECT_TRUE(switchboard->waitForLog("\"call\":\"DELETE /services/apiB\""));
}

TEST_F(AdminJournal, RefusedSavesAreRecordedRejectedInputIsNot) {
    EXPECT_EQ(admin("PUT", "/services/apiB", R"({"route": 1})").status, 400);
    EXPECT_EQ(admin("DELETE", "/services/nosuch").status, 404);
    EXPECT_EQ(admin("PUT", "/services/apiB?dry_run=1", "{}").status, 201);
    EXPECT_EQ(admin("POST", "/add_upstream/apiA/" + one.address()).status, 200);  // no change
    EXPECT_EQ(changes()["changes"].size(), 0);

    writeFile(path(), file() + "# edited\n");
    EXPECT_EQ(admin("PUT", "/services/apiB", "{}").status, 409);
    JsonDoc doc = changes();
    ASSERT_EQ(doc["changes"].size(), 1);
    EXPECT_EQ(doc["changes"][0]["status"].num(), 409);
    EXPECT_EQ(doc["changes"][0]["call"].str(), "PUT /services/apiB");
    EXPECT_NE(doc["changes"][0]["message"].str().find("config file changed on disk"),
              std::string::npos);
    EXPECT_EQ(admin("GET", "/services/apiB").status, 404);
}

TEST_F(AdminJournal, ReloadsAreRecordedWithTheirResult) {
    ASSERT_EQ(admin("POST", "/reload").status, 200);
    writeFile(path(), file() + "[services.broken\n");
    ASSERT_EQ(admin("POST", "/reload").status, 400);
    switchboard->signal(SIGHUP);
    ASSERT_TRUE(switchboard->waitForLog("\"call\":\"SIGHUP\""));

    JsonDoc doc = changes();
    ASSERT_EQ(doc["changes"].size(), 3);
    EXPECT_EQ(doc["changes"][0]["call"].str(), "SIGHUP");
    EXPECT_EQ(doc["changes"][0]["status"].num(), 400);
    EXPECT_EQ(doc["changes"][1]["call"].str(), "POST /reload");
    EXPECT_EQ(doc["changes"][1]["status"].num(), 400);
    EXPECT_EQ(doc["changes"][1]["peer"].str(), "127.0.0.1");
    EXPECT_NE(doc["changes"][1]["message"].str().find("reload refused"), std::string::npos);
    EXPECT_EQ(doc["changes"][2]["status"].num(), 200);
    EXPECT_EQ(doc["changes"][2]["message"].str().rfind("reloaded", 0), 0u);
}

TEST_F(AdminJournal, KeepsAtLeastTheLastHundred) {
    const int count = 130;
    for (int i = 0; i < count; ++i) {
        std::string address = "127.0.0.1:" + std::to_string(20000 + i);
        ASSERT_EQ(admin("POST", "/services/apiA/upstreams", R"({"address": ")" + address + R"("})")
                      .status,
                  201);
    }
    JsonDoc doc = changes();
    ASSERT_GE(doc["changes"].size(), 100);
    EXPECT_EQ(doc["changes"].size(), count);  // the ring holds 1000
    for (int i = 0; i < 100; ++i) {
        std::string address = "127.0.0.1:" + std::to_string(20000 + count - 1 - i);
        auto after = addressesOf(doc["changes"][i]["after"]);
        EXPECT_EQ(after.back(), address) << i;
    }
}

TEST_F(AdminJournal, LimitAnswersTheNewestOnly) {
    for (int weight = 2; weight <= 4; ++weight)
        ASSERT_EQ(admin("PATCH", "/services/apiA/upstreams/" + one.address(),
                        R"({"weight": )" + std::to_string(weight) + "}")
                      .status,
                  200);
    auto limited = admin("GET", "/changes?limit=2");
    ASSERT_EQ(limited.status, 200);
    JsonDoc doc(limited.body);
    ASSERT_EQ(doc["changes"].size(), 2);
    EXPECT_EQ(doc["changes"][0]["after"]["upstreams"][0]["weight"].num(), 4);
    EXPECT_EQ(doc["changes"][1]["after"]["upstreams"][0]["weight"].num(), 3);
    EXPECT_EQ(JsonDoc(admin("GET", "/changes?limit=100").body)["changes"].size(), 3);
    for (const char* bad : {"0", "-1", "x", "2x", ""}) {
        auto refused = admin("GET", std::string("/changes?limit=") + bad);
        EXPECT_EQ(refused.status, 400) << bad;
        EXPECT_EQ(JsonDoc(refused.body)["field"].str(), "limit") << bad;
    }
}
