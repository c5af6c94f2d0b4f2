// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace switchboard {

// A unique_ptr deleter that calls a C library's free function: every libevent and cJSON
// handle we own lives in a unique_ptr<T, CFree<free_function>>.
template <auto FreeFunction> struct CFree {
    template <typename T> void operator()(T* handle) const {
        if (handle)
            FreeFunction(handle);
    }
};

}  // namespace switchboard
