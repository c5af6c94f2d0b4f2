// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <regex>

#include "switchboard/admin/change_journal.h"

using namespace switchboard;

TEST(IsoTimeUtc, MillisecondsAndZ) {
    using namespace std::chrono;
    system_clock::time_point time{milliseconds(1700000000123)};
    EXPECT_EQ(isoTimeUtc(time), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(isoTimeUtc(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

TEST(ChangeJournal, NewestFirstAndBounded) {
    ChangeJournal journal(3);
    for (int i = 1; i <= 5; ++i) {
        ChangeRecord record;
        record.call = "call " + std::to_string(i);
        journal.record(record);
    }
    EXPECT_EQ(journal.size(), 3u);
    auto newest = journal.newestFirst();
    ASSERT_EQ(newest.size(), 3u);
    EXPECT_EQ(newest[0].call, "call 5");
    EXPECT_EQ(newest[2].call, "call 3");
    EXPECT_EQ(journal.newestFirst(1).size(), 1u);
    EXPECT_TRUE(
        std::regex_match(newest[0].time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << newest[0].time;
}

TEST(ChangeJournal, DefaultKeepsAThousand) {
    ChangeJournal journal;
    for (int i = 0; i < 1100; ++i)
        journal.record(ChangeRecord{});
    EXPECT_EQ(journal.size(), 1000u);
}

TEST(ChangeRecord, JsonEmbedsBeforeAndAfterAsValues) {
    ChangeRecord record;
    record.time = "2023-11-14T22:13:20.123Z";
    record.peer = "127.0.0.1";
    record.call = "POST /services/apiA/upstreams";
    record.service = "apiA";
    record.before = R"({"upstreams":[]})";
    record.after = R"({"upstreams":[{"address":"127.0.0.1:1","weight":1}]})";
    record.status = 201;
    record.message = "service apiA: added 127.0.0.1:1 (1 upstream)";
    EXPECT_EQ(
        record.toJson(),
        R"({"time":"2023-11-14T22:13:20.123Z","peer":"127.0.0.1",)"
        R"("call":"POST /services/apiA/upstreams","service":"apiA",)"
        R"("before":{"upstreams":[]},"after":{"upstreams":[{"address":"127.0.0.1:1","weight":1}]},)"
        R"j("status":201,"message":"service apiA: added 127.0.0.1:1 (1 upstream)"})j");
    ChangeRecord reload;
    reload.call = "SIGHUP";
    EXPECT_NE(reload.toJson().find(R"("service":null,"before":null,"after":null)"),
              std::string::npos)
        << reload.toJson();
}
