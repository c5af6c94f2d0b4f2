// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace harness {

// A TCP relay on a loopback port of its own to 127.0.0.1:target_port, that a test can cut
// (every connection through it closed, new ones refused) and restore: a network fault between
// switchboard and etcd without stopping etcd.
class TcpRelay {
  public:
    explicit TcpRelay(int target_port);
    ~TcpRelay();
    TcpRelay(const TcpRelay&) = delete;
    TcpRelay& operator=(const TcpRelay&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // Closes every relayed connection and stops accepting (connects are refused).
    void cut();
    // Accepts and relays again, on the same port.
    void restore();
    // While on, what the target answers is read and thrown away: a peer that takes a request
    // and never answers it.
    void swallowAnswers(bool on) { swallow_answers_ = on; }

  private:
    void run();
    void listen();

    int target_port_;
    int port_ = 0;
    int listener_ = -1;
    int wake_[2] = {-1, -1};  // a pipe: tells the thread to look at its state again
    std::mutex mutex_;
    bool cut_ = false;
    std::atomic<bool> swallow_answers_{false};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace harness
