#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "switchboard/base/stats.h"
#include "switchboard/config/config.h"
#include "switchboard/net/net_address.h"

namespace switchboard {

using Clock = std::chrono::steady_clock;

// One upstream server of one service, with its run-time state. The configured weight is
// kept apart from the balancer's working numbers (HAProxy's uweight/eweight split), and the
// whole object is shared: a request in flight holds a shared_ptr so that removing the
// upstream never leaves it dangling.
class Upstream {
  public:
    Upstream(UpstreamConfig config, HostPort address)
        : config_(std::move(config)), address_(std::move(address)) {}

    const UpstreamConfig& config() const { return config_; }
    const std::string& name() const { return config_.address; }
    const HostPort& address() const { return address_; }
    std::int64_t weight() const { return config_.weight; }
    void setWeight(std::int64_t weight) { config_.weight = weight; }

    // Usable for a new request: not draining, not down by the active health check, and not
    // down by passive health (SPEC §3: `max_fails` failures in a row take the upstream out
    // for `fail_timeout`; after that it gets one trial request, half-open). Every strategy,
    // GET /services and /metrics go through this.
    bool isUsable(Clock::time_point now) const;
    bool isDown(Clock::time_point now) const { return !isUsable(now); }
    void recordSuccess();
    void recordFailure(Clock::time_point now, std::int64_t max_fails,
                       std::chrono::milliseconds fail_timeout);
    // Marks the start of the half-open trial so that only one request probes a failed
    // upstream at a time.
    void noteAttempt(Clock::time_point now);

    // Set when the upstream is removed from its service: no new requests, in-flight finish.
    bool draining = false;
    // Set and cleared by the active health check (HealthChecker) after `fall` failed or
    // `rise` passed checks; always false for a service without a health check. A new
    // upstream starts up.
    bool health_check_down = false;

    std::int64_t in_flight = 0;
    std::uint64_t requests = 0;
    // Smooth weighted round robin's running value (nginx's current_weight).
    std::int64_t current_weight = 0;
    UpstreamStats stats;

  private:
    UpstreamConfig config_;
    HostPort address_;
    std::int64_t consecutive_failures_ = 0;
    Clock::time_point down_until_{};
    bool trial_in_progress_ = false;
};

// One request's share of Upstream::in_flight: counted from construction until release() or
// destruction, whichever comes first, so that every way a request ends (answered, failed,
// retried elsewhere, abandoned by the client, torn down with the proxy) gives it back exactly
// once. It holds the upstream too, so the count never outlives the object it is in.
class InFlightGuard {
  public:
    InFlightGuard() = default;
    explicit InFlightGuard(std::shared_ptr<Upstream> upstream) : upstream_(std::move(upstream)) {
        ++upstream_->in_flight;
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
            --upstream_->in_flight;
        upstream_.reset();
    }

  private:
    std::shared_ptr<Upstream> upstream_;
};

}  // namespace switchboard
