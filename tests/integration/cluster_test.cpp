// SPDX-License-Identifier: Apache-2.0
// Several instances, one set of services, on a real etcd (SPEC §12).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "harness/cluster_instance.h"
#include "harness/etcd_process.h"
#include "harness/json_doc.h"
#include "harness/tcp_relay.h"
#include "harness/upstream_server.h"

namespace {

using namespace harness;
using SteadyClock = std::chrono::steady_clock;

int msSince(SteadyClock::time_point from) {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - from).count());
}

std::string serviceToml(const std::string& name, const std::vector<std::string>& upstreams) {
    std::string list;
    for (const auto& upstream : upstreams)
        list += (list.empty() ? "\"" : ", \"") + upstream + "\"";
    return "\n[services." + name + "]\nupstreams = [" + list + "]\n";
}

std::string upstreamBody(const std::string& address) {
    return R"({"address": ")" + address + "\"}";
}

bool listsUpstream(const SwitchboardProcess& instance, const std::string& service,
                   const std::string& address) {
    auto answer = instance.admin("GET", "/services/" + service);
    return answer.status == 200 && answer.body.find("\"" + address + "\"") != std::string::npos;
}

class Cluster : public ::testing::Test {
  protected:
    ClusterInstance& add(ClusterOptions options) {
        instances_.push_back(std::make_unique<ClusterInstance>(std::move(options)));
        return *instances_.back();
    }
    ClusterInstance& started(ClusterOptions options) {
        auto& instance = add(std::move(options));
        EXPECT_TRUE(instance.start());
        return instance;
    }
    ClusterOptions on(const std::vector<std::string>& endpoints, std::string services = "") {
        ClusterOptions options;
        options.endpoints = endpoints;
        options.prefix = prefix_;
        options.services = std::move(services);
        return options;
    }
    // The services of every instance given are the same (and not empty), within `ms`.
    static bool converge(const std::vector<ClusterInstance*>& instances, int ms = 5000) {
        return eventually(
            [&] {
                std::string first = instances.front()->services();
                return !first.empty() &&
                       std::all_of(instances.begin(), instances.end(),
                                   [&](auto* instance) { return instance->services() == first; });
            },
            ms);
    }

    std::string prefix_ = "/switchboard-test/";
    std::vector<std::unique_ptr<ClusterInstance>> instances_;
};

