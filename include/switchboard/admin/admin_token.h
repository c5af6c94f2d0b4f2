// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string_view>

namespace switchboard {

// The admin token (SPEC §5: admin.token, "Authorization: Bearer <token>").

// The token of an Authorization header value "Bearer <token>" (scheme in any case, spaces
// around the token ignored), or nothing for a missing header, another scheme or an empty
// token.
std::optional<std::string_view> bearerToken(const char* authorization);

// True when `given` equals `expected`. The time taken depends only on expected.size(), never
// on where or whether the two differ, nor on given.size(): every byte of `expected` is
// compared (against `given` cycled) and the differences are OR-ed together without an early
// exit, the length difference included.
bool tokenMatches(std::string_view expected, std::string_view given);

}  // namespace switchboard
