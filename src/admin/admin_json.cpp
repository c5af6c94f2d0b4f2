// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/admin_json.h"

#include <cstdio>

#include "switchboard/balance/consistent_hash.h"
#include "switchboard/config/config_file.h"

namespace switchboard {

const char* upstreamStateName(const Upstream& upstream, Clock::time_point now) {
    if (upstream.draining)
        return "draining";
    return upstream.isHealthy(now) ? "up" : "down";
}

std::string serviceEtag(const ServiceConfig& service) {
    return etagOf(serviceConfigText(&service));
}

std::string configEtag(const Config& config) {
    return etagOf(renderConfig(config));
}

std::string etagOf(std::string_view canonical_text) {
    char text[19];
    std::snprintf(text, sizeof text, "\"%016llx\"",
                  static_cast<unsigned long long>(hashKey(canonical_text)));
    return text;
}

bool ifMatchHolds(std::string_view if_match, const std::string* etag) {
    auto trimmed = [](std::string_view text) {
        auto first = text.find_first_not_of(" \t");
        if (first == std::string_view::npos)
            return std::string_view();
        auto last = text.find_last_not_of(" \t");
        return text.substr(first, last - first + 1);
    };
    while (!if_match.empty()) {
        auto comma = if_match.find(',');
        std::string_view tag = trimmed(if_match.substr(0, comma));
        if_match.remove_prefix(comma == std::string_view::npos ? if_match.size() : comma + 1);
        // Strong comparison (RFC 9110 §13.1.1): a weak tag (W/"...") never matches.
        if (etag && (tag == "*" || tag == *etag))
            return true;
    }
    return false;
}

JsonPtr serviceStateJson(const ServiceConfig& service, const ServicePool* runtime,
                         Clock::time_point now) {
    auto upstreams = makeJsonArray();
    for (const auto& upstream : service.upstreams) {
        const Upstream* running = nullptr;
        if (runtime)
            for (const auto& candidate : runtime->upstreams())
                if (candidate->name() == upstream.address)
                    running = candidate.get();
        JsonObject object;
        object.add("address", upstream.address).add("weight", upstream.weight);
        object.add("state", running ? upstreamStateName(*running, now) : "up")
            .add("admin_state", adminStateName(upstream.admin_state));
        // responses_5xx: the upstream's own 5xx answers (not switchboard's 502/504 when it
        // could not get one), for the status page's 5xx rate.
        if (running)
            object.add("in_flight", running->in_flight)
                .add("requests", running->requests)
                .add("responses_5xx", running->stats.responses[5].load());
        else
            object.add("in_flight", 0)
                .add("requests", std::uint64_t{0})
                .add("responses_5xx", std::uint64_t{0});
        appendToArray(upstreams.get(), object.release());
    }
    return serviceConfigObject(service).add("upstreams", std::move(upstreams)).release();
}

}  // namespace switchboard
