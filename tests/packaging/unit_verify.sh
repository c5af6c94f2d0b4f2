#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `systemd-analyze verify` accepts the generated unit without a single complaint, and
# `systemd-analyze security` rates its exposure at most 2.0 ("OK").
# Usage: unit_verify.sh GENERATED_UNIT SWITCHBOARD_BINARY SOURCE_DIR
. "$(dirname "$0")/lib.sh"
unit=$1
binary=$(realpath "$2")
src=$3
need systemd-analyze systemd

# verify needs no running systemd, but it does need to load units: if it cannot even
# accept a trivial one here, this machine cannot judge ours.
printf '[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=/bin/true\n' \
    >"$scratch/probe.service"
if ! probe=$(systemd-analyze verify "$scratch/probe.service" 2>&1) || [ -n "$probe" ]; then
    skip "systemd-analyze verify cannot run here: $probe"
fi

# A copy whose ExecStart/ExecStartPre name the binary just built (verify checks that the
# program exists), and the man pages on MANPATH (verify runs `man` for Documentation=).
installed_binary=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[ -n "$installed_binary" ] || fail "no ExecStart= in $unit"
mkdir -p "$scratch/units" "$scratch/man/man8" "$scratch/man/man5"
sed "s#$installed_binary#$binary#g" "$unit" >"$scratch/units/switchboard.service"
cp "$src/man/switchboard.8" "$scratch/man/man8/"
cp "$src/man/switchboard.toml.5" "$scratch/man/man5/"
if ! out=$(MANPATH="$scratch/man" systemd-analyze verify "$scratch/units/switchboard.service" 2>&1) ||
    [ -n "$out" ]; then
    fail "systemd-analyze verify: $out"
fi

# --offline needs systemd 250 or later; without it, security needs a running manager.
if systemd-analyze security --offline=true "$scratch/probe.service" >/dev/null 2>&1; then
    report=$(systemd-analyze security --offline=true "$scratch/units/switchboard.service" 2>&1)
    exposure=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for switchboard.service: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze security --offline=true: exposure $exposure"
    if [ -z "$exposure" ]; then
        fail "no exposure level in: $report"
    elif ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
        fail "exposure $exposure is above 2.0: $report"
    fi
else
    echo "systemd-analyze security --offline is not available: exposure not checked"
fi

finish
