// SPDX-License-Identifier: Apache-2.0
#include "harness/tcp_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace harness {

namespace {

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    return address;
}

}  // namespace

TcpRelay::TcpRelay(int target_port) : target_port_(target_port) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
        throw std::runtime_error("pipe2 failed");
    listen();
    thread_ = std::thread([this] { run(); });
}

TcpRelay::~TcpRelay() {
    stopping_ = true;
    (void)!::write(wake_[1], "x", 1);
    thread_.join();
    if (listener_ >= 0)
        ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
}

void TcpRelay::listen() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address = loopback(port_);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0)
        throw std::runtime_error("TcpRelay: cannot listen on port " + std::to_string(port_));
    if (port_ == 0) {  // the first time, from the constructor; restore() keeps the port
        socklen_t length = sizeof address;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
    }
}

void TcpRelay::cut() {
    std::lock_guard lock(mutex_);
    cut_ = true;
    (void)!::write(wake_[1], "x", 1);
}

void TcpRelay::restore() {
    std::lock_guard lock(mutex_);
    cut_ = false;
    (void)!::write(wake_[1], "x", 1);
}

void TcpRelay::run() {
    std::vector<std::pair<int, int>> pairs;  // client, upstream
    bool was_cut = false;
    while (!stopping_) {
        bool cut;
        {
            std::lock_guard lock(mutex_);
            cut = cut_;
        }
        if (cut != was_cut) {
            was_cut = cut;
            if (cut) {
                for (auto [a, b] : pairs) {
                    ::close(a);
                    ::close(b);
                }
                pairs.clear();
                ::close(listener_);  // connects are refused
                listener_ = -1;
            } else {
                listen();
            }
        }
        std::vector<pollfd> fds{{wake_[0], POLLIN, 0}};
        if (listener_ >= 0)
            fds.push_back({listener_, POLLIN, 0});
        const std::size_t first_pair = fds.size();
        for (auto [a, b] : pairs) {
            fds.push_back({a, POLLIN, 0});
            fds.push_back({b, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            char drain[64];
            while (::read(wake_[0], drain, sizeof drain) > 0) {
            }
        }
        // A pair accepted now has no pollfd of this round: it joins the others after it.
        std::optional<std::pair<int, int>> accepted;
        if (listener_ >= 0 && fds[1].revents & POLLIN) {
            int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client >= 0) {
                int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                sockaddr_in target = loopback(target_port_);
                if (::connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
                    accepted.emplace(client, upstream);
                } else {
                    ::close(client);
                    ::close(upstream);
                }
            }
        }
        std::vector<std::pair<int, int>> alive;
        for (std::size_t i = 0; i < pairs.size(); ++i) {
            bool closed = false;
            for (int side = 0; side < 2 && !closed; ++side) {
                const pollfd& ready = fds[first_pair + 2 * i + side];
                if (!(ready.revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                int from = side == 0 ? pairs[i].first : pairs[i].second;
                int to = side == 0 ? pairs[i].second : pairs[i].first;
                char buffer[65536];
                ssize_t n = ::recv(from, buffer, sizeof buffer, 0);
                if (n <= 0) {
                    closed = true;
                    break;
                }
                if (side == 1 && swallow_answers_)
                    continue;
                for (ssize_t sent = 0; sent < n;) {
                    ssize_t m =
                        ::send(to, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
                    if (m <= 0) {
                        closed = true;
                        break;
                    }
                    sent += m;
                }
            }
            if (closed) {
                ::close(pairs[i].first);
                ::close(pairs[i].second);
            } else {
                alive.push_back(pairs[i]);
            }
        }
        if (accepted)
            alive.push_back(*accepted);
        pairs = std::move(alive);
    }
    for (auto [a, b] : pairs) {
        ::close(a);
        ::close(b);
    }
}

}  // namespace harness
