#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The man pages render without a single warning, document every config key and every
# admin call (each with a curl example), and the example config in switchboard.toml(5)
# is one that `switchboard -t` accepts.
# Usage: man_lint.sh SOURCE_DIR SWITCHBOARD_BINARY
. "$(dirname "$0")/lib.sh"
src=$1
binary=$2
page8=$src/man/switchboard.8
page5=$src/man/switchboard.toml.5

if command -v groff >/dev/null 2>&1; then
    for page in "$page8" "$page5"; do
        # -ww: every warning; -z: no output. Both devices, since some warnings (characters
        # a device lacks) show only on one.
        for device in ascii utf8; do
            warnings=$(groff -man -ww -z -T"$device" "$page" 2>&1)
            [ -z "$warnings" ] || fail "groff -T$device warns about $page: $warnings"
        done
        groff -man -Tascii -P-cbou "$page" 2>/dev/null >"$scratch/$(basename "$page").txt"
    done
elif command -v mandoc >/dev/null 2>&1; then
    for page in "$page8" "$page5"; do
        warnings=$(mandoc -Tlint -Wwarning "$page" 2>&1)
        [ -z "$warnings" ] || fail "mandoc -Tlint warns about $page: $warnings"
        mandoc -Tascii "$page" | sed 's/.\x08//g' >"$scratch/$(basename "$page").txt"
    done
else
    skip "neither groff nor mandoc is installed (make deps installs groff-base)"
fi
text8=$scratch/switchboard.8.txt
text5=$scratch/switchboard.toml.5.txt

# switchboard.8: sections, options, signals, exit statuses.
for section in NAME SYNOPSIS DESCRIPTION OPTIONS SIGNALS "ADMIN API" PERSISTENCE FILES \
    "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    expect_grep "^$section\$" "$text8" "switchboard.8 section"
done
for option in "-c, --config" "-t, --check" "--log-level" "-V, --version" "-h, --help"; do
    expect_grep "^ +$option" "$text8" "switchboard.8 option"
done
for signal in SIGHUP "SIGTERM, SIGINT" SIGUSR1; do
    expect_grep "^ +$signal" "$text8" "switchboard.8 signal"
done

# Every call of SPEC §5, documented and shown with curl.
admin=http://127.0.0.1:8080
for call in "GET /healthz" "GET /services" "GET /services/name" "PUT /services/name" \
    "DELETE /services/name" "POST /services/name/upstreams" \
    "DELETE /services/name/upstreams/address" "PATCH /services/name/upstreams/address" \
    "POST /add_upstream/service/address" \
    "POST /remove_upstream/service/address" "POST /reload" "GET /config" "GET /metrics" \
    "GET /changes"; do
    expect_grep "^ +$call\$" "$text8" "switchboard.8 admin call"
done
for example in "curl $admin/healthz\$" "curl $admin/services\$" "curl $admin/services/apiA\$" \
    "curl -X PUT $admin/services/apiA " "curl -X DELETE $admin/services/apiA\$" \
    "curl -X POST $admin/services/apiA/upstreams " \
    "curl -X DELETE $admin/services/apiA/upstreams/" \
    "curl -X PATCH $admin/services/apiA/upstreams/" \
    "curl -X POST $admin/add_upstream/apiA/" "curl -X POST $admin/remove_upstream/apiA/" \
    "curl -X POST $admin/reload\$" "curl $admin/config\$" "curl $admin/metrics\$" \
    "curl $admin/changes\$" "curl -X POST '$admin/.*\?dry_run=1'"; do
    expect_grep "^ +$example" "$text8" "switchboard.8 curl example"
done
expect_grep "409" "$text8" "switchboard.8 persistence"
tr -s ' \n' '  ' <"$text8" >"$scratch/switchboard.8.flat"
expect_grep "config file changed on disk; reload first" "$scratch/switchboard.8.flat" \
    "switchboard.8 persistence"
expect_grep "If-Match" "$scratch/switchboard.8.flat" "switchboard.8 ETag and If-Match"
expect_grep "admin_state" "$text5" "switchboard.toml.5 upstreams"

# Commands must survive copy and paste: plain ASCII quotes and hyphens in the UTF-8
# rendering of every line that holds one.
if command -v groff >/dev/null 2>&1; then
    for page in "$page8" "$page5"; do
        bad=$(groff -man -Tutf8 -P-cbou "$page" 2>/dev/null |
            grep -E "curl|switchboard -|systemctl|kill " | LC_ALL=C grep -n '[^ -~	]')
        [ -z "$bad" ] || fail "non-ASCII characters in commands of $page: $bad"
    done
fi

# switchboard.toml.5: every key of SPEC §2, with its type and default.
for key in listen connect_timeout_ms upstream_timeout_ms client_timeout_ms \
    max_request_body_bytes max_header_bytes retries max_fails fail_timeout_ms \
    shutdown_timeout_ms tunnel_timeout_ms access_log token route host strategy strip_prefix hash_key \
    upstreams path interval_ms timeout_ms rise fall; do
    expect_grep "^ +$key \((string|integer|boolean|array)[^)]*default" "$text5" \
        "switchboard.toml.5 key"
done
for section in "\[proxy\]" "\[admin\]" "\[services.NAME\]" "\[services.NAME.health_check\]" \
    STRATEGIES PERSISTENCE RELOAD EXAMPLE; do
    expect_grep "^$section\$" "$text5" "switchboard.toml.5 section"
done
for strategy in round_robin least_conn random consistent_hash; do
    expect_grep "^ +$strategy" "$text5" "switchboard.toml.5 strategy"
done

# The EXAMPLE of switchboard.toml(5) is a valid file.
awk '/^\.SH EXAMPLE/ { in_section = 1; next }
     in_section && /^\.EX/ { in_example = 1; next }
     in_example && /^\.EE/ { exit }
     in_example { gsub(/\\-/, "-"); print }' "$page5" >"$scratch/example.toml"
if [ ! -s "$scratch/example.toml" ]; then
    fail "no example in the EXAMPLE section of switchboard.toml.5"
elif ! out=$("$binary" -t -c "$scratch/example.toml" 2>&1); then
    fail "the example of switchboard.toml.5 is not valid: $out"
fi

finish
