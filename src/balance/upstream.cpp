#include "switchboard/balance/upstream.h"

namespace switchboard {

bool Upstream::isUsable(Clock::time_point now) const {
    if (draining || health_check_down)
        return false;
    if (down_until_ == Clock::time_point{})
        return true;
    // Failed: out until down_until_, then usable by one trial request at a time.
    return now >= down_until_ && !trial_in_progress_;
}

void Upstream::recordSuccess() {
    consecutive_failures_ = 0;
    down_until_ = {};
    trial_in_progress_ = false;
}

void Upstream::recordFailure(Clock::time_point now, std::int64_t max_fails,
                             std::chrono::milliseconds fail_timeout) {
    trial_in_progress_ = false;
    if (max_fails <= 0)
        return;  // passive health disabled
    ++consecutive_failures_;
    if (consecutive_failures_ >= max_fails)
        down_until_ = now + fail_timeout;
}

void Upstream::noteAttempt(Clock::time_point now) {
    if (down_until_ != Clock::time_point{} && now >= down_until_)
        trial_in_progress_ = true;
}

}  // namespace switchboard
