// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "switchboard/config/config.h"
#include "switchboard/config/toml_text.h"

namespace switchboard {

// A Config as TOML keys: what renderConfig writes for each part, and which keys differ between
// two versions of a part. The in-place editor writes new parts of a file from the same lists,
// so a service added by the admin API looks as it would in a canonical rendering.

// `"a:1"` for weight 1 and active, else `{ address = "a:1", weight = 3 }`, with
// `admin_state = "drain"` (or "maint") when not active.
std::string renderUpstream(const UpstreamConfig& upstream);

// `["a:1", { address = "b:2", weight = 3 }]`: upstreams as renderConfig writes them.
std::string renderUpstreamsArray(const std::vector<UpstreamConfig>& upstreams);

// The keys renderConfig writes: those that differ from the built-in defaults, and always
// `listen` (proxy, admin), `route` and `upstreams` (service), every key of a health check. A
// service's health_check is not among its keys; serviceSections and serviceInlineTable add it.
std::vector<TomlKeyValue> proxyKeys(const ProxySettings& proxy);
std::vector<TomlKeyValue> adminKeys(const AdminSettings& admin);
std::vector<TomlKeyValue> clusterKeys(const ClusterSettings& cluster);
std::vector<TomlKeyValue> serviceKeys(const ServiceConfig& service);
std::vector<TomlKeyValue> healthCheckKeys(const HealthCheckConfig& check);

// `[services.NAME]` and, when the service has a health check, a blank line and
// `[services.NAME.health_check]`, lines ended with `newline`.
std::string serviceSections(const ServiceConfig& service, std::string_view newline);

// The service as one inline table, for a file that writes `services = { ... }`.
std::string serviceInlineTable(const ServiceConfig& service);

// The keys whose values differ, with their values in `after`, in the order renderConfig
// writes them. For a service only its scalar keys: upstreams and health_check are apart.
std::vector<TomlKeyValue> changedKeys(const ProxySettings& before, const ProxySettings& after);
std::vector<TomlKeyValue> changedKeys(const AdminSettings& before, const AdminSettings& after);
std::vector<TomlKeyValue> changedKeys(const ServiceConfig& before, const ServiceConfig& after);
std::vector<TomlKeyValue> changedKeys(const HealthCheckConfig& before,
                                      const HealthCheckConfig& after);

}  // namespace switchboard
