#!/usr/bin/env bash
# Benchmark (not a test): a float into the local MEGA API server against megajs, the third-party
# MEGA client, uploading the same file to the same server in the same run, plus the file cipher
# alone against `openssl enc -aes-128-ctr` on the same bytes.
#
#   bench/mega_float.sh [SIZE_MIB]          default: 1024 (1 GiB)
#   CLI=path/to/modelfloat-cli BENCH=path/to/bench_megacrypto bench/mega_float.sh
#   KEEP=1 bench/mega_float.sh              keep the work folder (server log) for a look
#
# Server: tests/peers/mega/mega-server.js on a free port of 127.0.0.1 (ciphertext kept in the
# work folder). Steps: megajs uploads the file (`megajs-client.mjs upload`, 4 connections, MAC
# chunks of 128 KiB..1 MiB, its defaults); `modelfloat-cli float` of the same file with MEGA as
# its only provider (default chunking, 4 requests at once); a restore from MEGA, compared with
# the file; then bench_megacrypto over the same size. Prints wall times, the float/megajs
# ratio, throughput and ModelFloat's peak RSS (GNU time).
# Needs GNU time, node with tests/peers/mega installed (scripts/install-peers.sh), curl and
# openssl; it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in /usr/bin/time node curl openssl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
bench="${BENCH:-$(dirname "$cli")/../bench/bench_megacrypto}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
size_mib="${1:-1024}"
peer="$PWD/tests/peers/mega"

source bench/servers.sh

port=$(freeport)
email=bench@example.com
export MEGA_PASSWORD="bench password"
mkdir -p "$work/data"
node "$peer/mega-server.js" --port "$port" --data "$work/data" \
    --account "$email:$MEGA_PASSWORD" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$port/_stats" && break; sleep 0.2; done
api="http://127.0.0.1:$port/"

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
cat "$file" > /dev/null   # in the page cache for both clients
bytes=$(stat -c %s "$file")

/usr/bin/time -f "%e %M" -o "$work/megajs.time" node "$peer/megajs-client.mjs" "$api" "$email" \
    upload megajs model.bin "$file" >/dev/null
read -r megajs_s megajs_kib < "$work/megajs.time"

vault="$work/vault"
mf() { local cmd="$1"; shift; "$cli" "$cmd" --vault "$vault" --quiet "$@"; }
mf init >/dev/null
mf config credentials plaintext --i-understand-plaintext >/dev/null 2>&1
printf 'password=%s\n' "$MEGA_PASSWORD" | mf provider add mega bench-mega "$email" \
    --api-url "$api" --secret-stdin >/dev/null
sync
/usr/bin/time -f "%e %M" -o "$work/float.time" "$cli" float --vault "$vault" --quiet "$file" \
    --name m --replicas 1 --provider bench-mega >/dev/null 2>"$work/float.err" ||
    { cat "$work/float.err"; exit 1; }
read -r float_s float_kib < "$work/float.time"
/usr/bin/time -f "%e %M" -o "$work/restore.time" "$cli" restore --vault "$vault" --quiet m \
    --to "$work/out" >/dev/null
read -r rest_s rest_kib < "$work/restore.time"
cmp -s "$file" "$work/out/model.bin" || { echo "restore differs!"; exit 1; }
stats=$(curl -s "http://127.0.0.1:$port/_stats")

awk -v b="$bytes" -v m="$megajs_s" -v mk="$megajs_kib" -v f="$float_s" -v fk="$float_kib" \
    -v r="$rest_s" -v rk="$rest_kib" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "file: %.0f MiB; load average at the end: %s\n", b / 1048576, load
    printf "%-34s %9s %10s %12s\n", "step", "wall s", "MB/s", "peak RSS"
    printf "%-34s %9.2f %10.0f %8.1f MiB\n", "megajs upload", m, b / m / 1e6, mk / 1024
    printf "%-34s %9.2f %10.0f %8.1f MiB\n", "modelfloat float (MEGA)", f, b / f / 1e6, fk / 1024
    printf "%-34s %9.2f %10.0f %8.1f MiB\n", "modelfloat restore (MEGA)", r, b / r / 1e6, rk / 1024
    printf "float / megajs upload: %.2fx (target: at most 1.0x)\n", f / m
}'
echo "server: $stats"
if [ -x "$bench" ]; then "$bench" "$((size_mib < 512 ? size_mib : 512))"; fi
