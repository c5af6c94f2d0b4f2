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
    tries.clear();
    head_bytes = 0;
    upstream_seconds = -1;
    user_agent.clear();
    referer.clear();
    request_id.clear();
}

void ProxiedRequest::startTry(const Upstream& upstream) {
    try_started = Clock::now();
    upstream_seconds = -1;
    if (tries.size() < kMaxTries)
        tries.push_back({upstream.name(), 0});
}

void ProxiedRequest::answered(int status) {
    upstream_seconds = std::chrono::duration<double>(Clock::now() - try_started).count();
    if (!tries.empty() && tries.back().status == 0)
        tries.back().status = status;
}

}  // namespace switchboard
