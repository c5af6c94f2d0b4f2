// SPDX-License-Identifier: Apache-2.0
#pragma once

// A client connection to the proxy driven from a raw socket, byte by byte, and the answers it
// reads back: for the tests that must send exactly the bytes they mean (smuggling, conformance).
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "harness/switchboard_process.h"

namespace harness {

struct Answer {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    std::string header(const std::string& name) const {
        for (const auto& [key, value] : headers)
            if (strcasecmp(key.c_str(), name.c_str()) == 0)
                return value;
        return "";
    }
    int headerCount(const std::string& name) const {
        int count = 0;
        for (const auto& [key, value] : headers)
            count += strcasecmp(key.c_str(), name.c_str()) == 0;
        return count;
    }
};

// The status line and header lines of `head` (without its final CRLF CRLF).
inline Answer parseHead(const std::string& head) {
    Answer answer;
    if (head.size() >= 12)
        answer.status = std::atoi(head.c_str() + 9);
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
        pos += 2;
        std::size_t line_end = head.find("\r\n", pos);
        std::string line =
            head.substr(pos, line_end == std::string::npos ? std::string::npos : line_end - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            answer.headers.emplace_back(line.substr(0, colon), value);
        }
        pos = line_end;
    }
    return answer;
}

// What came back on one connection: the answers, in order, and whether the proxy closed it.
struct Exchange {
    std::vector<Answer> answers;
    bool closed = false;
    std::string raw;
};

// One client connection driven byte by byte.
class RawConnection {
  public:
    explicit RawConnection(int port) { fd_ = connectLoopback(port, connected_); }
    ~RawConnection() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    bool connected() const { return connected_; }

    void send(const std::string& bytes) {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0)
                return;  // the proxy may close while a long request is still being sent
            sent += static_cast<std::size_t>(n);
        }
    }

    // Reads until `answers` complete answers arrived and then, when `until_close`, until the
    // proxy closes the connection; at most `timeout_ms` in all.
    Exchange read(std::size_t answers, bool until_close, int timeout_ms = 5000) {
        Exchange exchange;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (true) {
            parse(exchange);
            if (exchange.answers.size() >= answers && !until_close)
                return exchange;
            auto left = msLeft(deadline);
            if (left <= 0)
                return exchange;
            if (!receive(static_cast<int>(left), exchange)) {
                parse(exchange);
                return exchange;
            }
        }
    }

    // Reads raw bytes, without parsing any body, until a whole head (CRLF CRLF) arrived and
    // then nothing more came for `quiet_ms`, or the proxy closed; at most `timeout_ms`. What
    // is read is consumed: a later read() starts after it.
    Exchange readRaw(int quiet_ms, int timeout_ms = 5000) {
        Exchange exchange;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (true) {
            auto left = msLeft(deadline);
            if (left <= 0)
                break;
            int wait = static_cast<int>(left);
            if (exchange.raw.find("\r\n\r\n") != std::string::npos && wait > quiet_ms)
                wait = quiet_ms;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, wait) <= 0)
                break;
            char chunk[65536];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) {
                exchange.closed = true;
                break;
            }
            exchange.raw.append(chunk, static_cast<std::size_t>(n));
        }
        buffer_.clear();
        return exchange;
    }

  private:
    static long msLeft(std::chrono::steady_clock::time_point deadline) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   deadline - std::chrono::steady_clock::now())
            .count();
    }

    bool receive(int timeout_ms, Exchange& exchange) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0)
            return false;
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            exchange.closed = true;
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        exchange.raw.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    // Moves every complete answer (Content-Length framed, as switchboard's own answers and
    // UpstreamServer's are) from the buffer into `exchange`.
    void parse(Exchange& exchange) {
        while (true) {
            auto end = buffer_.find("\r\n\r\n");
            if (end == std::string::npos || end < 12)
                return;
            Answer answer = parseHead(buffer_.substr(0, end));
            std::size_t length = std::strtoul(answer.header("Content-Length").c_str(), nullptr, 10);
            if (buffer_.size() < end + 4 + length)
                return;
            answer.body = buffer_.substr(end + 4, length);
            buffer_.erase(0, end + 4 + length);
            exchange.answers.push_back(std::move(answer));
        }
    }

    int fd_ = -1;
    bool connected_ = false;
    std::string buffer_;
};

}  // namespace harness
