// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "switchboard/balance/balancer.h"

namespace switchboard {

// Fewest requests in flight relative to weight (nginx's least_conn, HAProxy's leastconn):
// the candidate with the smallest in_flight / weight wins. Ties - and with sequential
// traffic everything ties at 0 in flight - are broken by smooth weighted round robin among
// the tied candidates, so equal weights take exact turns and weights 3:1 split 3:1. That
// running value is the worker's Upstream::currentWeight, so the turn survives a config change.
class LeastConnBalancer final : public Balancer {
  public:
    std::shared_ptr<Upstream> pick(const UpstreamList& upstreams,
                                   const PickContext& context) override;
};

}  // namespace switchboard
