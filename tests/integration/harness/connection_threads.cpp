// SPDX-License-Identifier: Apache-2.0
#include "harness/connection_threads.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace harness {

int listenLoopback(bool ipv6, int port, int backlog, int& bound_port) {
    int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage storage{};
    socklen_t length;
    if (ipv6) {
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_addr = in6addr_loopback;
        address->sin6_port = htons(static_cast<uint16_t>(port));
        length = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address->sin_port = htons(static_cast<uint16_t>(port));
        length = sizeof *address;
    }
    ::bind(fd, reinterpret_cast<sockaddr*>(&storage), length);
    ::listen(fd, backlog);
    getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    bound_port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                            : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    return fd;
}

ConnectionThreads::ConnectionThreads(bool ipv6, int port, Serve serve) : serve_(std::move(serve)) {
    listen_fd_ = listenLoopback(ipv6, port, 1024, port_);
    accept_thread_ = std::thread([this] { acceptLoop(); });
}

void ConnectionThreads::stop() {
    if (stopping_.exchange(true))
        return;
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (accept_thread_.joinable())
        accept_thread_.join();
    ::close(listen_fd_);
    {
        std::lock_guard lock(mutex_);
        for (int fd : fds_)
            ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& thread : threads_)
        if (thread.joinable())
            thread.join();
    for (int fd : fds_)
        ::close(fd);
}

void ConnectionThreads::acceptLoop() {
    while (!stopping_) {
        pollfd p{listen_fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0)
            continue;
        int number = ++accepted_;
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            break;
        }
        fds_.push_back(fd);
        threads_.emplace_back([this, fd, number] { serve_(fd, number); });
    }
}

}  // namespace harness
