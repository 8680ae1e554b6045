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
source bench/s3links.sh
size_mib="${1:-512}"
rate_mib="${RATE_MIB:-50}"

start_s3 a "$rate_mib"
start_s3 b "$rate_mib"

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
