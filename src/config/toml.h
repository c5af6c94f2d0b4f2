// SPDX-License-Identifier: Apache-2.0
#pragma once

// toml++ as switchboard uses it: header-only and without exceptions, so parse() returns a
// parse_result. Included only inside src/config (config_file.cpp and the editor).
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
// toml++ 3.3 asserts a precondition that malformed input can break: `[` followed by a byte
// that cannot start a key (`[=`, `[[[`, a NUL) reaches parse_key(), whose TOML_ASSERT_ASSUME
// aborts a build without NDEBUG (fixed upstream in marzer/tomlplusplus#301). Past the assert
// parse_key() reports a normal parse error, so the assert is turned off: a typo in the config
// file must give FILE:LINE:COLUMN, never kill the daemon on SIGHUP. Builds with NDEBUG are not
// affected by this definition (toml++ replaces it); with gcc they ignore the assumption too.
#ifndef TOML_ASSERT
#define TOML_ASSERT(expr) static_cast<void>(0)
#endif
#include <toml++/toml.h>

#include "toml_guard.h"
