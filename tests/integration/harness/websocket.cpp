// SPDX-License-Identifier: Apache-2.0
#include "harness/websocket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>

namespace harness {

namespace {

std::string base64(const unsigned char* data, std::size_t length) {
    std::string out(4 * ((length + 2) / 3) + 1, '\0');
    int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                  static_cast<int>(length));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

bool sendBytes(int fd, const char* data, std::size_t length) {
    std::size_t sent = 0;
    while (sent < length) {
        ssize_t n = ::send(fd, data + sent, length - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Appends what the socket has to `buffer`; false on close, error or timeout.
bool receiveInto(int fd, std::string& buffer, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
        return false;
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0)
        return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
}

// One whole frame at the start of `buffer`, taken out of it; !ok when it is not all there.
WebSocketFrame takeFrame(std::string& buffer) {
    WebSocketFrame frame;
    if (buffer.size() < 2)
        return frame;
    const auto* bytes = reinterpret_cast<const unsigned char*>(buffer.data());
    std::size_t at = 2;
    std::uint64_t length = bytes[1] & 0x7f;
    if (length == 126 || length == 127) {
        const std::size_t extended = length == 126 ? 2 : 8;
        if (buffer.size() < at + extended)
            return frame;
        length = 0;
        for (std::size_t i = 0; i < extended; ++i)
            length = (length << 8) | bytes[at + i];
        at += extended;
    }
    frame.masked = (bytes[1] & 0x80) != 0;
    unsigned char mask[4] = {0, 0, 0, 0};
    if (frame.masked) {
        if (buffer.size() < at + 4)
            return frame;
        std::memcpy(mask, bytes + at, 4);
        at += 4;
    }
    if (buffer.size() < at + length)
        return frame;
    frame.opcode = bytes[0] & 0x0f;
    frame.payload = buffer.substr(at, static_cast<std::size_t>(length));
    for (std::size_t i = 0; i < frame.payload.size(); ++i)
        frame.payload[i] = static_cast<char>(frame.payload[i] ^ mask[i % 4]);
    buffer.erase(0, at + static_cast<std::size_t>(length));
    frame.ok = true;
    return frame;
}

WebSocketFrame readFrameFrom(int fd, std::string& buffer, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        WebSocketFrame frame = takeFrame(buffer);
        if (frame.ok)
            return frame;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0 || !receiveInto(fd, buffer, static_cast<int>(left)))
            return frame;
    }
}

// Reads up to the end of a head; the head (without CRLF CRLF) is taken out of `buffer`.
bool readHead(int fd, std::string& buffer, std::string& head, int timeout_ms) {
    while (true) {
        auto end = buffer.find("\r\n\r\n");
        if (end != std::string::npos) {
            head = buffer.substr(0, end);
            buffer.erase(0, end + 4);
            return true;
        }
        if (!receiveInto(fd, buffer, timeout_ms))
            return false;
    }
}

}  // namespace

std::string websocketAccept(const std::string& key) {
    const std::string text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    return base64(digest, sizeof digest);
}

std::string encodeFrame(int opcode, const std::string& payload, bool masked) {
    std::string out;
    out.push_back(static_cast<char>(0x80 | opcode));
    const char mask_bit = masked ? static_cast<char>(0x80) : 0;
    if (payload.size() < 126) {
        out.push_back(static_cast<char>(mask_bit | static_cast<char>(payload.size())));
    } else if (payload.size() <= 0xffff) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>(payload.size() >> 8));
        out.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
    }
    if (!masked)
        return out + payload;
    static thread_local std::mt19937 random(std::random_device{}());
    unsigned char mask[4];
    for (auto& byte : mask)
        byte = static_cast<unsigned char>(random());
    out.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
    return out;
}

// ---- the client ----------------------------------------------------------------------

WebSocketClient::WebSocketClient(int port) {
    bool connected = false;
    fd_ = connectLoopback(port, connected);
}

WebSocketClient::~WebSocketClient() {
    close();
}

Answer WebSocketClient::handshake(const std::string& target, const std::string& extra_headers,
                                  const std::string& host) {
    std::random_device random;
    unsigned char nonce[16];
    for (auto& byte : nonce)
        byte = static_cast<unsigned char>(random());
    const std::string key = base64(nonce, sizeof nonce);
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host +
                                "\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Key: " +
                                key + "\r\nSec-WebSocket-Version: 13\r\n" + extra_headers + "\r\n";
    Answer answer;
    std::string head;
    if (!sendAll(request.data(), request.size()) || !readHead(fd_, buffer_, head, 5000))
        return answer;
    answer = parseHead(head);
    accepted_ =
        answer.status == 101 && answer.header("Sec-WebSocket-Accept") == websocketAccept(key);
    const std::string length = answer.header("Content-Length");
    if (answer.status != 101 && !length.empty()) {
        const std::size_t size = std::strtoul(length.c_str(), nullptr, 10);
        while (buffer_.size() < size && receiveInto(fd_, buffer_, 5000)) {
        }
        answer.body = buffer_.substr(0, size);
        buffer_.erase(0, answer.body.size());
    }
    return answer;
}

