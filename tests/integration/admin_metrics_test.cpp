// SPDX-License-Identifier: Apache-2.0
// SPEC §5 GET /metrics: Prometheus text that moves with traffic (send N requests, see N more).
#include <gtest/gtest.h>

#include <csignal>

#include "harness/admin_helpers.h"

using namespace harness;

namespace {

class AdminMetrics : public AdminTest {
  protected:
    void SetUp() override { start("\n[services.apiA]\nupstreams = [\"" + one.address() + "\"]\n"); }
    std::string metrics() {
        auto response = admin("GET", "/metrics");
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.header("Content-Type"), "text/plain; version=0.0.4");
        return response.body;
    }
    double value(const std::string& text, const std::string& sample) {
        auto found = metricValue(text, sample);
        EXPECT_TRUE(found) << "no sample " << sample << " in\n" << text;
        return found.value_or(-1);
    }
    UpstreamServer one{"one"};
};

}  // namespace

TEST_F(AdminMetrics, ServedWithHelpAndType) {
    std::string text = metrics();
    for (const char* family :
         {"switchboard_requests_total", "switchboard_upstream_responses_total",
          "switchboard_upstream_up", "switchboard_upstream_in_flight",
          "switchboard_request_duration_seconds", "switchboard_reloads_total",
          "switchboard_config_saves_total", "switchboard_client_connections"}) {
        EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
        EXPECT_NE(text.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
    }
    const std::string upstream = "{service=\"apiA\",upstream=\"" + one.address() + "\"}";
    EXPECT_EQ(value(text, "switchboard_upstream_up" + upstream), 1);
    EXPECT_EQ(value(text, "switchboard_upstream_in_flight" + upstream), 0);
}

// The counters the proxy keeps: this checks what a scrape sees after N proxied requests.
TEST_F(AdminMetrics, CountersMoveWithTraffic) {
    const std::string service = "{service=\"apiA\"";
    const std::string upstream = "{service=\"apiA\",upstream=\"" + one.address() + "\"";
    const std::string before = metrics();
    const int n = 7;
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(switchboard->proxy("GET", "/apiA/x").status, 200);
    ASSERT_EQ(switchboard->proxy("GET", "/nosuch").status, 404);  // no service: not counted
    std::string after;
    auto moved = [&](const std::string& sample) {
        return value(after, sample) - value(before, sample);
    };
    // A worker counts a response just after the client has it: the last one may lag.
    eventually([&] {
        after = metrics();
        return moved("switchboard_request_duration_seconds_count" + service + "}") == n;
    });

    EXPECT_EQ(moved("switchboard_upstream_requests_total" + upstream + "}"), n);
    EXPECT_EQ(moved("switchboard_requests_total" + service + ",class=\"2xx\"}"), n);
    EXPECT_EQ(moved("switchboard_requests_total" + service + ",class=\"5xx\"}"), 0);
    EXPECT_EQ(moved("switchboard_upstream_responses_total" + upstream + ",class=\"2xx\"}"), n);
    EXPECT_EQ(moved("switchboard_upstream_responses_total" + upstream + ",class=\"failed\"}"), 0);
    EXPECT_EQ(moved("switchboard_request_duration_seconds_count" + service + "}"), n);
    EXPECT_EQ(moved("switchboard_request_duration_seconds_bucket" + service + ",le=\"+Inf\"}"), n);
    EXPECT_EQ(moved("switchboard_request_duration_seconds_bucket" + service + ",le=\"10\"}"), n);
    EXPECT_GT(moved("switchboard_request_duration_seconds_sum" + service + "}"), 0);
}

TEST_F(AdminMetrics, FailuresAndErrorsAreCountedByClass) {
    // An upstream that refuses connections: every request is a 502 to the client and a
    // "failed" attempt on the upstream.
    const std::string dead = "127.0.0.1:" + std::to_string(freePort());
    ASSERT_EQ(admin("PUT", "/services/apiD", R"({"upstreams": [")" + dead + R"("]})").status, 201);
    const std::string before = metrics();
    const int n = 3;
    for (int i = 0; i < n; ++i)
        EXPECT_EQ(switchboard->proxy("GET", "/apiD").status, 502);
    std::string after;
    auto moved = [&](const std::string& sample) {
        return value(after, sample) - value(before, sample);
    };
    eventually([&] {
        after = metrics();
        return moved("switchboard_requests_total{service=\"apiD\",class=\"5xx\"}") == n;
    });
    EXPECT_EQ(moved("switchboard_requests_total{service=\"apiD\",class=\"5xx\"}"), n);
    EXPECT_GE(moved("switchboard_upstream_responses_total{service=\"apiD\",upstream=\"" + dead +
                    "\",class=\"failed\"}"),
              1);
}

TEST_F(AdminMetrics, ReloadsAndSavesByResult) {
    const std::string before = metrics();
    ASSERT_EQ(admin("POST", "/reload").status, 200);
    ASSERT_EQ(admin("PUT", "/services/apiB", "{}").status, 201);
    writeFile(path(), file() + "# edited\n");
    ASSERT_EQ(admin("PUT", "/services/apiC", "{}").status, 409);
    writeFile(path(), file() + "[broken\n");
    ASSERT_EQ(admin("POST", "/reload").status, 400);
    const std::string after = metrics();
    auto moved = [&](const std::string& sample) {
        return value(after, sample) - value(before, sample);
    };
    EXPECT_EQ(moved("switchboard_reloads_total{result=\"ok\"}"), 1);
    EXPECT_EQ(moved("switchboard_reloads_total{result=\"failed\"}"), 1);
    EXPECT_EQ(moved("switchboard_config_saves_total{result=\"ok\"}"), 1);
    EXPECT_EQ(moved("switchboard_config_saves_total{result=\"failed\"}"), 1);
}

TEST_F(AdminMetrics, ClientConnectionsGauge) {
    HttpConnection held("127.0.0.1", proxy_port);
    ASSERT_EQ(held.request("GET", "/apiA").status, 200);
    EXPECT_GE(value(metrics(), "switchboard_client_connections"), 1);
    held.close();
}
