#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the libFuzzer targets of a fuzz build for a bounded time each, a few at once, and says
# how many inputs each ran. Used by `make fuzz` (long) and `make test` (short).
#
# Usage: run_fuzzers.sh BUILD_DIR SECONDS [NAME...]   (default: every target)
# Seeds come from tests/fuzz/corpus/NAME (never written to); what a run learns is kept in
# BUILD_DIR/fuzz-corpus/NAME for the next run. A finding is saved as
# BUILD_DIR/fuzz-artifacts/NAME-crash-*; replay it with BUILD_DIR/fuzz_NAME FILE, fix it, and
# commit the file to tests/fuzz/corpus/NAME as regression-<what> so ctest replays it.
set -uo pipefail

build_dir=${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS [NAME...]}
seconds=${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS [NAME...]}
shift 2
source_dir=$(cd "$(dirname "$0")" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=(config config_edit admin host_port http etcd)
fi
parallel=${FUZZ_JOBS:-$(nproc)}

mkdir -p "$build_dir/fuzz-artifacts" "$build_dir/fuzz-logs"

run_one() {
    local name=$1
    local corpus="$build_dir/fuzz-corpus/$name"
    mkdir -p "$corpus"
    # -timeout: one input taking this long is a finding (a hang); -rss_limit_mb: so is memory.
    "$build_dir/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build_dir/fuzz-artifacts/$name-" \
        "$corpus" "$source_dir/corpus/$name" >"$build_dir/fuzz-logs/$name.log" 2>&1
}

pids=()
for name in "${names[@]}"; do
    if [ ! -x "$build_dir/fuzz_$name" ]; then
        echo "no fuzz target $build_dir/fuzz_$name" >&2
        exit 2
    fi
    run_one "$name" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
        wait -n
    done
done

passed=0
failed=0
for i in "${!names[@]}"; do
    name=${names[$i]}
    wait "${pids[$i]}"
    status=$?
    log="$build_dir/fuzz-logs/$name.log"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        printf 'fuzz_%-12s ok      %10s inputs in %ss (%s/s)\n' "$name" "${runs:-?}" "$seconds" "${rate:-?}"
    else
        failed=$((failed + 1))
        printf 'fuzz_%-12s FINDING after %s inputs (exit %d); log: %s\n' "$name" "${runs:-?}" "$status" "$log"
        grep -a -E 'property failed|ERROR: |runtime error|SUMMARY|Test unit written' "$log" | head -20
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
