// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/strategies.h"

#include "switchboard/balance/consistent_hash.h"
#include "switchboard/balance/least_conn.h"
#include "switchboard/balance/random.h"
#include "switchboard/balance/round_robin.h"

namespace switchboard {

std::unique_ptr<Balancer> makeBalancer(std::string_view strategy) {
    if (strategy == "least_conn")
        return std::make_unique<LeastConnBalancer>();
    if (strategy == "random")
        return std::make_unique<RandomBalancer>();
    if (strategy == "consistent_hash")
        return std::make_unique<ConsistentHashBalancer>();
    return std::make_unique<RoundRobinBalancer>();
}

}  // namespace switchboard
