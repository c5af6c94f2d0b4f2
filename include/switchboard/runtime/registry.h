// SPDX-License-Identifier: Apache-2.0
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
// balancers that pick among them, one per proxy worker. Immutable once built except for the
// upstreams' run-time state and each worker's balancer; a config change builds a new
// ServicePool that shares the Upstream objects that stay, so a request in flight keeps a
// valid pool and upstream.
class ServicePool {
  public:
    ServicePool(ServiceConfig config, UpstreamList upstreams, std::shared_ptr<ServiceStats> stats,
                std::size_t workers = 1);

    const ServiceConfig& config() const { return config_; }
    const std::string& name() const { return config_.name; }
    const UpstreamList& upstreams() const { return upstreams_; }
    ServiceStats& stats() const { return *stats_; }
    const std::shared_ptr<ServiceStats>& sharedStats() const { return stats_; }

    // Picks with the balancer of context.worker: only that worker may call it.
    std::shared_ptr<Upstream> pick(const PickContext& context) {
        return balancers_[context.worker]->pick(upstreams_, context);
    }

  private:
    ServiceConfig config_;
    UpstreamList upstreams_;
    std::shared_ptr<ServiceStats> stats_;               // survives config changes of the service
    std::vector<std::unique_ptr<Balancer>> balancers_;  // one per worker
};

// True when `route` is a prefix of `path` ending on a segment boundary:
// "/apiA" matches "/apiA" and "/apiA/x", not "/apiAB". `path` has no query string.
bool routeMatches(std::string_view route, std::string_view path);

// One configuration as the data plane sees it: the Config and its pools. Immutable once
// published (SPEC §9): the main loop builds a new table for every change and each proxy
// worker swaps its pointer to it on its own loop (Envoy's thread-local slots), so routing
// reads it without a lock, and a request holds its pool for as long as it runs.
class ServiceTable {
  public:
    ServiceTable(Config config, std::vector<std::shared_ptr<ServicePool>> pools)
        : config_(std::move(config)), pools_(std::move(pools)) {}

    const Config& config() const { return config_; }
    const std::vector<std::shared_ptr<ServicePool>>& services() const { return pools_; }

    // SPEC §3: longest route on a segment boundary among services whose host is empty or
    // equals `host` (port ignored, any case); on equal routes a host match wins.
    std::shared_ptr<ServicePool> route(std::string_view host, std::string_view path) const;
    std::shared_ptr<ServicePool> find(std::string_view name) const;

  private:
    Config config_;
    std::vector<std::shared_ptr<ServicePool>> pools_;
};

// The running services and their pools: the only place that changes them, on the main loop.
class Registry {
  public:
    // `workers`: the proxy workers whose balancers each pool keeps (fixed for the process).
    explicit Registry(std::size_t workers = 1);

    const Config& config() const { return table_->config(); }
    std::size_t workers() const { return workers_; }

    // Makes `next` the running configuration. Upstreams whose address stays in a service
    // keep their run-time state; removed ones are marked draining so in-flight requests
    // finish and no new ones start.
    void apply(const Config& next);

    // The running table, to publish to the workers.
    const std::shared_ptr<const ServiceTable>& table() const { return table_; }
    std::shared_ptr<ServicePool> route(std::string_view host, std::string_view path) const {
        return table_->route(host, path);
    }
    std::shared_ptr<ServicePool> find(std::string_view name) const { return table_->find(name); }
    const std::vector<std::shared_ptr<ServicePool>>& services() const { return table_->services(); }

  private:
    std::size_t workers_;
    std::shared_ptr<const ServiceTable> table_;
};

}  // namespace switchboard
