// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <exception>

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
//     event_new(base, fd, EV_READ, CCallback<&StreamSocket::onEvent>::call, this);
template <auto Method> struct CCallback;

// Logs what escaped a callback; never throws.
void reportEscapedException(const char* what) noexcept;

template <typename Object, typename... Args, void (Object::*Method)(Args...)>
struct CCallback<Method> {
    static void call(Args... args, void* object) noexcept {
        try {
            (static_cast<Object*>(object)->*Method)(args...);
        } catch (const std::exception& error) {
            reportEscapedException(error.what());
        } catch (...) {
            reportEscapedException("unknown exception");
        }
    }
};

}  // namespace switchboard
