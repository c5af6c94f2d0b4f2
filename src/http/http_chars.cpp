// SPDX-License-Identifier: Apache-2.0
#include "switchboard/http/http_chars.h"

namespace switchboard {

bool listHasToken(std::string_view list, std::string_view token) {
    bool found = false;
    forEachListElement(list, [&](std::string_view element) {
        found = equalsIgnoreCase(element, token);
        return !found;
    });
    return found;
}

}  // namespace switchboard
