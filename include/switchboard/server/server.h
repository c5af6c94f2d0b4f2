// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "switchboard/admin/admin_api.h"
#include "switchboard/base/libevent.h"
#include "switchboard/cluster/etcd_service_source.h"
#include "switchboard/config/config.h"
#include "switchboard/config/config_store.h"
#include "switchboard/net/listeners.h"
#include "switchboard/proxy/access_log.h"
#include "switchboard/runtime/health_checker.h"
#include "switchboard/runtime/registry.h"
#include "switchboard/server/proxy_workers.h"
#include "switchboard/server/tls_certificates.h"

namespace switchboard {

// Exit statuses (SPEC §1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitConfigError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitBindFailed = 3;

// Owns the main event loop, both listeners, the proxy workers and the signals; starts,
// reloads and stops. The main loop keeps the admin port, health checks, persistence, reload,
// signals and systemd; the proxy port is the workers' (SPEC §9), and every change reaches
// them through ProxyWorkers::publish before the call that made it answers.
class Server final : public ConfigControl {
  public:
    // `store` has loaded `initial` already.
    Server(ConfigStore store, Config initial);
    ~Server() override;

    // Binds both listeners and runs the loop until SIGINT/SIGTERM. Returns the exit status.
    int run();

    void commit(const std::string& service, const ServiceConfig* after, const std::string& summary,
                const std::string& asked, CommitDone done) override;
    ReloadOutcome reload(const std::string& cause) override;
    Result<ConfigPreview> preview(const Config& candidate) override;
    ReloadOutcome previewReload() override;
    std::optional<ClusterStatus> clusterStatus() const override;

  private:
    void applySettings();
    // Reads the certificates of `next` (SPEC §10), logs their warnings and adds them to
    // `warnings`: null when it has none; an error names the file.
    Result<std::shared_ptr<const TlsServerContext>>
    readCertificates(const Config& next, const std::string& cause,
                     std::vector<std::string>& warnings);
    // Binds the listeners of `next` not bound yet, all or none (the error says which failed).
    Result<std::vector<std::vector<std::string>>> bindListeners(const Config& next);
    // Makes `next` the running configuration everywhere: registry, health checks, workers.
    void applyConfig(const Config& next);
    void shutdown(const std::string& cause);

    // Cluster mode (SPEC §12), server_cluster.cpp: the services come from etcd, or from the cache
    // until etcd answers.
    void startCluster(Config& initial);
    // Runs the loop until the first read from etcd is applied or cluster.timeout_ms passed.
    void waitForCluster();
    void applyFromCluster(const std::string& service, const ServiceConfig* after,
                          std::int64_t revision);
    void replaceFromCluster(std::vector<ServiceConfig> services, std::int64_t revision,
                            const std::string& cause);
    // A reload takes neither [cluster] (that takes a restart) nor, in cluster mode, the file's
    // services (etcd holds them): `next` keeps the running ones, with a warning for each.
    void keepClusterSettings(Config& next, const std::string& cause,
                             std::vector<std::string>& warnings) const;
    // The running services, as they now are, into the cache file.
    void saveClusterCache();
    void onSignal(int signal_number);
    void onSignalEvent(evutil_socket_t signal_number, short);

    // Declared first so that it is destroyed last: everything below uses it.
    EventBasePtr base_;
    EvdnsBasePtr dns_;
    ConfigStore store_;
    ServerStats stats_;
    AccessLogFile access_log_;  // outlives the workers, which write to it
    Registry registry_;
    std::unique_ptr<HealthChecker> health_;  // active checks; its timers live on base_
    std::unique_ptr<ProxyWorkers> workers_;
    std::unique_ptr<AdminApi> admin_;
    // Where admin changes are kept: the file (store_) or etcd (cluster_).
    std::unique_ptr<EtcdServiceSource> cluster_;
    ServiceSource* source_ = nullptr;
    std::vector<ServiceConfig> file_services_;  // the file's, for seeding etcd
    bool cache_write_failed_ = false;
    EvhttpPtr admin_http_;
    std::unique_ptr<ListenerSet> proxy_listeners_;
    std::unique_ptr<ListenerSet> tls_listeners_;
    // What TLS connections accept with now; each connection keeps the one it began with.
    std::shared_ptr<const TlsServerContext> certificates_;
    std::unique_ptr<ListenerSet> admin_listeners_;
    std::vector<EventPtr> signal_events_;
    std::string access_log_target_ = "\x01";  // none opened yet
    bool shutting_down_ = false;
};

}  // namespace switchboard
