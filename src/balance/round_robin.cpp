// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/round_robin.h"

namespace switchboard {

std::shared_ptr<Upstream> RoundRobinBalancer::pick(const UpstreamList& upstreams,
                                                   const PickContext& context) {
    std::shared_ptr<Upstream> best;
    std::int64_t total = 0;
    for (const auto& upstream : upstreams) {
        if (!context.isCandidate(*upstream))
            continue;
        const std::int64_t weight = upstream->effectiveWeight(context.now);
        upstream->currentWeight(context.worker) += weight;
        total += weight;
        if (!best || upstream->currentWeight(context.worker) > best->currentWeight(context.worker))
            best = upstream;
    }
    if (best)
        best->currentWeight(context.worker) -= total;
    return best;
}

}  // namespace switchboard
