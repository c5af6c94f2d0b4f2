#include "switchboard/upstream_pool.h"

#include <event2/dns.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace switchboard {

UpstreamPool::UpstreamPool(event_base* base, evdns_base* dns) : base_(base), dns_(dns) {}

UpstreamPool::~UpstreamPool() = default;

std::unique_ptr<UpstreamConnection> UpstreamPool::takeIdle(const Upstream& upstream) {
    auto found = idle_.find(upstream.name());
    if (found == idle_.end() || found->second.empty())
        return nullptr;
    // Most recently used first: it is the least likely to have been closed by the server.
    auto connection = std::move(found->second.back());
    found->second.pop_back();
    bufferevent_setcb(connection->bev.get(), nullptr, nullptr, nullptr, nullptr);
    return connection;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::connect(const Upstream& upstream) {
    auto connection = std::make_unique<UpstreamConnection>();
    connection->address = upstream.name();
    connection->bev.reset(bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE));
    if (!connection->bev)
        return nullptr;
    const HostPort& address = upstream.address();
    int family = address.kind == HostPort::Kind::IPv6   ? AF_INET6
                 : address.kind == HostPort::Kind::IPv4 ? AF_INET
                                                        : AF_UNSPEC;
    if (bufferevent_socket_connect_hostname(connection->bev.get(), dns_, family,
                                            address.host.c_str(), address.port) != 0)
        return nullptr;
    return connection;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
    auto& idle = idle_[connection->address];
    if (idle.size() >= kMaxIdlePerUpstream)
        return;  // the unique_ptr closes it
    bufferevent* bev = connection->bev.get();
    connection->reused = true;
    connection->idle_since = Clock::now();
    // While idle, any readable byte or EOF means the server closed it or broke the protocol.
    timeval idle_timeout{static_cast<time_t>(kIdleTimeout.count()), 0};
    bufferevent_set_timeouts(bev, &idle_timeout, nullptr);
    bufferevent_setcb(bev, onIdleRead, nullptr, onIdleEvent, this);
    bufferevent_enable(bev, EV_READ);
    idle.push_back(std::move(connection));
}

void UpstreamPool::onIdleEvent(bufferevent* bev, short, void* arg) {
    static_cast<UpstreamPool*>(arg)->dropIdle(bev);
}

void UpstreamPool::onIdleRead(bufferevent* bev, void* arg) {
    static_cast<UpstreamPool*>(arg)->dropIdle(bev);
}

void UpstreamPool::dropIdle(bufferevent* bev) {
    for (auto& [address, idle] : idle_) {
        for (auto it = idle.begin(); it != idle.end(); ++it) {
            if ((*it)->bev.get() == bev) {
                idle.erase(it);  // frees the bufferevent; safe inside its own callback
                return;
            }
        }
    }
}

} // namespace switchboard
