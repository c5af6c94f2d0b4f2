// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace harness {

// A listening TCP socket on the loopback (127.0.0.1, or [::1] with `ipv6`) on `port` (0: the
// kernel picks), with a backlog of `backlog`; its bound port in `bound_port`. The caller
// closes it.
int listenLoopback(bool ipv6, int port, int backlog, int& bound_port);

// The connections of a test server: a listener on the loopback and one thread per accepted
// connection, running `serve(fd, number)` (number: 1, 2, ... in accept order). stop() closes
// the listener, shuts every connection down (a serve blocked in recv returns) and joins.
class ConnectionThreads {
  public:
    using Serve = std::function<void(int fd, int number)>;

    ConnectionThreads(bool ipv6, int port, Serve serve);
    ~ConnectionThreads() { stop(); }
    ConnectionThreads(const ConnectionThreads&) = delete;
    ConnectionThreads& operator=(const ConnectionThreads&) = delete;

    int port() const { return port_; }
    int accepted() const { return accepted_.load(); }
    bool stopping() const { return stopping_.load(); }
    void stop();

  private:
    void acceptLoop();

    Serve serve_;
    int listen_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> accepted_{0};
    std::mutex mutex_;
    std::vector<int> fds_;
    std::vector<std::thread> threads_;
    std::thread accept_thread_;
};

}  // namespace harness
