// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "switchboard/admin/service_change.h"

using namespace switchboard;

namespace {
ServiceConfig apiA(std::vector<UpstreamConfig> upstreams) {
    ServiceConfig service = makeDefaultService("apiA");
    service.upstreams = std::move(upstreams);
    return service;
}
}  // namespace

TEST(DescribeServiceChange, NamesServiceWhatChangedAndUpstreamCount) {
    auto before = apiA({{"127.0.0.1:1", 1}});
    auto added = apiA({{"127.0.0.1:1", 1}, {"127.0.0.1:2", 1}});
    EXPECT_EQ(describeServiceChange(&before, &added),
              "service apiA: added 127.0.0.1:2 (2 upstreams)");
    EXPECT_EQ(describeServiceChange(&added, &before),
              "service apiA: removed 127.0.0.1:2 (1 upstream)");
    auto heavier = apiA({{"127.0.0.1:1", 3}});
    EXPECT_EQ(describeServiceChange(&before, &heavier),
              "service apiA: weight of 127.0.0.1:1 1 -> 3 (1 upstream)");
    auto moved = before;
    moved.route = "/v2";
    moved.strategy = "least_conn";
    EXPECT_EQ(describeServiceChange(&before, &moved),
              "service apiA: route '/apiA' -> '/v2', strategy 'round_robin' -> 'least_conn' (1 "
              "upstream)");
    EXPECT_EQ(describeServiceChange(nullptr, &heavier),
              "service apiA: created (route '/apiA'), added 127.0.0.1:1 weight 3 (1 upstream)");
    EXPECT_EQ(describeServiceChange(&added, nullptr), "service apiA: deleted (had 2 upstreams)");
    // As asked, for the log line of a refusal.
    EXPECT_EQ(describeServiceChange(&added, nullptr, Tense::Asked),
              "service apiA: delete (had 2 upstreams)");
    EXPECT_EQ(describeServiceChange(nullptr, &added, Tense::Asked).substr(0, 26),
              "service apiA: create (rout");
    auto reordered = apiA({{"127.0.0.1:2", 1}, {"127.0.0.1:1", 1}});
    EXPECT_EQ(describeServiceChange(&added, &reordered),
              "service apiA: upstreams reordered (2 upstreams)");
}

TEST(ServiceChange, AdminStateChangeIsNamed) {
    ServiceConfig before = makeDefaultService("apiA");
    before.upstreams = {{"127.0.0.1:1", 1}, {"127.0.0.1:2", 1}};
    ServiceConfig after = before;
    after.upstreams[0].admin_state = AdminState::Drain;
    after.upstreams[1].weight = 3;
    after.upstreams.push_back({"127.0.0.1:3", 1, AdminState::Maint});
    EXPECT_EQ(describeServiceChange(&before, &after),
              "service apiA: admin_state of 127.0.0.1:1 active -> drain, weight of 127.0.0.1:2 1 "
              "-> 3, added 127.0.0.1:3 maint (3 upstreams)");
}
