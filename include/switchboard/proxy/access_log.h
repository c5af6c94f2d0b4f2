#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "switchboard/base/libevent.h"

namespace switchboard {

// One line per proxied request (SPEC §3), to stdout ("-"), a file, or nowhere (""):
//   2026-11-25T21:00:00.123Z 127.0.0.1 "GET /apiA?x=1 HTTP/1.1" 200 1234 0.0012 apiA 127.0.0.1:3001
// time, client address, request line, status, body bytes sent, duration in seconds, service
// and upstream ("-" when there was none). Lines are buffered and written at least once a
// second, so logging costs no system call per request.
class AccessLog {
  public:
    explicit AccessLog(event_base* base);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    // Switches to `target` ("-", a path, or "" for off). Returns an error message, or "".
    std::string open(const std::string& target);
    // Reopens the same file (SIGUSR1, after logrotate moved it).
    std::string reopen() { return open(target_); }
    bool enabled() const { return file_ != nullptr; }

    struct Entry {
        std::string_view client;
        std::string_view method;
        std::string_view target;
        int minor_version;
        int status;
        std::uint64_t bytes_sent;
        double seconds;
        std::string_view service;
        std::string_view upstream;
    };
    void write(const Entry& entry);
    void flush();

  private:
    void flushTimerFired(evutil_socket_t, short) { flush(); }
    void close();

    std::string target_;
    std::FILE* file_ = nullptr;
    bool owns_file_ = false;
    std::string buffer_;
    EventPtr flush_timer_;
};

}  // namespace switchboard
