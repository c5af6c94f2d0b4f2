// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "switchboard/runtime/registry.h"

using namespace switchboard;

namespace {

ServiceConfig service(const std::string& name, const std::string& route,
                      const std::string& host = "", std::vector<std::string> addresses = {}) {
    ServiceConfig config = makeDefaultService(name);
    config.route = route;
    config.host = host;
    for (auto& address : addresses)
        config.upstreams.push_back({address, 1});
    return config;
}

std::string routed(const Registry& registry, std::string_view host, std::string_view path) {
    auto pool = registry.route(host, path);
    return pool ? pool->name() : "<none>";
}

}  // namespace

TEST(RouteMatches, OnSegmentBoundaryOnly) {
    EXPECT_TRUE(routeMatches("/apiA", "/apiA"));
    EXPECT_TRUE(routeMatches("/apiA", "/apiA/"));
    EXPECT_TRUE(routeMatches("/apiA", "/apiA/x/y"));
    EXPECT_FALSE(routeMatches("/apiA", "/apiAB"));
    EXPECT_FALSE(routeMatches("/apiA", "/api"));
    EXPECT_FALSE(routeMatches("/apiA", "/apia"));
    EXPECT_TRUE(routeMatches("/", "/anything"));
    EXPECT_TRUE(routeMatches("/static/", "/static/a.css"));
    EXPECT_FALSE(routeMatches("/static/", "/static"));
}

TEST(Registry, LongestPrefixWins) {
    Config config;
    config.services = {service("root", "/"), service("api", "/api"), service("v2", "/api/v2")};
    Registry registry;
    registry.apply(config);
    EXPECT_EQ(routed(registry, "", "/"), "root");
    EXPECT_EQ(routed(registry, "", "/apix"), "root");
    EXPECT_EQ(routed(registry, "", "/api"), "api");
    EXPECT_EQ(routed(registry, "", "/api/v1"), "api");
    EXPECT_EQ(routed(registry, "", "/api/v2/x"), "v2");
    EXPECT_EQ(routed(registry, "", "/api/v2x"), "api");
}

TEST(Registry, HostMatchesCaseInsensitivelyWithoutPortAndWinsTies) {
    Config config;
    config.services = {service("generic", "/app"), service("shop", "/app", "shop.example"),
                       service("only", "/only", "only.example")};
    Registry registry;
    registry.apply(config);
    EXPECT_EQ(routed(registry, "shop.example", "/app"), "shop");
    EXPECT_EQ(routed(registry, "SHOP.Example:8080", "/app/x"), "shop");
    EXPECT_EQ(routed(registry, "other", "/app"), "generic");
    EXPECT_EQ(routed(registry, "", "/app"), "generic");
    EXPECT_EQ(routed(registry, "only.example", "/only"), "only");
    EXPECT_EQ(routed(registry, "other", "/only"), "<none>");
    EXPECT_EQ(routed(registry, "[::1]:80", "/only"), "<none>");
}

TEST(Registry, ApplyKeepsRuntimeStateOfUpstreamsThatStay) {
    Config config;
    config.services = {service("svc", "/svc", "", {"127.0.0.1:1", "127.0.0.1:2"})};
    Registry registry;
    registry.apply(config);
    auto kept = registry.find("svc")->upstreams()[0];
    auto removed = registry.find("svc")->upstreams()[1];
    kept->requests = 7;

    config.services[0].upstreams.erase(config.services[0].upstreams.begin() + 1);
    config.services[0].upstreams.push_back({"127.0.0.1:3", 1});
    registry.apply(config);
    auto pool = registry.find("svc");
    ASSERT_EQ(pool->upstreams().size(), 2u);
    EXPECT_EQ(pool->upstreams()[0], kept);
    EXPECT_EQ(pool->upstreams()[0]->requests, 7u);
    EXPECT_TRUE(removed->draining);
    EXPECT_FALSE(kept->draining);
    EXPECT_EQ(registry.config(), config);
}

TEST(Registry, RemovedServiceStopsRouting) {
    Config config;
    config.services = {service("a", "/a"), service("b", "/b")};
    Registry registry;
    registry.apply(config);
    config.services.pop_back();
    registry.apply(config);
    EXPECT_EQ(routed(registry, "", "/b"), "<none>");
    EXPECT_EQ(routed(registry, "", "/a"), "a");
}

// SPEC §11 slow start: a new upstream next to serving ones ramps, and so does one set active
// again; those present at start, or of a new service, take their full weight at once.
TEST(Registry, SlowStartRampsWhatBecomesUsable) {
    Registry registry;
    Config config;
    ServiceConfig api = service("api", "/api", "", {"127.0.0.1:1"});
    api.slow_start_ms = 2000;
    config.services.push_back(api);
    registry.apply(config);
    auto weightOf = [&](const std::string& address) {
        for (const auto& upstream : registry.find("api")->upstreams())
            if (upstream->name() == address)
                return upstream->effectiveWeight(Clock::now());
        return std::int64_t{-1};
    };
    constexpr std::int64_t kFull = Upstream::kWeightScale;
    EXPECT_EQ(weightOf("127.0.0.1:1"), kFull);

    config.services[0].upstreams.push_back({"127.0.0.1:2", 1});
    registry.apply(config);
    EXPECT_EQ(weightOf("127.0.0.1:1"), kFull);
    EXPECT_LT(weightOf("127.0.0.1:2"), kFull / 5);

    config.services[0].upstreams[0].admin_state = AdminState::Maint;
    registry.apply(config);
    EXPECT_EQ(weightOf("127.0.0.1:1"), kFull);  // in maint it is not picked at all
    config.services[0].upstreams[0].admin_state = AdminState::Active;
    registry.apply(config);
    EXPECT_LT(weightOf("127.0.0.1:1"), kFull / 5);

    // slow_start_ms = 0 ends the ramps.
    config.services[0].slow_start_ms = 0;
    registry.apply(config);
    EXPECT_EQ(weightOf("127.0.0.1:1"), kFull);
    EXPECT_EQ(weightOf("127.0.0.1:2"), kFull);
}
