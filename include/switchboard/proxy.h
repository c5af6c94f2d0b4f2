#pragma once

#include <memory>

#include "switchboard/libevent.h"
#include "switchboard/registry.h"
#include "switchboard/upstream_connections.h"

namespace switchboard {

// The proxy port's request handling: route, pick an upstream, forward, stream the answer
// back. Every request becomes one ProxyExchange (proxy.cpp) that lives until the client
// has its answer or is gone.
class Proxy {
  public:
    Proxy(event_base* base, evdns_base* dns, Registry& registry);

    // The evhttp general callback for the proxy listener; `arg` is the Proxy.
    static void onRequest(evhttp_request* request, void* arg);

    Registry& registry() { return registry_; }
    UpstreamConnections& connections() { return connections_; }
    event_base* base() { return base_; }

  private:
    void handle(evhttp_request* request);

    event_base* base_;
    Registry& registry_;
    UpstreamConnections connections_;
};

} // namespace switchboard
