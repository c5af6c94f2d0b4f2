// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/random.h"

#include <random>

namespace switchboard {

namespace {

// The candidate at `point` of the weighted line [0, total) that the candidates (minus
// `skip`) cover in list order.
const std::shared_ptr<Upstream>* candidateAt(const UpstreamList& upstreams,
                                             const PickContext& context, std::uint64_t point,
                                             const Upstream* skip) {
    const std::shared_ptr<Upstream>* last = nullptr;
    for (const auto& upstream : upstreams) {
        if (upstream.get() == skip || !context.isCandidate(*upstream))
            continue;
        auto weight = static_cast<std::uint64_t>(upstream->effectiveWeight(context.now));
        if (point < weight)
            return &upstream;
        point -= weight;
        last = &upstream;
    }
    // Past the end only when the main loop changed a weight (or began a slow start) since the
    // total was summed: the last candidate, rather than no answer.
    return last;
}

}  // namespace

RandomBalancer::RandomBalancer() {
    std::random_device device;
    state_ = (std::uint64_t{device()} << 32) ^ device();
}

std::uint64_t RandomBalancer::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::shared_ptr<Upstream> RandomBalancer::pick(const UpstreamList& upstreams,
                                               const PickContext& context) {
    std::uint64_t total = 0;
    for (const auto& upstream : upstreams)
        if (context.isCandidate(*upstream))
            total += static_cast<std::uint64_t>(upstream->effectiveWeight(context.now));
    if (total == 0)
        return nullptr;
    const auto* first = candidateAt(upstreams, context, below(total), nullptr);
    if (!first)
        return nullptr;
    const auto first_weight = static_cast<std::uint64_t>((*first)->effectiveWeight(context.now));
    if (first_weight >= total)
        return *first;  // the only candidate
    const std::uint64_t rest = total - first_weight;
    const auto* second = candidateAt(upstreams, context, below(rest), first->get());
    if (second && lessLoaded(**second, **first, context.now))
        return *second;
    return *first;
}

}  // namespace switchboard
