// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "switchboard/base/result.h"

namespace switchboard {

// Replaces the file at `path` with `contents` so that a crash at any instant leaves either
// the old file or the new one, never a torn one (Redis's rewriteConfigOverwriteFile):
// a temporary file in the same directory, every byte written, fsync, rename over the
// original, fsync of the directory. The temporary file is removed on any failure. The
// original's mode and ownership are kept; a new file gets mode 0644.
// Errors are ErrorKind::Io with the reason (disk full, directory gone, permission).
Status writeFileAtomically(const std::string& path, std::string_view contents);

}  // namespace switchboard
