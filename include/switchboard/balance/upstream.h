// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/base/stats.h"
#include "switchboard/config/config.h"
#include "switchboard/net/net_address.h"

namespace switchboard {

using Clock = std::chrono::steady_clock;

// One upstream server of one service, with its run-time state. The configured weight is
// kept apart from the balancer's working numbers (HAProxy's uweight/eweight split), and the
// whole object is shared: a request in flight holds a shared_ptr so that removing the
// upstream never leaves it dangling.
//
// Every proxy worker (SPEC §9) shares one Upstream: health (active and passive), the
// in-flight count and the counters are atomics that any worker reads and writes without a
// lock, and the main loop sets the weight and the marks. What one worker's balancer keeps
// between picks (smooth round robin's current weight) has one slot per worker, on its own
// cache line, which only that worker touches.
class Upstream {
  public:
    Upstream(UpstreamConfig config, HostPort address, std::size_t workers = 1)
        : name_(std::move(config.address)), address_(std::move(address)), weight_(config.weight),
          admin_state_(config.admin_state), turns_(workers == 0 ? 1 : workers) {}

    const std::string& name() const { return name_; }
    const HostPort& address() const { return address_; }
    std::int64_t weight() const { return weight_.load(std::memory_order_relaxed); }
    void setWeight(std::int64_t weight) { weight_.store(weight, std::memory_order_relaxed); }

    // Slow start (SPEC §11): an upstream that becomes usable (new, back from down, or set
    // active again) starts at 1/10 of its weight and reaches the full weight linearly over the
    // service's slow_start_ms. The strategies that weigh (round_robin, least_conn, random) pick
    // by effectiveWeight; consistent_hash places its ring points by weight() and ignores it.
    static constexpr std::int64_t kWeightScale = 1000;
    // The weight at `now` in 1/kWeightScale units: weight() * kWeightScale outside a ramp.
    std::int64_t effectiveWeight(Clock::time_point now) const;
    // The ramp's length; 0 turns slow start off (a ramp under way ends at once).
    void setSlowStart(std::chrono::milliseconds length) {
        slow_start_ticks_.store(std::chrono::duration_cast<Clock::duration>(length).count(),
                                std::memory_order_relaxed);
    }
    // The upstream became usable at `now`: a ramp starts (when slow start is on).
    void beginSlowStart(Clock::time_point now) {
        ramp_start_.store(ticks(now), std::memory_order_relaxed);
    }

    // The operator's admin_state (SPEC §11), set by the main loop from the configuration.
    AdminState adminState() const { return admin_state_.load(std::memory_order_relaxed); }
    void setAdminState(AdminState state) { admin_state_.store(state, std::memory_order_relaxed); }

    // Usable for a new request: not removed (draining), admin_state `active`, and healthy.
    // Every strategy goes through this, so a drained or maintained upstream is skipped exactly
    // like a down one (consistent_hash walks on past its ring points).
    bool isUsable(Clock::time_point now) const;
    // Health alone, whatever the operator's admin_state: not down by the active health check,
    // and not down by passive health (SPEC §3: `max_fails` failures in a row take the upstream
    // out for `fail_timeout`; after that it gets one trial request, half-open). The "state" of
    // GET /services and switchboard_upstream_up.
    bool isHealthy(Clock::time_point now) const;

    // The passive-health calls below say which change of state, if any, the call itself made,
    // so that the caller logs each change once (SPEC §13) however many workers and requests
    // see it: every transition is one atomic exchange, which exactly one caller wins.

