// SPDX-License-Identifier: Apache-2.0
#include "harness/http_client.h"
#include "harness/header_lines.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace harness {

namespace {
constexpr int kTimeoutMs = 30000;

// "chunked" or "gzip, chunked": the final coding decides the framing.
bool endsWithChunked(const std::string& codings) {
    return codings.size() >= 7 && strcasecmp(codings.c_str() + codings.size() - 7, "chunked") == 0;
}
}  // namespace

std::string HttpResponse::header(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (strcasecmp(key.c_str(), name.c_str()) == 0)
            return value;
    return "";
}

bool HttpResponse::hasHeader(const std::string& name) const {
    for (const auto& [key, value] : headers)
        if (strcasecmp(key.c_str(), name.c_str()) == 0)
            return true;
    return false;
}

HttpConnection::~HttpConnection() {
    close();
}

void HttpConnection::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    buffer_.clear();
}

bool HttpConnection::ensureConnected(std::string& error) {
    if (fd_ >= 0)
        return true;
    // "127.0.0.1" or "::1": the host is always an address literal.
    sockaddr_storage storage{};
    socklen_t length;
    if (host_.find(':') != std::string::npos) {
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_port = htons(static_cast<uint16_t>(port_));
        inet_pton(AF_INET6, host_.c_str(), &address->sin6_addr);
        length = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_port = htons(static_cast<uint16_t>(port_));
        inet_pton(AF_INET, host_.c_str(), &address->sin_addr);
        length = sizeof *address;
    }
    fd_ = ::socket(storage.ss_family, SOCK_STREAM, 0);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        error = std::string("connect: ") + std::strerror(errno);
        close();
        return false;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
}

HttpResponse
HttpConnection::request(const std::string& method, const std::string& target,
                        const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
    std::string bytes = method + " " + target + " HTTP/1.1\r\n";
    bool has_host = false;
    for (const auto& [key, value] : headers) {
        bytes += key + ": " + value + "\r\n";
        has_host = has_host || strcasecmp(key.c_str(), "Host") == 0;
    }
    if (!has_host)
        bytes += "Host: " + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) +
                 ":" + std::to_string(port_) + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT")
        bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    bytes += "\r\n" + body;
    HttpResponse response;
    if (!ensureConnected(response.error))
        return response;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            response.error = "send failed";
            close();
            return response;
        }
        sent += static_cast<std::size_t>(n);
    }
    return readResponse(method == "HEAD");
}

HttpResponse HttpConnection::raw(const std::string& bytes) {
    HttpResponse response;
    if (!ensureConnected(response.error))
        return response;
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
        response.error = "send failed";
        return response;
    }
    return readResponse(false);
}

HttpResponse HttpConnection::readResponse(bool head_request) {
    HttpResponse response;
    auto fill = [&]() -> bool {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, kTimeoutMs) <= 0) {
            response.error = "timeout";
            return false;
        }
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            response.error = "connection closed";
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    };
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill()) {
            close();
            return response;
        }
    std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) {
        response.error = "bad status line";
        close();
        return response;
    }
    response.status = std::atoi(status_line.c_str() + 9);
    response.headers =
        parseHeaderLines(head, line_end == std::string::npos ? head.size() : line_end + 2);
    bool no_body = head_request || response.status == 204 || response.status == 304 ||
                   (response.status >= 100 && response.status < 200);
    if (no_body) {
    } else if (endsWithChunked(response.header("Transfer-Encoding"))) {
        while (true) {
            std::size_t size_end;
            while ((size_end = buffer_.find("\r\n")) == std::string::npos)
                if (!fill()) {
                    close();
                    response.status = 0;
                    return response;
                }
            std::size_t size = std::strtoul(buffer_.c_str(), nullptr, 16);
            buffer_.erase(0, size_end + 2);
            while (buffer_.size() < size + 2)
                if (!fill()) {
                    close();
                    response.status = 0;
                    return response;
                }
            response.body += buffer_.substr(0, size);
            buffer_.erase(0, size + 2);
            if (size == 0)
                break;
        }
    } else if (response.hasHeader("Content-Length")) {
        std::size_t length = std::strtoul(response.header("Content-Length").c_str(), nullptr, 10);
        while (buffer_.size() < length)
            if (!fill()) {
                close();
                response.status = 0;
                return response;
            }
        response.body = buffer_.substr(0, length);
        buffer_.erase(0, length);
    } else {
        while (fill()) {
        }
        response.error.clear();
        response.body = buffer_;
        buffer_.clear();
        close();
    }
    if (strcasecmp(response.header("Connection").c_str(), "close") == 0)
        close();
    return response;
}

HttpResponse httpRequest(int port, const std::string& method, const std::string& target,
                         const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
    HttpConnection connection("127.0.0.1", port);
    return connection.request(method, target, body, headers);
}

}  // namespace harness
