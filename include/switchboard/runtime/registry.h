#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/balance/balancer.h"
#include "switchboard/base/stats.h"
#include "switchboard/config/config.h"

namespace switchboard {

// A running service: its configuration, its upstreams with their run-time state, and the
// balancer that picks among them. Immutable once built except for the upstreams' run-time
// counters; a config change builds a new ServicePool that shares the Upstream objects that
// stay, so a request in flight keeps a valid pool and upstream.
class ServicePool {
  public:
    ServicePool(ServiceConfig config, UpstreamList upstreams, std::shared_ptr<ServiceStats> stats);

    const ServiceConfig& config() const { return config_; }
    const std::string& name() const { return config_.name; }
    const UpstreamList& upstreams() const { return upstreams_; }
    ServiceStats& stats() const { return *stats_; }
    const std::shared_ptr<ServiceStats>& sharedStats() const { return stats_; }

    std::shared_ptr<Upstream> pick(const PickContext& context) {
        return balancer_->pick(upstreams_, context);
    }

  private:
    ServiceConfig config_;
    UpstreamList upstreams_;
    std::shared_ptr<ServiceStats> stats_;  // survives config changes of the service
    std::unique_ptr<Balancer> balancer_;
};

// True when `route` is a prefix of `path` ending on a segment boundary:
// "/apiA" matches "/apiA" and "/apiA/x", not "/apiAB". `path` has no query string.
bool routeMatches(std::string_view route, std::string_view path);

// The running services and their pools: the only place that changes them.
class Registry {
  public:
    const Config& config() const { return config_; }

    // Makes `next` the running configuration. Upstreams whose address stays in a service
    // keep their run-time state; removed ones are marked draining so in-flight requests
    // finish and no new ones start.
    void apply(const Config& next);

    // SPEC §3: longest route on a segment boundary among services whose host is empty or
    // equals `host` (port ignored, any case); on equal routes a host match wins.
    std::shared_ptr<ServicePool> route(std::string_view host, std::string_view path) const;
    std::shared_ptr<ServicePool> find(std::string_view name) const;
    const std::vector<std::shared_ptr<ServicePool>>& services() const { return pools_; }

  private:
    Config config_;
    std::vector<std::shared_ptr<ServicePool>> pools_;
};

}  // namespace switchboard
