// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard {

// toml++ 3.3 classifies a non-ASCII character where it expects whitespace with a function
// that reaches TOML_UNREACHABLE (undefined behaviour) for most code points from U+00A1 to
// U+0499 and from U+2E3E to U+3237 (marzer/tomlplusplus#190, #295; found by our fuzzer). It
// looks there only outside strings and comments, where TOML allows no such character anyway,
// and after a line-ending backslash in a multi-line string. This finds those places first;
// call it before toml::parse and treat a problem as the parse error.
struct TomlInputProblem {
    std::size_t line;    // 1-based
    std::size_t column;  // 1-based, in code points as toml++ counts
    std::string message;
};
std::optional<TomlInputProblem> checkTomlInput(std::string_view text);

}  // namespace switchboard
