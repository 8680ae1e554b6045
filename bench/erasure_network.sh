#!/usr/bin/env bash
# Benchmark (not a test): shards 4+2 against copies 2 over six network providers whose links are
# the limit, as free cloud tiers and a home connection are (issue 41; bench/erasure_float_restore.sh
# measures the same on six local folders, where the CPU is the limit). Six S3 servers, each
# behind a link throttled to RATE_MIB MiB/s both ways (bench_throttleproxy). A random file is
# floated into a vault of the six at `copies 2`, then into another at `shards 4+2`; each is
# restored, and the sharded one again with two of its six providers forgotten. Prints the wall
# time of each step, the bytes the servers received and ModelFloat's peak RSS.
#
#   bench/erasure_network.sh [SIZE_MIB]       default: 256
#   RATE_MIB=10 bench/erasure_network.sh      each link's limit, MiB/s each way (default 10)
#   BUILD=build-ci bench/erasure_network.sh   the build folder with modelfloat-cli and the proxy
#   KEEP=1 bench/erasure_network.sh           keep the work folder (servers' logs)
#
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/s3links.sh
size_mib="${1:-256}"
rate_mib="${RATE_MIB:-10}"
links=(a b c d e f)

for name in "${links[@]}"; do start_s3 "$name" "$rate_mib" "$rate_mib"; done

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
bytes=$(stat -c %s "$file")
received() { du -sb "$work"/?-data | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# CMD... with its output shown only when it fails (the plaintext secrets' warnings are expected).
quietly() { "$@" >"$work/quiet.txt" 2>&1 || { cat "$work/quiet.txt"; exit 1; }; }

# A vault of the six S3 providers only (its own local store forgotten), at `scheme`. Secrets in
# its opt-in plaintext file (no keychain service on a bench machine).
make_vault() {
    local vault="$1" scheme="$2" name
    quietly "$cli" init --vault "$vault" --quiet
    quietly "$cli" config credentials plaintext --i-understand-plaintext --vault "$vault" --quiet
    for name in "${links[@]}"; do
        printf 'secretAccessKey=S3RVER\n' | quietly "$cli" provider add s3 "s3-$name" \
            --vault "$vault" --quiet --endpoint "http://127.0.0.1:$(cat "$work/$name.port")" \
            --bucket mf-bench --access-key-id S3RVER --secret-stdin
    done
    quietly "$cli" provider remove local --vault "$vault" --quiet
    # shellcheck disable=SC2086 # the scheme is two words
    quietly "$cli" config redundancy $scheme --vault "$vault" --quiet
}

# LABEL CMD...: runs CMD, prints "LABEL seconds peak-MiB".
timed() {
    local label="$1"; shift
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" ||
        { cat "$work/err.txt"; exit 1; }
    read -r secs kib < "$work/time.txt"
    printf '%-34s %8.2f %9.1f %8.0f MiB\n' "$label" "$secs" \
        "$(echo "$bytes / $secs / 1048576" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
}

echo "file: $((bytes / 1048576)) MiB; six S3 servers, each behind a link of $rate_mib MiB/s each way"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %9s %12s\n' "step" "wall s" "MiB/s" "peak RSS"
for scheme in "copies 2" "shards 4+2"; do
    vault="$work/vault-${scheme// /-}"
    out="$work/out"
    make_vault "$vault" "$scheme"
    before=$(received)
    timed "$scheme: float" "$cli" float "$file" --vault "$vault" --name m --quiet
    printf '%-34s %27.0f MiB sent\n' "" "$(echo "($(received) - $before) / 1048576" | bc -l)"
    timed "$scheme: restore" "$cli" restore m --vault "$vault" --to "$out" --quiet
    cmp -s "$file" "$out/model.bin" || { echo "restore differs!"; exit 1; }
    rm -rf "$out"
    if [ "$scheme" = "shards 4+2" ]; then
        # Two providers lost: forgotten by the vault (their objects stay on their servers).
        quietly "$cli" provider remove s3-a --force --vault "$vault" --quiet
        quietly "$cli" provider remove s3-b --force --vault "$vault" --quiet
        timed "$scheme: restore, 2 of 6 gone" "$cli" restore m --vault "$vault" --to "$out" --quiet
        cmp -s "$file" "$out/model.bin" || { echo "restore with two providers gone differs!"; exit 1; }
        rm -rf "$out"
    fi
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
