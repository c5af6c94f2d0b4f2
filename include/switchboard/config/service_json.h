// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/base/json.h"
#include "switchboard/config/config.h"

namespace switchboard {

// A service's configuration as JSON, both ways: request bodies into config values (checked with
// the same check* functions as the file loader), and a service into the JSON the admin API
// answers and the change journal keeps.

// A value read from a request body, or what is wrong with it. `field` names the offending
// member ("upstreams[1].weight"; "" for the body as a whole) and `error` says what is wrong,
// naming the field too, so the message alone is enough for a human.
template <typename T> struct JsonInput {
    std::optional<T> value;
    std::string field;
    std::string error;

    explicit operator bool() const { return value.has_value(); }
};

// The body as a JSON object. Refuses malformed JSON (with the byte offset), trailing
// garbage, and anything but an object at the top.
JsonInput<JsonPtr> parseJsonObject(std::string_view body);

// PUT /services/<name>: a body mirroring the TOML table of a service:
//   {"route": "/x", "host": "", "strategy": "round_robin", "strip_prefix": false,
//    "hash_key": "client_ip", "upstreams": ["h:1", {"address": "h:2", "weight": 2}],
//    "health_check": {"path": "/healthz", "interval_ms": 2000, "timeout_ms": 1000,
//                     "rise": 2, "fall": 3}}
// Every key is optional with the file's default (route "/<name>"; no health_check); unknown
// or repeated keys are errors, as in the file. "name" may be given and must then equal
// `name`; "health_check": null means none. Addresses come back canonical. `name` must be
// valid already.
JsonInput<ServiceConfig> parseServiceJson(const std::string& name, const cJSON* body);

// PATCH /services/<name>/upstreams/<address> (SPEC §11): {"weight": N, "admin_state": "drain"},
// each optional; anything else is an error. An empty object changes nothing.
struct UpstreamPatch {
    std::optional<std::int64_t> weight;
    std::optional<AdminState> admin_state;

    // Sets what the patch names, leaves the rest.
    void applyTo(UpstreamConfig& upstream) const;
};
JsonInput<UpstreamPatch> parseUpstreamPatchJson(const cJSON* body);

// POST /services/<name>/upstreams: {"address": "h:p", "weight": N, "admin_state": "drain"};
// weight and admin_state are optional: for an address already there, what the body leaves out
// stays as it is.
struct UpstreamRequest : UpstreamPatch {
    std::string address;  // canonical
};
JsonInput<UpstreamRequest> parseUpstreamJson(const cJSON* body);

// The service's settings, without its upstreams: name, route, host, strategy, strip_prefix,
// hash_key, upstream_host, slow_start_ms, and health_check when there is one.
JsonObject serviceConfigObject(const ServiceConfig& service);
// The service's configuration, mirroring the TOML table (for the change journal):
// name, route, host, strategy, strip_prefix, hash_key, upstreams [{address, weight}],
// and health_check when there is one.
JsonPtr serviceConfigJson(const ServiceConfig& service);
// serviceConfigJson as text; "null" for no service.
std::string serviceConfigText(const ServiceConfig* service);

}  // namespace switchboard
