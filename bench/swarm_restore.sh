#!/usr/bin/env bash
# Benchmark (not a test): restore swarming (issue 17). Two S3 servers, each behind a link
# throttled to RATE_MIB MiB/s (bench_throttleproxy: the tests' fault proxy with a rate limit),
# hold a copy of every chunk of one model. Restores it with both replicas (chunks spread by
# measured speed), then with one provider forgotten (every chunk from the other), and prints the
# throughput of each and ModelFloat's peak RSS.
#
#   bench/swarm_restore.sh [SIZE_MIB]        default: 512
#   RATE_MIB=50 bench/swarm_restore.sh       each link's limit, MiB/s (default 50; 0: none)
#   BUILD=build-ci bench/swarm_restore.sh    the build folder with modelfloat-cli and the proxy
#   KEEP=1 bench/swarm_restore.sh            keep the work folder (servers' logs) for a look
#
# Servers on free ports of 127.0.0.1, fresh folders: s3rver (tests/peers) behind
# tests/peers/s3-sigv4-proxy.js, which checks every signature, behind the throttling proxy.
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in /usr/bin/time node curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
build="${BUILD:-$PWD/build}"
cli="$build/app/modelfloat-cli"
throttle="$build/bench/bench_throttleproxy"
[ -x "$cli" ] && [ -x "$throttle" ] || ./scripts/build.sh default >/dev/null
size_mib="${1:-512}"
rate_mib="${RATE_MIB:-50}"
peers="$PWD/tests/peers"

work="$(mktemp -d /var/tmp/modelfloat-swarmbench.XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitfor() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "$1 did not answer"; exit 1; }

# One S3 server behind its signature-checking proxy and its slow link; prints the link's URL.
start_s3() {
    local name="$1" s3port proxyport
    s3port=$(freeport); proxyport=$(freeport)
    mkdir -p "$work/$name-data"
    NODE_OPTIONS=--openssl-legacy-provider "$peers/node_modules/.bin/s3rver" \
        -d "$work/$name-data" -a 127.0.0.1 -p "$s3port" --configure-bucket mf-bench --silent \
        >"$work/$name-s3rver.log" 2>&1 &
    pids+=($!)
    (cd "$peers" && exec node s3-sigv4-proxy.js --port "$proxyport" --upstream "$s3port" \
        --require-signed-payload >"$work/$name-proxy.log" 2>&1) &
    pids+=($!)
    waitfor "http://127.0.0.1:$s3port/"
    waitfor "http://127.0.0.1:$proxyport/"
    "$throttle" "$proxyport" "$((rate_mib * 1024 * 1024))" "$work/$name.port" \
        >"$work/$name-link.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.1; done
    [ -s "$work/$name.port" ] || { echo "the $name link did not start"; exit 1; }
}
start_s3 a
start_s3 b

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
bytes=$(stat -c %s "$file")

# The vault: secrets in its opt-in plaintext file (no keychain service on a bench machine).
vault="$work/vault"
mf() { local cmd="$1"; shift; "$cli" "$cmd" --vault "$vault" --quiet "$@"; }
mf init >/dev/null
mf config credentials plaintext --i-understand-plaintext >/dev/null
for name in a b; do
    printf 'secretAccessKey=S3RVER\n' | mf provider add s3 "s3-$name" \
        --endpoint "http://127.0.0.1:$(cat "$work/$name.port")" --bucket mf-bench \
        --access-key-id S3RVER --secret-stdin >/dev/null
done
"$cli" float --vault "$vault" --quiet "$file" --name m --replicas 2 --provider s3-a \
    --provider s3-b >/dev/null 2>"$work/float.err" || { cat "$work/float.err"; exit 1; }

restore() { # $1: label; restores m into $work/out-$1, checks it; "seconds peak-KiB" in $1.time
    /usr/bin/time -f "%e %M" -o "$work/$1.time" "$cli" restore --vault "$vault" --quiet m \
        --to "$work/out-$1" >/dev/null 2>"$work/$1.err" || { cat "$work/$1.err"; exit 1; }
    cmp -s "$file" "$work/out-$1/model.bin" || { echo "restore ($1) differs!"; exit 1; }
    rm -rf "$work/out-$1"
}
restore two
read -r two_s two_kib < "$work/two.time"
# One replica: s3-b is forgotten (its objects stay on its server), every chunk comes from s3-a.
mf provider remove s3-b --force >/dev/null
restore one
read -r one_s one_kib < "$work/one.time"

awk -v b="$bytes" -v r="$rate_mib" -v o="$one_s" -v ok="$one_kib" -v t="$two_s" \
    -v tk="$two_kib" 'BEGIN {
    printf "file: %.0f MiB; two S3 servers, each behind a link of %s\n", b / 1048576,
           r == 0 ? "no limit" : r " MiB/s"
    printf "%-36s %9s %10s %12s\n", "restore", "wall s", "MiB/s", "peak RSS"
    printf "%-36s %9.2f %10.1f %8.1f MiB\n", "one replica (one provider)", o, b / o / 1048576, ok / 1024
    printf "%-36s %9.2f %10.1f %8.1f MiB\n", "two replicas (swarming)", t, b / t / 1048576, tk / 1024
    printf "two replicas / one: %.2fx\n", o / t
}'
