#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace switchboard {

// Counters the proxy keeps per upstream and per service, read by GET /services and
// GET /metrics. Plain integers: everything runs on one event loop thread.

// Response status classes: index 1..5 for 1xx..5xx; index 0 counts requests that got no
// response from this upstream (connect failure, reset, timeout).
using StatusClassCounts = std::array<std::uint64_t, 6>;

inline std::size_t statusClassIndex(int status) {
    return status >= 100 && status < 600 ? static_cast<std::size_t>(status / 100) : 0;
}

// Upper bounds of the request-duration histogram, in seconds (Prometheus style, le=...).
inline constexpr std::array<double, 12> kDurationBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   10};

struct UpstreamStats {
    StatusClassCounts responses{};  // answers this upstream gave, by class; [0] failures
};

// Per service; kept across config changes as long as the service exists.
struct ServiceStats {
    StatusClassCounts responses{};  // what clients got, by class (incl. switchboard's own 502/504)
    std::array<std::uint64_t, kDurationBuckets.size()> duration_buckets{};  // non-cumulative
    std::uint64_t duration_count = 0;
    double duration_sum_seconds = 0;

    void recordResponse(int status, double seconds) {
        ++responses[statusClassIndex(status)];
        for (std::size_t i = 0; i < kDurationBuckets.size(); ++i)
            if (seconds <= kDurationBuckets[i]) {
                ++duration_buckets[i];
                break;
            }
        ++duration_count;
        duration_sum_seconds += seconds;
    }
};

// Server-wide counters.
struct ServerStats {
    std::uint64_t reloads_ok = 0, reloads_failed = 0;
    std::uint64_t saves_ok = 0, saves_failed = 0;
    std::uint64_t client_connections = 0;          // currently open on the proxy port
    std::uint64_t client_connections_refused = 0;  // closed at accept: proxy.max_connections
};

}  // namespace switchboard