    // How a request came to be sent to the upstream (noteAttempt).
    enum class Attempt {
        InService,  // the upstream was in (or went out only while it was being picked)
        Trial,      // fail_timeout was over: this request is the half-open trial
        HalfOpen    // fail_timeout was over, and another request is the trial (another worker
                    // picked it at the same moment)
    };
    // An answer to a request sent as `attempt` says: failures are forgotten. True when this
    // call brought the upstream back in. An answer to a request sent while the upstream was in
    // changes nothing while it is out: it may have been sent before the failures that took it
    // out, and only a request sent after fail_timeout may bring it back. The active health
    // check vouches for the upstream with the default.
    bool recordSuccess(Attempt attempt = Attempt::Trial);
    enum class FailureChange {
        None,        // counted; the state is as it was (in, or already out)
        TakenOut,    // this failure took the upstream out (the `max_fails`-th in a row)
        TrialFailed  // after `fail_timeout` was over (the half-open trial): out again
    };
    struct FailureRecord {
        FailureChange change = FailureChange::None;
        std::int64_t failures = 0;  // in a row, this one included
    };
    FailureRecord recordFailure(Clock::time_point now, std::int64_t max_fails,
                                std::chrono::milliseconds fail_timeout);
    // Called as a request is sent to the upstream. Marks the start of the half-open trial so
    // that only one request probes a failed upstream at a time (two workers may each pick it
    // before either marks it: the one whose call marks it gets Trial, the other HalfOpen).
    Attempt noteAttempt(Clock::time_point now);
    // The trial that noteAttempt started ended with neither an answer nor a failure (the
    // client went away; a kept-alive connection had been closed by the server while idle):
    // the next request may be the trial. Without this the upstream would stay out for good.
    void endTrial() { trial_in_progress_.store(false, std::memory_order_relaxed); }

    // Set when the upstream is removed from its service: no new requests, in-flight finish.
    std::atomic<bool> draining{false};
    // Set and cleared by the active health check (HealthChecker) after `fall` failed or
    // `rise` passed checks; always false for a service without a health check. A new
    // upstream starts up.
    std::atomic<bool> health_check_down{false};

    std::atomic<std::int64_t> in_flight{0};  // over all workers (least_conn, random)
    std::atomic<std::uint64_t> requests{0};
    UpstreamStats stats;

    // Smooth weighted round robin's running value (nginx's current_weight) for `worker`'s
    // balancer; only that worker reads or writes it.
    std::int64_t& currentWeight(std::size_t worker) { return turns_[worker].current_weight; }

  private:
    struct alignas(64) WorkerTurn {
        std::int64_t current_weight = 0;
    };
    static std::int64_t ticks(Clock::time_point time) { return time.time_since_epoch().count(); }

    std::string name_;
    HostPort address_;
    std::atomic<std::int64_t> weight_;
    std::atomic<std::int64_t> slow_start_ticks_{0};
    // Clock ticks when the latest ramp started; 0 = none since the upstream was made.
    std::atomic<std::int64_t> ramp_start_{0};
    std::atomic<AdminState> admin_state_;
    std::vector<WorkerTurn> turns_;
    std::atomic<std::int64_t> consecutive_failures_{0};
    // Clock ticks until which passive health keeps the upstream out; 0 = not failed.
    std::atomic<std::int64_t> down_until_{0};
    std::atomic<bool> trial_in_progress_{false};
};

// One request's share of Upstream::in_flight: counted from construction until release() or
// destruction, whichever comes first, so that every way a request ends (answered, failed,
// retried elsewhere, abandoned by the client, torn down with the proxy) gives it back exactly
// once. It holds the upstream too, so the count never outlives the object it is in.
class InFlightGuard {
  public:
    InFlightGuard() = default;
    explicit InFlightGuard(std::shared_ptr<Upstream> upstream) : upstream_(std::move(upstream)) {
        upstream_->in_flight.fetch_add(1, std::memory_order_relaxed);
    }
    ~InFlightGuard() { release(); }
    InFlightGuard(InFlightGuard&& other) noexcept = default;
    InFlightGuard& operator=(InFlightGuard&& other) noexcept {
        if (this != &other) {
            release();
            upstream_ = std::move(other.upstream_);
        }
        return *this;
    }

    void release() {
        if (upstream_)
            upstream_->in_flight.fetch_sub(1, std::memory_order_relaxed);
        upstream_.reset();
    }

  private:
    std::shared_ptr<Upstream> upstream_;
};

}  // namespace switchboard
