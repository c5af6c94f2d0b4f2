// SPDX-License-Identifier: Apache-2.0
// SPEC §11: every strategy skips an upstream whose admin_state is drain or maint, through the
// same Upstream::isUsable that takes a down one out; its health stays its own.
#include <gtest/gtest.h>

#include "balancer_fixtures.h"

#include <set>
#include <string>

#include "switchboard/balance/strategies.h"

using namespace switchboard;
using namespace switchboard::testing;

namespace {

// The names `strategy` picks over `picks` requests with distinct keys.
std::set<std::string> picked(const std::string& strategy, const UpstreamList& upstreams,
                             int picks = 200) {
    auto balancer = makeBalancer(strategy);
    std::set<std::string> names;
    for (int i = 0; i < picks; ++i) {
        const std::string key = "client-" + std::to_string(i);
        PickContext context;
        context.hash_value = key;
        auto upstream = balancer->pick(upstreams, context);
        names.insert(upstream ? upstream->name() : "-");
    }
    return names;
}

class AdminStateStrategies : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST(AdminState, DrainAndMaintAreHealthyButNotUsable) {
    auto upstreams = makeUpstreams({{"a", 1}});
    auto& upstream = *upstreams[0];
    const auto now = Clock::now();
    EXPECT_EQ(upstream.adminState(), AdminState::Active);
    for (AdminState state : {AdminState::Drain, AdminState::Maint}) {
        upstream.setAdminState(state);
        EXPECT_FALSE(upstream.isUsable(now)) << adminStateName(state);
        EXPECT_TRUE(upstream.isHealthy(now)) << adminStateName(state);
    }
    upstream.setAdminState(AdminState::Active);
    EXPECT_TRUE(upstream.isUsable(now));
    upstream.health_check_down = true;
    EXPECT_FALSE(upstream.isHealthy(now));
}

TEST(AdminState, ConfigStateReachesTheUpstream) {
    Upstream upstream(UpstreamConfig{"a", 2, AdminState::Maint}, HostPort{});
    EXPECT_EQ(upstream.adminState(), AdminState::Maint);
    EXPECT_EQ(upstream.weight(), 2);
}

TEST_P(AdminStateStrategies, SkipDrainAndMaint) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 3}, {"c", 1}});
    EXPECT_EQ(picked(GetParam(), upstreams), (std::set<std::string>{"a", "b", "c"}));
    upstreams[1]->setAdminState(AdminState::Drain);
    EXPECT_EQ(picked(GetParam(), upstreams), (std::set<std::string>{"a", "c"}));
    upstreams[2]->setAdminState(AdminState::Maint);
    EXPECT_EQ(picked(GetParam(), upstreams), (std::set<std::string>{"a"}));
    upstreams[0]->setAdminState(AdminState::Drain);
    EXPECT_EQ(picked(GetParam(), upstreams), (std::set<std::string>{"-"}));
    upstreams[1]->setAdminState(AdminState::Active);
    EXPECT_EQ(picked(GetParam(), upstreams), (std::set<std::string>{"b"}));
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, AdminStateStrategies,
                         ::testing::Values("round_robin", "least_conn", "random",
                                           "consistent_hash"));

TEST(AdminState, RoundRobinSequenceWithoutTheDrainedOne) {
    auto balancer = makeBalancer("round_robin");
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    upstreams[1]->setAdminState(AdminState::Drain);
    EXPECT_EQ(sequence(*balancer, upstreams, 4), "acac");
    upstreams[1]->setAdminState(AdminState::Active);
    upstreams[0]->setAdminState(AdminState::Maint);
    EXPECT_EQ(sequence(*balancer, upstreams, 4), "bcbc");
}

// consistent_hash: a drained upstream's keys move as for a down one, only they move, and
// they come back when it is active again.
TEST(AdminState, ConsistentHashMovesOnlyTheDrainedKeys) {
    auto balancer = makeBalancer("consistent_hash");
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}});
    auto placement = [&] {
        std::vector<std::string> names;
        for (int i = 0; i < 2000; ++i) {
            const std::string key = "user-" + std::to_string(i);
            PickContext context;
            context.hash_value = key;
            names.push_back(balancer->pick(upstreams, context)->name());
        }
        return names;
    };
    auto before = placement();
    upstreams[2]->setAdminState(AdminState::Drain);
    auto during = placement();
    upstreams[2]->health_check_down = true;
    upstreams[2]->setAdminState(AdminState::Active);
    auto down = placement();
    int moved = 0;
    for (std::size_t i = 0; i < before.size(); ++i) {
        EXPECT_NE(during[i], "c");
        if (before[i] != "c")
            EXPECT_EQ(during[i], before[i]);
        else
            ++moved;
        EXPECT_EQ(during[i], down[i]);  // exactly where a down one's keys go
    }
    EXPECT_GT(moved, 0);
    upstreams[2]->health_check_down = false;
    EXPECT_EQ(placement(), before);
}
