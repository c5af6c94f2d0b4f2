// SPDX-License-Identifier: Apache-2.0
// HealthChecker::reconcile without running the loop (no check fires, no socket opens): which
// upstreams get a check, and what happens to their state when the config changes. The
// checks themselves are exercised against real servers in
// tests/integration/load_balancing_test.cpp.
#include <gtest/gtest.h>

#include "switchboard/runtime/health_checker.h"
#include "switchboard/runtime/registry.h"

using namespace switchboard;

namespace {

ServiceConfig service(const std::string& name, std::vector<std::string> addresses,
                      std::optional<HealthCheckConfig> check) {
    ServiceConfig config = makeDefaultService(name);
    for (auto& address : addresses)
        config.upstreams.push_back({address, 1});
    config.health_check = check;
    return config;
}

class HealthCheckerReconcile : public ::testing::Test {
  protected:
    void apply(std::vector<ServiceConfig> services) {
        Config config;
        config.services = std::move(services);
        registry.apply(config);
        checker.reconcile(registry);
    }
    std::shared_ptr<Upstream> upstream(const std::string& service, std::size_t index) {
        return registry.find(service)->upstreams().at(index);
    }

    EventBasePtr base{event_base_new()};
    Registry registry;
    HealthChecker checker{base.get(), nullptr};
};

}  // namespace

TEST_F(HealthCheckerReconcile, ChecksOnlyServicesWithAHealthCheck) {
    apply({service("a", {"127.0.0.1:1", "127.0.0.1:2"}, HealthCheckConfig{}),
           service("b", {"127.0.0.1:3"}, std::nullopt)});
    EXPECT_EQ(checker.checkCount(), 2u);
    // New upstreams start up.
    EXPECT_FALSE(upstream("a", 0)->health_check_down);
    EXPECT_TRUE(upstream("a", 0)->isUsable(Clock::now()));
}

TEST_F(HealthCheckerReconcile, UnrelatedChangesKeepStateAndRemovalClearsIt) {
    apply({service("a", {"127.0.0.1:1", "127.0.0.1:2"}, HealthCheckConfig{})});
    upstream("a", 0)->health_check_down = true;  // as a failing check would
    EXPECT_FALSE(upstream("a", 0)->isUsable(Clock::now()));

    // Another upstream added: the down one stays down.
    apply({service("a", {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:4"}, HealthCheckConfig{})});
    EXPECT_EQ(checker.checkCount(), 3u);
    EXPECT_TRUE(upstream("a", 0)->health_check_down);

    // Settings changed: the check restarts, the state stays until it decides otherwise.
    HealthCheckConfig faster;
    faster.interval_ms = 100;
    apply({service("a", {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:4"}, faster)});
    EXPECT_EQ(checker.checkCount(), 3u);
    EXPECT_TRUE(upstream("a", 0)->health_check_down);

    // Health check removed: nothing may stay marked down without a check to bring it back.
    auto kept = upstream("a", 0);
    apply({service("a", {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:4"}, std::nullopt)});
    EXPECT_EQ(checker.checkCount(), 0u);
    EXPECT_FALSE(kept->health_check_down);
    EXPECT_TRUE(kept->isUsable(Clock::now()));
}

TEST_F(HealthCheckerReconcile, RemovedUpstreamsAndServicesLoseTheirChecks) {
    apply({service("a", {"127.0.0.1:1", "127.0.0.1:2"}, HealthCheckConfig{}),
           service("b", {"127.0.0.1:3"}, HealthCheckConfig{})});
    EXPECT_EQ(checker.checkCount(), 3u);
    apply({service("a", {"127.0.0.1:2"}, HealthCheckConfig{})});
    EXPECT_EQ(checker.checkCount(), 1u);
    // A service deleted and created again gets new Upstream objects, and fresh checks.
    apply({service("a", {"127.0.0.1:2"}, HealthCheckConfig{}),
           service("b", {"127.0.0.1:3"}, HealthCheckConfig{})});
    EXPECT_EQ(checker.checkCount(), 2u);
    apply({});
    EXPECT_EQ(checker.checkCount(), 0u);
}

TEST_F(HealthCheckerReconcile, MaintIsNotCheckedDrainIs) {
    auto a = service("a", {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}, HealthCheckConfig{});
    apply({a});
    EXPECT_EQ(checker.checkCount(), 3u);
    upstream("a", 0)->health_check_down = true;  // as a failing check would
    a.upstreams[0].admin_state = AdminState::Maint;
    a.upstreams[1].admin_state = AdminState::Drain;
    apply({a});
    EXPECT_EQ(checker.checkCount(), 2u);
    EXPECT_EQ(upstream("a", 0)->adminState(), AdminState::Maint);
    EXPECT_EQ(upstream("a", 1)->adminState(), AdminState::Drain);
    // Out of the checks, it does not stay marked down; active again, it is checked again.
    EXPECT_FALSE(upstream("a", 0)->health_check_down);
    a.upstreams[0].admin_state = AdminState::Active;
    apply({a});
    EXPECT_EQ(checker.checkCount(), 3u);
    EXPECT_TRUE(upstream("a", 0)->isUsable(Clock::now()));
    EXPECT_FALSE(upstream("a", 1)->isUsable(Clock::now()));
}
