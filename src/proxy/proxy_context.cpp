// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/proxy_context.h"

namespace switchboard {

void ProxyContext::add(ClientConnection* connection) {
    connections_.insert(connection);
}

void ProxyContext::forget(ClientConnection* connection) {
    connections_.erase(connection);
    stats_.client_connections.add(-1);  // taken in Proxy::accept
    notifyIfDrained();
}

void ProxyContext::stopAccepting(std::function<void()> on_drained) {
    shutting_down_ = true;
    on_drained_ = std::move(on_drained);
}

void ProxyContext::notifyIfDrained() {
    if (shutting_down_ && connections_.empty() && on_drained_) {
        auto drained = std::move(on_drained_);
        on_drained_ = nullptr;
        drained();
    }
}

}  // namespace switchboard
