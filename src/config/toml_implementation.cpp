// SPDX-License-Identifier: Apache-2.0
// toml++'s parser and printers, compiled once: toml.h includes only their declarations
// (TOML_HEADER_ONLY 0), so the files of src/config that read or edit TOML do not each compile
// the whole library again.
#define TOML_IMPLEMENTATION
#include "toml.h"
