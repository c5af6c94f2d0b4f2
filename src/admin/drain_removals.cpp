// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/drain_removals.h"

#include <algorithm>
#include <utility>

#include "switchboard/base/c_callback.h"
#include "switchboard/base/log.h"

namespace switchboard {

DrainRemovals::DrainRemovals(event_base* base, const Registry& registry, Remove remove)
    : registry_(registry), remove_(std::move(remove)),
      timer_(evtimer_new(base, CCallback<&DrainRemovals::onTick>::call, this)) {}

void DrainRemovals::add(Pending pending) {
    auto same = [&](const Pending& p) {
        return p.service == pending.service && p.address == pending.address;
    };
    if (std::any_of(pending_.begin(), pending_.end(), same))
        return;
    pending_.push_back(std::move(pending));
    arm();
}

void DrainRemovals::arm() {
    if (pending_.empty() || evtimer_pending(timer_.get(), nullptr))
        return;
    timeval interval = toTimeval(kPollInterval);
    evtimer_add(timer_.get(), &interval);
}

void DrainRemovals::onTick(evutil_socket_t, short) {
    const auto now = Clock::now();
    // Taken out of the list before any removal runs: a removal applies a new config, which
    // may (through a reload's log, say) come back here.
    std::vector<std::pair<Pending, std::int64_t>> due;
    std::vector<Pending> still;
    for (auto& pending : pending_) {
        auto pool = registry_.find(pending.service);
        const UpstreamConfig* config =
            pool ? pool->config().findUpstream(pending.address) : nullptr;
        if (!config || config->admin_state != AdminState::Drain) {
            logInfo("service " + pending.service + ": upstream " + pending.address +
                    " is no longer draining; its removal is called off");
            continue;
        }
        std::int64_t in_flight = 0;
        for (const auto& upstream : pool->upstreams())
            if (upstream->name() == pending.address)
                in_flight = upstream->in_flight.load(std::memory_order_relaxed);
        if (in_flight == 0 || now >= pending.deadline)
            due.emplace_back(std::move(pending), in_flight);
        else
            still.push_back(std::move(pending));
    }
    pending_ = std::move(still);
    for (const auto& [pending, in_flight] : due)
        remove_(pending, in_flight == 0 ? Why::Idle : Why::TimedOut, in_flight);
    arm();
}

}  // namespace switchboard
