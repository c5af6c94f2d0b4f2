// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "switchboard/balance/balancer.h"

namespace switchboard {

// nginx's smooth weighted round robin: each pick adds every candidate's weight to its
// current_weight, takes the largest, and subtracts the total from the winner. Equal weights
// give an exact turn; weights 5,1,1 give a,a,b,a,c,a,a (no bursts). The running values live
// in the Upstream objects, so adding or removing one upstream does not restart the turn.
class RoundRobinBalancer final : public Balancer {
  public:
    std::shared_ptr<Upstream> pick(const UpstreamList& upstreams,
                                   const PickContext& context) override;
};

}  // namespace switchboard
