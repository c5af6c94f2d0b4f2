#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "switchboard/upstream.h"

namespace switchboard {

using UpstreamList = std::vector<std::shared_ptr<Upstream>>;

// What a strategy may look at to choose: the time (for health), and the upstreams already
// tried for this request, which a retry must skip.
struct PickContext {
    Clock::time_point now = Clock::now();
    const std::vector<const Upstream*>* tried = nullptr;
    std::string_view client_ip;
    std::string_view hash_value;  // consistent_hash with header:NAME

    bool wasTried(const Upstream* upstream) const;
    bool isCandidate(const Upstream& upstream) const {
        return upstream.isUsable(now) && !wasTried(&upstream);
    }
};

// One small interface, one file per strategy (HAProxy's lb_*.c, nginx's peer get/free).
class Balancer {
  public:
    virtual ~Balancer() = default;
    // Returns nullptr when no upstream is usable.
    virtual std::shared_ptr<Upstream> pick(const UpstreamList& upstreams,
                                           const PickContext& context) = 0;
};

std::unique_ptr<Balancer> makeBalancer(std::string_view strategy);

} // namespace switchboard
