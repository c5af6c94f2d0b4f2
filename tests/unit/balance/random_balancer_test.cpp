// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "balancer_fixtures.h"

#include <map>

#include "switchboard/balance/random.h"

using namespace switchboard;
using namespace switchboard::testing;

namespace {

std::map<std::string, int> counts(Balancer& balancer, const UpstreamList& upstreams, int picks,
                                  const PickContext& context = {}) {
    std::map<std::string, int> seen;
    for (int i = 0; i < picks; ++i) {
        auto picked = balancer.pick(upstreams, context);
        ++seen[picked ? picked->name() : "-"];
    }
    return seen;
}

}  // namespace

TEST(RandomTwoChoices, SameSeedSameSequence) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}});
    RandomBalancer first(42), second(42);
    std::string a, b;
    for (int i = 0; i < 50; ++i) {
        a += first.pick(upstreams, {})->name();
        b += second.pick(upstreams, {})->name();
    }
    EXPECT_EQ(a, b);
}

TEST(RandomTwoChoices, NeverPicksTheMostLoadedOfThree) {
    // Two different candidates are drawn and the less loaded one wins, so the single most
    // loaded upstream can never win.
    RandomBalancer balancer(1);
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    upstreams[0]->in_flight = 10;
    upstreams[1]->in_flight = 1;
    auto seen = counts(balancer, upstreams, 3000);
    EXPECT_EQ(seen["a"], 0);
    // b wins only against a (pairs {a,b}); c wins {a,c} and {b,c}.
    EXPECT_GT(seen["c"], seen["b"]);
    EXPECT_NEAR(seen["b"], 1000, 150);
}

TEST(RandomTwoChoices, PrefersTheLessLoadedOfTwo) {
    RandomBalancer balancer(7);
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}});
    upstreams[0]->in_flight = 3;
    EXPECT_EQ(counts(balancer, upstreams, 200)["b"], 200);
}

TEST(RandomTwoChoices, LoadIsRelativeToWeight) {
    RandomBalancer balancer(9);
    auto upstreams = makeUpstreams({{"a", 4}, {"b", 1}});
    upstreams[0]->in_flight = 3;  // 3/4 < 1/1
    upstreams[1]->in_flight = 1;
    EXPECT_EQ(counts(balancer, upstreams, 200)["a"], 200);
}

TEST(RandomTwoChoices, IdleUpstreamsSpreadEvenly) {
    RandomBalancer balancer(3);
    auto seen = counts(balancer, makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}}), 9000);
    for (const char* name : {"a", "b", "c"})
        EXPECT_NEAR(seen[name], 3000, 300) << name;
}

TEST(RandomTwoChoices, DrawsByWeight) {
    // All idle: the first drawn wins every tie, and it is drawn in proportion to weight.
    RandomBalancer balancer(5);
    auto seen = counts(balancer, makeUpstreams({{"a", 3}, {"b", 1}}), 10000);
    EXPECT_NEAR(seen["a"], 7500, 300);
}

TEST(RandomTwoChoices, KeepsInFlightBalancedUnderLoad) {
    RandomBalancer balancer(11);
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}});
    for (int i = 0; i < 400; ++i)
        ++balancer.pick(upstreams, {})->in_flight;
    for (const auto& upstream : upstreams)
        EXPECT_NEAR(upstream->in_flight, 100, 10) << upstream->name();
}

TEST(RandomTwoChoices, SkipsDrainingDownAndTriedUpstreams) {
    RandomBalancer balancer(13);
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    upstreams[0]->draining = true;
    upstreams[1]->health_check_down = true;
    EXPECT_EQ(counts(balancer, upstreams, 50)["c"], 50);
    upstreams[1]->health_check_down = false;
    std::vector<const Upstream*> tried = {upstreams[2].get()};
    PickContext context;
    context.tried = &tried;
    EXPECT_EQ(counts(balancer, upstreams, 50, context)["b"], 50);
    tried.push_back(upstreams[1].get());
    EXPECT_EQ(counts(balancer, upstreams, 5, context)["-"], 5);
    EXPECT_EQ(counts(balancer, {}, 1)["-"], 1);
}
