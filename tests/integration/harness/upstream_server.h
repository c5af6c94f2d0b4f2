// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/connection_threads.h"

namespace harness {

// The byte at offset i of a streamed body: a pattern that no shift or truncation repeats.
inline char patternByte(std::uint64_t i) {
    return static_cast<char>('a' + (i * 7 + i / 4093) % 26);
}

struct ReceivedRequest {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int connection = 0;  // which accepted connection carried it (1, 2, ...)

    std::string header(const std::string& name) const;
    int headerCount(const std::string& name) const;
};

struct UpstreamReply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int delay_ms = 0;  // wait before answering
    // When non-zero, the body is this many bytes of patternByte(i), streamed in pieces
    // (with Content-Length) instead of `body`.
    std::uint64_t stream_bytes = 0;
    // With stream_bytes: send only this many of them, then close the connection (a body
    // cut short). 0: send them all.
    std::uint64_t stream_stop_after = 0;
    // With stream_bytes: pieces of 16 KiB with this pause after each (a slow upstream).
    int stream_interval_ms = 0;
    // Sent right after the body: bytes its framing does not cover (a broken server).
    std::string trailing_bytes;
    bool chunked = false;       // send `body` with Transfer-Encoding: chunked (in 3 chunks)
    bool never_answer = false;  // read the request, then say nothing (until stopped)
};

// The reply of a server whose every answer is `size` bytes of patternByte(i), streamed.
UpstreamReply streamedReply(std::uint64_t size);

// A real HTTP/1.1 server on 127.0.0.1, port chosen by the kernel, one thread per
// connection, keep-alive. It records every request it receives. By default it answers
// 200 with its own name as the body.
class UpstreamServer {
  public:
    using Handler = std::function<UpstreamReply(const ReceivedRequest&)>;

    // `ipv6`: listen on [::1] instead of 127.0.0.1.
    explicit UpstreamServer(std::string name, Handler handler = nullptr, int port = 0,
                            bool ipv6 = false);
    ~UpstreamServer();
    UpstreamServer(const UpstreamServer&) = delete;
    UpstreamServer& operator=(const UpstreamServer&) = delete;

    int port() const { return connections_.port(); }
    std::string address() const {
        return (ipv6_ ? "[::1]:" : "127.0.0.1:") + std::to_string(port());
    }
    const std::string& name() const { return name_; }

    std::vector<ReceivedRequest> requests() const;
    int requestCount() const;
    int acceptedConnections() const { return connections_.accepted(); }
    // Responses the server could not finish sending because the peer went away.
    int brokenSends() const { return broken_sends_.load(); }
    void setHandler(Handler handler);
    // Closes the listener and every connection; joins all threads.
    void stop();

  private:
    void serveConnection(int fd, int connection_number);

    std::string name_;
    Handler handler_;
    bool ipv6_ = false;
    std::atomic<bool> stopping_{false};
    std::atomic<int> broken_sends_{0};
    mutable std::mutex mutex_;
    std::vector<ReceivedRequest> requests_;
    ConnectionThreads connections_;  // last: its threads use everything above
};

}  // namespace harness
