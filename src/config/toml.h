// SPDX-License-Identifier: Apache-2.0
#pragma once

// toml++ as switchboard uses it: without exceptions, so parse() returns a parse_result, and
// compiled once (toml_implementation.cpp). Included only inside src/config and its tests.
#define TOML_HEADER_ONLY 0
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
