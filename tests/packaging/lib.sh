# SPDX-License-Identifier: Apache-2.0
# Shared by the packaging tests (sourced). A test exits 0 when it passes, 1 when it
# fails, and 77 (ctest's SKIP_RETURN_CODE) when a tool it needs is not installed: a
# missing tool skips, a present tool that finds a problem fails.
set -u

failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

skip() {
    echo "SKIP: $*"
    exit 77
}

need() {
    command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (make deps installs ${2:-$1})"
}

# expect_file PATH [MODE]: PATH is a regular file (with octal MODE, when given).
expect_file() {
    if [ ! -f "$1" ]; then
        fail "missing file $1"
    elif [ $# -ge 2 ] && [ "$(stat -c %a "$1")" != "$2" ]; then
        fail "$1 has mode $(stat -c %a "$1"), expected $2"
    fi
}

# expect_grep PATTERN FILE WHAT: an extended regex that must match a line of FILE.
expect_grep() {
    grep -Eq -- "$1" "$2" || fail "$3: no line matching '$1' in $2"
}

finish() {
    if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "ok"
    exit 0
}

# A scratch directory removed on exit, whatever happens.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-packaging-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
