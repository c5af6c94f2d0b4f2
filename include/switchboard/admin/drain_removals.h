// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "switchboard/base/libevent.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

// The upstreams that `DELETE ...?drain=1` (SPEC §11) has set to drain and that wait to be
// removed: each once nothing is in flight on it, or at its deadline (drain_timeout_ms),
// whichever comes first. The removal itself is a change like any other; this class only says
// when. A timer on the main loop looks every kPollInterval while any is waiting (in_flight is
// an atomic the proxy workers move; polling it costs nothing on their side).
//
// An upstream that is no longer in drain when its time comes (set active again, removed,
// its service deleted, by the API or by a reload) is not removed: the operator changed their
// mind. What waits here is forgotten when switchboard stops; the upstream stays in drain in
// the file.
class DrainRemovals {
  public:
    static constexpr std::chrono::milliseconds kPollInterval{25};

    struct Pending {
        std::string service;
        std::string address;
        std::string peer;  // of the DELETE, for the journal
        std::string call;
        std::chrono::milliseconds timeout{0};
        Clock::time_point deadline;
    };
    enum class Why { Idle, TimedOut };
    // Makes the removal; `in_flight` is what was still on the upstream (Why::TimedOut).
    using Remove = std::function<void(const Pending&, Why, std::int64_t in_flight)>;

    DrainRemovals(event_base* base, const Registry& registry, Remove remove);
    DrainRemovals(const DrainRemovals&) = delete;
    DrainRemovals& operator=(const DrainRemovals&) = delete;

    // An upstream already waiting keeps its first deadline.
    void add(Pending pending);
    std::size_t size() const { return pending_.size(); }

  private:
    void onTick(evutil_socket_t, short);
    void arm();

    const Registry& registry_;
    Remove remove_;
    EventPtr timer_;
    std::vector<Pending> pending_;  // at most one per upstream of the running config
};

}  // namespace switchboard
