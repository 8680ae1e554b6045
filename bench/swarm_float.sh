#!/usr/bin/env bash
# Benchmark (not a test): a float over links of different speed (issue 17). Three S3 servers,
# each behind a link whose uploads are throttled (bench_throttleproxy): a and b at FAST_MIB MiB/s,
# c at SLOW_MIB. Floats a random file with two replicas over all three, then over a and b only,
# each into a new vault, and prints the throughput of each float (file bytes per second; every
# byte is sent twice), the bytes each server received, and ModelFloat's peak RSS. With the slow
# link present the float should run near the two fast links' pace, not the slow one's.
#
#   bench/swarm_float.sh [SIZE_MIB]               default: 256
#   FAST_MIB=50 SLOW_MIB=10 bench/swarm_float.sh  the links' upload limits (defaults)
#   BUILD=build-ci bench/swarm_float.sh           the build folder with modelfloat-cli and the proxy
#   KEEP=1 bench/swarm_float.sh                   keep the work folder (servers' logs)
#
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/s3links.sh
size_mib="${1:-256}"
fast_mib="${FAST_MIB:-50}"
slow_mib="${SLOW_MIB:-10}"

start_s3 a 0 "$fast_mib"
start_s3 b 0 "$fast_mib"
start_s3 c 0 "$slow_mib"

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
bytes=$(stat -c %s "$file")
stored() { du -sb "$work/$1-data" | cut -f1; }

# LABEL PROVIDER...: a new vault with those providers floats the file; prints one line.
float_over() {
    local label="$1" vault="$work/vault-$1" before=() name i=0
    shift
    mf() { local cmd="$1"; shift; "$cli" "$cmd" --vault "$vault" --quiet "$@"; }
    # Secrets in the vault's opt-in plaintext file (no keychain service on a bench machine).
    mf init >/dev/null
    mf config credentials plaintext --i-understand-plaintext >/dev/null
    for name in "$@"; do
        printf 'secretAccessKey=S3RVER\n' | mf provider add s3 "s3-$name" \
            --endpoint "http://127.0.0.1:$(cat "$work/$name.port")" --bucket mf-bench \
            --access-key-id S3RVER --secret-stdin >/dev/null
    done
    local args=()
    for name in "$@"; do args+=(--provider "s3-$name"); before+=("$(stored "$name")"); done
    /usr/bin/time -f "%e %M" -o "$work/$label.time" "$cli" float --vault "$vault" --quiet \
        "$file" --name m --replicas 2 "${args[@]}" >/dev/null 2>"$work/$label.err" ||
        { cat "$work/$label.err"; exit 1; }
    local secs kib spread=""
    read -r secs kib < "$work/$label.time"
    for name in "$@"; do
        spread+="$(printf ' %s %4.0f' "$name" "$(echo "($(stored "$name") - ${before[$i]}) / 1048576" | bc -l)")"
        i=$((i + 1))
    done
    printf '%-24s %8.2f %9.1f %9.1f MiB  MiB received:%s\n' "$label" "$secs" \
        "$(echo "$bytes / $secs / 1048576" | bc -l)" "$(echo "$kib / 1024" | bc -l)" "$spread"
}

echo "file: $((bytes / 1048576)) MiB, two replicas; uploads limited to a, b: $fast_mib MiB/s, c: $slow_mib MiB/s"
printf '%-24s %8s %9s %13s\n' "float over" "wall s" "MiB/s" "peak RSS"
float_over "a-b-c" a b c
float_over "a-b" a b
