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
    // The socket listens already, with bindListeningSocket's backlog.
    std::unique_ptr<ConnectionListener> listener(new ConnectionListener(fd, std::move(on_accept)));
    evutil_make_socket_nonblocking(fd);
    listener->event_.reset(event_new(base, fd, EV_READ | EV_PERSIST,
                                     CCallback<&ConnectionListener::onReadable>::call,
                                     listener.get()));
    if (!listener->event_ || event_add(listener->event_.get(), nullptr) != 0)
        return nullptr;  // the destructor closes the socket
    return listener;
}

ConnectionListener::~ConnectionListener() {
    event_.reset();
    ::close(fd_);
}

void ConnectionListener::onReadable(evutil_socket_t, short) {
    for (int i = 0; i < kAcceptsPerTurn; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        int client = ::accept4(fd_, reinterpret_cast<sockaddr*>(&address), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            // EAGAIN: none left. A connection that died in the queue (ECONNABORTED) or an
            // interrupted call: the next one. Out of descriptors (EMFILE): the next turn
            // tries again, as libevent's listener would.
            if (errno == ECONNABORTED || errno == EINTR)
                continue;
            return;
        }
        on_accept_(client, reinterpret_cast<const sockaddr*>(&address));
    }
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
