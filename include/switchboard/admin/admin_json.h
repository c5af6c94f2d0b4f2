// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "switchboard/balance/upstream.h"
#include "switchboard/base/json.h"
#include "switchboard/config/config.h"
#include "switchboard/config/service_json.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

// The JSON of a service's run-time state as the admin API answers it, and ETags. The
// configuration's JSON (request bodies, a service's settings) is config/service_json.h.

// A service's state as every call that returns one answers it (SPEC §5): its configuration
// (serviceConfigObject), each upstream with its run-time state ("state": up, down or draining;
// "in_flight"; "requests" served). The run-time state comes from `runtime`'s upstream of the same
// address (the running pool); an upstream it lacks, or all of them when `runtime` is null, is shown
// as a fresh one: up, nothing in flight, no requests.
JsonPtr serviceStateJson(const ServiceConfig& service, const ServicePool* runtime,
                         Clock::time_point now = Clock::now());

// "up", "down" or "draining": health, and removal; the admin_state is apart.
const char* upstreamStateName(const Upstream& upstream, Clock::time_point now);

// ETags (SPEC §11): `"` + 16 hex digits + `"`, a hash of the canonical JSON of a service's
// configuration (serviceConfigText), so it changes exactly when that configuration does and
// never with counters or health. configEtag is the hash of the whole configuration in
// canonical TOML (renderConfig), for GET /services.
std::string serviceEtag(const ServiceConfig& service);
std::string configEtag(const Config& config);
std::string etagOf(std::string_view canonical_text);

// Whether an If-Match header value (`*`, or a comma-separated list of entity tags) holds for
// the current `etag`; nullptr when the resource does not exist, which nothing matches, not
// even `*`. Tags are compared strongly: a weak tag W/"..." never matches.
bool ifMatchHolds(std::string_view if_match, const std::string* etag);

}  // namespace switchboard
