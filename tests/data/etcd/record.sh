#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Records what a real etcd (Debian's etcd-server, 3.4) answers on its v3 JSON gateway, so that
# the unit tests of cluster/etcd_messages parse real bodies, not ones we imagined. Starts a
# one-member etcd on free loopback ports in a temp dir, sends each request with curl, and
# saves, for each exchange NAME, the body sent as NAME.request.json and the answer as
# NAME.json; statuses.txt has "NAME HTTP_STATUS" per exchange. The etcd is killed and its dir
# removed on exit. cluster_id and member_id differ from run to run; revisions do not.
#
# usage: record.sh [OUT_DIR]   (default: this script's directory)
set -euo pipefail

out=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$out"
tmp=$(mktemp -d)
etcd_pid=
cleanup() {
    if [ -n "$etcd_pid" ]; then
        kill "$etcd_pid" 2>/dev/null || true
        wait "$etcd_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Two free ports, from the kernel (bind to port 0); the sockets close before etcd binds them.
read -r client_port peer_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
url=http://127.0.0.1:$client_port
peer=http://127.0.0.1:$peer_port

etcd --name record --data-dir "$tmp/data" \
    --listen-client-urls "$url" --advertise-client-urls "$url" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "record=$peer" --initial-cluster-token "record-$$" \
    --initial-cluster-state new >"$tmp/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 100); do
    curl -sf "$url/health" | grep -q '"health":"true"' && break
    sleep 0.2
done
curl -sf "$url/health" >/dev/null || { cat "$tmp/etcd.log" >&2; exit 1; }

b64() { printf '%s' "$1" | base64 -w0; }
: >"$out/statuses.txt"

# exchange NAME PATH BODY: POST BODY to PATH, keep both sides and the status.
exchange() {
    local name=$1 path=$2 body=$3
    printf '%s' "$body" >"$out/$name.request.json"
    local status
    status=$(curl -sS -o "$out/$name.json" -w '%{http_code}' -X POST "$url$path" \
        --data-binary "@$out/$name.request.json")
    echo "$name $status" >>"$out/statuses.txt"
}

# watch NAME SECONDS BODY: open a watch and keep its stream (chunked, one object per message)
# for SECONDS, in the background; the caller waits for it.
watch() {
    local name=$1 seconds=$2 body=$3
    printf '%s' "$body" >"$out/$name.request.json"
    curl -s -N --max-time "$seconds" -o "$out/$name.json" -X POST "$url/v3/watch" \
        --data-binary "@$out/$name.request.json" || true  # curl ends it: exit 28
    echo "$name 200" >>"$out/statuses.txt"
}

a=$(b64 /switchboard/services/apiA)
b=$(b64 /switchboard/services/apiB)
lock=$(b64 /switchboard/lock)
prefix=$(b64 /switchboard/)
prefix_end=$(b64 /switchboard0)
watched=$(b64 /switchboard/watched)

# Revision 1 is the empty store; each put or delete below adds one.
exchange put '/v3/kv/put' "{\"key\":\"$a\",\"value\":\"$(b64 '{"route":"/apiA"}')\"}"  # 2
exchange put_second '/v3/kv/put' "{\"key\":\"$b\",\"value\":\"$(b64 '{"route":"/apiB"}')\"}"  # 3
exchange range_one '/v3/kv/range' "{\"key\":\"$a\"}"
exchange range_prefix '/v3/kv/range' "{\"key\":\"$prefix\",\"range_end\":\"$prefix_end\"}"
exchange range_empty '/v3/kv/range' "{\"key\":\"$(b64 /switchboard/absent)\"}"
# Compare-and-swap on apiA's mod_revision: first it holds (4), then it is stale.
cas_put="{\"request_put\":{\"key\":\"$a\",\"value\":\"$(b64 '{"route":"/apiA2"}')\"}}"
exchange txn_success '/v3/kv/txn' \
    "{\"compare\":[{\"target\":\"MOD\",\"result\":\"EQUAL\",\"key\":\"$a\",\"mod_revision\":\"2\"}],\"success\":[$cas_put],\"failure\":[{\"request_range\":{\"key\":\"$a\"}}]}"
exchange txn_failure '/v3/kv/txn' \
    "{\"compare\":[{\"target\":\"MOD\",\"result\":\"EQUAL\",\"key\":\"$a\",\"mod_revision\":\"2\"}],\"success\":[$cas_put],\"failure\":[{\"request_range\":{\"key\":\"$a\"}}]}"
# Create-if-absent (5), then again: the key exists now, and the failure branch reads it.
exchange txn_create '/v3/kv/txn' \
    "{\"compare\":[{\"target\":\"CREATE\",\"result\":\"EQUAL\",\"key\":\"$lock\",\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"$lock\",\"value\":\"$(b64 owner-1)\"}}],\"failure\":[]}"
exchange txn_create_exists '/v3/kv/txn' \
    "{\"compare\":[{\"target\":\"CREATE\",\"result\":\"EQUAL\",\"key\":\"$lock\",\"create_revision\":\"0\"}],\"success\":[{\"request_put\":{\"key\":\"$lock\",\"value\":\"$(b64 owner-2)\"}}],\"failure\":[{\"request_range\":{\"key\":\"$lock\"}}]}"
exchange deleterange '/v3/kv/deleterange' "{\"key\":\"$lock\"}"  # 6

# Errors: a body that is not JSON, a key that is not base64, one that etcd itself refuses.
exchange error_txn_bad_body '/v3/kv/txn' '{"compare":[{"target":'
exchange error_bad_base64 '/v3/kv/range' '{"key":"not base64!"}'
exchange error_duplicate_key '/v3/kv/txn' \
    "{\"compare\":[],\"success\":[$cas_put,$cas_put],\"failure\":[]}"

# A watch on the prefix from the next revision: created, then a PUT (7) and a DELETE (8).
watch watch_events 3 \
    "{\"create_request\":{\"key\":\"$prefix\",\"range_end\":\"$prefix_end\",\"start_revision\":\"7\",\"prev_kv\":false}}" &
watcher=$!
sleep 1
exchange watch_put '/v3/kv/put' "{\"key\":\"$watched\",\"value\":\"$(b64 hello)\"}"
exchange watch_delete '/v3/kv/deleterange' "{\"key\":\"$watched\"}"
wait "$watcher"

# After a compaction, a watch from before it is canceled at once, with compact_revision.
ETCDCTL_API=3 etcdctl --endpoints="$url" compaction 8 >/dev/null
watch watch_compacted 2 \
    "{\"create_request\":{\"key\":\"$prefix\",\"range_end\":\"$prefix_end\",\"start_revision\":\"2\",\"prev_kv\":false}}"
exchange error_compacted '/v3/kv/range' "{\"key\":\"$a\",\"revision\":\"2\"}"

echo "recorded $(wc -l <"$out/statuses.txt") exchanges with $(etcd --version | head -1) in $out"
