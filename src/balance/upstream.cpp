// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/upstream.h"

namespace switchboard {

// Relaxed order throughout: each field is a fact on its own (a worker that sees the upstream
// out a moment late sends one more request, as a request already under way would).

bool Upstream::isUsable(Clock::time_point now) const {
    if (draining.load(std::memory_order_relaxed) ||
        health_check_down.load(std::memory_order_relaxed))
        return false;
    const std::int64_t until = down_until_.load(std::memory_order_relaxed);
    if (until == 0)
        return true;
    // Failed: out until down_until_, then usable by one trial request at a time.
    return ticks(now) >= until && !trial_in_progress_.load(std::memory_order_relaxed);
}

void Upstream::recordSuccess() {
    // Loads first: on the common path nothing changes, and a store would pull the cache line
    // away from every other worker on each response.
    if (consecutive_failures_.load(std::memory_order_relaxed) != 0)
        consecutive_failures_.store(0, std::memory_order_relaxed);
    if (down_until_.load(std::memory_order_relaxed) != 0)
        down_until_.store(0, std::memory_order_relaxed);
    if (trial_in_progress_.load(std::memory_order_relaxed))
        trial_in_progress_.store(false, std::memory_order_relaxed);
}

void Upstream::recordFailure(Clock::time_point now, std::int64_t max_fails,
                             std::chrono::milliseconds fail_timeout) {
    trial_in_progress_.store(false, std::memory_order_relaxed);
    if (max_fails <= 0)
        return;  // passive health disabled
    if (consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1 >= max_fails)
        down_until_.store(ticks(now + fail_timeout), std::memory_order_relaxed);
}

void Upstream::noteAttempt(Clock::time_point now) {
    const std::int64_t until = down_until_.load(std::memory_order_relaxed);
    if (until != 0 && ticks(now) >= until)
        trial_in_progress_.store(true, std::memory_order_relaxed);
}

}  // namespace switchboard
