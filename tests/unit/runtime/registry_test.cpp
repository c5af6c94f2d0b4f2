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
