// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/base/libevent.h"

namespace switchboard {

// Where access log lines go: stdout ("-"), a file, or nowhere (""). One per process, shared by
// every proxy worker (SPEC §9): each worker hands it whole lines in batches, and a batch is
// written under a mutex with one fwrite, so lines from different workers never interleave
// within a line. The main loop opens and reopens it (SIGUSR1).
class AccessLogFile {
  public:
    AccessLogFile() = default;
    ~AccessLogFile();
    AccessLogFile(const AccessLogFile&) = delete;
    AccessLogFile& operator=(const AccessLogFile&) = delete;

    // Switches to `target` ("-", a path, or "" for off). Returns an error message, or "".
    std::string open(const std::string& target);
    // Reopens the same file (SIGUSR1, after logrotate moved it).
    std::string reopen();
    bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
    // Writes complete lines.
    void write(std::string_view lines);

  private:
    void closeLocked();

    std::mutex mutex_;
    std::string target_;
    std::FILE* file_ = nullptr;
    bool owns_file_ = false;
    std::atomic<bool> enabled_{false};
};

// One line per proxied request (SPEC §3, §13), in one of three formats:
//   default:  2026-11-25T21:00:00.123Z 127.0.0.1 "GET /apiA?x=1 HTTP/1.1" 200 1234 0.0012 apiA
//             127.0.0.1:3001,127.0.0.1:3002 502,200 87 0.0009 -
//     (time, client, request line, status, body bytes sent, seconds, service: the line before
//     §13; then the upstreams tried and their statuses, comma-separated, "-" for none, bytes
//     received, the last upstream's seconds to its answer, the request ID; "-" where none)
//   combined: Apache/nginx combined, then "upstreams" "statuses", seconds, upstream seconds,
//     request ID and service
//   json:     one object per line with every field
// One per proxy loop: lines are buffered and handed to the AccessLogFile at least once a
// second, so logging costs no system call (and no lock) per request.
class AccessLog {
  public:
    enum class Format { Default, Combined, Json };
    // "default", "combined", "json" (validated by the config).
    static Format formatNamed(std::string_view name);

    AccessLog(event_base* base, AccessLogFile& file);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    bool enabled() const { return file_.enabled(); }

    // One upstream tried for a request, and the status it answered (0: none).
    struct UpstreamTry {
        std::string_view upstream;
        int status;
    };
    struct Entry {
        std::string_view client;
        std::string_view method;
        std::string_view target;
        int minor_version;
        int status;
        std::uint64_t bytes_sent;
        std::uint64_t bytes_received;  // the request head and body
        double seconds;
        double upstream_seconds;  // from the last try's start to its answer; < 0: none
        std::string_view service;
        const std::vector<UpstreamTry>& tries;
        std::string_view user_agent;
        std::string_view referer;
        std::string_view request_id;  // empty: none
        bool tls;
    };
    void write(Format format, const Entry& entry);
    void flush();

  private:
    void flushTimerFired(evutil_socket_t, short) { flush(); }

    AccessLogFile& file_;
    std::string buffer_;
    EventPtr flush_timer_;
};

}  // namespace switchboard
