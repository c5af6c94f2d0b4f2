// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/metrics.h"

#include <charconv>
#include <cstdint>
#include <utility>
#include <vector>

namespace switchboard {

std::string escapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

namespace {

constexpr const char* kClassNames[] = {"failed", "1xx", "2xx", "3xx", "4xx", "5xx"};

using Labels = std::vector<std::pair<const char*, std::string_view>>;

std::string formatDouble(double value) {
    char text[64];
    auto [end, error] = std::to_chars(text, text + sizeof text, value);
    if (error != std::errc())
        return "NaN";
    return std::string(text, end);
}

// Appends the lines of one metric family.
class FamilyWriter {
  public:
    FamilyWriter(std::string& out, std::string name, const char* type, const char* help)
        : out_(out), name_(std::move(name)) {
        out_ += "# HELP " + name_ + " " + help + "\n";
        out_ += "# TYPE " + name_ + " " + type + "\n";
    }

    void sample(const Labels& labels, const std::string& value, const char* suffix = "") {
        out_ += name_;
        out_ += suffix;
        if (!labels.empty()) {
            out_ += '{';
            bool first = true;
            for (const auto& [key, label_value] : labels) {
                if (!first)
                    out_ += ',';
                first = false;
                out_ += key;
                out_ += "=\"";
                out_ += escapeLabelValue(label_value);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
        out_ += value;
        out_ += '\n';
    }
    void sample(const Labels& labels, std::uint64_t value, const char* suffix = "") {
        sample(labels, std::to_string(value), suffix);
    }
    void sample(const Labels& labels, const Counter& counter, const char* suffix = "") {
        sample(labels, counter.load(), suffix);
    }
    void sample(const Labels& labels, const Gauge& gauge) {
        sample(labels, std::to_string(gauge.load()));
    }

  private:
    std::string& out_;
    std::string name_;
};

template <typename Each> void forEachUpstream(const Registry& registry, Each each) {
    for (const auto& pool : registry.services())
        for (const auto& upstream : pool->upstreams())
            each(*pool, *upstream);
}

}  // namespace

std::string renderMetrics(const Registry& registry, const ServerStats& stats, Clock::time_point now,
                          const ClusterStatus* cluster) {
    std::string out;
    const auto& pools = registry.services();

    {
        FamilyWriter family(out, "switchboard_requests_total", "counter",
                            "Responses sent to clients on the proxy port, by service and status "
                            "class (switchboard's own 502/504 included).");
        for (const auto& pool : pools)
            for (std::size_t c = 1; c < std::size(kClassNames); ++c)
                family.sample({{"service", pool->name()}, {"class", kClassNames[c]}},
                              pool->stats().responses[c]);
    }
    {
        FamilyWriter family(out, "switchboard_request_duration_seconds", "histogram",
                            "Time from a request's arrival to the end of its response, by "
                            "service.");
        for (const auto& pool : pools) {
            const ServiceStats& service = pool->stats();
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < kDurationBuckets.size(); ++i) {
                cumulative += service.duration_buckets[i].load();
                std::string le = formatDouble(kDurationBuckets[i]);
                family.sample({{"service", pool->name()}, {"le", le}}, cumulative, "_bucket");
            }
            family.sample({{"service", pool->name()}, {"le", "+Inf"}}, service.duration_count,
                          "_bucket");
            family.sample({{"service", pool->name()}}, formatDouble(service.durationSumSeconds()),
                          "_sum");
            family.sample({{"service", pool->name()}}, service.duration_count, "_count");
        }
    }
    {
        FamilyWriter family(out, "switchboard_upstream_requests_total", "counter",
                            "Requests sent to an upstream (retries included).");
        forEachUpstream(registry, [&](const ServicePool& pool, const Upstream& upstream) {
            family.sample({{"service", pool.name()}, {"upstream", upstream.name()}},
                          upstream.requests);
        });
    }
    {
        FamilyWriter family(out, "switchboard_upstream_responses_total", "counter",
                            "Answers from an upstream by status class; class \"failed\" counts "
                            "attempts that got no response (connect failure, reset, timeout).");
        forEachUpstream(registry, [&](const ServicePool& pool, const Upstream& upstream) {
            for (std::size_t c = 0; c < std::size(kClassNames); ++c)
                family.sample({{"service", pool.name()},
                               {"upstream", upstream.name()},
                               {"class", kClassNames[c]}},
                              upstream.stats.responses[c]);
        });
    }
    {
        FamilyWriter family(out, "switchboard_upstream_up", "gauge",
                            "1 when the upstream gets new requests, 0 when it is down (failed "
                            "health), removed and draining, or its admin_state is not active.");
        forEachUpstream(registry, [&](const ServicePool& pool, const Upstream& upstream) {
            family.sample({{"service", pool.name()}, {"upstream", upstream.name()}},
                          std::uint64_t{upstream.isUsable(now) ? 1u : 0u});
        });
    }
    {
        FamilyWriter family(out, "switchboard_upstream_admin_state", "gauge",
                            "The operator's admin_state of an upstream: 1 for the state it is "
                            "in (active, drain or maint), 0 for the other two.");
        forEachUpstream(registry, [&](const ServicePool& pool, const Upstream& upstream) {
            for (AdminState state : {AdminState::Active, AdminState::Drain, AdminState::Maint})
                family.sample({{"service", pool.name()},
                               {"upstream", upstream.name()},
                               {"state", adminStateName(state)}},
                              std::uint64_t{upstream.adminState() == state ? 1u : 0u});
        });
    }
    {
        FamilyWriter family(out, "switchboard_upstream_in_flight", "gauge",
                            "Requests on an upstream right now.");
        forEachUpstream(registry, [&](const ServicePool& pool, const Upstream& upstream) {
            family.sample({{"service", pool.name()}, {"upstream", upstream.name()}},
                          upstream.in_flight);
        });
    }
    {
        FamilyWriter family(out, "switchboard_upstream_weight", "gauge",
                            "The upstream's configured weight.");
        forEachUpstream(registry, [&](const ServicePool& pool, const Upstream& upstream) {
            family.sample({{"service", pool.name()}, {"upstream", upstream.name()}},
                          std::to_string(upstream.weight()));
        });
    }
    {
        FamilyWriter family(out, "switchboard_reloads_total", "counter",
                            "Configuration reloads (SIGHUP and POST /reload) by result.");
        family.sample({{"result", "ok"}}, stats.reloads_ok);
        family.sample({{"result", "failed"}}, stats.reloads_failed);
    }
    {
        FamilyWriter family(out, "switchboard_config_saves_total", "counter",
                            "Admin changes written to the config file, by result (failed: "
                            "refused because the file changed on disk or could not be "
                            "written).");
        family.sample({{"result", "ok"}}, stats.saves_ok);
        family.sample({{"result", "failed"}}, stats.saves_failed);
    }
    {
        FamilyWriter family(out, "switchboard_client_connections", "gauge",
                            "Client connections open on the proxy port.");
        family.sample({}, stats.client_connections);
    }
    {
        FamilyWriter family(out, "switchboard_tls_handshakes_total", "counter",
                            "TLS handshakes on the proxy port, by result (failed: refused by "
                            "TLS or the client left; timeout: not done in "
                            "tls_handshake_timeout_ms).");
        family.sample({{"result", "ok"}}, stats.tls_handshakes_ok);
        family.sample({{"result", "failed"}}, stats.tls_handshakes_failed);
        family.sample({{"result", "timeout"}}, stats.tls_handshakes_timed_out);
    }
    {
        FamilyWriter family(out, "switchboard_tunnels_open", "gauge",
                            "Upgraded connections (WebSocket tunnels) open on the proxy port.");
        family.sample({}, stats.tunnels_open);
    }
    {
        FamilyWriter family(out, "switchboard_tunnels_total", "counter",
                            "Upgraded connections (WebSocket tunnels) opened since start.");
        family.sample({}, stats.tunnels_total);
    }
    {
        FamilyWriter family(out, "switchboard_services", "gauge", "Configured services.");
        family.sample({}, static_cast<std::uint64_t>(pools.size()));
    }
    {
        FamilyWriter family(out, "switchboard_upstreams", "gauge",
                            "Configured upstreams, over all services.");
        family.sample({}, static_cast<std::uint64_t>(registry.config().upstreamCount()));
    }
    if (cluster) {
        {
            FamilyWriter family(out, "switchboard_cluster_connected", "gauge",
                                "1 while the watch on etcd is open (SPEC 12), else 0.");
            family.sample({}, std::uint64_t{cluster->connected});
        }
        {
            FamilyWriter family(out, "switchboard_cluster_revision", "gauge",
                                "The etcd revision of the newest change of the services "
                                "applied here.");
            family.sample({}, static_cast<std::uint64_t>(cluster->revision));
        }
        {
            FamilyWriter family(out, "switchboard_cluster_changes_applied_total", "counter",
                                "Changes of services applied from etcd's watch (made by other "
                                "instances or by hand).");
            family.sample({}, cluster->changes_applied);
        }
    }
    return out;
}

}  // namespace switchboard
