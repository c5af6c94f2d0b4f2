#pragma once

// toml++ as switchboard uses it: header-only and without exceptions, so parse() returns a
// parse_result. Included only by the config_file modules.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>
