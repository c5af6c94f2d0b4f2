// SPDX-License-Identifier: Apache-2.0
#include "switchboard/config/service_source.h"

namespace switchboard {

// Defined here, out of line, so that the interface's vtable lives in one object file.
ServiceSource::~ServiceSource() = default;

}  // namespace switchboard
