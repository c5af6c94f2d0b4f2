// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/upstream.h"

#include <algorithm>
#include <cmath>

namespace switchboard {

// Relaxed order throughout: each field is a fact on its own (a worker that sees the upstream
// out a moment late sends one more request, as a request already under way would).

bool Upstream::isUsable(Clock::time_point now) const {
    return !draining.load(std::memory_order_relaxed) && adminState() == AdminState::Active &&
           isHealthy(now);
}

std::int64_t Upstream::effectiveWeight(Clock::time_point now) const {
    const std::int64_t full = weight() * kWeightScale;
    const std::int64_t start = ramp_start_.load(std::memory_order_relaxed);
    if (start == 0)
        return full;
    const std::int64_t length = slow_start_ticks_.load(std::memory_order_relaxed);
    const std::int64_t elapsed = ticks(now) - start;
    if (length <= 0 || elapsed >= length)
        return full;
    // 1/10 at the start, linearly to the full weight at the end; never below one unit, so
    // even weight 1 at its first instant is still picked now and then.
    const double share = 0.1 + 0.9 * static_cast<double>(std::max<std::int64_t>(elapsed, 0)) /
                                   static_cast<double>(length);
    return std::max<std::int64_t>(1, std::llround(static_cast<double>(full) * share));
}

bool Upstream::isHealthy(Clock::time_point now) const {
    if (health_check_down.load(std::memory_order_relaxed))
        return false;
    const std::int64_t until = down_until_.load(std::memory_order_relaxed);
    if (until == 0)
        return true;
    // Failed: out until down_until_, then usable by one trial request at a time.
    return ticks(now) >= until && !trial_in_progress_.load(std::memory_order_relaxed);
}

bool Upstream::recordSuccess(Attempt attempt) {
    if (attempt == Attempt::InService && down_until_.load(std::memory_order_relaxed) != 0)
        return false;  // sent before it went out: says nothing of now
    // Loads first: on the common path nothing changes, and a store would pull the cache line
    // away from every other worker on each response.
    if (consecutive_failures_.load(std::memory_order_relaxed) != 0)
        consecutive_failures_.store(0, std::memory_order_relaxed);
    if (trial_in_progress_.load(std::memory_order_relaxed))
        trial_in_progress_.store(false, std::memory_order_relaxed);
    // Of several answers at once (from workers, or requests sent before it went out), the one
    // whose exchange finds it out is the one that brought it back.
    if (down_until_.load(std::memory_order_relaxed) == 0 ||
        down_until_.exchange(0, std::memory_order_relaxed) == 0)
        return false;
    beginSlowStart(Clock::now());  // back from down (passive health)
    return true;
}

Upstream::FailureRecord Upstream::recordFailure(Clock::time_point now, std::int64_t max_fails,
                                                std::chrono::milliseconds fail_timeout) {
    trial_in_progress_.store(false, std::memory_order_relaxed);
    FailureRecord record;
    if (max_fails <= 0)
        return record;  // passive health disabled
    record.failures = consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (record.failures < max_fails)
        return record;
    // A compare-exchange loop rather than a store: a store could put back out an upstream that
    // an answer has just brought in, and nobody would log it; and of two failures at once only
    // one may see itself take the upstream out.
    const std::int64_t until = ticks(now + fail_timeout);
    std::int64_t seen = down_until_.load(std::memory_order_relaxed);
    for (;;) {
        FailureChange change = seen == 0            ? FailureChange::TakenOut
                               : ticks(now) >= seen ? FailureChange::TrialFailed
                                                    : FailureChange::None;  // out: extended
        if (change == FailureChange::None && seen >= until)
            return record;  // out for longer already (a later failure of another worker)
        if (down_until_.compare_exchange_weak(seen, until, std::memory_order_relaxed)) {
            record.change = change;
            return record;
        }
    }
}

Upstream::Attempt Upstream::noteAttempt(Clock::time_point now) {
    const std::int64_t until = down_until_.load(std::memory_order_relaxed);
    if (until == 0 || ticks(now) < until)
        return Attempt::InService;
    if (!trial_in_progress_.load(std::memory_order_relaxed) &&
        !trial_in_progress_.exchange(true, std::memory_order_relaxed))
        return Attempt::Trial;
    return Attempt::HalfOpen;
}

}  // namespace switchboard
