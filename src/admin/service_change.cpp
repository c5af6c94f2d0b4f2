// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/service_change.h"

#include <string>
#include <vector>

namespace switchboard {

std::string upstreamCountText(std::size_t count) {
    return std::to_string(count) + (count == 1 ? " upstream" : " upstreams");
}

namespace {

std::string quoted(const std::string& text) {
    return "'" + text + "'";
}

void describeSettings(const ServiceConfig& before, const ServiceConfig& after,
                      std::vector<std::string>& parts) {
    auto field = [&](const char* name, const std::string& old_value, const std::string& new_value) {
        if (old_value != new_value)
            parts.push_back(std::string(name) + " " + quoted(old_value) + " -> " +
                            quoted(new_value));
    };
    field("route", before.route, after.route);
    field("host", before.host, after.host);
    field("strategy", before.strategy, after.strategy);
    if (before.strip_prefix != after.strip_prefix)
        parts.push_back(std::string("strip_prefix ") + (after.strip_prefix ? "on" : "off"));
    field("hash_key", before.hash_key, after.hash_key);
    field("upstream_host", before.upstream_host, after.upstream_host);
    if (before.slow_start_ms != after.slow_start_ms)
        parts.push_back("slow_start_ms " + std::to_string(before.slow_start_ms) + " -> " +
                        std::to_string(after.slow_start_ms));
    if (before.health_check != after.health_check)
        parts.push_back(!after.health_check    ? "health check removed"
                        : !before.health_check ? "health check added"
                                               : "health check changed");
}

// A change as done ("added") or as asked ("add").
std::string verb(const char* asked, const char* done, Tense tense) {
    return tense == Tense::Asked ? asked : done;
}

void describeUpstreams(const ServiceConfig* before, const ServiceConfig& after, Tense tense,
                       std::vector<std::string>& parts) {
    for (const auto& upstream : after.upstreams) {
        const UpstreamConfig* old = before ? before->findUpstream(upstream.address) : nullptr;
        const std::string state = adminStateName(upstream.admin_state);
        if (!old) {
            parts.push_back(
                verb("add", "added", tense) + " " + upstream.address +
                (upstream.weight != 1 ? " weight " + std::to_string(upstream.weight) : "") +
                (upstream.admin_state != AdminState::Active ? " " + state : ""));
            continue;
        }
        if (old->weight != upstream.weight)
            parts.push_back("weight of " + upstream.address + " " + std::to_string(old->weight) +
                            " -> " + std::to_string(upstream.weight));
        if (old->admin_state != upstream.admin_state)
            parts.push_back("admin_state of " + upstream.address + " " +
                            adminStateName(old->admin_state) + " -> " + state);
    }
    if (!before)
        return;
    for (const auto& upstream : before->upstreams)
        if (!after.findUpstream(upstream.address))
            parts.push_back(verb("remove", "removed", tense) + " " + upstream.address);
}

}  // namespace

std::string describeServiceChange(const ServiceConfig* before, const ServiceConfig* after,
                                  Tense tense) {
    const ServiceConfig& named = after ? *after : *before;
    std::string line = "service " + named.name + ": ";
    if (!after)
        return line + verb("delete", "deleted", tense) + " (had " +
               upstreamCountText(before->upstreams.size()) + ")";

    std::vector<std::string> parts;
    if (!before)
        parts.push_back(verb("create", "created", tense) + " (route " + quoted(after->route) + ")");
    else
        describeSettings(*before, *after, parts);
    describeUpstreams(before, *after, tense, parts);
    if (parts.empty())
        parts.push_back(before && *before == *after ? "unchanged" : "upstreams reordered");
    for (std::size_t i = 0; i < parts.size(); ++i)
        line += (i ? ", " : "") + parts[i];
    return line + " (" + upstreamCountText(after->upstreams.size()) + ")";
}

}  // namespace switchboard