TEST_F(Cluster, AChangeOnOneIsServedByAllWithinASecond) {
    EtcdProcess etcd;
    UpstreamServer one("one"), two("two");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {one.address()})));
    auto& b = started(on(etcd.endpoints()));
    auto& c = started(on(etcd.endpoints()));
    ASSERT_TRUE(a.running() && b.running() && c.running());
    ASSERT_TRUE(converge({&a, &b, &c}));
    EXPECT_EQ(b->proxy("GET", "/apiA/x").body, "one");

    // A dry run changes nothing anywhere.
    auto dry = a->admin("POST", "/services/apiA/upstreams?dry_run=1", upstreamBody(two.address()));
    EXPECT_EQ(dry.status, 201) << dry.body;
    EXPECT_NE(JsonDoc(dry.body)["diff"].str().find("+upstreams = [\"" + one.address() + "\", \"" +
                                                   two.address() + "\"]"),
              std::string::npos)
        << dry.body;
    EXPECT_EQ(etcd.get(prefix_ + "services/apiA").find(two.address()), std::string::npos);

    auto added = a->admin("POST", "/services/apiA/upstreams", upstreamBody(two.address()));
    ASSERT_EQ(added.status, 201) << added.body;
    EXPECT_NE(etcd.get(prefix_ + "services/apiA").find(two.address()), std::string::npos);
    ASSERT_TRUE(eventually([&] { return listsUpstream(*b, "apiA", two.address()); }, 1000));
    std::set<std::string> bodies;
    for (int i = 0; i < 4; ++i)
        bodies.insert(b->proxy("GET", "/apiA/x").body);
    EXPECT_EQ(bodies, (std::set<std::string>{"one", "two"}));
    // B's journal has it, from the cluster, with the revision.
    JsonDoc journal(b->admin("GET", "/changes?limit=1").body);
    auto changes = journal["changes"];
    EXPECT_EQ(changes[0]["peer"].str(), "cluster");
    EXPECT_EQ(changes[0]["service"].str(), "apiA");
    EXPECT_EQ(changes[0]["revision"].str(), b.revision());

    // 100 changes on A, each timed until both B and C list it.
    std::vector<int> delays;
    for (int i = 0; i < 100; ++i) {
        const std::string address = "127.0.0.1:" + std::to_string(21000 + i);
        const auto asked = SteadyClock::now();
        auto change = a->admin("POST", "/services/apiA/upstreams", upstreamBody(address));
        ASSERT_EQ(change.status, 201) << change.body;
        bool seen = eventually(
            [&] {
                return listsUpstream(*b, "apiA", address) && listsUpstream(*c, "apiA", address);
            },
            2000);
        delays.push_back(msSince(asked));
        ASSERT_TRUE(seen) << address;
    }
    std::sort(delays.begin(), delays.end());
    std::cout
        << "[ measured ] from the change asked of A to B and C serving it, over 100 changes: p50 "
        << delays[49] << " ms, p99 " << delays[98] << " ms, max " << delays[99] << " ms\n";
    EXPECT_LT(delays[98], 1000);

    // A burst of 200 changes over the three at once: all three end the same.
    std::vector<ClusterInstance*> all{&a, &b, &c};
    for (int w = 0; w < 3; ++w)
        ASSERT_EQ((*all[w])
                      ->admin("PUT", "/services/burst" + std::to_string(w),
                              R"({"route": "/burst)" + std::to_string(w) + R"("})")
                      .status,
                  201);
    std::atomic<int> acknowledged{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
        writers.emplace_back([&, w] {
            const std::string service = "burst" + std::to_string(w);
            for (int i = 0; i < 67 - (w == 2); ++i) {
                auto answer = (*all[w])->admin(
                    "POST", "/services/" + service + "/upstreams",
                    upstreamBody("127.0.0.1:" + std::to_string(22000 + w * 100 + i)));
                acknowledged += answer.status / 100 == 2;
            }
        });
    }
    for (auto& writer : writers)
        writer.join();
    EXPECT_EQ(acknowledged, 200);
    EXPECT_TRUE(converge(all));
    for (auto* instance : all)
        for (int w = 0; w < 3; ++w)
            EXPECT_EQ(JsonDoc((*instance)
                                  ->admin("GET", "/services/burst" + std::to_string(w))
                                  .body)["upstreams"]
                          .size(),
                      67 - (w == 2));
    EXPECT_EQ(a.revision(), c.revision());
}

TEST_F(Cluster, TwoInstancesChangingOneServiceLoseNoAcknowledgedChange) {
    EtcdProcess etcd;
    UpstreamServer one("one");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {one.address()})));
    auto& b = started(on(etcd.endpoints()));
    ASSERT_TRUE(converge({&a, &b}));
    std::set<std::string> acknowledged, refused;
    int both_refused = 0;
    for (int round = 0; round < 50; ++round) {
        std::barrier together(2);
        HttpResponse answers[2];
        std::string addresses[2];
        std::thread racers[2];
        for (int side = 0; side < 2; ++side) {
            addresses[side] = "127.0.0.1:" + std::to_string(23000 + round * 2 + side);
            racers[side] = std::thread([&, side] {
                together.arrive_and_wait();
                answers[side] =
                    (side == 0 ? a : b)
                        ->admin("POST", "/services/apiA/upstreams", upstreamBody(addresses[side]));
            });
        }
        for (auto& racer : racers)
            racer.join();
        for (int side = 0; side < 2; ++side) {
            if (answers[side].status / 100 == 2) {
                acknowledged.insert(addresses[side]);
            } else {
                EXPECT_EQ(answers[side].status, 409) << answers[side].body;
                EXPECT_EQ(JsonDoc(answers[side].body)["error"].str(),
                          "service changed by another instance; retry");
                refused.insert(addresses[side]);
            }
        }
        both_refused += answers[0].status == 409 && answers[1].status == 409;
        ASSERT_TRUE(converge({&a, &b}));
    }
    std::cout << "[ measured ] 50 rounds of two changes at once: " << acknowledged.size()
              << " acknowledged, " << refused.size() << " refused with 409\n";
    EXPECT_EQ(both_refused, 0);
    EXPECT_GE(acknowledged.size(), 50u);
    const std::string stored = etcd.get(prefix_ + "services/apiA");
    for (auto* instance : {&a, &b}) {
        for (const auto& address : acknowledged)
            EXPECT_TRUE(listsUpstream(**instance, "apiA", address)) << address;
        for (const auto& address : refused)
            EXPECT_FALSE(listsUpstream(**instance, "apiA", address)) << address;
    }
    for (const auto& address : acknowledged)
        EXPECT_NE(stored.find(address), std::string::npos) << address;
}

