// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "switchboard/balance/balancer.h"

namespace switchboard {

// A 64-bit hash of `bytes`: FNV-1a, then the murmur3/splitmix64 finalizer so that keys
// differing in one character spread over the whole ring (FNV-1a alone barely changes the
// high bits for such keys). Stable across runs and builds: it decides where keys land.
std::uint64_t hashKey(std::string_view bytes);

// Ketama-style consistent hashing (HAProxy's lb_chash.c, libketama). Each upstream owns
// kPointsPerWeight points on a 64-bit ring per unit of weight, placed by hashing its address,
// so a point's position does not depend on the other upstreams: removing one of N upstreams
// moves only the keys it owned (about 1/N), and adding one takes about 1/(N+1) from the
// others. A request's key (PickContext::hash_value, else client_ip) is hashed and served by
// the owner of the first point at or after it; when that upstream is not a candidate (down,
// draining, already tried by this request) the walk goes on to the next point whose owner
// is, so a down upstream's keys spread over the others instead of piling onto a neighbour,
// and come back to it when it is up again.
//
// The ring holds every upstream of the pool, usable or not, so health changes never rebuild
// it. It is built on the first pick and reused for as long as the balancer is handed the
// same upstreams with the same weights - in the proxy, for the life of one ServicePool,
// which is rebuilt on every config change.
class ConsistentHashBalancer final : public Balancer {
  public:
    static constexpr std::int64_t kPointsPerWeight = 160;
    // Above this many points in total (160 per weight unit), every upstream's count is
    // scaled down in proportion (at least 1 point each), so that weights up to 1000 on many
    // upstreams cost at most about 1 MiB of ring per service.
    static constexpr std::int64_t kMaxRingPoints = 65536;

    std::shared_ptr<Upstream> pick(const UpstreamList& upstreams,
                                   const PickContext& context) override;

    std::size_t ringSize() const { return ring_.size(); }
    // How many times the ring was built (tests: once per upstream list).
    std::size_t builds() const { return builds_; }

  private:
    struct Point {
        std::uint64_t hash;
        std::uint32_t index;  // into the upstream list
    };

    bool builtFor(const UpstreamList& upstreams) const;
    void build(const UpstreamList& upstreams);

    std::vector<Point> ring_;  // sorted by hash, then index
    // What the ring was built from, to notice a different list. weak_ptr keeps the control
    // block, so an address cannot be reused by another upstream while we compare.
    struct Member {
        std::weak_ptr<Upstream> upstream;
        std::int64_t weight;
    };
    std::vector<Member> members_;
    std::size_t builds_ = 0;
};

}  // namespace switchboard
