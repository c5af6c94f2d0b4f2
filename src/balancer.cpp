#include "switchboard/balancer.h"

#include <algorithm>

#include "switchboard/round_robin.h"

namespace switchboard {

bool PickContext::wasTried(const Upstream* upstream) const {
    return tried && std::find(tried->begin(), tried->end(), upstream) != tried->end();
}

std::unique_ptr<Balancer> makeBalancer(std::string_view /*strategy*/) {
    // Every strategy falls back to round robin until its own file exists.
    return std::make_unique<RoundRobinBalancer>();
}

} // namespace switchboard
