// SPDX-License-Identifier: Apache-2.0
// SPEC §11 slow start: the effective weight ramps from 1/10 to the full weight, linearly over
// slow_start_ms, and round_robin, least_conn and random pick by it; consistent_hash does not.
#include <gtest/gtest.h>

#include "balancer_fixtures.h"

#include <chrono>
#include <map>
#include <string>

#include "switchboard/balance/strategies.h"

using namespace switchboard;
using namespace switchboard::testing;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kScale = Upstream::kWeightScale;

// How many of `picks` go to each name, all at `now`.
std::map<std::string, int> shares(const std::string& strategy, const UpstreamList& upstreams,
                                  Clock::time_point now, int picks = 1100) {
    auto balancer = makeBalancer(strategy);
    std::map<std::string, int> count;
    PickContext context;
    context.now = now;
    for (int i = 0; i < picks; ++i) {
        const std::string key = "client-" + std::to_string(i);
        context.hash_value = key;
        auto upstream = balancer->pick(upstreams, context);
        ++count[upstream ? upstream->name() : "-"];
    }
    return count;
}

}  // namespace

TEST(SlowStart, EffectiveWeightRampsLinearlyFromATenth) {
    auto upstreams = makeUpstreams({{"a", 4}});
    Upstream& upstream = *upstreams[0];
    const auto start = Clock::now();
    EXPECT_EQ(upstream.effectiveWeight(start), 4 * kScale);  // no ramp yet
    upstream.setSlowStart(milliseconds(2000));
    upstream.beginSlowStart(start);
    EXPECT_EQ(upstream.effectiveWeight(start), 4 * kScale / 10);
    EXPECT_EQ(upstream.effectiveWeight(start + milliseconds(1000)), 4 * kScale * 55 / 100);
    EXPECT_EQ(upstream.effectiveWeight(start + milliseconds(1500)), 4 * kScale * 775 / 1000);
    EXPECT_EQ(upstream.effectiveWeight(start + milliseconds(2000)), 4 * kScale);
    EXPECT_EQ(upstream.effectiveWeight(start + milliseconds(60000)), 4 * kScale);
    // A weight change during the ramp scales the ramp.
    upstream.setWeight(8);
    EXPECT_EQ(upstream.effectiveWeight(start + milliseconds(1000)), 8 * kScale * 55 / 100);
    // Slow start off: the full weight at once, even in the middle of a ramp.
    upstream.setSlowStart(milliseconds(0));
    EXPECT_EQ(upstream.effectiveWeight(start), 8 * kScale);
}

TEST(SlowStart, PassiveHealthBringingItBackStartsARamp) {
    auto upstreams = makeUpstreams({{"a", 1}});
    Upstream& upstream = *upstreams[0];
    upstream.setSlowStart(milliseconds(10000));
    const auto now = Clock::now();
    upstream.recordFailure(now, 1, milliseconds(1));
    EXPECT_EQ(upstream.effectiveWeight(now), kScale);
    EXPECT_TRUE(upstream.recordSuccess(Upstream::Attempt::Trial));
    EXPECT_LT(upstream.effectiveWeight(Clock::now()), kScale / 5);
    // An answer while it was in changes nothing.
    auto other = makeUpstreams({{"b", 1}});
    other[0]->setSlowStart(milliseconds(10000));
    EXPECT_FALSE(other[0]->recordSuccess(Upstream::Attempt::InService));
    EXPECT_EQ(other[0]->effectiveWeight(Clock::now()), kScale);
}

class SlowStartStrategies : public ::testing::TestWithParam<const char*> {};

// `b` has just become usable next to `a` of the same weight: it gets about 1/11 of the picks
// at the start, half of them at the end of the ramp.
TEST_P(SlowStartStrategies, NewUpstreamGetsATenthThenItsShare) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}});
    const auto start = Clock::now();
    upstreams[1]->setSlowStart(milliseconds(2000));
    upstreams[1]->beginSlowStart(start);
    auto first = shares(GetParam(), upstreams, start);
    EXPECT_NEAR(first["b"], 100, 40) << GetParam();
    auto middle = shares(GetParam(), upstreams, start + milliseconds(1000));
    EXPECT_NEAR(middle["b"], 1100 * 0.55 / 1.55, 60) << GetParam();
    auto done = shares(GetParam(), upstreams, start + milliseconds(2000));
    EXPECT_NEAR(done["b"], 550, 60) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Weighted, SlowStartStrategies,
                         ::testing::Values("round_robin", "least_conn", "random"));

TEST(SlowStart, LeastConnComparesLoadByEffectiveWeight) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}});
    const auto start = Clock::now();
    upstreams[1]->setSlowStart(milliseconds(2000));
    upstreams[1]->beginSlowStart(start);
    // a has 5 in flight for its full weight, b 1 for a tenth of it: b is the more loaded.
    upstreams[0]->in_flight = 5;
    upstreams[1]->in_flight = 1;
    PickContext context;
    context.now = start;
    EXPECT_EQ(makeBalancer("least_conn")->pick(upstreams, context)->name(), "a");
    context.now = start + milliseconds(2000);
    EXPECT_EQ(makeBalancer("least_conn")->pick(upstreams, context)->name(), "b");
}

TEST(SlowStart, ConsistentHashIgnoresIt) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}});
    const auto start = Clock::now();
    auto before = shares("consistent_hash", upstreams, start);
    upstreams[1]->setSlowStart(milliseconds(2000));
    upstreams[1]->beginSlowStart(start);
    EXPECT_EQ(shares("consistent_hash", upstreams, start), before);
}
