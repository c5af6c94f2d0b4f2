// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string_view>

#include "switchboard/balance/balancer.h"

namespace switchboard {

// The strategies by name: the one place that knows every Balancer implementation, so that
// the interface (balancer.h) and the strategies (one file each) need not know each other.
// `strategy` is one of kStrategies (config.h); anything else (a validated Config never has
// it) gives round robin.
std::unique_ptr<Balancer> makeBalancer(std::string_view strategy);

}  // namespace switchboard
