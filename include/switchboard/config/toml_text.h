// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard {

// TOML text as switchboard writes it, knowing nothing of the config schema. renderConfig and
// the in-place editor both write through these, so that what the editor adds to a file looks
// like the canonical rendering.

// The keys from the root to a table or value: {"services", "api.v1", "health_check"}.
using TomlPath = std::vector<std::string>;

// A key and its value, already rendered as TOML.
struct TomlKeyValue {
    std::string key;
    std::string value;
};

// Quotes a string as a TOML basic string.
std::string tomlQuote(std::string_view text);

// A key as written in a table header or before `=`: bare when it can be, quoted otherwise
// ("api.v1" must be quoted, or it would mean two nested tables).
std::string tomlKey(std::string_view key);

// `services."api.v1".health_check`: the keys of a path joined by dots.
std::string tomlPath(const TomlPath& path);

std::string tomlValue(const std::string& text);
std::string tomlValue(std::int64_t number);
std::string tomlValue(bool flag);
// One string as a string, several as an array (how a listen setting is written).
std::string tomlValue(const std::vector<std::string>& texts);

// `[a, b]` from elements already rendered as TOML.
std::string tomlArray(const std::vector<std::string>& elements);

// `{ a = 1, b = "x" }`, or `{}` without keys.
std::string tomlInlineTable(const std::vector<TomlKeyValue>& keys);

// `[path]` and one `key = value` line for each key, every line ended with `newline`.
std::string tomlSection(const TomlPath& path, const std::vector<TomlKeyValue>& keys,
                        std::string_view newline);

}  // namespace switchboard
