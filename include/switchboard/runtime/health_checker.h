// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <event2/dns.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "switchboard/balance/upstream.h"
#include "switchboard/base/libevent.h"
#include "switchboard/config/config.h"

namespace switchboard {

class Registry;

// Active health checks (SPEC §2 [services.X.health_check]), on the server's event loop.
// Every upstream of a service with a health_check table gets a GET of `path` every
// `interval_ms`, answered within `timeout_ms` or failed; 2xx and 3xx pass, anything else
// (another status, refused, reset, timeout) fails. `fall` failures in a row take an up
// upstream out (Upstream::health_check_down, which Upstream::isUsable consults); `rise`
// passes in a row bring a down one back. Each transition is logged once.
//
// A new upstream starts up - a service created with a health check serves at once instead
// of answering 502 until its first checks pass - and its first check is staggered: the
// i-th of a service's n upstreams is first checked i/n of an interval after it appears, so
// the checks of many upstreams do not all fire together.
//
// An upstream in admin_state `maint` is not checked (SPEC §11) and loses its health_check_down
// mark like one whose service has no check: set active again, it starts up, as a new upstream
// does. One in `drain` is checked as usual.
class HealthChecker {
  public:
    HealthChecker(event_base* base, evdns_base* dns);
    ~HealthChecker();
    HealthChecker(const HealthChecker&) = delete;
    HealthChecker& operator=(const HealthChecker&) = delete;

    // Brings the checks in line with the registry's pools; call after every
    // Registry::apply. Checks of upstreams that stay with unchanged settings keep running
    // undisturbed (counters, schedule, state). Changed settings restart an upstream's check
    // (counters reset, the up/down state kept until the new check decides otherwise).
    // Upstreams that left, or whose service no longer has a health check, lose their check
    // and their health_check_down mark.
    void reconcile(const Registry& registry);

    // Stops every check (shutdown), clearing no state.
    void stop();

    std::size_t checkCount() const { return probes_.size(); }

  private:
    class Probe;
    using Key = std::pair<std::string, std::string>;  // service, upstream address

    event_base* base_;
    evdns_base* dns_;
    std::map<Key, std::unique_ptr<Probe>> probes_;
};

}  // namespace switchboard
