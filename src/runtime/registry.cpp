// SPDX-License-Identifier: Apache-2.0
#include "switchboard/runtime/registry.h"

#include <algorithm>
#include <map>

#include "switchboard/balance/strategies.h"
#include "switchboard/http/http_chars.h"

namespace switchboard {

ServicePool::ServicePool(ServiceConfig config, UpstreamList upstreams,
                         std::shared_ptr<ServiceStats> stats, std::size_t workers)
    : config_(std::move(config)), upstreams_(std::move(upstreams)), stats_(std::move(stats)) {
    for (std::size_t worker = 0; worker < std::max<std::size_t>(workers, 1); ++worker)
        balancers_.push_back(makeBalancer(config_.strategy));
}

bool routeMatches(std::string_view route, std::string_view path) {
    if (path.substr(0, route.size()) != route)
        return false;
    if (path.size() == route.size() || route.back() == '/')
        return true;
    return path[route.size()] == '/';
}

namespace {

std::string_view hostWithoutPort(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return close == std::string_view::npos ? host : host.substr(1, close - 1);
    }
    auto colon = host.rfind(':');
    return colon == std::string_view::npos ? host : host.substr(0, colon);
}

}  // namespace

Registry::Registry(std::size_t workers)
    : workers_(std::max<std::size_t>(workers, 1)),
      table_(std::make_shared<const ServiceTable>(Config{},
                                                  std::vector<std::shared_ptr<ServicePool>>{})) {}

void Registry::apply(const Config& next) {
    std::map<std::string, std::map<std::string, std::shared_ptr<Upstream>>> existing;
    std::map<std::string, std::shared_ptr<ServiceStats>> stats;
    for (const auto& pool : table_->services()) {
        stats[pool->name()] = pool->sharedStats();
        for (const auto& upstream : pool->upstreams())
            existing[pool->name()][upstream->name()] = upstream;
    }

    const auto now = Clock::now();
    std::vector<std::shared_ptr<ServicePool>> pools;
    for (const auto& service : next.services) {
        UpstreamList upstreams;
        auto& kept = existing[service.name];
        const std::chrono::milliseconds slow_start(service.slow_start_ms);
        for (const auto& upstream_config : service.upstreams) {
            auto found = kept.find(upstream_config.address);
            if (found != kept.end()) {
                Upstream& upstream = *found->second;
                upstream.setWeight(upstream_config.weight);
                upstream.setSlowStart(slow_start);
                // Set active again (from drain or maint): it ramps up like a new one.
                if (upstream.adminState() != AdminState::Active &&
                    upstream_config.admin_state == AdminState::Active)
                    upstream.beginSlowStart(now);
                upstream.setAdminState(upstream_config.admin_state);
                upstreams.push_back(found->second);
                kept.erase(found);
                continue;
            }
            // Addresses in a validated Config always parse.
            auto address = parseHostPort(upstream_config.address);
            auto upstream = std::make_shared<Upstream>(upstream_config, *address, workers_);
            upstream->setSlowStart(slow_start);
            // New next to upstreams already serving: it ramps up. The upstreams of a new service
            // (and at start, every one) take their full weight at once, or the first of them
            // would ramp next to the later ones, which had nothing to warm up against.
            if (stats.count(service.name))
                upstream->beginSlowStart(now);
            upstreams.push_back(std::move(upstream));
        }
        auto& service_stats = stats[service.name];
        if (!service_stats)
            service_stats = std::make_shared<ServiceStats>();
        pools.push_back(
            std::make_shared<ServicePool>(service, std::move(upstreams), service_stats, workers_));
    }
    // Whatever is left was removed: requests already on it finish, no new ones start.
    for (auto& [service, upstreams] : existing)
        for (auto& [address, upstream] : upstreams)
            upstream->draining.store(true, std::memory_order_relaxed);

    table_ = std::make_shared<const ServiceTable>(next, std::move(pools));
}

std::shared_ptr<ServicePool> ServiceTable::route(std::string_view host,
                                                 std::string_view path) const {
    host = hostWithoutPort(host);
    std::shared_ptr<ServicePool> best;
    for (const auto& pool : pools_) {
        const auto& config = pool->config();
        bool host_matches = !config.host.empty() && equalsIgnoreCase(config.host, host);
        if (!config.host.empty() && !host_matches)
            continue;
        if (!routeMatches(config.route, path))
            continue;
        if (!best) {
            best = pool;
            continue;
        }
        const auto& best_config = best->config();
        if (config.route.size() > best_config.route.size() ||
            (config.route.size() == best_config.route.size() && host_matches &&
             best_config.host.empty()))
            best = pool;
    }
    return best;
}

std::shared_ptr<ServicePool> ServiceTable::find(std::string_view name) const {
    for (const auto& pool : pools_)
        if (pool->name() == name)
            return pool;
    return nullptr;
}

}  // namespace switchboard
