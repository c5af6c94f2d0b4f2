// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "switchboard/config/config.h"

namespace switchboard {

// The log line of one service's change (SPEC §6: the service, what changed, the upstream
// count), for example
//   "service apiA: added 127.0.0.1:3001 (2 upstreams)"
//   "service apiA: weight of 127.0.0.1:3001 1 -> 3 (2 upstreams)"
//   "service apiA: route '/a' -> '/b', removed 127.0.0.1:3002 (1 upstream)"
//   "service apiB: created (route '/apiB'), added 127.0.0.1:3001 (1 upstream)"
//   "service apiB: deleted (had 1 upstream)"
// `before` / `after` are null when the service did not / does not exist; not both.
// Tense::Asked words it as what was asked, for a change that was refused:
//   "service apiA: add 127.0.0.1:3001 (2 upstreams)"
enum class Tense { Done, Asked };
std::string describeServiceChange(const ServiceConfig* before, const ServiceConfig* after,
                                  Tense tense = Tense::Done);

// "1 upstream", "2 upstreams".
std::string upstreamCountText(std::size_t count);

}  // namespace switchboard
