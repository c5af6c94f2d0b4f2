// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <utility>

#include "balancer_fixtures.h"
#include "switchboard/balance/balancer.h"
#include "switchboard/http/http_parser.h"

namespace switchboard {
namespace {

using testing::makeUpstreams;

TEST(InFlightGuard, CountsFromConstructionUntilRelease) {
    auto upstreams = makeUpstreams({{"a", 1}});
    Upstream& a = *upstreams[0];
    {
        InFlightGuard guard(upstreams[0]);
        EXPECT_EQ(a.in_flight, 1);
        guard.release();
        EXPECT_EQ(a.in_flight, 0);
        guard.release();  // once only
        EXPECT_EQ(a.in_flight, 0);
    }
    EXPECT_EQ(a.in_flight, 0);
}

TEST(InFlightGuard, DestructionGivesTheCountBack) {
    auto upstreams = makeUpstreams({{"a", 1}});
    {
        InFlightGuard guard(upstreams[0]);
        EXPECT_EQ(upstreams[0]->in_flight, 1);
    }
    EXPECT_EQ(upstreams[0]->in_flight, 0);
}

TEST(InFlightGuard, MovingAndReassigningKeepOneCountPerGuard) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}});
    InFlightGuard first(upstreams[0]);
    InFlightGuard moved(std::move(first));
    EXPECT_EQ(upstreams[0]->in_flight, 1);
    moved = InFlightGuard(upstreams[1]);  // a retry on another upstream
    EXPECT_EQ(upstreams[0]->in_flight, 0);
    EXPECT_EQ(upstreams[1]->in_flight, 1);
    moved.release();
    EXPECT_EQ(upstreams[1]->in_flight, 0);
}

TEST(InFlightGuard, KeepsARemovedUpstreamAlive) {
    auto upstreams = makeUpstreams({{"a", 1}});
    std::weak_ptr<Upstream> watch = upstreams[0];
    InFlightGuard guard(upstreams[0]);
    upstreams.clear();
    ASSERT_FALSE(watch.expired());
    EXPECT_EQ(watch.lock()->in_flight, 1);
    guard.release();
    EXPECT_TRUE(watch.expired());
}

TEST(RequestHashValue, IsTheNamedHeaderOrEmpty) {
    RequestHead head;
    head.headers = {{"Host", "example.com"}, {"X-User", "alice"}};
    EXPECT_EQ(requestHashValue("header:x-user", head), "alice");
    EXPECT_EQ(requestHashValue("header:X-Missing", head), "");
    EXPECT_EQ(requestHashValue("client_ip", head), "");
}

}  // namespace
}  // namespace switchboard
