// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "switchboard/admin/metrics.h"

using namespace switchboard;

namespace {

Registry registryWith(std::vector<std::pair<std::string, std::vector<std::string>>> services) {
    Config config;
    for (auto& [name, addresses] : services) {
        ServiceConfig service = makeDefaultService(name);
        for (auto& address : addresses)
            service.upstreams.push_back({address, 1});
        config.services.push_back(service);
    }
    Registry registry;
    registry.apply(config);
    return registry;
}

bool hasLine(const std::string& text, const std::string& line) {
    std::istringstream in(text);
    for (std::string each; std::getline(in, each);)
        if (each == line)
            return true;
    return false;
}

}  // namespace

TEST(EscapeLabelValue, BackslashQuoteNewline) {
    EXPECT_EQ(escapeLabelValue("plain"), "plain");
    EXPECT_EQ(escapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
}

TEST(RenderMetrics, CountersOfServicesAndUpstreams) {
    Registry registry = registryWith({{"apiA", {"127.0.0.1:1", "127.0.0.1:2"}}});
    auto pool = registry.find("apiA");
    pool->stats().recordResponse(200, 0.003);
    pool->stats().recordResponse(204, 0.2);
    pool->stats().recordResponse(502, 20);
    auto& first = *pool->upstreams()[0];
    first.stats.responses[2].add(2);
    first.stats.responses[0].add(1);
    first.requests = 3;
    first.in_flight = 1;
    pool->upstreams()[1]->draining = true;
    ServerStats stats;
    stats.reloads_ok.add(4);
    stats.saves_failed.add(1);
    stats.client_connections.add(7);

    std::string text = renderMetrics(registry, stats);
    for (
        const char* line : {
            R"(switchboard_requests_total{service="apiA",class="2xx"} 2)",
            R"(switchboard_requests_total{service="apiA",class="5xx"} 1)",
            R"(switchboard_requests_total{service="apiA",class="1xx"} 0)",
            R"(switchboard_request_duration_seconds_bucket{service="apiA",le="0.001"} 0)",
            R"(switchboard_request_duration_seconds_bucket{service="apiA",le="0.005"} 1)",
            R"(switchboard_request_duration_seconds_bucket{service="apiA",le="0.25"} 2)",
            R"(switchboard_request_duration_seconds_bucket{service="apiA",le="10"} 2)",
            R"(switchboard_request_duration_seconds_bucket{service="apiA",le="+Inf"} 3)",
            R"(switchboard_request_duration_seconds_sum{service="apiA"} 20.203)",
            R"(switchboard_request_duration_seconds_count{service="apiA"} 3)",
            R"(switchboard_upstream_requests_total{service="apiA",upstream="127.0.0.1:1"} 3)",
            R"(switchboard_upstream_responses_total{service="apiA",upstream="127.0.0.1:1",class="2xx"} 2)",
            R"(switchboard_upstream_responses_total{service="apiA",upstream="127.0.0.1:1",class="failed"} 1)",
            R"(switchboard_upstream_up{service="apiA",upstream="127.0.0.1:1"} 1)",
            R"(switchboard_upstream_up{service="apiA",upstream="127.0.0.1:2"} 0)",
            R"(switchboard_upstream_in_flight{service="apiA",upstream="127.0.0.1:1"} 1)",
            R"(switchboard_upstream_weight{service="apiA",upstream="127.0.0.1:2"} 1)",
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:1",state="active"} 1)",
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:1",state="drain"} 0)",
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:1",state="maint"} 0)",
            R"(switchboard_reloads_total{result="ok"} 4)",
            R"(switchboard_reloads_total{result="failed"} 0)",
            R"(switchboard_config_saves_total{result="failed"} 1)",
            R"(switchboard_client_connections 7)",
            R"(switchboard_services 1)",
            R"(switchboard_upstreams 2)",
        })
        EXPECT_TRUE(hasLine(text, line)) << line << "\n" << text;
}

// The rules `promtool check metrics` applies to the exposition format.
TEST(RenderMetrics, WellFormedExposition) {
    Registry registry =
        registryWith({{"apiA", {"127.0.0.1:1"}}, {"b.x-y_z", {"[::1]:2", "h.local:3"}}});
    std::string text = renderMetrics(registry, ServerStats{});
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    std::map<std::string, std::string> types;  // family -> type
    std::set<std::string> helped, finished;
    std::string current;
    std::istringstream in(text);
    const std::regex sample_line(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN))");
    for (std::string line; std::getline(in, line);) {
        std::smatch match;
        if (line.rfind("# HELP ", 0) == 0) {
            std::string family = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_TRUE(helped.insert(family).second) << "second HELP for " << family;
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream words(line.substr(7));
            std::string family, type;
            words >> family >> type;
            EXPECT_TRUE(helped.count(family)) << "TYPE before HELP: " << family;
            EXPECT_TRUE(types.emplace(family, type).second) << "second TYPE for " << family;
            if (!current.empty())
                finished.insert(current);
            EXPECT_FALSE(finished.count(family)) << family << " is split";
            current = family;
            continue;
        }
        ASSERT_TRUE(std::regex_match(line, match, sample_line)) << line;
        std::string name = match[1];
        EXPECT_EQ(name.rfind("switchboard_", 0), 0u) << name;
        std::string family = name;
        if (types[current] == "histogram")
            for (const char* suffix : {"_bucket", "_sum", "_count"})
                if (name.size() > current.size() && name.rfind(current, 0) == 0 &&
                    name.substr(current.size()) == suffix)
                    family = current;
        EXPECT_EQ(family, current) << "sample outside its family: " << line;
        if (types[current] == "counter") {
            EXPECT_TRUE(name.size() > 6 && name.substr(name.size() - 6) == "_total") << name;
        }
    }
    EXPECT_EQ(types["switchboard_request_duration_seconds"], "histogram");
    EXPECT_EQ(types["switchboard_upstream_up"], "gauge");
    EXPECT_TRUE(hasLine(text, R"(switchboard_upstream_up{service="b.x-y_z",upstream="[::1]:2"} 1)"))
        << text;
}

TEST(RenderMetrics, AdminStateOfEachUpstream) {
    Registry registry = registryWith({{"apiA", {"127.0.0.1:1", "127.0.0.1:2"}}});
    auto pool = registry.find("apiA");
    pool->upstreams()[0]->setAdminState(AdminState::Drain);
    pool->upstreams()[1]->setAdminState(AdminState::Maint);
    std::string text = renderMetrics(registry, ServerStats{});
    for (
        const char* line : {
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:1",state="active"} 0)",
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:1",state="drain"} 1)",
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:1",state="maint"} 0)",
            R"(switchboard_upstream_admin_state{service="apiA",upstream="127.0.0.1:2",state="maint"} 1)",
            R"(switchboard_upstream_up{service="apiA",upstream="127.0.0.1:1"} 0)",
            R"(switchboard_upstream_up{service="apiA",upstream="127.0.0.1:2"} 0)",
        })
        EXPECT_TRUE(hasLine(text, line)) << line << "\n" << text;
}
