#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_set>

#include "switchboard/proxy/access_log.h"
#include "switchboard/base/libevent.h"
#include "switchboard/net/pipe_pool.h"
#include "switchboard/runtime/registry.h"
#include "switchboard/base/stats.h"
#include "switchboard/proxy/upstream_pool.h"

struct evdns_base;
struct evconnlistener;

namespace switchboard {

class ClientConnection;

// The proxy port (SPEC §3). switchboard speaks HTTP/1.1 on the proxy port itself, on its own
// edge-triggered sockets (stream_socket.h), rather than through evhttp: it needs to stream bodies both ways with
// backpressure, to refuse ambiguous framing before any byte goes upstream, and to keep the
// per-request work (system calls, copies, allocations) small. Each accepted socket becomes a
// ClientConnection (client_connection.cpp).
class Proxy {
  public:
    Proxy(event_base* base, evdns_base* dns, Registry& registry, ServerStats& stats);
    ~Proxy();
    Proxy(const Proxy&) = delete;
    Proxy& operator=(const Proxy&) = delete;

    // Hands a listening socket to the proxy: returns the listener handle for ListenerSet
    // (nullptr on failure), and the function that closes it.
    void* attachListener(evutil_socket_t fd);
    static void detachListener(void* handle);

    // SIGTERM: idle connections close now, busy ones after their current response.
    // `on_drained` runs once no client connection is left.
    void beginShutdown(std::function<void()> on_drained);

    event_base* base() { return base_; }
    Registry& registry() { return registry_; }
    const ProxySettings& settings() const { return registry_.config().proxy; }
    UpstreamPool& pool() { return pool_; }
    PipePool& pipes() { return pipes_; }
    AccessLog& accessLog() { return access_log_; }
    bool shuttingDown() const { return shutting_down_; }
    std::size_t connectionCount() const { return connections_.size(); }

    // Pipes for splicing bodies: 256 at most (512 file descriptors, 32 MiB of pipe buffers).
    static constexpr std::size_t kMaxPipes = 256;

    // ClientConnection lifetime bookkeeping.
    void forget(ClientConnection* connection);

  private:
    void accept(evconnlistener* listener, evutil_socket_t fd, sockaddr* address, int length);
    // A connection over proxy.max_connections: closed at once, and logged at most once a
    // second with the count since the last such line.
    void refuseConnection(evutil_socket_t fd);

    event_base* base_;
    Registry& registry_;
    ServerStats& stats_;
    UpstreamPool pool_;
    PipePool pipes_{kMaxPipes};
    AccessLog access_log_;
    std::unordered_set<ClientConnection*> connections_;
    bool shutting_down_ = false;
    std::function<void()> on_drained_;
    std::uint64_t refused_unlogged_ = 0;
    std::chrono::steady_clock::time_point refusal_logged_{};
};

} // namespace switchboard
