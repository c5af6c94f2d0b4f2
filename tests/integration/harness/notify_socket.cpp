// SPDX-License-Identifier: Apache-2.0
#include "harness/notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace harness {

ScopedEnv::ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str()))
        old_value_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
    if (old_value_)
        ::setenv(name_.c_str(), old_value_->c_str(), 1);
    else
        ::unsetenv(name_.c_str());
}

NotifySocket::NotifySocket(std::string path) : path_(std::move(path)) {
    sockaddr_un address{};
    if (path_.size() >= sizeof address.sun_path)
        return;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        return;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
    int one = 1;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

NotifySocket::~NotifySocket() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
}

std::optional<NotifyMessage> NotifySocket::receive(int timeout_ms) {
    if (fd_ < 0)
        return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
        return std::nullopt;
    char data[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    iovec io{data, sizeof data};
    msghdr header{};
    header.msg_iov = &io;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &header, 0);
    if (n < 0)
        return std::nullopt;
    NotifyMessage message;
    message.text.assign(data, static_cast<std::size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&header); c; c = CMSG_NXTHDR(&header, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            ucred credentials;
            std::memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
            message.sender_pid = credentials.pid;
        }
    std::size_t pos = 0;
    while (pos < message.text.size()) {
        std::size_t end = message.text.find('\n', pos);
        if (end == std::string::npos)
            end = message.text.size();
        std::string line = message.text.substr(pos, end - pos);
        auto equals = line.find('=');
        if (equals != std::string::npos)
            message.fields[line.substr(0, equals)] = line.substr(equals + 1);
        pos = end + 1;
    }
    return message;
}

std::optional<NotifyMessage> NotifySocket::receiveUntil(const std::string& key, int timeout_ms,
                                                        std::string* skipped) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0)
            return std::nullopt;
        auto message = receive(static_cast<int>(left));
        if (!message)
            return std::nullopt;
        if (message->has(key))
            return message;
        if (skipped)
            *skipped += message->text + "\n---\n";
    }
}

}  // namespace harness
