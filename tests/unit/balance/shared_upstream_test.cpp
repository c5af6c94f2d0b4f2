// SPDX-License-Identifier: Apache-2.0
// One Upstream shared by several proxy workers (SPEC §9): counts stay exact when threads add
// at once, health set on one thread is seen by all, and each worker's round robin keeps its
// own turn. `make tsan` runs these under ThreadSanitizer.
#include <gtest/gtest.h>

#include "balancer_fixtures.h"

#include <atomic>
#include <thread>
#include <vector>

#include "switchboard/balance/round_robin.h"

using namespace switchboard;
using namespace switchboard::testing;

namespace {

template <typename Work> void onThreads(int threads, Work work) {
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t)
        running.emplace_back([&work, t] { work(static_cast<std::size_t>(t)); });
    for (auto& thread : running)
        thread.join();
}

}  // namespace

TEST(SharedUpstream, InFlightAndCountersAreExactOverThreads) {
    auto upstream = std::make_shared<Upstream>(UpstreamConfig{"a", 1}, HostPort{}, 4);
    onThreads(4, [&](std::size_t) {
        for (int i = 0; i < 10000; ++i) {
            InFlightGuard guard(upstream);
            upstream->requests.fetch_add(1, std::memory_order_relaxed);
            upstream->stats.responses[2].add();
        }
    });
    EXPECT_EQ(upstream->in_flight.load(), 0);
    EXPECT_EQ(upstream->requests.load(), 40000u);
    EXPECT_EQ(upstream->stats.responses[2].load(), 40000u);
}

TEST(SharedUpstream, PassiveHealthFromOneThreadIsSeenByAll) {
    auto upstream = std::make_shared<Upstream>(UpstreamConfig{"a", 1}, HostPort{}, 2);
    const auto now = Clock::now();
    std::thread failing([&] { upstream->recordFailure(now, 1, std::chrono::seconds(10)); });
    failing.join();
    EXPECT_FALSE(upstream->isUsable(now));
    EXPECT_TRUE(upstream->isUsable(now + std::chrono::seconds(11)));  // half-open trial
    std::thread succeeding([&] { upstream->recordSuccess(); });
    succeeding.join();
    EXPECT_TRUE(upstream->isUsable(now));
}

// Many workers' requests fail, start the trial and succeed at once: each change of state is
// seen by exactly one caller, the one that logs it (SPEC §13).
TEST(SharedUpstream, EachChangeOfStateIsSeenByExactlyOneThread) {
    constexpr int kThreads = 8;
    constexpr auto kOut = std::chrono::seconds(10);
    for (int round = 0; round < 50; ++round) {
        auto upstream = std::make_shared<Upstream>(UpstreamConfig{"a", 1}, HostPort{}, kThreads);
        const auto now = Clock::now();
        std::atomic<int> taken_out{0}, trials{0}, trials_failed{0}, back{0};
        onThreads(kThreads, [&](std::size_t) {
            for (int i = 0; i < 20; ++i)
                taken_out += upstream->recordFailure(now, 3, kOut).change ==
                             Upstream::FailureChange::TakenOut;
        });
        EXPECT_EQ(taken_out.load(), 1);
        const auto later = now + kOut;
        onThreads(kThreads, [&](std::size_t) {
            trials += upstream->noteAttempt(later) == Upstream::Attempt::Trial;
        });
        EXPECT_EQ(trials.load(), 1);
        onThreads(kThreads, [&](std::size_t) {
            trials_failed += upstream->recordFailure(later, 3, kOut).change ==
                             Upstream::FailureChange::TrialFailed;
        });
        EXPECT_EQ(trials_failed.load(), 1);
        EXPECT_FALSE(upstream->isUsable(later));
        onThreads(kThreads, [&](std::size_t) {
            back += upstream->recordSuccess(Upstream::Attempt::HalfOpen);
        });
        EXPECT_EQ(back.load(), 1);
        EXPECT_TRUE(upstream->isUsable(later));
    }
}

TEST(SharedUpstream, EachWorkerTakesExactTurnsOfItsOwn) {
    auto upstreams = makeUpstreams({{"a", 1}, {"b", 1}, {"c", 1}});
    for (auto& upstream : upstreams)
        upstream = std::make_shared<Upstream>(UpstreamConfig{upstream->name(), 1}, HostPort{}, 3);
    std::vector<std::string> picks(3);
    onThreads(3, [&](std::size_t worker) {
        RoundRobinBalancer balancer;  // a pool keeps one balancer per worker
        PickContext context;
        context.worker = worker;
        picks[worker] = sequence(balancer, upstreams, 9, context);
    });
    for (const auto& sequence_of_worker : picks)
        EXPECT_EQ(sequence_of_worker, "abcabcabc");
}
