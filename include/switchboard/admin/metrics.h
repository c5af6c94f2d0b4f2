// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "switchboard/balance/upstream.h"
#include "switchboard/base/stats.h"
#include "switchboard/cluster/etcd_service_source.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

// GET /metrics: the Prometheus text exposition format, version 0.0.4.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4";

// Every metric of the running services and the server, each family with its HELP and TYPE
// lines, names prefixed "switchboard_". Families (labels):
//   switchboard_requests_total{service,class}               counter, class 1xx..5xx
//   switchboard_request_duration_seconds{service}           histogram (kDurationBuckets)
//   switchboard_upstream_requests_total{service,upstream}   counter, requests sent to it
//   switchboard_upstream_responses_total{service,upstream,class}
//                                                           counter, class failed|1xx..5xx
//   switchboard_upstream_up{service,upstream}               gauge 1/0 (gets new requests: not
//                                                           down, removed, drain or maint)
//   switchboard_upstream_admin_state{service,upstream,state}
//                                                           gauge 1/0, state active|drain|maint
//   switchboard_upstream_in_flight{service,upstream}        gauge
//   switchboard_upstream_weight{service,upstream}           gauge
//   switchboard_reloads_total{result}                       counter, ok|failed
//   switchboard_config_saves_total{result}                  counter, ok|failed
//   switchboard_client_connections                          gauge, open on the proxy port
//   switchboard_tunnels_open                                gauge, upgraded connections open
//   switchboard_tunnels_total                               counter, upgraded connections opened
//   switchboard_services, switchboard_upstreams             gauges, configured counts
// and with a cluster (SPEC §12; `cluster` not null):
//   switchboard_cluster_connected                           gauge 1/0, etcd's watch is open
//   switchboard_cluster_revision                            gauge, newest change applied
//   switchboard_cluster_changes_applied_total               counter, changes from the watch
// Every class is present from the start (0), so rate() works on a fresh series.
std::string renderMetrics(const Registry& registry, const ServerStats& stats,
                          Clock::time_point now = Clock::now(),
                          const ClusterStatus* cluster = nullptr);

// A label value with \ " and newline escaped as the format requires.
std::string escapeLabelValue(std::string_view value);

}  // namespace switchboard
