#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "switchboard/libevent.h"

struct evdns_base;
#include "switchboard/upstream.h"

namespace switchboard {

// Idle keep-alive connections to upstream servers, by address. An evhttp_connection
// reconnects by itself when the server closed it while idle, so a pooled connection is
// always safe to hand out; the pool only bounds how many stay open.
class UpstreamConnections {
  public:
    UpstreamConnections(event_base* base, evdns_base* dns) : base_(base), dns_(dns) {}
    ~UpstreamConnections();
    UpstreamConnections(const UpstreamConnections&) = delete;
    UpstreamConnections& operator=(const UpstreamConnections&) = delete;

    // An idle connection to `upstream`, or a new one. The caller owns it until it gives it
    // back with release() or destroys it with discard().
    evhttp_connection* acquire(const Upstream& upstream, std::chrono::milliseconds timeout);
    void release(const Upstream& upstream, evhttp_connection* connection);
    // Frees the connection on the next turn of the loop, so it is safe to call from inside
    // one of the connection's own callbacks.
    void discard(evhttp_connection* connection);

    static constexpr std::size_t kMaxIdlePerUpstream = 64;

  private:
    event_base* base_;
    evdns_base* dns_;
    std::map<std::string, std::vector<evhttp_connection*>> idle_;
};

} // namespace switchboard
