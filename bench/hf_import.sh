#!/usr/bin/env bash
# Benchmark (not a test): importing a model file from the (local) Hugging Face Hub against
# downloading the same file with curl, in the same run.
#
#   bench/hf_import.sh [SIZE_GIB]           default 2
#   CLI=build-x/app/modelfloat-cli RUNS=3 bench/hf_import.sh 2
#
# The hub is tests/peers/hub-server.js on 127.0.0.1 (resolve -> 302 -> CDN port, as the real
# Hub does). The vault has replication 2 on two local-folder providers. Reported: curl's and
# the import's wall time (median of RUNS), their ratio, the import's peak RSS (GNU time) and
# the peak size of the vault's temporary folder (du, polled every 50 ms while importing).
# Targets: import within 1.5x of curl; temporary disk under 256 MiB. A second reference,
# curl + sync, puts curl's bytes on disk too. Note the import writes every byte twice
# (replication 2, both providers on the same disk here), curl once.
# Files live in $BENCH_DIR (default: a new folder under /var/tmp, on disk).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
command -v curl >/dev/null || { echo "needs curl"; exit 1; }
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
cli="$(readlink -f "$cli")"
runs="${RUNS:-3}"
gib="${1:-2}"

work="${BENCH_DIR:-$(mktemp -d /var/tmp/modelfloat-hfbench.XXXXXX)}"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A deterministic, incompressible file (AES-CTR keystream), in the page cache like curl's.
mkdir -p "$work/repo"
file="$work/repo/Bench-Model-F16.gguf"
head -c "${gib}G" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
        -iv 00000000000000000000000000000000 >"$file"
bytes=$(stat -c %s "$file")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
node tests/peers/hub-server.js --port "$port" --repo "org/bench=$work/repo" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/_stats" >/dev/null && break; sleep 0.1; done
# The server hashes the file once (for the tree's LFS oid); not part of either measurement.
curl -sf "http://127.0.0.1:$port/api/models/org/bench/tree/main?recursive=true" >/dev/null
url="http://127.0.0.1:$port/org/bench/resolve/main/Bench-Model-F16.gguf"

median() { sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }

# curl: resolve, follow the redirect to the CDN, write the file to disk.
: >"$work/curl.txt"
for _ in $(seq "$runs"); do
    rm -f "$work/curl.out"
    sync
    /usr/bin/time -f "%e" -o "$work/t.txt" curl -sfL -o "$work/curl.out" "$url"
    cat "$work/t.txt" >>"$work/curl.txt"
done
[ "$(stat -c %s "$work/curl.out")" = "$bytes" ] || { echo "curl got a short file"; exit 1; }
rm -f "$work/curl.out"
curl_s=$(median <"$work/curl.txt")
# The same with its bytes made durable (the local-folder providers write with O_DIRECT, so the
# import's bytes are on disk when it ends; curl's may still sit in the page cache).
: >"$work/curlsync.txt"
for _ in $(seq "$runs"); do
    rm -f "$work/curl.out"
    sync
    /usr/bin/time -f "%e" -o "$work/t.txt" sh -c "curl -sfL -o '$work/curl.out' '$url' && sync"
    cat "$work/t.txt" >>"$work/curlsync.txt"
done
rm -f "$work/curl.out"
curlsync_s=$(median <"$work/curlsync.txt")

# The import: a fresh vault each run, replication 2 on two local-folder providers.
: >"$work/import.txt"
for run in $(seq "$runs"); do
    vault="$work/vault-$run"
    "$cli" init --vault "$vault" >/dev/null
    "$cli" config --vault "$vault" replication 2 >/dev/null
    "$cli" provider add --vault "$vault" local second "$work/second-$run" >/dev/null
    sync
    echo 0 >"$work/tmp-peak-$run.txt"
    (
        peak=0
        while :; do
            kib=$(du -sk "$vault/tmp" 2>/dev/null | cut -f1)
            [ "${kib:-0}" -gt "$peak" ] && peak=$kib && echo "$peak" >"$work/tmp-peak-$run.txt"
            sleep 0.05
        done
    ) &
    poller=$!
    HF_ENDPOINT="http://127.0.0.1:$port" HF_TOKEN=hf_good \
        /usr/bin/time -f "%e %M" -o "$work/t.txt" \
        "$cli" import --vault "$vault" org/bench --quiet --json >"$work/import-$run.json" \
        2>"$work/import-$run.err" || { cat "$work/import-$run.err"; exit 1; }
    kill "$poller" 2>/dev/null || true
    wait "$poller" 2>/dev/null || true
    grep -q '"ok": true' "$work/import-$run.json" || { cat "$work/import-$run.json"; exit 1; }
    echo "$(cat "$work/t.txt") $(cat "$work/tmp-peak-$run.txt")" >>"$work/import.txt"
    rm -rf "$vault" "$work/second-$run"
done
read -r import_s rss_kib _ <<<"$(median <"$work/import.txt")"
tmp_peak_kib=$(cut -d' ' -f3 "$work/import.txt" | sort -n | tail -1)

printf "file            %s GiB (%s bytes), %s runs, medians\n" "$gib" "$bytes" "$runs"
printf "curl download   %8.2f s  %7.0f MB/s\n" "$curl_s" "$(echo "$bytes / $curl_s / 1000000" | bc -l)"
printf "curl + sync     %8.2f s  %7.0f MB/s\n" "$curlsync_s" "$(echo "$bytes / $curlsync_s / 1000000" | bc -l)"
printf "import (r=2)    %8.2f s  %7.0f MB/s\n" "$import_s" "$(echo "$bytes / $import_s / 1000000" | bc -l)"
printf "ratio           %8.2f x  (target <= 1.5; %.2f x of curl + sync)\n" \
    "$(echo "$import_s / $curl_s" | bc -l)" "$(echo "$import_s / $curlsync_s" | bc -l)"
printf "peak RSS        %8.1f MiB\n" "$(echo "$rss_kib / 1024" | bc -l)"
printf "peak temp disk  %8.1f MiB (target < 256)\n" "$(echo "$tmp_peak_kib / 1024" | bc -l)"
