// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "switchboard/balance/upstream.h"
#include "switchboard/proxy/access_log.h"
#include "switchboard/proxy/body_relay.h"
#include "switchboard/runtime/registry.h"

namespace switchboard {

// The request a client connection is serving, as both of its sides see it: the client side
// (ClientConnection) fills it from the request head, the upstream side (UpstreamExchange)
// sends it and answers it. Strings are reused from request to request.
struct ProxiedRequest {
    std::string client_ip;  // the connection's, for the whole of it
    bool tls = false;       // the connection came in on a TLS listener
    std::string method;     // "-" until a request line was parsed (access log)
    std::string target;
    int minor_version = 1;
    bool head_method = false;  // HEAD: the answer has no body
    bool keep_alive = true;    // the client may send another request after this one
    bool replayable = false;   // may be sent again after an upstream broke off
    // An upgrade request's protocols (requestedUpgrade): it goes on a fresh connection, is
    // never sent twice, and a 101 answer turns the connection into a tunnel. "" otherwise.
    std::string upgrade;
    std::string upstream_head;  // the request head as the upstream gets it
    bool needs_host = false;    // ...but for a Host line, added once the upstream is known
    std::string hash_value;     // PickContext::hash_value
    BodyRelay body;             // client -> upstream
    std::shared_ptr<ServicePool> pool;
    std::shared_ptr<Upstream> upstream;  // the one serving it, or the last one tried
    Clock::time_point started;
    int status = 0;
    bool response_started = false;  // a byte of the answer may have gone out
    std::uint64_t bytes_sent = 0;   // body bytes, for the access log
    // For the access log (SPEC §13): each upstream tried, in order, with its status (at most
    // kMaxTries kept); the request head's size; the last try's time to its answer.
    static constexpr std::size_t kMaxTries = 32;
    std::vector<AccessLog::UpstreamTry> tries;
    std::uint64_t head_bytes = 0;
    Clock::time_point try_started;
    double upstream_seconds = -1;
    std::string user_agent;
    std::string referer;
    std::string request_id;  // X-Request-Id, when [proxy] request_id is on

    // A new try on `upstream` starts now.
    void startTry(const Upstream& upstream);
    // The try going on got an answer with `status`.
    void answered(int status);

    // The JSON body of an error that names the request's service.
    std::string serviceError(const char* message) const;
    // Before a request head is looked at (keep_alive is the connection's, and stays).
    void reset();
};

}  // namespace switchboard
