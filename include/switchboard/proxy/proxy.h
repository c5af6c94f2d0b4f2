// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "switchboard/net/listeners.h"
#include "switchboard/proxy/proxy_context.h"

namespace switchboard {

class ClientConnection;

// The proxy port (SPEC §3). switchboard speaks HTTP/1.1 on the proxy port itself, on its own
// edge-triggered sockets (stream_socket.h), rather than through evhttp: it needs to stream bodies
// both ways with backpressure, to refuse ambiguous framing before any byte goes upstream, and to
// keep the per-request work (system calls, copies, allocations) small. Each accepted socket becomes
// a ClientConnection (client_connection.cpp); what the connections share is the ProxyContext.
class Proxy {
  public:
    Proxy(event_base* base, evdns_base* dns, std::shared_ptr<const ServiceTable> services,
          ServerStats& stats, AccessLogFile& log_file, std::size_t worker = 0);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    // Hands a listening socket to the proxy (for ListenerSet); null on failure. The
    // connections of a `tls` listener speak TLS with the certificates of setCertificates.
    std::unique_ptr<AcceptingSocket> attachListener(evutil_socket_t fd, bool tls = false);

    // SIGTERM: idle connections close now, busy ones after their current response.
    // `on_drained` runs once no client connection is left.
    void beginShutdown(std::function<void()> on_drained);

    // Takes a newly published configuration: the next request accepted sees it.
    void setServices(std::shared_ptr<const ServiceTable> services) {
        context_.setServices(std::move(services));
    }
    // Takes newly loaded certificates: the next TLS connection accepted uses them.
    void setCertificates(std::shared_ptr<const TlsServerContext> certificates) {
        context_.setCertificates(std::move(certificates));
    }
    std::size_t connectionCount() const { return context_.connections().size(); }

  private:
    void accept(evutil_socket_t fd, const sockaddr* address, bool tls);
    // A connection over proxy.max_connections (counted over all workers): closed at once, and
    // logged at most once a second (per worker) with the count since the last such line.
    void refuseConnection(evutil_socket_t fd);

    ProxyContext context_;
    std::uint64_t refused_unlogged_ = 0;
    std::chrono::steady_clock::time_point refusal_logged_{};
};

}  // namespace switchboard
