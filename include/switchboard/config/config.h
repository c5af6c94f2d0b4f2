// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

// Plain values mirroring the TOML schema (SPEC §2). A Config can be compared, rendered and
// diffed; the runtime state of upstreams lives elsewhere (registry, upstream).

// `workers = "auto"` in the file.
inline constexpr std::int64_t kWorkersAuto = 0;
inline constexpr std::int64_t kMaxWorkers = 256;

// One `[[proxy.certificates]]` entry: PEM files, as written (a relative path is the config
// file's directory's, resolved when the files are read).
struct CertificateConfig {
    std::string cert;
    std::string key;
    bool operator==(const CertificateConfig&) const = default;
};

struct ProxySettings {
    std::vector<std::string> listen{"127.0.0.1:6188"};
    // TLS listeners (SPEC §10): none by default; each needs `certificates`.
    std::vector<std::string> tls_listen;
    std::int64_t tls_handshake_timeout_ms = 10000;
    std::vector<CertificateConfig> certificates;
    std::int64_t connect_timeout_ms = 3000;
    std::int64_t upstream_timeout_ms = 30000;
    std::int64_t client_timeout_ms = 60000;
    std::int64_t max_request_body_bytes = 10485760;
    std::int64_t max_header_bytes = 65536;
    std::int64_t retries = 2;
    std::int64_t max_fails = 1;
    std::int64_t fail_timeout_ms = 10000;
    std::int64_t shutdown_timeout_ms = 10000;
    // An upgraded connection (WebSocket tunnel, SPEC §10) with no byte moved either way for this
    // long is closed.
    std::int64_t tunnel_timeout_ms = 3600000;
    // DELETE ...?drain=1 (SPEC §11) removes the drained upstream once nothing is in flight on
    // it, or after this long at the latest.
    std::int64_t drain_timeout_ms = 30000;
    // Client connections open at once on the proxy port; more are accepted and closed at once.
    std::int64_t max_connections = 10000;
    std::string access_log = "-";
    // "default", "combined" or "json" (SPEC §13).
    std::string access_log_format = "default";
    // X-Request-Id on every request forwarded and its response (SPEC §13).
    bool request_id = false;
    // Proxy event loops, one thread each (SPEC §9); kWorkersAuto = one per CPU this process may
    // run on (resolvedWorkerCount). Changing it takes a restart.
    std::int64_t workers = 1;
    bool operator==(const ProxySettings&) const = default;
};

struct AdminSettings {
    std::vector<std::string> listen{"127.0.0.1:8080"};
    std::string token;
    bool operator==(const AdminSettings&) const = default;
};

// [cluster] (SPEC §12): where the services are kept when several instances share them.
struct ClusterSettings {
    std::vector<std::string>
        etcd;  // "http://host:port" each; none: standalone, the file keeps them
    std::string prefix = "/switchboard/";
    std::int64_t timeout_ms = 3000;                                 // one request to etcd
    std::string cache = "/var/lib/switchboard/cluster-cache.json";  // "" for none
    bool operator==(const ClusterSettings&) const = default;

    bool enabled() const { return !etcd.empty(); }
};

struct HealthCheckConfig {
    std::string path = "/healthz";
    std::int64_t interval_ms = 2000;
    std::int64_t timeout_ms = 1000;
    std::int64_t rise = 2;
    std::int64_t fall = 3;
    bool operator==(const HealthCheckConfig&) const = default;
};

// An upstream's administrative state (SPEC §11), apart from its health: `drain` takes no new
// requests but lets those in flight finish and keeps its health checks; `maint` takes no
// requests and is not health-checked.
enum class AdminState { Active, Drain, Maint };

struct UpstreamConfig {
    std::string address;  // canonical host:port text (see HostPort::toString)
    std::int64_t weight = 1;
    AdminState admin_state = AdminState::Active;
    bool operator==(const UpstreamConfig&) const = default;
};

struct ServiceConfig {
    std::string name;
    std::string route;  // defaults to "/<name>"
    std::string host;
    std::string strategy = "round_robin";
    bool strip_prefix = false;
    std::string hash_key = "client_ip";
    // The Host the upstream gets: "client" (theirs), "upstream" (its host:port), or a literal.
    std::string upstream_host = "client";
    // Slow start (SPEC §11): an upstream that becomes usable ramps from 1/10 of its weight to
    // all of it over this long; 0 = off.
    std::int64_t slow_start_ms = 0;
    std::vector<UpstreamConfig> upstreams;
    std::optional<HealthCheckConfig> health_check;
    bool operator==(const ServiceConfig&) const = default;

