// SPDX-License-Identifier: Apache-2.0
// Passive health's changes of state (SPEC §3, §13): each call says which change it made, so
// that the proxy logs each one once.
#include <gtest/gtest.h>

#include "switchboard/balance/upstream.h"

using namespace switchboard;
using Change = Upstream::FailureChange;
using Attempt = Upstream::Attempt;

namespace {

constexpr auto kOut = std::chrono::milliseconds(1000);

}  // namespace

TEST(UpstreamTransitions, TheMaxFailsThFailureTakesItOutAndOnlyThatOne) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    const auto now = Clock::now();
    auto first = upstream.recordFailure(now, 2, kOut);
    EXPECT_EQ(first.change, Change::None);
    EXPECT_EQ(first.failures, 1);
    auto second = upstream.recordFailure(now, 2, kOut);
    EXPECT_EQ(second.change, Change::TakenOut);
    EXPECT_EQ(second.failures, 2);
    // A request sent before it went out fails while it is out: no new change.
    auto straggler = upstream.recordFailure(now + std::chrono::milliseconds(10), 2, kOut);
    EXPECT_EQ(straggler.change, Change::None);
    EXPECT_EQ(straggler.failures, 3);
    EXPECT_FALSE(upstream.isUsable(now + std::chrono::milliseconds(500)));
}

TEST(UpstreamTransitions, TheTrialStartsOnceAndItsSuccessBringsItBackOnce) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    const auto now = Clock::now();
    EXPECT_EQ(upstream.noteAttempt(now), Attempt::InService);
    EXPECT_FALSE(upstream.recordSuccess(Attempt::InService));  // in already
    ASSERT_EQ(upstream.recordFailure(now, 1, kOut).change, Change::TakenOut);
    EXPECT_EQ(upstream.noteAttempt(now + std::chrono::milliseconds(999)), Attempt::InService);
    const auto later = now + kOut;
    EXPECT_EQ(upstream.noteAttempt(later), Attempt::Trial);
    EXPECT_EQ(upstream.noteAttempt(later), Attempt::HalfOpen);  // one trial at a time
    EXPECT_TRUE(upstream.recordSuccess(Attempt::Trial));
    EXPECT_FALSE(upstream.recordSuccess(Attempt::HalfOpen));
    EXPECT_TRUE(upstream.isUsable(later));
    // In again: the count starts over, and it takes max_fails again to go out.
    EXPECT_EQ(upstream.recordFailure(later, 2, kOut).change, Change::None);
    EXPECT_EQ(upstream.recordFailure(later, 2, kOut).change, Change::TakenOut);
}

TEST(UpstreamTransitions, AFailedTrialPutsItOutAgainForAnotherFailTimeout) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    const auto now = Clock::now();
    ASSERT_EQ(upstream.recordFailure(now, 1, kOut).change, Change::TakenOut);
    const auto later = now + kOut;
    ASSERT_EQ(upstream.noteAttempt(later), Attempt::Trial);
    auto trial = upstream.recordFailure(later, 1, kOut);
    EXPECT_EQ(trial.change, Change::TrialFailed);
    EXPECT_EQ(trial.failures, 2);
    EXPECT_FALSE(upstream.isUsable(later + std::chrono::milliseconds(999)));
    EXPECT_EQ(upstream.noteAttempt(later + kOut), Attempt::Trial);  // the next trial
}

// A request sent while the upstream was in, answered after other requests took it out: the
// answer may predate the failures, so it brings nothing back; the trial decides.
TEST(UpstreamTransitions, AnAnswerToARequestSentBeforeItWentOutLeavesItOut) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    const auto now = Clock::now();
    const Attempt straggler = upstream.noteAttempt(now);
    ASSERT_EQ(upstream.recordFailure(now, 1, kOut).change, Change::TakenOut);
    EXPECT_FALSE(upstream.recordSuccess(straggler));
    EXPECT_FALSE(upstream.isUsable(now));
    // Two workers pick it at once after fail_timeout: either answer brings it back, once.
    const auto later = now + kOut;
    const Attempt first = upstream.noteAttempt(later);
    const Attempt second = upstream.noteAttempt(later);
    EXPECT_EQ(first, Attempt::Trial);
    EXPECT_EQ(second, Attempt::HalfOpen);
    EXPECT_TRUE(upstream.recordSuccess(second));
    EXPECT_FALSE(upstream.recordSuccess(first));
    EXPECT_TRUE(upstream.isUsable(later));
}

// The trial's request ended with neither an answer nor a failure (its client went away): the
// next request is the trial, or the upstream would stay out for good.
TEST(UpstreamTransitions, AnEndedTrialLetsTheNextRequestTry) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    const auto now = Clock::now();
    ASSERT_EQ(upstream.recordFailure(now, 1, kOut).change, Change::TakenOut);
    const auto later = now + kOut;
    ASSERT_EQ(upstream.noteAttempt(later), Attempt::Trial);
    EXPECT_FALSE(upstream.isUsable(later));
    upstream.endTrial();
    EXPECT_TRUE(upstream.isUsable(later));
    EXPECT_EQ(upstream.noteAttempt(later), Attempt::Trial);
}

TEST(UpstreamTransitions, NoMaxFailsNoChange) {
    Upstream upstream(UpstreamConfig{"a", 1}, HostPort{});
    const auto now = Clock::now();
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(upstream.recordFailure(now, 0, kOut).change, Change::None);
    EXPECT_TRUE(upstream.isUsable(now));
}
