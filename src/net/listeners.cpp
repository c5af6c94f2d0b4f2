// SPDX-License-Identifier: Apache-2.0
#include "switchboard/net/listeners.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/log.h"
#include "switchboard/net/net_address.h"

namespace switchboard {

namespace {

Result<evutil_socket_t> bindSocket(const std::string& text, bool reuse_port, bool listen) {
    auto address = parseHostPort(text);
    if (!address)
        return address.error();
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    if (address->kind == HostPort::Kind::IPv6) {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
        v6->sin6_family = family = AF_INET6;
        v6->sin6_port = htons(address->port);
        inet_pton(AF_INET6, address->host.c_str(), &v6->sin6_addr);
        length = sizeof *v6;
    } else {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(address->port);
        const char* host = address->host == "localhost" ? "127.0.0.1" : address->host.c_str();
        if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
            return invalid("cannot listen on " + text + ": not an IP address");
        length = sizeof *v4;
    }
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ioError("cannot listen on " + text + ": " + std::strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        (listen && ::listen(fd, 4096) != 0)) {
        int error = errno;
        ::close(fd);
        return ioError("cannot bind " + text + ": " + std::strerror(error));
    }
    return fd;
}

}  // namespace

Result<evutil_socket_t> bindListeningSocket(const std::string& address, bool reuse_port) {
    return bindSocket(address, reuse_port, /*listen=*/true);
}

Status checkAddressFree(const std::string& address) {
    // A bind without SO_REUSEPORT fails on any socket bound there; not listening, the probe
    // never takes a connection.
    auto probe = bindSocket(address, /*reuse_port=*/false, /*listen=*/false);
    if (!probe)
        return probe.error();
    ::close(*probe);
    return Ok{};
}

std::unique_ptr<ConnectionListener> ConnectionListener::attach(event_base* base, evutil_socket_t fd,
                                                               OnAccept on_accept) {
    std::unique_ptr<ConnectionListener> listener(new ConnectionListener(std::move(on_accept)));
    // Backlog 0: the socket listens already, with bindListeningSocket's backlog; -1 would make
    // libevent call listen() again with 128, and a burst of connections past that waits for
    // SYN retransmits (a second or more) instead of the accept loop.
    listener->listener_.reset(
        evconnlistener_new(base, CCallback<&ConnectionListener::accepted>::call, listener.get(),
                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd));
    if (!listener->listener_) {
        ::close(fd);
        return nullptr;
    }
    return listener;
}

void ConnectionListener::accepted(evconnlistener*, evutil_socket_t fd, sockaddr* address, int) {
    on_accept_(fd, address);
}

Result<std::vector<std::string>>
ListenerSet::bindMissing(const std::vector<std::string>& addresses) {
    std::vector<std::string> bound_now;
    for (const auto& address : addresses) {
        if (bound_.count(address))
            continue;
        if (reuse_port_) {
            if (Status free = checkAddressFree(address); !free) {
                close(bound_now);
                return free.error();
            }
        }
        auto fd = bindListeningSocket(address, reuse_port_);
        std::unique_ptr<AcceptingSocket> handle = fd ? attach_(*fd, address) : nullptr;
        if (!handle) {  // attach_ closed the socket
            close(bound_now);
            return fd ? ioError("cannot listen on " + address) : fd.error();
        }
        bound_[address] = std::move(handle);
        bound_now.push_back(address);
        logInfo(what_ + " listening on " + address);
    }
    return bound_now;
}

void ListenerSet::close(const std::vector<std::string>& addresses) {
    for (const auto& address : addresses) {
        auto found = bound_.find(address);
        if (found == bound_.end())
            continue;
        bound_.erase(found);
    }
}

void ListenerSet::closeAllBut(const std::vector<std::string>& addresses) {
    std::vector<std::string> unwanted;
    for (const auto& [address, listener] : bound_)
        if (std::find(addresses.begin(), addresses.end(), address) == addresses.end())
            unwanted.push_back(address);
    for (const auto& address : unwanted)
        logInfo(what_ + " no longer listening on " + address);
    close(unwanted);
}

void ListenerSet::closeAll() {
    bound_.clear();
}

}  // namespace switchboard
