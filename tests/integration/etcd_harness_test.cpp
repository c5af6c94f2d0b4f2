// SPDX-License-Identifier: Apache-2.0
// The harness's real etcd (SPEC §12) does what the cluster tests will rely on: it answers,
// keeps its data over a restart, and a cluster of three elects a leader and outlives it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness/etcd_process.h"
#include "harness/http_client.h"

using harness::EtcdProcess;

TEST(EtcdHarness, PutAndGetThroughEtcdctl) {
    EtcdProcess etcd;
    ASSERT_TRUE(etcd.started());
    ASSERT_EQ(etcd.endpoints().size(), 1u);
    EXPECT_EQ(etcd.endpoint(), etcd.endpoints()[0]);
    EXPECT_EQ(etcd.endpoint(), "http://127.0.0.1:" + std::to_string(etcd.clientPort()));
    EXPECT_EQ(etcd.revision(), 1);  // the empty store

    etcd.put("/switchboard/services/apiA", R"({"route":"/apiA"})");
    EXPECT_EQ(etcd.get("/switchboard/services/apiA"), R"({"route":"/apiA"})");
    EXPECT_EQ(etcd.get("/switchboard/absent"), "");
    etcd.put("/switchboard/dash", "-starts with a dash\nand has two lines");
    EXPECT_EQ(etcd.get("/switchboard/dash"), "-starts with a dash\nand has two lines");
    EXPECT_EQ(etcd.revision(), 3);
    EXPECT_EQ(etcd.leader(), 0);

    // The JSON gateway the cluster code speaks is there too.
    auto health = harness::httpRequest(etcd.clientPort(), "GET", "/health");
    EXPECT_EQ(health.status, 200) << health.body;

    auto ctl = etcd.etcdctl({"del", "/switchboard/dash"});
    EXPECT_EQ(ctl.status, 0) << ctl.err;
    EXPECT_EQ(ctl.out, "1\n");
}

TEST(EtcdHarness, StopAndStartKeepTheData) {
    EtcdProcess etcd;
    ASSERT_TRUE(etcd.started());
    etcd.put("/switchboard/kept", "yes");
    std::int64_t revision = etcd.revision();

    etcd.stop();
    EXPECT_FALSE(etcd.running());
    auto refused = etcd.etcdctl({"get", "--dial-timeout=300ms", "--command-timeout=1s", "/x"});
    EXPECT_NE(refused.status, 0);

    etcd.start();
    ASSERT_TRUE(etcd.running());
    EXPECT_EQ(etcd.get("/switchboard/kept"), "yes");
    EXPECT_EQ(etcd.revision(), revision);
}

TEST(EtcdHarness, ClusterOfThreeOutlivesItsLeader) {
    EtcdProcess etcd(3);
    ASSERT_TRUE(etcd.started());
    ASSERT_EQ(etcd.endpoints().size(), 3u);
    int leader = etcd.leader();
    ASSERT_GE(leader, 0) << etcd.logs();
    etcd.put("/switchboard/before", "1");

    etcd.stop(leader);
    EXPECT_FALSE(etcd.running(leader));
    // The two left elect one of themselves (an election timeout is 1 s by default).
    int next = -1;
    for (int i = 0; i < 100 && next < 0; ++i) {
        next = etcd.leader();
        if (next < 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_GE(next, 0) << etcd.logs();
    EXPECT_NE(next, leader);
    etcd.put("/switchboard/after", "2");
    EXPECT_EQ(etcd.get("/switchboard/before"), "1");

    // The old leader comes back as a follower and catches up.
    etcd.start(leader);
    ASSERT_TRUE(etcd.running(leader));
    // A serializable read answers from its own store, not the leader's (the last --endpoints
    // wins over the harness's own).
    auto readOwnCopy = [&] {
        return etcd.etcdctl({"--endpoints=" + etcd.endpoint(leader), "get", "--print-value-only",
                             "--consistency=s", "/switchboard/after"});
    };
    EXPECT_TRUE(harness::eventually([&] { return readOwnCopy().out == "2\n"; }, 5000))
        << readOwnCopy().err;
}
