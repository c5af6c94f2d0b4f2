// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "switchboard/balance/balancer.h"

namespace switchboard {

// Power of two choices (Mitzenmacher; HAProxy's "random(2)", nginx's "random two
// least_conn"): draw two different candidates at random, each with probability proportional
// to its weight, and take the one with fewer requests in flight for its weight (the first
// drawn on a tie). Nearly as even as least_conn, without every proxy herding onto the same
// least loaded server, and O(n) without allocation.
class RandomBalancer final : public Balancer {
  public:
    // Seeded from std::random_device.
    RandomBalancer();
    // A fixed seed gives a reproducible sequence (tests).
    explicit RandomBalancer(std::uint64_t seed) : state_(seed) {}

    std::shared_ptr<Upstream> pick(const UpstreamList& upstreams,
                                   const PickContext& context) override;

  private:
    // splitmix64 (Steele, Lea, Flood): one add and a finalizer per number; plenty for
    // load balancing, and it never needs reseeding.
    std::uint64_t next();
    // A number in [0, bound); bound > 0. The modulo bias is below 2^-40 for any bound a
    // sum of weights can reach.
    std::uint64_t below(std::uint64_t bound) { return next() % bound; }

    std::uint64_t state_;
};

}  // namespace switchboard