void WebSocketClient::sendFrame(int opcode, const std::string& payload) {
    const std::string frame = encodeFrame(opcode, payload, /*masked=*/true);
    sendAll(frame.data(), frame.size());
}

WebSocketFrame WebSocketClient::readFrame(int timeout_ms) {
    return readFrameFrom(fd_, buffer_, timeout_ms);
}

bool WebSocketClient::sendAll(const char* data, std::size_t length) {
    return sendBytes(fd_, data, length);
}

std::size_t WebSocketClient::readSome(char* out, std::size_t length, int timeout_ms) {
    if (buffer_.empty() && !receiveInto(fd_, buffer_, timeout_ms))
        return 0;
    const std::size_t taken = std::min(length, buffer_.size());
    std::memcpy(out, buffer_.data(), taken);
    buffer_.erase(0, taken);
    return taken;
}

bool WebSocketClient::closedWithin(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0)
            return false;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0)
            return false;
        char chunk[65536];
        if (::recv(fd_, chunk, sizeof chunk, 0) <= 0)
            return true;
    }
}

void WebSocketClient::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

// ---- the server ----------------------------------------------------------------------

WebSocketServer::WebSocketServer(WebSocketMode mode)
    : mode_(mode), connections_(false, 0, [this](int fd, int) { serve(fd); }) {}

WebSocketServer::~WebSocketServer() {
    stop();
}

std::vector<ReceivedRequest> WebSocketServer::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void WebSocketServer::stop() {
    stopping_ = true;
    hold_.store(false);
    connections_.stop();
}

void WebSocketServer::serve(int fd) {
    std::string buffer;
    std::string head;
    if (!readHead(fd, buffer, head, 10000))
        return;
    Answer parsed = parseHead(head);
    ReceivedRequest request;
    request.method = head.substr(0, head.find(' '));
    const std::size_t target_at = request.method.size() + 1;
    request.target = head.substr(target_at, head.find(' ', target_at) - target_at);
    request.headers = parsed.headers;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
    }
    switch (mode_) {
    case WebSocketMode::CloseAtRequest:
        ::shutdown(fd, SHUT_RDWR);
        return;
    case WebSocketMode::Refuse: {
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: 9\r\nConnection: close\r\n\r\nno thanks";
        sendBytes(fd, answer.data(), answer.size());
        ::shutdown(fd, SHUT_RDWR);
        return;
    }
    default:
        break;
    }
    const std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                               websocketAccept(request.header("Sec-WebSocket-Key")) + "\r\n\r\n";
    if (!sendBytes(fd, answer.data(), answer.size()))
        return;
    afterHandshake(fd, buffer);
}

void WebSocketServer::afterHandshake(int fd, std::string& buffer) {
    // Until the peer closes (closed_by_peer_), or this side decides to.
    bool peer_closed = false;
    switch (mode_) {
    case WebSocketMode::Echo:
        while (!stopping_) {
            WebSocketFrame frame = readFrameFrom(fd, buffer, 60000);
            if (!frame.ok) {
                peer_closed = true;
                break;
            }
            if (!frame.masked)
                break;  // RFC 6455 §5.1: a client's frames are masked; fail the connection
            if (frame.opcode == kWsText && frame.payload == "close-me") {
                const std::string close = encodeFrame(kWsClose, "\x03\xe8", false);
                sendBytes(fd, close.data(), close.size());
                break;
            }
            const std::string echo = encodeFrame(frame.opcode, frame.payload, false);
            sendBytes(fd, echo.data(), echo.size());
            if (frame.opcode == kWsClose)
                break;
        }
        break;
    case WebSocketMode::RawEcho:
        while (!stopping_) {
            if (!buffer.empty() && !sendBytes(fd, buffer.data(), buffer.size()))
                break;
            buffer.clear();
            if (!receiveInto(fd, buffer, 60000)) {
                peer_closed = true;
                break;
            }
        }
        break;
    case WebSocketMode::RawSink:
        while (!stopping_) {
            if (hold_.load()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            std::uint64_t offset = sunk_.load();
            for (char byte : buffer)
                if (byte != patternByte(offset++))
                    pattern_ok_.store(false);
            sunk_.store(offset);
            buffer.clear();
            if (!receiveInto(fd, buffer, 60000)) {
                peer_closed = true;
                break;
            }
        }
        break;
    default:
        break;
    }
    if (peer_closed && !stopping_)
        ++closed_by_peer_;
    ::shutdown(fd, SHUT_RDWR);
}

}  // namespace harness
