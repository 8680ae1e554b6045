#!/usr/bin/env bash
# Benchmark (not a test): restore throughput from an IPFS node alone.
#
#   bench/ipfs_restore.sh [SIZE_MIB]          default: 512
#   CLI=path/to/modelfloat-cli bench/ipfs_restore.sh 256
#
# Starts a js-ipfs node (tests/peers, `jsipfs daemon --offline`, fresh repository, free ports),
# makes a vault whose only provider for the float is that node, floats a pseudo-random file of
# SIZE_MIB with the default chunker (5/8/32 MiB chunks: all stored through `add` as UnixFS DAGs,
# see docs/providers.md), then restores it from IPFS alone and checks it with sha256sum.
# Prints wall time and MB/s of the float and the restore, and the restore's peak RSS and CPU
# time (CPU far below wall time means the node, not ModelFloat, sets the pace).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
size_mib="${1:-512}"
peers="$PWD/tests/peers"

work="$(mktemp -d /var/tmp/modelfloat-ipfs-bench.XXXXXX)"
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api=$(freeport); gw=$(freeport); rpc=$(freeport)
export IPFS_PATH="$work/repo"
export NODE_OPTIONS="--require $peers/withresolvers.cjs"
cat > "$work/initcfg.json" <<JSON
{"Addresses":{"Swarm":[],"API":"/ip4/127.0.0.1/tcp/$api","Gateway":"/ip4/127.0.0.1/tcp/$gw",
 "RPC":"/ip4/127.0.0.1/tcp/$rpc","Delegates":[]},"Bootstrap":[],
 "Discovery":{"MDNS":{"Enabled":false},"webRTCStar":{"Enabled":false}}}
JSON
"$peers/node_modules/.bin/jsipfs" init -e --defaultConfig "$work/initcfg.json" >/dev/null
"$peers/node_modules/.bin/jsipfs" daemon --offline >"$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 120); do
    curl -sf -X POST "http://127.0.0.1:$api/api/v0/version" >/dev/null && break
    sleep 0.5
done
unset NODE_OPTIONS

export MODELFLOAT_VAULT="$work/vault"
"$cli" config credentials plaintext --i-understand-plaintext >/dev/null 2>&1
"$cli" provider add ipfs node --api-url "http://127.0.0.1:$api" </dev/null >/dev/null

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
want=$(sha256sum "$file" | cut -d' ' -f1)

t0=$(date +%s.%N)
"$cli" float "$file" --name bench --replicas 1 --provider node >/dev/null
t1=$(date +%s.%N)
sync
/usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$cli" restore bench --to "$work/out" >/dev/null
read -r restore_s peak_kib user_s sys_s < "$work/time.txt"
got=$(sha256sum "$work/out/model.bin" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "restored file differs"; exit 1; }

float_s=$(echo "$t1 - $t0" | bc -l)
mb=$(echo "$size_mib * 1.048576" | bc -l)
printf "IPFS (js-ipfs 0.66.1, loopback), %d MiB, default chunker\n" "$size_mib"
printf "float:   %7.2f s  %7.1f MB/s\n" "$float_s" "$(echo "$mb / $float_s" | bc -l)"
printf "restore: %7.2f s  %7.1f MB/s  peak RSS %d MiB  modelfloat CPU %.2f s\n" "$restore_s" \
    "$(echo "$mb / $restore_s" | bc -l)" "$((peak_kib / 1024))" "$(echo "$user_s + $sys_s" | bc -l)"