// An endpoint that takes a change and never answers: the client sends it again to the next
// endpoint, where the compare fails on the change itself. That is the change done, not a 409.
TEST_F(Cluster, AChangeTakenByAnEndpointThatDidNotAnswerIsNotAConflict) {
    EtcdProcess etcd;
    TcpRelay relay(etcd.clientPort());
    UpstreamServer up("up");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {up.address()})));
    auto options = on({relay.url(), etcd.endpoint()});
    auto& b = started(options);
    ASSERT_TRUE(converge({&a, &b}));

    relay.swallowAnswers(true);
    auto added = b->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:5"));
    EXPECT_EQ(added.status, 201) << added.body;
    EXPECT_NE(etcd.get(prefix_ + "services/apiA").find("127.0.0.1:5"), std::string::npos);
    EXPECT_TRUE(eventually([&] { return listsUpstream(*a, "apiA", "127.0.0.1:5"); }));
    EXPECT_TRUE(listsUpstream(*b, "apiA", "127.0.0.1:5"));
    // And the next change from B goes on from there.
    EXPECT_EQ(b->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:6")).status,
              201);
    EXPECT_TRUE(converge({&a, &b}));
}

// A watch's endpoint that hangs keeps the watch open and silent: the instance finds out by a
// read that endpoint does not answer, and watches at the next one.
TEST_F(Cluster, AWatchOnAnEndpointThatStoppedAnsweringMovesOn) {
    EtcdProcess etcd;
    TcpRelay relay(etcd.clientPort());
    UpstreamServer up("up");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {up.address()})));
    auto& b = started(on({relay.url(), etcd.endpoint()}));
    ASSERT_TRUE(converge({&a, &b}));

    relay.swallowAnswers(true);
    ASSERT_EQ(a->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:7")).status,
              201);
    const auto changed = SteadyClock::now();
    EXPECT_TRUE(eventually([&] { return listsUpstream(*b, "apiA", "127.0.0.1:7"); }, 8000))
        << b->log();
    std::cout << "[ measured ] a hung watch endpoint: the change served after " << msSince(changed)
              << " ms\n";
    EXPECT_EQ(b->logCount("did not answer a read; watching at " + etcd.endpoint()), 1) << b->log();
    EXPECT_TRUE(b.connected());
}

