// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/libevent.h"

namespace switchboard {

const char* describeRequestError(int error) {
    switch (error) {
    case EVREQ_HTTP_TIMEOUT:
        return "timed out";
    case EVREQ_HTTP_INVALID_HEADER:
        return "invalid response";
    case EVREQ_HTTP_BUFFER_ERROR:
        return "connection error";
    case EVREQ_HTTP_DATA_TOO_LONG:
        return "response too long";
    default:
        return "connection failed";
    }
}

}  // namespace switchboard
