// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the balancer tests: upstreams built from (name, weight) pairs, and the
// names a balancer picks in a row.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "switchboard/balance/balancer.h"

namespace switchboard::testing {

inline UpstreamList makeUpstreams(std::vector<std::pair<std::string, int>> spec) {
    UpstreamList list;
    for (auto& [name, weight] : spec)
        list.push_back(std::make_shared<Upstream>(UpstreamConfig{name, weight}, HostPort{}));
    return list;
}

// One character per pick (the upstreams are named with one letter), "-" for none.
inline std::string sequence(Balancer& balancer, const UpstreamList& upstreams, int count,
                            const PickContext& context = {}) {
    std::string picks;
    for (int i = 0; i < count; ++i) {
        auto picked = balancer.pick(upstreams, context);
        picks += picked ? picked->name() : "-";
    }
    return picks;
}

}  // namespace switchboard::testing
