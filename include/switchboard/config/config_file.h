// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/config/config.h"

namespace switchboard {

// One problem found in a config file. line/column are 1-based; 0 when there is no position
// (a rule about the whole file, or a file that could not be read).
struct ConfigError {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    // "FILE:LINE:COLUMN: message" (or "FILE: message" without a position).
    std::string toString() const;
};

struct ConfigParse {
    std::optional<Config> config;     // set when there are no errors
    std::vector<ConfigError> errors;  // every problem found, in file order
};

// TOML text -> validated Config. `file_name` is used in error messages only.
ConfigParse parseConfigText(std::string_view text, std::string_view file_name);

// The canonical TOML rendering of a config: every section, keys that differ from the
// built-in defaults, services in order. parseConfigText(renderConfig(c)) == c.
// The pieces of it are in config_render.h.
std::string renderConfig(const Config& config);

}  // namespace switchboard

namespace switchboard {

struct ConfigFileRead {
    bool missing = false;  // the file does not exist (not an error at start-up, SPEC §1)
    std::string text;      // the bytes read
    ConfigParse parse;     // for a missing file: the built-in defaults
};

// Reads and validates the file at `path`; an unreadable file is one ConfigError.
ConfigFileRead readConfigFile(const std::string& path);

}  // namespace switchboard
