// SPDX-License-Identifier: Apache-2.0
#include "switchboard/admin/admin_token.h"

#include <strings.h>

#include <cstddef>
#include <cstdint>

namespace switchboard {

std::optional<std::string_view> bearerToken(const char* authorization) {
    if (!authorization)
        return std::nullopt;
    std::string_view value(authorization);
    constexpr std::string_view kScheme = "bearer";
    if (value.size() <= kScheme.size() ||
        strncasecmp(value.data(), kScheme.data(), kScheme.size()) != 0 ||
        (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t'))
        return std::nullopt;
    value.remove_prefix(kScheme.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;
    return value;
}

bool tokenMatches(std::string_view expected, std::string_view given) {
    // volatile keeps the compiler from turning the loop into an early-exit comparison.
    volatile std::uint8_t difference = 0;
    std::size_t length_difference = expected.size() ^ given.size();
    for (std::size_t i = 0; i < sizeof length_difference; ++i)
        difference = difference | static_cast<std::uint8_t>(length_difference >> (8 * i));
    const std::size_t given_size = given.empty() ? 1 : given.size();
    for (std::size_t i = 0; i < expected.size(); ++i) {
        // An empty `given` is compared as one NUL byte; the length check already failed it.
        std::uint8_t other = given.empty() ? 0 : static_cast<std::uint8_t>(given[i % given_size]);
        difference = difference | (static_cast<std::uint8_t>(expected[i]) ^ other);
    }
    // An empty expected token never matches: an unset token means no check at all, and
    // the caller must not ask.
    return difference == 0 && !expected.empty();
}

}  // namespace switchboard
