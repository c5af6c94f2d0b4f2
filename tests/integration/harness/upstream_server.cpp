// SPDX-License-Identifier: Apache-2.0
#include "harness/upstream_server.h"
#include "harness/header_lines.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace harness {

std::string ReceivedRequest::header(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (strcasecmp(key.c_str(), name.c_str()) == 0)
            return value;
    return "";
}

int ReceivedRequest::headerCount(const std::string& name) const {
    int count = 0;
    for (const auto& [key, value] : headers)
        count += strcasecmp(key.c_str(), name.c_str()) == 0;
    return count;
}

UpstreamServer::UpstreamServer(std::string name, Handler handler, int port, bool ipv6)
    : name_(std::move(name)), handler_(std::move(handler)), ipv6_(ipv6),
      connections_(ipv6, port, [this](int fd, int number) { serveConnection(fd, number); }) {}

UpstreamServer::~UpstreamServer() {
    stop();
}

void UpstreamServer::setHandler(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
}

std::vector<ReceivedRequest> UpstreamServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

int UpstreamServer::requestCount() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(requests_.size());
}

void UpstreamServer::stop() {
    stopping_ = true;
    connections_.stop();
}

namespace {

bool sendAll(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

void UpstreamServer::serveConnection(int fd, int connection_number) {
    std::string buffer;
    auto fill = [&]() {
        char chunk[65536];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
        return true;
    };
    while (!stopping_) {
        std::size_t header_end;
        bool open = true;
        while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos)
            if (!(open = fill()))
                break;
        if (!open)
            break;
        ReceivedRequest request;
        request.connection = connection_number;
        std::string head = buffer.substr(0, header_end);
        buffer.erase(0, header_end + 4);
        std::size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        auto first_space = request_line.find(' ');
        auto second_space = request_line.find(' ', first_space + 1);
        request.method = request_line.substr(0, first_space);
        request.target = request_line.substr(first_space + 1, second_space - first_space - 1);
        request.headers =
            parseHeaderLines(head, line_end == std::string::npos ? head.size() : line_end + 2);
        if (strcasecmp(request.header("Transfer-Encoding").c_str(), "chunked") == 0) {
            // Chunks without extensions or trailers: what a re-framing proxy sends.
            while (open) {
                std::size_t line_end;
                while ((line_end = buffer.find("\r\n")) == std::string::npos && (open = fill())) {
                }
                if (!open)
                    break;
                std::size_t size = std::strtoul(buffer.c_str(), nullptr, 16);
                while (buffer.size() < line_end + 2 + size + 2 && (open = fill())) {
                }
                if (!open)
                    break;
                request.body += buffer.substr(line_end + 2, size);
                buffer.erase(0, line_end + 2 + size + 2);
                if (size == 0)
                    break;
            }
        } else {
            std::size_t length =
                std::strtoul(request.header("Content-Length").c_str(), nullptr, 10);
            while (buffer.size() < length && open)
                open = fill();
            request.body = buffer.substr(0, std::min(length, buffer.size()));
            buffer.erase(0, request.body.size());
        }
        if (!open)
            break;

        Handler handler;
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
            handler = handler_;
        }
        UpstreamReply reply;
        if (handler)
            reply = handler(request);
        else
            reply.body = name_;
        if (reply.never_answer) {
            while (!stopping_ && fill()) {
            }
            break;
        }
        if (reply.delay_ms > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(reply.delay_ms));
        std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " Status\r\n";
        bool has_length = false;
        for (const auto& [key, value] : reply.headers) {
            response += key + ": " + value + "\r\n";
            has_length = has_length || strcasecmp(key.c_str(), "Content-Length") == 0;
        }
        std::uint64_t body_length = reply.stream_bytes ? reply.stream_bytes : reply.body.size();
        if (reply.chunked)
            response += "Transfer-Encoding: chunked\r\n";
        else if (!has_length)
            response += "Content-Length: " + std::to_string(body_length) + "\r\n";
        response += "\r\n";
        bool head_request = request.method == "HEAD";
        if (!head_request && reply.chunked) {
            std::size_t third = reply.body.size() / 3 + 1;
            for (std::size_t at = 0; at < reply.body.size(); at += third) {
                std::string piece = reply.body.substr(at, third);
                char size[32];
                std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
                response += size + piece + "\r\n";
            }
            response += "0\r\n\r\n";
        } else if (!head_request && !reply.stream_bytes) {
            response += reply.body;
        }
        if (!reply.stream_bytes)
            response += reply.trailing_bytes;
        if (!sendAll(fd, response)) {
            ++broken_sends_;
            break;
        }
        if (!head_request && reply.stream_bytes) {
            std::uint64_t end =
                reply.stream_stop_after ? reply.stream_stop_after : reply.stream_bytes;
            std::string piece;
            bool broken = false;
            for (std::uint64_t at = 0; at < end && !broken;) {
                std::uint64_t piece_size = reply.stream_interval_ms ? 16 * 1024 : 256 * 1024;
                std::uint64_t size = std::min<std::uint64_t>(piece_size, end - at);
                piece.resize(size);
                for (std::uint64_t i = 0; i < size; ++i)
                    piece[i] = patternByte(at + i);
                if (at + size == end)
                    piece += reply.trailing_bytes;  // in the same write: no gap between them
                broken = !sendAll(fd, piece) || stopping_;
                at += size;
                if (reply.stream_interval_ms && at < end)
                    std::this_thread::sleep_for(
                        std::chrono::milliseconds(reply.stream_interval_ms));
            }
            if (broken) {
                ++broken_sends_;
                break;
            }
            if (reply.stream_stop_after)
                break;
        }
    }
    // stop() closes the descriptor after joining, so it is never reused under its feet.
    ::shutdown(fd, SHUT_RDWR);
}

UpstreamReply streamedReply(std::uint64_t size) {
    UpstreamReply reply;
    reply.stream_bytes = size;
    return reply;
}

}  // namespace harness
