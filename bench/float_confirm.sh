#!/usr/bin/env bash
# Benchmark (not a test): what a float pays for confirming the copies it deduplicates against
# (issue 34). A float asks each provider the registry names for a chunk (a stat) before it counts
# the chunk as stored, so that a chunk another computer collected is sent again instead of being
# claimed. This floats a random file, then a second file that shares 99 % of it (its last 1 %
# replaced), with two replicas, into two local folders and into two S3 servers (s3rver behind the
# SigV4-checking proxy, no throttle), and prints the second float's wall time and how many
# chunks it found stored.
#
#   bench/float_confirm.sh [SIZE_MIB]          default: 4096
#   OLD_CLI=/path/to/modelfloat-cli bench/float_confirm.sh
#                                              the same floats with another build (one that does
#                                              not confirm), side by side
#   BUILD=build-ci bench/float_confirm.sh      the build folder with modelfloat-cli
#   KEEP=1 bench/float_confirm.sh              keep the work folder (servers' logs)
#
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/s3links.sh
size_mib="${1:-4096}"

start_s3 a 0 0
start_s3 b 0 0

base="$work/base.bin"
near="$work/near.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$base"
keep=$((size_mib * 1024 * 1024 * 99 / 100))
{ head -c "$keep" "$base"; head -c "$((size_mib * 1024 * 1024 - keep))" /dev/urandom; } > "$near"

# LABEL CLI KIND: a new vault (two local folders, or the two S3 servers under a fresh prefix)
# floats base.bin, then near.bin; prints the second float's figures.
run() {
    local label="$1" tool="$2" kind="$3" vault="$work/vault-$1"
    mf() { local cmd="$1"; shift; "$tool" "$cmd" --vault "$vault" --quiet "$@" 2>/dev/null; }
    mf init >/dev/null
    mf config credentials plaintext --i-understand-plaintext >/dev/null
    if [ "$kind" = local ]; then
        mkdir -p "$work/$label-one" "$work/$label-two"
        mf provider add local one --path "$work/$label-one" >/dev/null
        mf provider add local two --path "$work/$label-two" >/dev/null
    else
        for name in a b; do
            printf 'secretAccessKey=S3RVER\n' | mf provider add s3 "s3-$name" \
                --endpoint "http://127.0.0.1:$(cat "$work/$name.port")" --bucket mf-bench \
                --access-key-id S3RVER --prefix "$label" --secret-stdin >/dev/null
        done
    fi
    local providers=(--provider one --provider two)
    [ "$kind" = s3 ] && providers=(--provider s3-a --provider s3-b)
    mf float "$base" --name base --replicas 2 "${providers[@]}" >/dev/null
    /usr/bin/time -f "%e" -o "$work/$label.time" "$tool" float --vault "$vault" --json \
        "$near" --name near --replicas 2 "${providers[@]}" >"$work/$label.json" 2>"$work/$label.err" ||
        { cat "$work/$label.err"; exit 1; }
    python3 - "$label" "$(cat "$work/$label.time")" "$work/$label.json" <<'EOF'
import json, sys
label, secs, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
d = json.load(open(path))
print(f"{label:<14} {secs:8.2f} {d['chunks']:7d} {d['chunks_deduplicated']:7d} {d['chunks_sent']:6d}"
      f" {d['bytes'] / secs / 1048576:9.1f}")
EOF
}

echo "files: $size_mib MiB, the second sharing 99 % of the first; two replicas"
printf '%-14s %8s %7s %7s %6s %9s\n' "second float" "wall s" "chunks" "stored" "sent" "MiB/s"
run local "$cli" local
run s3 "$cli" s3
if [ -n "${OLD_CLI:-}" ]; then
    run local-old "$OLD_CLI" local
    run s3-old "$OLD_CLI" s3
fi
