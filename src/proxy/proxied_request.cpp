// SPDX-License-Identifier: Apache-2.0
#include "switchboard/proxy/proxied_request.h"

#include "switchboard/base/json.h"

namespace switchboard {

std::string ProxiedRequest::serviceError(const char* message) const {
    return JsonObject().add("error", message).add("service", pool->name()).toString();
}

void ProxiedRequest::reset() {
    method.assign("-");
    target.assign("-");
    head_method = false;
    upgrade.clear();
    pool.reset();
    upstream.reset();
    started = Clock::now();
    status = 0;
    response_started = false;
    bytes_sent = 0;
}

}  // namespace switchboard
