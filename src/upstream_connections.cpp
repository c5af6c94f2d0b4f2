#include "switchboard/upstream_connections.h"

namespace switchboard {

UpstreamConnections::~UpstreamConnections() {
    for (auto& [address, connections] : idle_)
        for (auto* connection : connections)
            evhttp_connection_free(connection);
}

evhttp_connection* UpstreamConnections::acquire(const Upstream& upstream,
                                                std::chrono::milliseconds timeout) {
    evhttp_connection* connection = nullptr;
    auto& idle = idle_[upstream.name()];
    if (!idle.empty()) {
        connection = idle.back();
        idle.pop_back();
    } else {
        connection = evhttp_connection_base_new(base_, dns_, upstream.address().host.c_str(),
                                                upstream.address().port);
        if (!connection)
            return nullptr;
        evhttp_connection_set_retries(connection, 0);
    }
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    evhttp_connection_set_timeout_tv(connection, &tv);
    return connection;
}

void UpstreamConnections::release(const Upstream& upstream, evhttp_connection* connection) {
    auto& idle = idle_[upstream.name()];
    if (idle.size() >= kMaxIdlePerUpstream || upstream.draining) {
        discard(connection);
        return;
    }
    idle.push_back(connection);
}

void UpstreamConnections::discard(evhttp_connection* connection) {
    auto free_later = [](evutil_socket_t, short, void* arg) {
        evhttp_connection_free(static_cast<evhttp_connection*>(arg));
    };
    timeval now{0, 0};
    if (event_base_once(base_, -1, EV_TIMEOUT, free_later, connection, &now) != 0)
        evhttp_connection_free(connection);
}

} // namespace switchboard
