// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "switchboard/balance/consistent_hash.h"
#include "switchboard/balance/least_conn.h"
#include "switchboard/balance/random.h"
#include "switchboard/balance/round_robin.h"
#include "switchboard/balance/strategies.h"

using namespace switchboard;

namespace {

constexpr int kKeys = 10000;

UpstreamList makeUpstreams(int count, std::vector<int> weights = {}) {
    UpstreamList list;
    for (int i = 0; i < count; ++i) {
        int weight = weights.empty() ? 1 : weights[static_cast<std::size_t>(i)];
        list.push_back(std::make_shared<Upstream>(
            UpstreamConfig{"10.0.0." + std::to_string(i + 1) + ":8080", weight}, HostPort{}));
    }
    return list;
}

std::string key(int i) {
    return "user-" + std::to_string(i);
}

std::shared_ptr<Upstream> pickFor(Balancer& balancer, const UpstreamList& upstreams,
                                  const std::string& value, PickContext context = {}) {
    context.hash_value = value;
    return balancer.pick(upstreams, context);
}

// Where each of kKeys keys lands (upstream name, "-" for none).
std::vector<std::string> placement(Balancer& balancer, const UpstreamList& upstreams) {
    std::vector<std::string> names;
    for (int i = 0; i < kKeys; ++i) {
        auto picked = pickFor(balancer, upstreams, key(i));
        names.push_back(picked ? picked->name() : "-");
    }
    return names;
}

std::map<std::string, int> tally(const std::vector<std::string>& names) {
    std::map<std::string, int> counts;
    for (const auto& name : names)
        ++counts[name];
    return counts;
}

}  // namespace

TEST(MakeBalancer, ReturnsTheNamedStrategy) {
    EXPECT_NE(dynamic_cast<RoundRobinBalancer*>(makeBalancer("round_robin").get()), nullptr);
    EXPECT_NE(dynamic_cast<LeastConnBalancer*>(makeBalancer("least_conn").get()), nullptr);
    EXPECT_NE(dynamic_cast<RandomBalancer*>(makeBalancer("random").get()), nullptr);
    EXPECT_NE(dynamic_cast<ConsistentHashBalancer*>(makeBalancer("consistent_hash").get()),
              nullptr);
}

TEST(HashKey, IsStableAndSpreadsSimilarKeys) {
    // Pinned: where keys land must not change between builds.
    EXPECT_EQ(hashKey(""), hashKey(""));
    EXPECT_NE(hashKey("user-1"), hashKey("user-2"));
    // Keys one character apart differ in about half of the high bits.
    int bits = __builtin_popcountll(hashKey("user-1") ^ hashKey("user-2"));
    EXPECT_GT(bits, 16);
    EXPECT_LT(bits, 48);
}

TEST(ConsistentHash, SameKeySameUpstream) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(5);
    auto first = pickFor(balancer, upstreams, "alice");
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(pickFor(balancer, upstreams, "alice"), first);
    // A balancer built afresh (a new ServicePool) puts it on the same upstream.
    ConsistentHashBalancer other;
    EXPECT_EQ(pickFor(other, upstreams, "alice"), first);
}

TEST(ConsistentHash, RingIsBuiltOncePerUpstreamList) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(10);
    placement(balancer, upstreams);
    EXPECT_EQ(balancer.builds(), 1u);
    EXPECT_EQ(balancer.ringSize(), 1600u);
    // Health does not rebuild it either.
    upstreams[0]->health_check_down = true;
    placement(balancer, upstreams);
    EXPECT_EQ(balancer.builds(), 1u);
    // A different list or weight does.
    upstreams[1]->setWeight(2);
    pickFor(balancer, upstreams, "x");
    EXPECT_EQ(balancer.builds(), 2u);
    EXPECT_EQ(balancer.ringSize(), 1760u);
}

TEST(ConsistentHash, SpreadIsEven) {
    ConsistentHashBalancer balancer;
    auto counts = tally(placement(balancer, makeUpstreams(10)));
    ASSERT_EQ(counts.size(), 10u);
    for (const auto& [name, count] : counts) {
        EXPECT_LE(count, kKeys / 10 * 3 / 2) << name;
        EXPECT_GE(count, kKeys / 10 / 2) << name;
    }
}

TEST(ConsistentHash, WeightedSpreadFollowsWeights) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(4, {1, 2, 3, 4});
    auto counts = tally(placement(balancer, upstreams));
    for (std::size_t i = 0; i < upstreams.size(); ++i) {
        double share = kKeys * static_cast<double>(upstreams[i]->weight()) / 10.0;
        int count = counts[upstreams[i]->name()];
        EXPECT_LE(count, share * 1.5) << upstreams[i]->name();
        EXPECT_GE(count, share * 0.5) << upstreams[i]->name();
    }
}