TEST_F(Cluster, ThreeStartingAtOnceSeedEtcdFromExactlyOneFile) {
    EtcdProcess etcd;
    UpstreamServer up("up");
    std::vector<ClusterInstance*> three;
    for (int i = 0; i < 3; ++i)
        three.push_back(
            &add(on(etcd.endpoints(), serviceToml("seed" + std::to_string(i), {up.address()}))));
    std::vector<std::thread> starting;
    for (auto* instance : three)
        starting.emplace_back([instance] { EXPECT_TRUE(instance->start()); });
    for (auto& thread : starting)
        thread.join();
    auto keys = etcd.etcdctl({"get", "--prefix", "--keys-only", prefix_ + "services/"});
    ASSERT_EQ(keys.status, 0) << keys.err;
    int seeded = 0;
    std::string winner;
    for (int i = 0; i < 3; ++i) {
        if (keys.out.find("services/seed" + std::to_string(i)) != std::string::npos) {
            ++seeded;
            winner = "seed" + std::to_string(i);
        }
    }
    ASSERT_EQ(seeded, 1) << keys.out;
    EXPECT_TRUE(converge(three));
    int warned = 0;
    for (auto* instance : three) {
        EXPECT_EQ((*instance)->admin("GET", "/services/" + winner).status, 200);
        warned += (*instance)->logCount("are ignored: etcd holds the services");
    }
    EXPECT_EQ(warned, 2);

    // A later start ignores its file, with one warning, and serves what etcd holds.
    auto& later = started(on(etcd.endpoints(), serviceToml("late", {up.address()})));
    EXPECT_EQ(later->logCount("are ignored: etcd holds the services"), 1);
    EXPECT_EQ(later->admin("GET", "/services/late").status, 404);
    EXPECT_EQ(later->admin("GET", "/services/" + winner).status, 200);
    EXPECT_EQ(etcd.get(prefix_ + "services/late"), "");
    // ... and on reload, once more.
    later->signal(SIGHUP);
    EXPECT_TRUE(later->waitForLog("SIGHUP: cluster: the services in"));
    EXPECT_EQ(later->admin("GET", "/services/late").status, 404);
    EXPECT_EQ(later->admin("GET", "/services/" + winner).status, 200);
}

// Services put in etcd by hand before any instance started are etcd's: no file seeds over them.
TEST_F(Cluster, ServicesPutByHandBeforeAnyInstanceAreNotSeededOver) {
    EtcdProcess etcd;
    UpstreamServer up("up"), other("other");
    etcd.put(prefix_ + "services/byhand",
             R"({"route": "/byhand", "upstreams": [")" + up.address() + R"("]})");
    auto& a = started(on(etcd.endpoints(), serviceToml("fromfile", {other.address()})));
    EXPECT_EQ(a->logCount("are ignored: etcd holds the services"), 1) << a->log();
    EXPECT_EQ(a->proxy("GET", "/byhand/x").body, "up");
    EXPECT_EQ(a->admin("GET", "/services/fromfile").status, 404);
    EXPECT_EQ(etcd.get(prefix_ + "services/fromfile"), "");
    EXPECT_EQ(etcd.get(prefix_ + "seeded"), "");
}

TEST_F(Cluster, EtcdGoneKeepsServingRefusesChangesAndCatchesUpWhenBack) {
    EtcdProcess etcd;
    UpstreamServer up("up");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {up.address()})));
    ASSERT_TRUE(a.connected());

    etcd.stop();
    EXPECT_TRUE(eventually([&] { return !a.connected(); }));
    EXPECT_EQ(a->proxy("GET", "/apiA/x").body, "up");
    auto refused = a->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:1"));
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(JsonDoc(refused.body)["error"].str(), "cluster store unavailable");
    EXPECT_FALSE(listsUpstream(*a, "apiA", "127.0.0.1:1"));
    JsonDoc cluster(a->admin("GET", "/cluster").body);
    EXPECT_EQ(cluster["mode"].str(), "etcd");
    EXPECT_FALSE(cluster["connected"].isTrue());
    EXPECT_NE(cluster["last_error"].str(), "<not a string>");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several retries

    etcd.start();
    // Changed by hand while this instance was away from it.
    etcd.put(prefix_ + "services/byhand",
             R"({"route": "/byhand", "upstreams": [")" + up.address() + "\"]}");
    const auto back = SteadyClock::now();
    EXPECT_TRUE(
        eventually([&] { return a->admin("GET", "/services/byhand").status == 200; }, 10000));
    std::cout << "[ measured ] etcd back: the change made meanwhile applied after " << msSince(back)
              << " ms\n";
    EXPECT_EQ(a->proxy("GET", "/byhand").body, "up");
    EXPECT_TRUE(a.connected());
    EXPECT_EQ(a->logCount("cluster: lost etcd"), 1) << a->log();
    EXPECT_EQ(a->logCount("cluster: reconnected to etcd"), 1) << a->log();
    EXPECT_EQ(a->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:2")).status,
              201);
}

