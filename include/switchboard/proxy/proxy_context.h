// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_set>

#include "switchboard/base/libevent.h"
#include "switchboard/base/stats.h"
#include "switchboard/net/pipe_pool.h"
#include "switchboard/net/tls_context.h"
#include "switchboard/proxy/access_log.h"
#include "switchboard/proxy/upstream_pool.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

class ClientConnection;

// What every connection of one proxy loop (one worker, SPEC §9) shares: the loop, the running
// services as this worker last took them, the idle upstream connections, the splice pipes,
// the access log, the set of open client connections and whether the proxy is stopping. The
// Proxy owns it and accepts into it; ClientConnection and UpstreamExchange borrow it, so the
// pieces of the data plane depend on this and not on the Proxy that makes them. Only the
// worker's thread touches it; what workers share (the ServerStats, the access log file, the
// upstreams' run-time state) is made for that.
class ProxyContext {
  public:
    // Pipes for splicing bodies: 256 at most (512 file descriptors, 32 MiB of pipe buffers).
    static constexpr std::size_t kMaxPipes = 256;

    ProxyContext(event_base* base, evdns_base* dns, std::shared_ptr<const ServiceTable> services,
                 ServerStats& stats, AccessLogFile& log_file, std::size_t worker = 0)
        : base_(base), services_(std::move(services)), stats_(stats), worker_(worker),
          pool_(base, dns), access_log_(base, log_file) {}
    ProxyContext(const ProxyContext&) = delete;
    ProxyContext& operator=(const ProxyContext&) = delete;

    event_base* base() { return base_; }
    // The running services; a request takes its pool from here once and keeps it.
    const ServiceTable& services() const { return *services_; }
    // Takes a newly published table (on this worker's loop).
    void setServices(std::shared_ptr<const ServiceTable> services) {
        services_ = std::move(services);
    }
    const ProxySettings& settings() const { return services_->config().proxy; }
    std::size_t worker() const { return worker_; }
    ServerStats& stats() { return stats_; }
    UpstreamPool& pool() { return pool_; }
    PipePool& pipes() { return pipes_; }
    AccessLog& accessLog() { return access_log_; }
    // The certificates TLS listeners accept with now (null: none loaded). A reload publishes
    // new ones; connections already open keep theirs.
    const std::shared_ptr<const TlsServerContext>& certificates() const { return certificates_; }
    void setCertificates(std::shared_ptr<const TlsServerContext> certificates) {
        certificates_ = std::move(certificates);
    }

    // The open client connections. A connection adds itself when it starts and forgets
    // itself when it is destroyed.
    const std::unordered_set<ClientConnection*>& connections() const { return connections_; }
    void add(ClientConnection* connection);
    void forget(ClientConnection* connection);

    // From now on connections finish their current response and close; `on_drained` runs
    // once, when no connection is left (see notifyIfDrained).
    void stopAccepting(std::function<void()> on_drained);
    bool shuttingDown() const { return shutting_down_; }
    // Runs on_drained if the proxy is stopping and no connection is open.
    void notifyIfDrained();

  private:
    event_base* base_;
    std::shared_ptr<const ServiceTable> services_;
    ServerStats& stats_;
    std::size_t worker_;
    UpstreamPool pool_;
    PipePool pipes_{kMaxPipes};
    AccessLog access_log_;
    std::shared_ptr<const TlsServerContext> certificates_;
    std::unordered_set<ClientConnection*> connections_;
    bool shutting_down_ = false;
    std::function<void()> on_drained_;
};

}  // namespace switchboard