TEST(ConsistentHash, RemovingOneOfTenMovesOnlyItsKeys) {
    auto upstreams = makeUpstreams(10);
    ConsistentHashBalancer before_balancer;
    auto before = placement(before_balancer, upstreams);

    const std::string removed = upstreams[3]->name();
    UpstreamList fewer = upstreams;
    fewer.erase(fewer.begin() + 3);
    ConsistentHashBalancer after_balancer;
    auto after = placement(after_balancer, fewer);

    int moved = 0;
    for (int i = 0; i < kKeys; ++i) {
        if (before[i] == after[i])
            continue;
        ++moved;
        EXPECT_EQ(before[i], removed) << key(i) << " moved from " << before[i];
    }
    EXPECT_EQ(moved, tally(before)[removed]);
    EXPECT_NEAR(moved, kKeys / 10, kKeys / 30);  // 1/10 +- 1/30
    // The removed upstream's keys spread over the others instead of one neighbour.
    std::set<std::string> heirs;
    for (int i = 0; i < kKeys; ++i)
        if (before[i] == removed)
            heirs.insert(after[i]);
    EXPECT_GE(heirs.size(), 8u);
}

TEST(ConsistentHash, AddingOneMovesKeysOnlyToIt) {
    auto upstreams = makeUpstreams(11);
    UpstreamList ten(upstreams.begin(), upstreams.begin() + 10);
    ConsistentHashBalancer before_balancer, after_balancer;
    auto before = placement(before_balancer, ten);
    auto after = placement(after_balancer, upstreams);
    int moved = 0;
    for (int i = 0; i < kKeys; ++i) {
        if (before[i] == after[i])
            continue;
        ++moved;
        EXPECT_EQ(after[i], upstreams[10]->name());
    }
    EXPECT_NEAR(moved, kKeys / 11, kKeys / 30);
}

TEST(ConsistentHash, DownUpstreamsKeysGoElsewhereAndComeBack) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(10);
    auto before = placement(balancer, upstreams);
    upstreams[5]->health_check_down = true;
    auto during = placement(balancer, upstreams);
    for (int i = 0; i < kKeys; ++i) {
        EXPECT_NE(during[i], upstreams[5]->name());
        if (before[i] != upstreams[5]->name()) {
            EXPECT_EQ(during[i], before[i]) << key(i);
        }
    }
    upstreams[5]->health_check_down = false;
    EXPECT_EQ(placement(balancer, upstreams), before);

    upstreams[2]->draining = true;
    for (const auto& name : placement(balancer, upstreams))
        EXPECT_NE(name, upstreams[2]->name());
}

TEST(ConsistentHash, RetrySkipsTriedUpstreamAndAllDownGivesNull) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(3);
    auto first = pickFor(balancer, upstreams, "bob");
    std::vector<const Upstream*> tried = {first.get()};
    PickContext context;
    context.tried = &tried;
    auto second = pickFor(balancer, upstreams, "bob", context);
    ASSERT_NE(second, nullptr);
    EXPECT_NE(second, first);
    tried.push_back(second.get());
    auto third = pickFor(balancer, upstreams, "bob", context);
    ASSERT_NE(third, nullptr);
    EXPECT_NE(third, first);
    EXPECT_NE(third, second);
    tried.push_back(third.get());
    EXPECT_EQ(pickFor(balancer, upstreams, "bob", context), nullptr);
    EXPECT_EQ(pickFor(balancer, {}, "bob"), nullptr);
}

TEST(ConsistentHash, FallsBackToClientIp) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(10);
    PickContext by_ip;
    by_ip.client_ip = "192.0.2.7";
    EXPECT_EQ(balancer.pick(upstreams, by_ip), pickFor(balancer, upstreams, "192.0.2.7"));
}

TEST(ConsistentHash, LargeWeightsAreScaledToABoundedRing) {
    ConsistentHashBalancer balancer;
    auto upstreams = makeUpstreams(10, {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1});
    auto counts = tally(placement(balancer, upstreams));
    EXPECT_LE(balancer.ringSize(),
              static_cast<std::size_t>(ConsistentHashBalancer::kMaxRingPoints) + 10);
    // The weight-1 upstream still owns points, but few keys.
    EXPECT_LT(counts[upstreams[9]->name()], 60);
    for (int i = 0; i < 9; ++i)
        EXPECT_NEAR(counts[upstreams[i]->name()], kKeys / 9, kKeys / 9 / 2);
}
