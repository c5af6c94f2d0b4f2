// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "switchboard/balance/upstream.h"
#include "switchboard/net/stream_socket.h"

struct evdns_base;
struct evdns_getaddrinfo_request;

namespace switchboard {

// One TCP connection to an upstream server. While idle it sits in the UpstreamPool, which
// watches it for the server closing it; while in use the request that holds it is the
// socket's handler.
struct UpstreamConnection {
    std::unique_ptr<StreamSocket> socket;
    std::string address;  // the pool key: the upstream's "host:port"
    bool reused = false;  // served a request before: a failure may be a stale keep-alive
};

// Where a connection being made reports. A hostname is resolved first (evdns, never
// blocking the loop); the connection then starts, and its socket reports to `handler`.
class UpstreamConnectHandler : public StreamSocketHandler {
  public:
    // The socket exists and is connecting (or failed at once: onError follows from the loop).
    virtual void onConnecting(std::unique_ptr<UpstreamConnection> connection) = 0;
    // The name did not resolve, or no socket could be made.
    virtual void onConnectFailed(const std::string& reason) = 0;
};

// Idle keep-alive connections to upstream servers, by address, bounded in count per upstream
// and in idle time. A connection the server closed while idle is dropped at once, so it is
// never handed out.
class UpstreamPool final : public StreamSocketHandler {
  public:
    UpstreamPool(event_base* base, evdns_base* dns);
    ~UpstreamPool() override;
    UpstreamPool(const UpstreamPool&) = delete;
    UpstreamPool& operator=(const UpstreamPool&) = delete;

    // An idle connection to `upstream`, or nullptr when there is none.
    std::unique_ptr<UpstreamConnection> takeIdle(const Upstream& upstream);
    // Starts a new connection: `handler->onConnecting` (at once for an IP address, after the
    // lookup for a hostname) or `handler->onConnectFailed`. The returned handle cancels a
    // lookup still under way (cancelLookup); nullptr when there is none to cancel.
    evdns_getaddrinfo_request* connect(const Upstream& upstream, UpstreamConnectHandler* handler);
    static void cancelLookup(evdns_getaddrinfo_request* lookup);
    // Gives a connection back after a complete response that allows keep-alive.
    void release(std::unique_ptr<UpstreamConnection> connection);

    static constexpr std::size_t kMaxIdlePerUpstream = 256;
    static constexpr std::int64_t kIdleTimeoutMs = 60'000;

    // StreamSocketHandler, for idle connections: any byte or close from the server ends one.
    // (A wakeup with neither, after a body was spliced, is no reason to drop it.)
    void onReadable(StreamSocket& socket) override {
        if (socket.atEof() || evbuffer_get_length(socket.input()) > 0)
            dropIdle(socket);
    }
    void onError(StreamSocket& socket, bool) override { dropIdle(socket); }

  private:
    using IdleList = std::list<std::unique_ptr<UpstreamConnection>>;
    void dropIdle(StreamSocket& socket);

    event_base* base_;
    evdns_base* dns_;
    std::map<std::string, IdleList, std::less<>> idle_;
};

}  // namespace switchboard
