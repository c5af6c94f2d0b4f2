#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Test fixture: configures and builds switchboard with the Debian layout
# (-DCMAKE_INSTALL_PREFIX=/usr, so sysconfdir /etc) in OUT_DIR, for the .deb test. The
# binary has its default config path compiled in, so the package needs its own build.
# Usage: build_usr_tree.sh CMAKE_COMMAND SOURCE_DIR OUT_DIR GENERATOR
set -u
cmake=$1
src=$2
out=$3
generator=$4
jobs=$(nproc 2>/dev/null || echo 2)
log=$out.log
if ! { "$cmake" -S "$src" -B "$out" -G "$generator" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_INSTALL_PREFIX=/usr -DSWITCHBOARD_TESTS=OFF &&
    "$cmake" --build "$out" -j "$jobs"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "FAIL: building the /usr tree in $out failed (log: $log)" >&2
    exit 1
fi
echo "built $out"
