// SPDX-License-Identifier: Apache-2.0
// The Server in cluster mode (SPEC §12): etcd holds the services; this applies what it says.
#include "switchboard/admin/service_change.h"
#include "switchboard/base/log.h"
#include "switchboard/base/systemd_notify.h"
#include "switchboard/cluster/cluster_cache.h"
#include "switchboard/server/server.h"

namespace switchboard {

void Server::startCluster(Config& initial) {
    const ClusterSettings& settings = initial.cluster;
    cluster_ = std::make_unique<EtcdServiceSource>(
        base_.get(), dns_.get(), settings,
        EtcdServiceSource::Events{
            [this](const std::string& service, const ServiceConfig* after, std::int64_t revision) {
                applyFromCluster(service, after, revision);
            },
            [this](std::vector<ServiceConfig> services, std::int64_t revision,
                   const std::string& cause) {
                replaceFromCluster(std::move(services), revision, cause);
            }});
    source_ = cluster_.get();
    file_services_ = std::move(initial.services);
    initial.services.clear();
    // Until etcd answers: the services last seen, from the cache.
    if (settings.cache.empty()) {
        logInfo("cluster: no cache configured; starting with no services until etcd answers");
        return;
    }
    auto cache = readClusterCache(settings.cache, settings.prefix);
    if (!cache) {
        if (cache.error().kind == ErrorKind::NotFound)
            logInfo("cluster: no cache at " + settings.cache +
                    "; starting with no services until etcd answers");
        else
            logWarn("cluster: cache not used: " + cache.error().message +
                    "; starting with no services until etcd answers");
        return;
    }
    for (auto& service : cache->services)
        initial.addService(std::move(service));
    if (auto problems = checkCrossReferences(initial); !problems.empty()) {
        logWarn("cluster: cache not used: service " + problems.front().service + ": " +
                problems.front().message);
        initial.services.clear();
        return;
    }
    logInfo("cluster: serving the " + std::to_string(initial.services.size()) +
            " services of the cache " + settings.cache + " (revision " +
            std::to_string(cache->revision) + ") until etcd answers");
}

void Server::waitForCluster() {
    // A start with etcd at hand serves its services from the first request on; without it,
    // the cache's after cluster.timeout_ms.
    bool expired = false;
    EventPtr deadline(evtimer_new(
        base_.get(), [](evutil_socket_t, short, void* flag) { *static_cast<bool*>(flag) = true; },
        &expired));
    timeval limit = toTimeval(std::chrono::milliseconds(registry_.config().cluster.timeout_ms));
    evtimer_add(deadline.get(), &limit);
    while (!cluster_->synced() && !expired && !shutting_down_)
        event_base_loop(base_.get(), EVLOOP_ONCE);
    if (!cluster_->synced())
        logWarn("cluster: etcd has not answered within " +
                std::to_string(registry_.config().cluster.timeout_ms) +
                " ms; serving what there is and going on trying");
}

void Server::applyFromCluster(const std::string& service, const ServiceConfig* after,
                              std::int64_t revision) {
    const ServiceConfig* before = registry_.config().findService(service);
    std::optional<ServiceConfig> had = before ? std::optional(*before) : std::nullopt;
    if (!had && !after)
        return;
    const ServiceConfig* was = had ? &*had : nullptr;
    Config next = registry_.config();
    next.setService(service, after);
    // The running services have no clash: one now is this change's.
    for (const auto& problem : checkCrossReferences(next)) {
        std::string message = "not applied: " + problem.message;
        logError("cluster: service " + service + " at revision " + std::to_string(revision) + ": " +
                 message + "; keeping what runs");
        admin_->recordClusterChange(service, was, after, revision, 409, message);
        return;
    }
    applyConfig(next);
    systemd::status(systemd::statusText(next.services.size(), next.upstreamCount()));
    std::string summary = describeServiceChange(was, after) + " (from the cluster, revision " +
                          std::to_string(revision) + ")";
    logInfo(summary);
    admin_->recordClusterChange(service, was, after, revision, 200, summary);
    saveClusterCache();
}

void Server::replaceFromCluster(std::vector<ServiceConfig> services, std::int64_t revision,
                                const std::string& cause) {
    Config next = registry_.config();
    next.services.clear();
    for (auto& service : services)
        next.addService(std::move(service));
    // A service that clashes with another keeps what runs of it (or stays out).
    for (const auto& problem : checkCrossReferences(next)) {
        logError(cause + ": service " + problem.service + ": not applied: " + problem.message);
        next.setService(problem.service, registry_.config().findService(problem.service));
    }
    const Config& running = registry_.config();
    std::vector<std::pair<std::optional<ServiceConfig>, std::optional<ServiceConfig>>> changes;
    for (const auto& service : running.services) {
        const ServiceConfig* now = next.findService(service.name);
        if (!now || !(*now == service))
            changes.emplace_back(service, now ? std::optional(*now) : std::nullopt);
    }
    for (const auto& service : next.services)
        if (!running.findService(service.name))
            changes.emplace_back(std::nullopt, service);
    if (changes.empty()) {
        saveClusterCache();
        return;
    }
    applyConfig(next);
    systemd::status(systemd::statusText(next.services.size(), next.upstreamCount()));
    for (const auto& [before, after] : changes) {
        const std::string& name = before ? before->name : after->name;
        std::string summary =
            describeServiceChange(before ? &*before : nullptr, after ? &*after : nullptr) + " (" +
            cause + ", revision " + std::to_string(revision) + ")";
        logInfo(summary);
        admin_->recordClusterChange(name, before ? &*before : nullptr, after ? &*after : nullptr,
                                    revision, 200, summary);
    }
    saveClusterCache();
}

void Server::saveClusterCache() {
    const ClusterSettings& settings = registry_.config().cluster;
    if (settings.cache.empty())
        return;
    ClusterCache cache{cluster_->status().revision, registry_.config().services};
    Status written = writeClusterCache(settings.cache, settings.prefix, cache);
    if (!written) {
        if (!cache_write_failed_)
            logWarn("cluster: cannot write the cache: " + written.error().message);
        cache_write_failed_ = true;
        return;
    }
    if (cache_write_failed_)
        logInfo("cluster: the cache " + settings.cache + " is written again");
    cache_write_failed_ = false;
}

void Server::keepClusterSettings(Config& next, const std::string& cause,
                                 std::vector<std::string>& warnings) const {
    const Config& running = registry_.config();
    if (!(next.cluster == running.cluster)) {
        warnings.push_back("cluster: changing [cluster] takes a restart; still " +
                           std::string(cluster_ ? "using etcd as started" : "standalone"));
        logWarn(cause + ": " + warnings.back());
        next.cluster = running.cluster;
    }
    if (!cluster_)
        return;
    if (!next.services.empty()) {
        warnings.push_back("cluster: the services in " + store_.path() +
                           " are ignored: etcd holds the services (prefix " +
                           running.cluster.prefix + ")");
        logWarn(cause + ": " + warnings.back());
    }
    next.services = running.services;
}

std::optional<ClusterStatus> Server::clusterStatus() const {
    if (!cluster_)
        return std::nullopt;
    return cluster_->status();
}

}  // namespace switchboard
