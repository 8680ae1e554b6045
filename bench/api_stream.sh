#!/usr/bin/env bash
# Benchmark (not a test): streaming a floated file through the local HTTP API (docs/api.md)
# with curl, against `modelfloat-cli cat` of the same file and `cat` of the original from the
# page cache; then CLIENTS concurrent curls of the whole file. Prints throughput and the
# server's peak RSS.
#
#   bench/api_stream.sh [MiB] [CLIENTS]       default: 2048 MiB, 10 concurrent clients
#   CLI=path/to/modelfloat-cli bench/api_stream.sh
#
# The vault and its one local-folder provider live in a temporary folder under /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
mib="${1:-2048}"
clients="${2:-10}"
work="$(mktemp -d /var/tmp/modelfloat-apibench.XXXXXX)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export MODELFLOAT_VAULT="$work/vault" HOME="$work/home" XDG_DATA_HOME="$work/home/data"
mkdir -p "$HOME"
rate() { python3 -c "print(f'{$1/1048576/$2:.0f} MiB/s')"; }
now() { date +%s.%N; }

"$cli" init --quiet
"$cli" config credentials plaintext --i-understand-plaintext --quiet
head -c "$((mib * 1048576))" /dev/urandom >"$work/model.bin"
"$cli" float "$work/model.bin" --quiet --no-sync
bytes=$(stat -c %s "$work/model.bin")
token=$("$cli" serve --print-token)

"$cli" serve --port 0 >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q http "$work/serve.out" && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out" | head -1 | cut -d: -f2)
url="http://127.0.0.1:$port/api/v1/models/model/files/model.bin"
auth="Authorization: Bearer $token"

cat "$work/model.bin" >/dev/null # into the page cache
t0=$(now); cat "$work/model.bin" >/dev/null; t1=$(now)
echo "cat of the original:           $(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
t0=$(now); "$cli" cat model model.bin >/dev/null; t1=$(now)
echo "modelfloat-cli cat:            $(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
t0=$(now); curl -sS -H "$auth" "$url" -o /dev/null; t1=$(now)
echo "curl through the API:          $(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
echo "server peak RSS, 1 client:     $(grep VmHWM /proc/$server/status | awk '{print $2}') KiB"
t0=$(now)
curls=()
for _ in $(seq "$clients"); do
    curl -sS -H "$auth" "$url" -o /dev/null &
    curls+=($!)
done
wait "${curls[@]}"
t1=$(now)
echo "$clients concurrent curls:          $(rate "$((bytes * clients))" "$(echo "$t1 - $t0" | bc)") in all"
echo "server peak RSS, $clients clients:   $(grep VmHWM /proc/$server/status | awk '{print $2}') KiB"
