// SPDX-License-Identifier: Apache-2.0
#include "switchboard/base/result.h"

namespace switchboard {

int httpStatusFor(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Invalid:
        return 400;
    case ErrorKind::NotFound:
        return 404;
    case ErrorKind::Conflict:
        return 409;
    case ErrorKind::Io:
        return 500;
    case ErrorKind::Unavailable:
        return 503;
    }
    return 500;
}

}  // namespace switchboard
