#include "switchboard/proxy/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <vector>

#include "switchboard/base/log.h"
#include "switchboard/proxy/client_connection.h"

namespace switchboard {

namespace {

std::string addressText(const sockaddr* address) {
    char text[INET6_ADDRSTRLEN] = "";
    if (address->sa_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
        // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: log it as IPv4.
        if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
            inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
        else
            inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    } else if (address->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                  sizeof text);
    }
    return text;
}

} // namespace

Proxy::Proxy(event_base* base, evdns_base* dns, Registry& registry, ServerStats& stats)
    : base_(base), registry_(registry), stats_(stats), pool_(base, dns), access_log_(base) {}

Proxy::~Proxy() {
    // Copy first: each connection removes itself from the set as it goes.
    std::vector<ClientConnection*> open(connections_.begin(), connections_.end());
    for (auto* connection : open)
        delete connection;
}

std::unique_ptr<AcceptingSocket> Proxy::attachListener(evutil_socket_t fd) {
    return ConnectionListener::attach(
        base_, fd, [this](evutil_socket_t client, const sockaddr* address) { accept(client, address); });
}

void Proxy::accept(evutil_socket_t fd, const sockaddr* address) {
    if (connections_.size() >= static_cast<std::size_t>(settings().max_connections)) {
        refuseConnection(fd);
        return;
    }
    evutil_make_socket_nonblocking(fd);
    auto* connection = new ClientConnection(*this, fd, addressText(address));
    connections_.insert(connection);
    stats_.client_connections = connections_.size();
    connection->start();
}

// Accepting and closing at once (as nginx does when out of worker_connections) rather than
// leaving connections in the kernel's backlog: the client learns now, not after its own
// timeout, and the listener never stays readable with nobody taking from it.
void Proxy::refuseConnection(evutil_socket_t fd) {
    evutil_closesocket(fd);
    ++stats_.client_connections_refused;
    ++refused_unlogged_;
    auto now = std::chrono::steady_clock::now();
    if (now - refusal_logged_ >= std::chrono::seconds(1)) {
        logWarn("proxy: max_connections (" + std::to_string(settings().max_connections) +
                ") reached: refused " + std::to_string(refused_unlogged_) + " connection" +
                (refused_unlogged_ == 1 ? "" : "s") + " since the last such line");
        refused_unlogged_ = 0;
        refusal_logged_ = now;
    }
}

void Proxy::forget(ClientConnection* connection) {
    connections_.erase(connection);
    stats_.client_connections = connections_.size();
    if (shutting_down_ && connections_.empty() && on_drained_) {
        auto drained = std::move(on_drained_);
        on_drained_ = nullptr;
        drained();
    }
}

void Proxy::beginShutdown(std::function<void()> on_drained) {
    shutting_down_ = true;
    on_drained_ = std::move(on_drained);
    std::vector<ClientConnection*> open(connections_.begin(), connections_.end());
    for (auto* connection : open)
        connection->shutdownWhenIdle();
    if (connections_.empty() && on_drained_) {
        auto drained = std::move(on_drained_);
        on_drained_ = nullptr;
        drained();
    }
}

} // namespace switchboard