    const UpstreamConfig* findUpstream(std::string_view address) const;
};

struct Config {
    ProxySettings proxy;
    AdminSettings admin;
    ClusterSettings cluster;
    std::vector<ServiceConfig> services;  // sorted by name, as toml++ iterates tables
    bool operator==(const Config&) const = default;

    const ServiceConfig* findService(std::string_view name) const;
    ServiceConfig* findService(std::string_view name);
    std::size_t upstreamCount() const;
    // Inserts in name order; returns the inserted service.
    ServiceConfig* addService(ServiceConfig service);
    // Service `name` becomes `service` (replaced, or added in name order); null removes it.
    void setService(const std::string& name, const ServiceConfig* service);
};

// A service as the seed call `add_upstream` creates it: defaults and route "/<name>".
ServiceConfig makeDefaultService(std::string name);

inline constexpr std::int64_t kMinWeight = 1;
inline constexpr std::int64_t kMaxWeight = 1000;
inline constexpr const char* kStrategies[] = {"round_robin", "least_conn", "random",
                                              "consistent_hash"};

// Each check returns an error message, or nothing when the value is fine. The same checks
// serve the file loader and the admin API, so both accept exactly the same things.
std::optional<std::string> checkServiceName(std::string_view name);
std::optional<std::string> checkRoute(std::string_view route);
std::optional<std::string> checkHost(std::string_view host);
std::optional<std::string> checkStrategy(std::string_view strategy);
std::optional<std::string> checkHashKey(std::string_view hash_key);
std::optional<std::string> checkUpstreamHost(std::string_view upstream_host);
std::optional<std::string> checkAccessLogFormat(std::string_view format);
std::optional<std::string> checkWeight(std::int64_t weight);
// "active", "drain" or "maint" as the file and the API spell them.
const char* adminStateName(AdminState state);
// The state `name` spells, or an error message naming the three values.
std::optional<std::string> parseAdminState(std::string_view name, AdminState& out);
std::optional<std::string> checkListenAddress(std::string_view address);
// An etcd endpoint: "http://host:port" (https is not supported: SPEC §12 names the JSON
// gateway on plain HTTP).
std::optional<std::string> checkEtcdEndpoint(std::string_view endpoint);
// A key prefix: starts and ends with '/', no whitespace or control characters.
std::optional<std::string> checkClusterPrefix(std::string_view prefix);
// On success, `address` is rewritten to its canonical form.
std::optional<std::string> checkUpstreamAddress(std::string& address);

// The allowed ranges of a health check's integers (file loader and admin API alike).
struct IntegerRange {
    std::int64_t min;
    std::int64_t max;
};
inline constexpr IntegerRange kHealthIntervalMsRange{10, 3'600'000};
inline constexpr IntegerRange kHealthTimeoutMsRange{1, 3'600'000};
inline constexpr IntegerRange kHealthRiseFallRange{1, 100};
inline constexpr IntegerRange kSlowStartMsRange{0, 3'600'000};
// "<what> must be from MIN to MAX, not VALUE" (the file loader's wording), or nothing.
std::optional<std::string> checkIntegerRange(std::string_view what, std::int64_t value,
                                             IntegerRange range);

// Whole-config rules that no single value shows: duplicate upstreams, two services
// claiming one host + route.
struct ServiceProblem {
    std::string service;  // the service the problem is reported on
    std::string message;
};
std::vector<ServiceProblem> checkCrossReferences(const Config& config);

}  // namespace switchboard

namespace switchboard {

// What a reload changed, for its log line and the /reload answer.
struct ConfigDiff {
    std::vector<std::string> services_added, services_removed, services_changed, services_kept;
    std::size_t upstreams_added = 0, upstreams_removed = 0, upstreams_kept = 0;
    bool listeners_changed = false;  // proxy.listen, proxy.tls_listen or admin.listen
    bool settings_changed = false;   // any [proxy] or [admin] value
};

ConfigDiff diffConfigs(const Config& before, const Config& after);

}  // namespace switchboard
