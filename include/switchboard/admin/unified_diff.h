// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace switchboard {

// The unified diff (as `diff -u` / `git diff` write it) that turns `before` into `after`,
// for a dry run's preview of the config file. Lines are compared whole; a missing newline
// at the end of either text is marked "\ No newline at end of file" so that `patch`
// reproduces `after` byte for byte.
//
// Headers are `--- a/<name>` and `+++ b/<name>`; each hunk carries `context` unchanged
// lines on either side, and hunks closer than 2 * context lines are merged. Equal texts
// give "" (no headers either).
//
// The edit script is Myers' shortest one (the one `diff` finds) whenever the two texts
// differ in at most a few thousand lines after their common head and tail are set aside;
// beyond that the differing middle is shown as removed then added, which is still a
// correct diff, just not a minimal one.
std::string unifiedDiff(std::string_view before, std::string_view after, std::string_view name,
                        int context = 3);

// The name of a file in a diff's headers: its path without a leading '/', as `git diff`
// names files, so `patch -p1` applies it from / (or the working directory);
// "switchboard.toml" when nothing is left.
std::string diffFileName(std::string_view path);

}  // namespace switchboard
