// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/upstream_pool.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <netinet/in.h>

#include <cstring>

#include "switchboard/base/c_callback.h"

namespace switchboard {

namespace {

std::unique_ptr<UpstreamConnection> startConnection(event_base* base, const sockaddr* address,
                                                    int length, const std::string& name,
                                                    UpstreamConnectHandler* handler) {
    StreamSocket* socket = StreamSocket::connectTo(base, address, length, handler);
    if (!socket)
        return nullptr;
    auto connection = std::make_unique<UpstreamConnection>();
    connection->socket.reset(socket);
    connection->address = name;
    return connection;
}

// A name being resolved for a new connection. It owns itself: evdns calls done() exactly
// once (with EVUTIL_EAI_CANCEL after a cancel), and done() deletes it.
struct PendingLookup {
    event_base* base;
    UpstreamConnectHandler* handler;
    std::string address;

    void done(int result, evutil_addrinfo* found) {
        std::unique_ptr<PendingLookup> self(this);
        if (result == EVUTIL_EAI_CANCEL)
            return;  // the request that wanted it is gone
        if (result != 0 || !found) {
            handler->onConnectFailed("cannot resolve " + address + ": " +
                                     evutil_gai_strerror(result));
            return;
        }
        auto connection = startConnection(base, found->ai_addr, static_cast<int>(found->ai_addrlen),
                                          address, handler);
        evutil_freeaddrinfo(found);
        if (!connection) {
            handler->onConnectFailed(std::string("socket: ") + std::strerror(errno));
            return;
        }
        handler->onConnecting(std::move(connection));
    }
};

}  // namespace

UpstreamPool::UpstreamPool(event_base* base, evdns_base* dns) : base_(base), dns_(dns) {}

UpstreamPool::~UpstreamPool() = default;

std::unique_ptr<UpstreamConnection> UpstreamPool::takeIdle(const Upstream& upstream) {
    auto found = idle_.find(upstream.name());
    if (found == idle_.end() || found->second.empty())
        return nullptr;
    // Most recently used first: it is the least likely to have been closed by the server.
    auto connection = std::move(found->second.back());
    found->second.pop_back();
    return connection;
}

evdns_getaddrinfo_request* UpstreamPool::connect(const Upstream& upstream,
                                                 UpstreamConnectHandler* handler) {
    const HostPort& address = upstream.address();
    sockaddr_storage storage{};
    int length = 0;
    if (address.kind == HostPort::Kind::IPv6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(address.port);
        inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr);
        length = sizeof *v6;
    } else if (address.kind == HostPort::Kind::IPv4) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(address.port);
        inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr);
        length = sizeof *v4;
    } else {
        evutil_addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_protocol = IPPROTO_TCP;
        hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
        auto* lookup = new PendingLookup{base_, handler, upstream.name()};
        // May call done() before returning (names in /etc/hosts, cached answers).
        return evdns_getaddrinfo(dns_, address.host.c_str(), std::to_string(address.port).c_str(),
                                 &hints, CCallback<&PendingLookup::done>::call, lookup);
    }
    auto connection = startConnection(base_, reinterpret_cast<sockaddr*>(&storage), length,
                                      upstream.name(), handler);
    if (!connection)
        handler->onConnectFailed(std::string("socket: ") + std::strerror(errno));
    else
        handler->onConnecting(std::move(connection));
    return nullptr;
}

void UpstreamPool::cancelLookup(evdns_getaddrinfo_request* lookup) {
    if (lookup)
        evdns_getaddrinfo_cancel(lookup);
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
    auto& idle = idle_[connection->address];
    if (idle.size() >= kMaxIdlePerUpstream)
        return;  // the unique_ptr closes it
    connection->reused = true;
    StreamSocket& socket = *connection->socket;
    socket.setHandler(this);
    socket.setTimeout(kIdleTimeoutMs);
    socket.resumeReading();
    idle.push_back(std::move(connection));
}

void UpstreamPool::dropIdle(StreamSocket& socket) {
    for (auto& [address, idle] : idle_) {
        for (auto it = idle.begin(); it != idle.end(); ++it) {
            if ((*it)->socket.get() == &socket) {
                idle.erase(it);  // deletes the socket; it notices, being in its own callback
                return;
            }
        }
    }
}

}  // namespace switchboard
