// SPDX-License-Identifier: Apache-2.0
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

}  // namespace

Proxy::Proxy(event_base* base, evdns_base* dns, std::shared_ptr<const ServiceTable> services,
             ServerStats& stats, AccessLogFile& log_file, std::size_t worker)
    : context_(base, dns, std::move(services), stats, log_file, worker) {}

Proxy::~Proxy() {
    // Copy first: each connection removes itself from the set as it goes.
    std::vector<ClientConnection*> open(context_.connections().begin(),
                                        context_.connections().end());
    for (auto* connection : open)
        delete connection;
}

std::unique_ptr<AcceptingSocket> Proxy::attachListener(evutil_socket_t fd, bool tls) {
    return ConnectionListener::attach(context_.base(), fd,
                                      [this, tls](evutil_socket_t client, const sockaddr* address) {
                                          accept(client, address, tls);
                                      });
}

void Proxy::accept(evutil_socket_t fd, const sockaddr* address, bool tls) {
    // The count is over all workers: a slot is taken before the connection exists, so two
    // workers accepting at once can never both take the last one.
    if (context_.stats().client_connections.add(1) >= context_.settings().max_connections) {
        context_.stats().client_connections.add(-1);
        refuseConnection(fd);
        return;
    }
    // ConnectionListener accepted it non-blocking already.
    TlsSession session;
    if (tls) {
        // The server never binds a TLS listener before its certificates are published.
        session.context = context_.certificates();
        session.ssl = session.context ? session.context->newSession(fd) : nullptr;
        if (!session.ssl) {
            logWarn("proxy: cannot start a TLS session: " + takeOpenSslError());
            context_.stats().tls_handshakes_failed.add();
            context_.stats().client_connections.add(-1);
            evutil_closesocket(fd);
            return;
        }
    }
    auto* connection = new ClientConnection(context_, fd, addressText(address), std::move(session));
    context_.add(connection);
    connection->start();
}

// Accepting and closing at once (as nginx does when out of worker_connections) rather than
// leaving connections in the kernel's backlog: the client learns now, not after its own
// timeout, and the listener never stays readable with nobody taking from it.
void Proxy::refuseConnection(evutil_socket_t fd) {
    evutil_closesocket(fd);
    context_.stats().client_connections_refused.add();
    ++refused_unlogged_;
    auto now = std::chrono::steady_clock::now();
    if (now - refusal_logged_ >= std::chrono::seconds(1)) {
        logWarn("proxy: max_connections (" + std::to_string(context_.settings().max_connections) +
                ") reached: refused " + std::to_string(refused_unlogged_) + " connection" +
                (refused_unlogged_ == 1 ? "" : "s") + " since the last such line");
        refused_unlogged_ = 0;
        refusal_logged_ = now;
    }
}

void Proxy::beginShutdown(std::function<void()> on_drained) {
    context_.stopAccepting(std::move(on_drained));
    std::vector<ClientConnection*> open(context_.connections().begin(),
                                        context_.connections().end());
    for (auto* connection : open)
        connection->shutdownWhenIdle();
    context_.notifyIfDrained();
}

}  // namespace switchboard
