// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "balancer_fixtures.h"

#include <algorithm>

#include "switchboard/balance/least_conn.h"

using namespace switchboard;
using namespace switchboard::testing;

namespace {

void setInFlight(const UpstreamList& upstreams, std::vector<int> counts) {
    for (std::size_t i = 0; i < counts.size(); ++i)
        upstreams[i]->in_flight = counts[i];
}

}  // namespace

TEST(LeastConn, PicksTheUpstreamWithFewestInFlight) {
    LeastConnBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    setInFlight(upstreams, {2, 0, 1});
    EXPECT_EQ(sequence(balancer, upstreams, 3), "bbb");
    setInFlight(upstreams, {1, 3, 2});
    EXPECT_EQ(sequence(balancer, upstreams, 3), "aaa");
}

TEST(LeastConn, TiesAreBrokenRoundRobin) {
    LeastConnBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    EXPECT_EQ(sequence(balancer, upstreams, 6), "abcabc");
    setInFlight(upstreams, {1, 0, 0});
    EXPECT_EQ(sequence(balancer, upstreams, 4), "bcbc");
}

TEST(LeastConn, InFlightIsComparedRelativeToWeight) {
    LeastConnBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 3}, {"b", 1}});
    // 2/3 < 1/1: a is less loaded although it has more requests in flight.
    setInFlight(upstreams, {2, 1});
    EXPECT_EQ(sequence(balancer, upstreams, 2), "aa");
    // 4/3 > 1/1.
    setInFlight(upstreams, {4, 1});
    EXPECT_EQ(sequence(balancer, upstreams, 2), "bb");
    // 3/3 == 1/1: a tie, broken by smooth weighted round robin (3:1).
    setInFlight(upstreams, {3, 1});
    auto picks = sequence(balancer, upstreams, 8);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'a'), 6) << picks;
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'b'), 2) << picks;
}

TEST(LeastConn, IdleUpstreamsSplitByWeight) {
    LeastConnBalancer balancer;
    auto picks = sequence(balancer, makeUpstreams({{"a", 3}, {"b", 1}}), 40);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'a'), 30);
    EXPECT_EQ(std::count(picks.begin(), picks.end(), 'b'), 10);
}

TEST(LeastConn, LongRequestsPileUpByWeight) {
    // Requests that never finish: each pick adds one in flight. The balancer keeps
    // in_flight proportional to weight.
    LeastConnBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 3}, {"b", 1}, {"c", 2}});
    for (int i = 0; i < 60; ++i)
        ++balancer.pick(upstreams, {})->in_flight;
    EXPECT_EQ(upstreams[0]->in_flight, 30);
    EXPECT_EQ(upstreams[1]->in_flight, 10);
    EXPECT_EQ(upstreams[2]->in_flight, 20);
}

TEST(LeastConn, SkipsDrainingDownAndTriedUpstreams) {
    LeastConnBalancer balancer;
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    setInFlight(upstreams, {0, 5, 9});
    upstreams[0]->draining = true;
    EXPECT_EQ(sequence(balancer, upstreams, 2), "bb");
    upstreams[0]->draining = false;
    upstreams[0]->health_check_down = true;
    EXPECT_EQ(sequence(balancer, upstreams, 2), "bb");
    upstreams[0]->health_check_down = false;
    auto now = Clock::now();
    upstreams[0]->recordFailure(now, 1, std::chrono::milliseconds(10000));
    PickContext context;
    context.now = now;
    EXPECT_EQ(sequence(balancer, upstreams, 2, context), "bb");
    std::vector<const Upstream*> tried = {upstreams[1].get()};
    context.tried = &tried;
    EXPECT_EQ(sequence(balancer, upstreams, 2, context), "cc");
    tried.push_back(upstreams[2].get());
    EXPECT_EQ(sequence(balancer, upstreams, 1, context), "-");
}
