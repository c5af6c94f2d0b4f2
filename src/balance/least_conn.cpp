// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/least_conn.h"

#include <cstdint>

namespace switchboard {

std::shared_ptr<Upstream> LeastConnBalancer::pick(const UpstreamList& upstreams,
                                                  const PickContext& context) {
    // First pass: the least loaded candidate, and whether others tie with it.
    const std::shared_ptr<Upstream>* best = nullptr;
    bool tied = false;
    for (const auto& upstream : upstreams) {
        if (!context.isCandidate(*upstream))
            continue;
        if (!best || lessLoaded(*upstream, **best, context.now)) {
            best = &upstream;
            tied = false;
        } else if (!lessLoaded(**best, *upstream, context.now)) {
            tied = true;
        }
    }
    if (!best || !tied)
        return best ? *best : nullptr;

    // Second pass: smooth weighted round robin among the tied ones.
    std::shared_ptr<Upstream> chosen;
    std::int64_t total = 0;
    for (const auto& upstream : upstreams) {
        if (!context.isCandidate(*upstream) || lessLoaded(**best, *upstream, context.now))
            continue;
        const std::int64_t weight = upstream->effectiveWeight(context.now);
        upstream->currentWeight(context.worker) += weight;
        total += weight;
        if (!chosen ||
            upstream->currentWeight(context.worker) > chosen->currentWeight(context.worker))
            chosen = upstream;
    }
    chosen->currentWeight(context.worker) -= total;
    return chosen;
}

}  // namespace switchboard
