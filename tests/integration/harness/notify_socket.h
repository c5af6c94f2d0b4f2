// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

namespace harness {

// Sets an environment variable for as long as it lives, then restores the old value. A
// child started meanwhile (SwitchboardProcess forks) inherits it. Only for single-threaded
// moments of a test: the environment is process-wide.
class ScopedEnv {
  public:
    ScopedEnv(std::string name, const std::string& value);
    ~ScopedEnv();
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string name_;
    std::optional<std::string> old_value_;
};

// One datagram as systemd receives it: the raw text, its KEY=VALUE lines, and the sender's
// pid from the kernel's credentials (what systemd checks for NotifyAccess=main).
struct NotifyMessage {
    std::string text;
    std::map<std::string, std::string> fields;
    pid_t sender_pid = -1;

    bool has(const std::string& key) const { return fields.count(key) != 0; }
    std::string get(const std::string& key) const {
        auto found = fields.find(key);
        return found == fields.end() ? "" : found->second;
    }
};

// systemd's end of the sd_notify(3) protocol: an AF_UNIX datagram socket bound at a path.
class NotifySocket {
  public:
    explicit NotifySocket(std::string path);
    ~NotifySocket();
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    bool ok() const { return fd_ >= 0; }
    const std::string& path() const { return path_; }
    // The next datagram, or nothing after timeout_ms.
    std::optional<NotifyMessage> receive(int timeout_ms = 5000);
    // Receives until a message with `key` arrives (returned), or nothing after timeout_ms.
    // Messages skipped on the way are appended to `skipped` when given.
    std::optional<NotifyMessage> receiveUntil(const std::string& key, int timeout_ms = 5000,
                                              std::string* skipped = nullptr);

  private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace harness
