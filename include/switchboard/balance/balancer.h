// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "switchboard/balance/upstream.h"

namespace switchboard {

struct RequestHead;

using UpstreamList = std::vector<std::shared_ptr<Upstream>>;

// What a strategy may look at to choose: the time (for health), the upstreams already
// tried for this request, which a retry must skip, and the request's key for
// consistent_hash.
struct PickContext {
    Clock::time_point now = Clock::now();
    const std::vector<const Upstream*>* tried = nullptr;
    std::string_view client_ip;
    // consistent_hash's key: the client IP (hash_key = "client_ip"), or the value of the
    // header named by hash_key = "header:NAME" (the client IP when the header is absent).
    // When empty, consistent_hash uses client_ip.
    std::string_view hash_value;
    // The proxy worker picking (SPEC §9): the slot of the per-worker turn state to use.
    std::size_t worker = 0;

    bool wasTried(const Upstream* upstream) const;
    bool isCandidate(const Upstream& upstream) const {
        return upstream.isUsable(now) && !wasTried(&upstream);
    }
};

// One small interface, one file per strategy (HAProxy's lb_*.c, nginx's peer get/free):
// round_robin.h, least_conn.h, random.h, consistent_hash.h. A ServicePool makes its
// balancer once and hands it the same (immutable) upstream list on every pick; a config
// change builds a new pool and a new balancer per worker (a balancer is only ever used by one
// worker). State that must survive such a change (smooth round robin's current weight) lives
// in the Upstream objects, in the picking worker's slot.
class Balancer {
  public:
    virtual ~Balancer() = default;
    // Returns nullptr when no upstream is a candidate (usable and not tried yet).
    virtual std::shared_ptr<Upstream> pick(const UpstreamList& upstreams,
                                           const PickContext& context) = 0;
};

// The request's own key for PickContext::hash_value under a service's `hash_key`: the value of
// the header named by "header:NAME", or "" (absent header, or "client_ip") for the client IP.
// The view points into `request`; a strategy that hashes nothing ignores it, so the proxy asks
// for every request without knowing the strategy.
std::string_view requestHashValue(std::string_view hash_key, const RequestHead& request);

// True when `a` carries less load than `b` for its weight at `now` (slow start included):
// in_flight_a / weight_a < in_flight_b / weight_b, compared as in_flight_a * weight_b <
// in_flight_b * weight_a so that no division rounds (least_conn, random's two choices).
inline bool lessLoaded(const Upstream& a, const Upstream& b, Clock::time_point now) {
    return a.in_flight.load(std::memory_order_relaxed) * b.effectiveWeight(now) <
           b.in_flight.load(std::memory_order_relaxed) * a.effectiveWeight(now);
}

}  // namespace switchboard
