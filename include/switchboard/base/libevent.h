// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>

#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <memory>

#include "switchboard/base/c_handle.h"

namespace switchboard {

using EventBasePtr = std::unique_ptr<event_base, CFree<event_base_free>>;
using EventPtr = std::unique_ptr<event, CFree<event_free>>;
using EvbufferPtr = std::unique_ptr<evbuffer, CFree<evbuffer_free>>;
using EvhttpPtr = std::unique_ptr<evhttp, CFree<evhttp_free>>;
using EvhttpConnectionPtr = std::unique_ptr<evhttp_connection, CFree<evhttp_connection_free>>;

struct EvdnsBaseFree {
    void operator()(evdns_base* dns) const { evdns_base_free(dns, 0); }
};
using EvdnsBasePtr = std::unique_ptr<evdns_base, EvdnsBaseFree>;

// libevent takes every timeout as a timeval; a negative duration is no wait at all.
inline timeval toTimeval(std::chrono::milliseconds duration) {
    const std::int64_t ms = duration.count() > 0 ? duration.count() : 0;
    return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>(ms % 1000 * 1000)};
}

// What an evhttp client request's error (evhttp_request_error, from its error callback) means,
// in a few words for a log line: "connection failed", "invalid response".
const char* describeRequestError(int error);

}  // namespace switchboard
