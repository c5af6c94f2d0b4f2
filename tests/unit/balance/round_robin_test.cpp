// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "balancer_fixtures.h"

#include <algorithm>

#include "switchboard/balance/round_robin.h"

using namespace switchboard;
using namespace switchboard::testing;

namespace {}  // namespace

TEST(RoundRobin, EqualWeightsGiveAnExactTurn) {
    RoundRobinBalancer balancer;
    EXPECT_EQ(sequence(balancer, makeUpstreams({{"a", 1}, {"b", 1}}), 6), "ababab");
    RoundRobinBalancer three;
    EXPECT_EQ(sequence(three, makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}}), 9), "abcabcabc");
}

TEST(RoundRobin, SmoothWeightedSequenceAsNginx) {
    RoundRobinBalancer balancer;
    EXPECT_EQ(sequence(balancer, makeUpstreams({{"a", 5}, {"b", 1}, {"c", 1}}), 14),
              "aabacaaaabacaa");
}

TEST(RoundRobin, WeightsThreeToOneSplitExactly) {
    RoundRobinBalancer balancer;
    auto picks = sequence(balancer, makeUpstreams({{"a", 3}, {"b", 1}}), 40);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'a'), 30);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'b'), 10);
}

TEST(RoundRobin, SkipsDrainingDownAndTriedUpstreams) {
    RoundRobinBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    upstreams[1]->draining = true;
    EXPECT_EQ(sequence(balancer, upstreams, 4), "acac");

    upstreams[1]->draining = false;
    auto now = Clock::now();
    upstreams[2]->recordFailure(now, 1, std::chrono::milliseconds(10000));
    PickContext context;
    context.now = now;
    EXPECT_EQ(sequence(balancer, upstreams, 4, context), "abab");

    std::vector<const Upstream*> tried = {upstreams[0].get()};
    context.tried = &tried;
    EXPECT_EQ(sequence(balancer, upstreams, 2, context), "bb");
}

TEST(RoundRobin, NothingUsableGivesNull) {
    RoundRobinBalancer balancer;
    EXPECT_EQ(sequence(balancer, {}, 1), "-");
    auto upstreams = makeUpstreams({{"a", 1}});
    upstreams[0]->draining = true;
    EXPECT_EQ(sequence(balancer, upstreams, 1), "-");
}

TEST(RoundRobin, AddingAnUpstreamDoesNotRestartTheTurn) {
    RoundRobinBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}});
    EXPECT_EQ(sequence(balancer, upstreams, 3), "aba");
    upstreams.push_back(std::make_shared<Upstream>(UpstreamConfig{"c", 1}, HostPort{}));
    // Next is b (a just had its turn), and c joins without a burst.
    auto picks = sequence(balancer, upstreams, 6);
    EXPECT_EQ(picks[0], 'b');
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'a'), 2);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'b'), 2);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'c'), 2);
}

TEST(PassiveHealth, FailedUpstreamComesBackHalfOpenAfterTimeout) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    auto now = Clock::now();
    upstream.recordFailure(now, 2, std::chrono::milliseconds(1000));
    EXPECT_TRUE(upstream.isUsable(now));  // one failure of max_fails = 2
    upstream.recordFailure(now, 2, std::chrono::milliseconds(1000));
    EXPECT_FALSE(upstream.isUsable(now));
    auto later = now + std::chrono::milliseconds(1001);
    EXPECT_TRUE(upstream.isUsable(later));
    upstream.noteAttempt(later);
    EXPECT_FALSE(upstream.isUsable(later));  // only one trial at a time
    upstream.recordSuccess();
    EXPECT_TRUE(upstream.isUsable(later));
}
