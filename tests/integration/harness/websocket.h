// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small WebSocket client and server (RFC 6455) for the tunnel tests (SPEC §10): the
// opening handshake with Sec-WebSocket-Accept checked, masked client frames, text, binary
// and close frames; and raw bytes after the handshake for the bulk and backpressure tests.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/connection_threads.h"
#include "harness/raw_connection.h"
#include "harness/upstream_server.h"

namespace harness {

enum WebSocketOpcode { kWsText = 1, kWsBinary = 2, kWsClose = 8 };

// RFC 6455 §4.2.2: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string websocketAccept(const std::string& key);

// One frame, FIN set; `masked` for a client's (a server's are never masked).
std::string encodeFrame(int opcode, const std::string& payload, bool masked);

struct WebSocketFrame {
    bool ok = false;  // false: the peer closed, or no whole frame in time
    bool masked = false;
    int opcode = 0;
    std::string payload;  // unmasked
};

// A client on the proxy port speaking WebSocket (blocking socket, poll timeouts).
class WebSocketClient {
  public:
    explicit WebSocketClient(int port);
    ~WebSocketClient();
    WebSocketClient(const WebSocketClient&) = delete;
    WebSocketClient& operator=(const WebSocketClient&) = delete;

    // Sends an upgrade request for `target` (with `extra_headers`, each line ending in CRLF)
    // and reads the answer's head, and its body when it has a Content-Length. accepted() then
    // says whether it was a 101 whose Sec-WebSocket-Accept matches the key sent. `host` is the
    // Host header's value.
    Answer handshake(const std::string& target, const std::string& extra_headers = "",
                     const std::string& host = "ws.test");
    bool accepted() const { return accepted_; }

    void sendFrame(int opcode, const std::string& payload);
    WebSocketFrame readFrame(int timeout_ms = 5000);
    // Raw bytes after the handshake. sendAll: false when the connection broke.
    bool sendAll(const char* data, std::size_t length);
    // Up to `length` bytes (bytes already buffered first); 0 on close or timeout.
    std::size_t readSome(char* out, std::size_t length, int timeout_ms);
    // True when the proxy closed the connection within `timeout_ms` (bytes before the close,
    // if any, are dropped).
    bool closedWithin(int timeout_ms);
    void close();
    int fd() const { return fd_; }

  private:
    bool readMore(int timeout_ms);

    int fd_ = -1;
    std::string buffer_;  // bytes read and not yet taken
    bool accepted_ = false;
};

// What a WebSocketServer does with each connection after reading its request head.
enum class WebSocketMode {
    Echo,            // 101, then each frame back (a close frame too, then it closes); a text
                     // frame "close-me" gets a close frame and the connection closed
    RawEcho,         // 101, then every byte back as it comes
    RawSink,         // 101, then reads and checks patternByte(i) bytes (holdReading)
    Refuse,          // 200 with a body and Connection: close: no upgrade
    CloseAtRequest,  // closes without answering
};

// An upstream server on 127.0.0.1 that accepts upgrades; one thread per connection.
class WebSocketServer {
  public:
    explicit WebSocketServer(WebSocketMode mode);
    ~WebSocketServer();
    WebSocketServer(const WebSocketServer&) = delete;
    WebSocketServer& operator=(const WebSocketServer&) = delete;

    int port() const { return connections_.port(); }
    std::string address() const { return "127.0.0.1:" + std::to_string(port()); }
    std::vector<ReceivedRequest> requests() const;
    int acceptedConnections() const { return connections_.accepted(); }
    // Connections on which the peer (switchboard) closed first.
    int closedByPeer() const { return closed_by_peer_.load(); }
    // RawSink: while held, nothing is read (a slow reader).
    void holdReading(bool hold) { hold_.store(hold); }
    std::uint64_t sunkBytes() const { return sunk_.load(); }
    bool sunkPatternOk() const { return pattern_ok_.load(); }
    void stop();

  private:
    void serve(int fd);
    void afterHandshake(int fd, std::string& buffer);

    WebSocketMode mode_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> closed_by_peer_{0};
    std::atomic<bool> hold_{false};
    std::atomic<std::uint64_t> sunk_{0};
    std::atomic<bool> pattern_ok_{true};
    mutable std::mutex mutex_;
    std::vector<ReceivedRequest> requests_;
    ConnectionThreads connections_;  // last: its threads use everything above
};

}  // namespace harness