TEST_F(Cluster, AThreeMemberEtcdLosingItsLeaderOnlyDelaysChanges) {
    EtcdProcess etcd(3);
    UpstreamServer up("up");
    auto endpoints = etcd.endpoints();
    auto& a = started(on(endpoints, serviceToml("apiA", {up.address()})));
    std::reverse(endpoints.begin(), endpoints.end());
    auto& b = started(on(endpoints));
    ASSERT_TRUE(converge({&a, &b}));
    // The leader crashes (SIGKILL: no handing over), and the others elect a new one.
    const int leader = etcd.leader();
    ASSERT_GE(leader, 0);
    etcd.stop(leader, SIGKILL);

    const auto stopped = SteadyClock::now();
    int status = 0, refused = 0;
    while (msSince(stopped) < 15000) {
        status = a->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:3")).status;
        if (status / 100 == 2)
            break;
        EXPECT_EQ(status, 503);
        ++refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(status / 100, 2);
    std::cout << "[ measured ] leader killed: the first change acknowledged after "
              << msSince(stopped) << " ms (" << refused << " refused with 503 before it)\n";
    // Proxying never stopped.
    EXPECT_EQ(a->proxy("GET", "/apiA/x").body, "up");
    EXPECT_TRUE(eventually([&] { return listsUpstream(*b, "apiA", "127.0.0.1:3"); }, 10000));
    EXPECT_EQ(a->proxy("GET", "/apiA/x").body, "up");
    EXPECT_EQ(b->proxy("GET", "/apiA/x").body, "up");
}

TEST_F(Cluster, CompactionWhileTheWatchIsBrokenReadsEverythingAgain) {
    EtcdProcess etcd;
    TcpRelay relay(std::stoi(etcd.endpoint().substr(etcd.endpoint().rfind(':') + 1)));
    UpstreamServer up("up");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {up.address()})));
    auto& b = started(on({relay.url()}));
    ASSERT_TRUE(converge({&a, &b}));

    relay.cut();
    EXPECT_TRUE(eventually([&] { return !b.connected(); }));
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(a->admin("POST", "/services/apiA/upstreams",
                           upstreamBody("127.0.0.1:" + std::to_string(24000 + i)))
                      .status,
                  201);
    ASSERT_EQ(a->admin("DELETE", "/services/apiA").status, 200);
    ASSERT_EQ(a->admin("POST", "/add_upstream/apiZ/" + up.address()).status / 100, 2);
    auto compacted = etcd.etcdctl({"compaction", std::to_string(etcd.revision())});
    ASSERT_EQ(compacted.status, 0) << compacted.err;
    relay.restore();

    EXPECT_TRUE(converge({&a, &b}, 15000)) << b->log();
    EXPECT_EQ(b->admin("GET", "/services/apiA").status, 404);
    EXPECT_EQ(b->proxy("GET", "/apiZ").body, "up");
    EXPECT_GE(b->logCount("reading the services again"), 1) << b->log();
    EXPECT_EQ(a.revision(), b.revision());
}

TEST_F(Cluster, AStartWithoutEtcdServesTheCacheOrNothing) {
    EtcdProcess etcd;
    UpstreamServer one("one"), two("two");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {one.address()})));
    ASSERT_EQ(a->admin("POST", "/services/apiA/upstreams", upstreamBody(two.address())).status,
              201);
    EXPECT_NE(readFile(a.cachePath()).find(two.address()), std::string::npos);
    a.stop();
    etcd.stop();

    ASSERT_TRUE(a.start());
    EXPECT_EQ(a->logCount("cluster: serving the 1 services of the cache"), 1) << a->log();
    std::set<std::string> bodies;
    for (int i = 0; i < 4; ++i)
        bodies.insert(a->proxy("GET", "/apiA/x").body);
    EXPECT_EQ(bodies, (std::set<std::string>{"one", "two"}));
    EXPECT_FALSE(a.connected());

    auto no_cache = on(etcd.endpoints(), serviceToml("other", {one.address()}));
    no_cache.cache = false;
    auto& b = started(no_cache);
    EXPECT_EQ(b->logCount("starting with no services until etcd answers"), 1) << b->log();
    EXPECT_EQ(JsonDoc(b->admin("GET", "/services").body)["services"].size(), 0);

    etcd.start();
    EXPECT_TRUE(eventually([&] { return b->admin("GET", "/services/apiA").status == 200; }, 10000));
    EXPECT_EQ(b->admin("GET", "/services/other").status, 404);  // etcd was seeded already
    EXPECT_TRUE(converge({&a, &b}));
}

