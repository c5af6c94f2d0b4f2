// SPDX-License-Identifier: Apache-2.0
// Each part of a Config lists its keys once, in forEachKey: the table of options that both the
// renderer and the editor's diff read (Redis's config.c keeps one such table for its rewrite).
#include "switchboard/config/config_render.h"

namespace switchboard {

namespace {

// proxy.workers as the file spells it: a number, or "auto" for kWorkersAuto.
struct WorkersValue {
    std::int64_t count;
    bool operator==(const WorkersValue&) const = default;
};

// proxy.certificates: an array of inline tables, the same TOML as [[proxy.certificates]].
struct CertificatesValue {
    const std::vector<CertificateConfig>& certificates;
    bool operator==(const CertificatesValue& other) const {
        return certificates == other.certificates;
    }
};

using switchboard::tomlValue;
std::string tomlValue(const CertificatesValue& value) {
    std::vector<std::string> tables;
    for (const auto& certificate : value.certificates)
        tables.push_back(tomlInlineTable(
            {{"cert", tomlQuote(certificate.cert)}, {"key", tomlQuote(certificate.key)}}));
    return tomlArray(tables);
}

// cluster.etcd: an array of strings.
struct StringsValue {
    const std::vector<std::string>& strings;
    bool operator==(const StringsValue& other) const { return strings == other.strings; }
};

std::string tomlValue(const StringsValue& value) {
    std::vector<std::string> elements;
    for (const auto& text : value.strings)
        elements.push_back(tomlQuote(text));
    return tomlArray(elements);
}

std::string tomlValue(WorkersValue workers) {
    return workers.count == kWorkersAuto ? tomlQuote("auto")
                                         : switchboard::tomlValue(workers.count);
}

// Calls visit(key, value in a, value in b) for each key of the part, in the order renderConfig
// writes them.
template <typename Visit>
void forEachKey(const ProxySettings& a, const ProxySettings& b, Visit&& visit) {
    visit("listen", a.listen, b.listen);
    visit("connect_timeout_ms", a.connect_timeout_ms, b.connect_timeout_ms);
    visit("upstream_timeout_ms", a.upstream_timeout_ms, b.upstream_timeout_ms);
    visit("client_timeout_ms", a.client_timeout_ms, b.client_timeout_ms);
    visit("max_request_body_bytes", a.max_request_body_bytes, b.max_request_body_bytes);
    visit("max_header_bytes", a.max_header_bytes, b.max_header_bytes);
    visit("retries", a.retries, b.retries);
    visit("max_fails", a.max_fails, b.max_fails);
    visit("fail_timeout_ms", a.fail_timeout_ms, b.fail_timeout_ms);
    visit("shutdown_timeout_ms", a.shutdown_timeout_ms, b.shutdown_timeout_ms);
    visit("tunnel_timeout_ms", a.tunnel_timeout_ms, b.tunnel_timeout_ms);
    visit("drain_timeout_ms", a.drain_timeout_ms, b.drain_timeout_ms);
    visit("max_connections", a.max_connections, b.max_connections);
    visit("access_log", a.access_log, b.access_log);
    visit("access_log_format", a.access_log_format, b.access_log_format);
    visit("request_id", a.request_id, b.request_id);
    visit("workers", WorkersValue{a.workers}, WorkersValue{b.workers});
    visit("tls_listen", a.tls_listen, b.tls_listen);
    visit("tls_handshake_timeout_ms", a.tls_handshake_timeout_ms, b.tls_handshake_timeout_ms);
    visit("certificates", CertificatesValue{a.certificates}, CertificatesValue{b.certificates});
}

template <typename Visit>
void forEachKey(const AdminSettings& a, const AdminSettings& b, Visit&& visit) {
    visit("listen", a.listen, b.listen);
    visit("token", a.token, b.token);
}

template <typename Visit>
void forEachKey(const ClusterSettings& a, const ClusterSettings& b, Visit&& visit) {
    visit("etcd", StringsValue{a.etcd}, StringsValue{b.etcd});
    visit("prefix", a.prefix, b.prefix);
    visit("timeout_ms", a.timeout_ms, b.timeout_ms);
    visit("cache", a.cache, b.cache);
}

// The scalar keys of a service.
template <typename Visit>
void forEachKey(const ServiceConfig& a, const ServiceConfig& b, Visit&& visit) {
    visit("route", a.route, b.route);
    visit("host", a.host, b.host);
    visit("strategy", a.strategy, b.strategy);
    visit("strip_prefix", a.strip_prefix, b.strip_prefix);
    visit("hash_key", a.hash_key, b.hash_key);
    visit("upstream_host", a.upstream_host, b.upstream_host);
    visit("slow_start_ms", a.slow_start_ms, b.slow_start_ms);
}

template <typename Visit>
void forEachKey(const HealthCheckConfig& a, const HealthCheckConfig& b, Visit&& visit) {
    visit("path", a.path, b.path);
    visit("interval_ms", a.interval_ms, b.interval_ms);
    visit("timeout_ms", a.timeout_ms, b.timeout_ms);
    visit("rise", a.rise, b.rise);
    visit("fall", a.fall, b.fall);
}

// The keys whose values differ between `before` and `after`, and `always` whatever its value.
template <typename Part>
std::vector<TomlKeyValue> keysOf(const Part& before, const Part& after,
                                 std::string_view always = {}) {
    std::vector<TomlKeyValue> keys;
    forEachKey(before, after, [&](const char* key, const auto& old, const auto& now) {
        if (key == always || !(old == now))
            keys.push_back({key, tomlValue(now)});
    });
    return keys;
}

}  // namespace

std::string renderUpstream(const UpstreamConfig& upstream) {
    std::vector<TomlKeyValue> keys{{"address", tomlQuote(upstream.address)}};
    if (upstream.weight != 1)
        keys.push_back({"weight", tomlValue(upstream.weight)});
    if (upstream.admin_state != AdminState::Active)
        keys.push_back({"admin_state", tomlQuote(adminStateName(upstream.admin_state))});
    if (keys.size() == 1)
        return tomlQuote(upstream.address);
    return tomlInlineTable(keys);
}

std::string renderUpstreamsArray(const std::vector<UpstreamConfig>& upstreams) {
    std::vector<std::string> elements;
    for (const auto& upstream : upstreams)
        elements.push_back(renderUpstream(upstream));
    return tomlArray(elements);
}

std::vector<TomlKeyValue> proxyKeys(const ProxySettings& proxy) {
    return keysOf(ProxySettings{}, proxy, "listen");
}

std::vector<TomlKeyValue> adminKeys(const AdminSettings& admin) {
    return keysOf(AdminSettings{}, admin, "listen");
}

std::vector<TomlKeyValue> clusterKeys(const ClusterSettings& cluster) {
    return keysOf(ClusterSettings{}, cluster, "etcd");
}

std::vector<TomlKeyValue> serviceKeys(const ServiceConfig& service) {
    auto keys = keysOf(ServiceConfig{}, service, "route");
    keys.push_back({"upstreams", renderUpstreamsArray(service.upstreams)});
    return keys;
}

std::vector<TomlKeyValue> healthCheckKeys(const HealthCheckConfig& check) {
    std::vector<TomlKeyValue> keys;
    forEachKey(check, check, [&](const char* key, const auto&, const auto& value) {
        keys.push_back({key, tomlValue(value)});
    });
    return keys;
}

std::string serviceSections(const ServiceConfig& service, std::string_view newline) {
    TomlPath path{"services", service.name};
    std::string out = tomlSection(path, serviceKeys(service), newline);
    if (service.health_check) {
        path.push_back("health_check");
        out += std::string(newline) +
               tomlSection(path, healthCheckKeys(*service.health_check), newline);
    }
    return out;
}

std::string serviceInlineTable(const ServiceConfig& service) {
    auto keys = serviceKeys(service);
    if (service.health_check)
        keys.push_back({"health_check", tomlInlineTable(healthCheckKeys(*service.health_check))});
    return tomlInlineTable(keys);
}

std::vector<TomlKeyValue> changedKeys(const ProxySettings& before, const ProxySettings& after) {
    return keysOf(before, after);
}

std::vector<TomlKeyValue> changedKeys(const AdminSettings& before, const AdminSettings& after) {
    return keysOf(before, after);
}

std::vector<TomlKeyValue> changedKeys(const ServiceConfig& before, const ServiceConfig& after) {
    return keysOf(before, after);
}

std::vector<TomlKeyValue> changedKeys(const HealthCheckConfig& before,
                                      const HealthCheckConfig& after) {
    return keysOf(before, after);
}

}  // namespace switchboard
