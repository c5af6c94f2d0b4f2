#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "switchboard/libevent.h"
#include "switchboard/upstream.h"

struct evdns_base;

namespace switchboard {

using BuffereventPtr = std::unique_ptr<bufferevent, CFree<bufferevent_free>>;

// One TCP connection to an upstream server. While idle it sits in the UpstreamPool, which
// watches it for the server closing it; while in use the request that holds it installs its
// own callbacks.
struct UpstreamConnection {
    BuffereventPtr bev;
    std::string address;  // the pool key: the upstream's "host:port"
    bool reused = false;  // served a request before: a failure may be a stale keep-alive
    Clock::time_point idle_since{};
};

// Idle keep-alive connections to upstream servers, by address, bounded in count per upstream
// and in idle time. A connection the server closed while idle is dropped at once, so it is
// never handed out.
class UpstreamPool {
  public:
    UpstreamPool(event_base* base, evdns_base* dns);
    ~UpstreamPool();
    UpstreamPool(const UpstreamPool&) = delete;
    UpstreamPool& operator=(const UpstreamPool&) = delete;

    // An idle connection to `upstream`, or nullptr when there is none.
    std::unique_ptr<UpstreamConnection> takeIdle(const Upstream& upstream);
    // A new connection, connecting (non-blocking; names resolved with evdns). The caller sets
    // the callbacks and timeouts before the loop runs again. nullptr when no socket could be
    // made.
    std::unique_ptr<UpstreamConnection> connect(const Upstream& upstream);
    // Gives a connection back after a complete response that allows keep-alive.
    void release(std::unique_ptr<UpstreamConnection> connection);

    static constexpr std::size_t kMaxIdlePerUpstream = 256;
    static constexpr std::chrono::seconds kIdleTimeout{60};

  private:
    using IdleList = std::list<std::unique_ptr<UpstreamConnection>>;
    static void onIdleEvent(bufferevent* bev, short what, void* arg);
    static void onIdleRead(bufferevent* bev, void* arg);
    void dropIdle(bufferevent* bev);

    event_base* base_;
    evdns_base* dns_;
    std::map<std::string, IdleList, std::less<>> idle_;
};

} // namespace switchboard
