// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/c_callback.h"

#include <string>

#include "switchboard/base/log.h"

namespace switchboard {

void reportEscapedException(const char* what) noexcept {
    try {
        logError(std::string("internal error: a callback threw: ") + what);
    } catch (...) {
        // Nothing left to report with.
    }
}

}  // namespace switchboard
