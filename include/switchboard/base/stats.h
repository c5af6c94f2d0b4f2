// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace switchboard {

// Counters the proxy keeps per upstream and per service, read by GET /services and
// GET /metrics. Every proxy worker (SPEC §9) adds to the same counters, so each is an atomic
// added to with relaxed order: a reader wants totals, never an order between two counters,
// and the admin port reads them while the workers write.

// A counter that only goes up.
class Counter {
  public:
    void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t load() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

// A number that goes up and down (open connections, requests in flight).
class Gauge {
  public:
    // Adds `n` and returns the value before.
    std::int64_t add(std::int64_t n) { return value_.fetch_add(n, std::memory_order_relaxed); }
    std::int64_t load() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> value_{0};
};

// One share of a Gauge, from construction to destruction: every way the thing it counts ends
// gives it back exactly once.
class GaugeShare {
  public:
    explicit GaugeShare(Gauge& gauge) : gauge_(gauge) { gauge_.add(1); }
    ~GaugeShare() { gauge_.add(-1); }
    GaugeShare(const GaugeShare&) = delete;
    GaugeShare& operator=(const GaugeShare&) = delete;

  private:
    Gauge& gauge_;
};

// Response status classes: index 1..5 for 1xx..5xx; index 0 counts requests that got no
// response from this upstream (connect failure, reset, timeout).
using StatusClassCounts = std::array<Counter, 6>;

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
    std::array<Counter, kDurationBuckets.size()> duration_buckets{};  // non-cumulative
    Counter duration_count;
    Counter duration_sum_us;  // microseconds: an integer adds atomically without a CAS loop

    void recordResponse(int status, double seconds) {
        responses[statusClassIndex(status)].add();
        for (std::size_t i = 0; i < kDurationBuckets.size(); ++i)
            if (seconds <= kDurationBuckets[i]) {
                duration_buckets[i].add();
                break;
            }
        duration_count.add();
        duration_sum_us.add(static_cast<std::uint64_t>(seconds * 1e6 + 0.5));
    }
    double durationSumSeconds() const { return static_cast<double>(duration_sum_us.load()) / 1e6; }
};

// Server-wide counters.
struct ServerStats {
    Counter reloads_ok, reloads_failed;
    Counter saves_ok, saves_failed;
    Gauge client_connections;            // currently open on the proxy port, all workers
    Counter client_connections_refused;  // closed at accept: proxy.max_connections
    // TLS handshakes on the proxy port (SPEC §10): done, failed (bad hello, wrong version, the
    // client left), or not done within tls_handshake_timeout_ms.
    Counter tls_handshakes_ok, tls_handshakes_failed, tls_handshakes_timed_out;
    Gauge tunnels_open;     // upgraded connections (WebSocket) open, all workers
    Counter tunnels_total;  // upgraded connections opened since start
};

}  // namespace switchboard