TEST_F(Cluster, CheckReadsClusterWithoutContactingEtcd) {
    TempDir dir;
    const std::string path = dir.file("switchboard.toml");
    writeFile(path, "[cluster]\netcd = [\"http://192.0.2.1:2379\"]\nprefix = \"/p/\"\n");
    const auto began = SteadyClock::now();
    auto good = runSwitchboard({"--check", "-c", path});
    EXPECT_EQ(good.status, 0) << good.err;
    EXPECT_LT(msSince(began), 2000);

    writeFile(path, "[cluster]\netcd = [\"https://127.0.0.1:2379\"]\nprefix = \"p\"\n"
                    "timeout_ms = 0\nfoo = 1\n");
    auto bad = runSwitchboard({"--check", "-c", path});
    EXPECT_EQ(bad.status, 1);
    EXPECT_NE(bad.err.find(path + ":2:9: cluster.etcd: 'https://127.0.0.1:2379' must be "
                                  "http://host:port"),
              std::string::npos)
        << bad.err;
    EXPECT_NE(bad.err.find(path + ":3:10: cluster.prefix must start and end with '/'"),
              std::string::npos)
        << bad.err;
    EXPECT_NE(bad.err.find(path + ":4:14: cluster.timeout_ms must be from 10 to 600000, not 0"),
              std::string::npos)
        << bad.err;
    EXPECT_NE(bad.err.find(path + ":5:1: unknown key 'cluster.foo'"), std::string::npos) << bad.err;
}

TEST_F(Cluster, StandaloneSaysSoAndClusterModeHasMetrics) {
    TempDir dir;
    int proxy_port = freePort(), admin_port = freePort();
    writeFile(dir.file("switchboard.toml"), configHead(proxy_port, admin_port));
    {
        SwitchboardProcess standalone(dir.file("switchboard.toml"), proxy_port, admin_port);
        ASSERT_TRUE(standalone.started());
        EXPECT_EQ(standalone.admin("GET", "/cluster").body, R"({"mode":"standalone"})");
        EXPECT_EQ(standalone.admin("GET", "/metrics").body.find("switchboard_cluster_"),
                  std::string::npos);
    }
    EtcdProcess etcd;
    UpstreamServer up("up");
    auto& a = started(on(etcd.endpoints(), serviceToml("apiA", {up.address()})));
    auto& b = started(on(etcd.endpoints()));
    ASSERT_EQ(a->admin("POST", "/services/apiA/upstreams", upstreamBody("127.0.0.1:5")).status,
              201);
    ASSERT_TRUE(converge({&a, &b}));
    std::string metrics = b->admin("GET", "/metrics").body;
    EXPECT_NE(metrics.find("\nswitchboard_cluster_connected 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("\nswitchboard_cluster_revision " + b.revision() + "\n"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("\nswitchboard_cluster_changes_applied_total 1\n"), std::string::npos)
        << metrics;
    JsonDoc cluster(b->admin("GET", "/cluster").body);
    EXPECT_EQ(cluster["endpoints"][0].str(), etcd.endpoint());
    EXPECT_EQ(cluster["prefix"].str(), prefix_);
    EXPECT_TRUE(cluster["connected"].isTrue());
    EXPECT_TRUE(cluster["last_error"].isNull());
}

}  // namespace
