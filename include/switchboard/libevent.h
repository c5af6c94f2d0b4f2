#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include <memory>

#include "switchboard/c_handle.h"

namespace switchboard {

using EventBasePtr = std::unique_ptr<event_base, CFree<event_base_free>>;
using EventPtr = std::unique_ptr<event, CFree<event_free>>;
using EvbufferPtr = std::unique_ptr<evbuffer, CFree<evbuffer_free>>;
using EvhttpPtr = std::unique_ptr<evhttp, CFree<evhttp_free>>;
using EvhttpConnectionPtr = std::unique_ptr<evhttp_connection, CFree<evhttp_connection_free>>;

} // namespace switchboard
