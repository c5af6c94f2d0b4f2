#pragma once

#include <exception>
#include <string>

#include "switchboard/base/log.h"

namespace switchboard {

// The one way a member function is handed to a C library as a callback.
//
// libevent (and evhttp, evdns, evconnlistener) call plain C functions with our object as
// the last `void*` argument. An exception that unwinds through those C frames is undefined
// behaviour, so every callback goes through CCallback<&Class::method>::call, which forwards
// to the member and stops anything it throws. What escapes is a bug (or an out-of-memory):
// it is logged as an error and the loop carries on, so one broken connection does not take
// the whole proxy down; the connection's own timers still end it.
//
//     event_new(base, fd, EV_READ, CCallback<&StreamSocket::handleEvent>::call, this);
template <auto Method> struct CCallback;

template <typename Object, typename... Args, void (Object::*Method)(Args...)>
struct CCallback<Method> {
    static void call(Args... args, void* object) noexcept {
        try {
            (static_cast<Object*>(object)->*Method)(args...);
        } catch (const std::exception& error) {
            reportEscaped(error.what());
        } catch (...) {
            reportEscaped("unknown exception");
        }
    }

  private:
    static void reportEscaped(const char* what) noexcept {
        try {
            logError(std::string("internal error: a callback threw: ") + what);
        } catch (...) {
            // Nothing left to report with.
        }
    }
};

}  // namespace switchboard
