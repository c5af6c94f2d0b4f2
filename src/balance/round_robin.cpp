#include "switchboard/balance/round_robin.h"

namespace switchboard {

std::shared_ptr<Upstream> RoundRobinBalancer::pick(const UpstreamList& upstreams,
                                                   const PickContext& context) {
    std::shared_ptr<Upstream> best;
    std::int64_t total = 0;
    for (const auto& upstream : upstreams) {
        if (!context.isCandidate(*upstream))
            continue;
        upstream->current_weight += upstream->weight();
        total += upstream->weight();
        if (!best || upstream->current_weight > best->current_weight)
            best = upstream;
    }
    if (best)
        best->current_weight -= total;
    return best;
}

}  // namespace switchboard
