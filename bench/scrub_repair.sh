#!/usr/bin/env bash
# Benchmark (not a test): scrub and repair throughput against an S3 server on loopback, with the
# reference S3 client's listing of the same bucket and ModelFloat's own restore of the same
# bytes in the same run.
#
#   bench/scrub_repair.sh [CHUNKS]       default: 50000 chunks of 64 KiB (3.2 GB)
#   CLI=path/to/modelfloat-cli bench/scrub_repair.sh 5000
#   KEEP=1 bench/scrub_repair.sh         keep the work folder for a look
#
# Servers: s3rver (tests/peers) behind tests/peers/s3-sigv4-proxy.js, fresh folders, free ports
# of 127.0.0.1 (as bench/network_float.sh). Steps:
#   1. a file of CHUNKS x 64 KiB floated with fixed 64 KiB chunks, one copy, on S3 alone;
#   2. `aws s3 ls --recursive` of the bucket (Debian's awscli): the provider's listing speed;
#   3. `modelfloat-cli scrub --all --rate 0`: the existence pass (one HEAD per object), objects/s;
#   4. `modelfloat-cli scrub --read --all --rate 0`: the full pass, against `restore` of the same
#      model (same bytes, same server);
#   5. replication raised to 2, `modelfloat-cli repair`: every chunk copied from S3 to the
#      vault's local provider (read, checked against its CID, put), chunks/s and MB/s.
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh), awscli and curl.
# AWS=path/to/aws picks the S3 client (default: Debian's /usr/bin/aws, else the aws on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
aws="${AWS:-/usr/bin/aws}"
[ -x "$aws" ] || aws="$(command -v aws || true)"
for tool in /usr/bin/time "$aws" node curl; do
    [ -n "$tool" ] && command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
echo "S3 client: $("$aws" --version 2>&1 | head -1)"
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
chunks="${1:-50000}"
peers="$PWD/tests/peers"

source bench/servers.sh

s3port=$(freeport); proxyport=$(freeport)
mkdir -p "$work/s3data"
NODE_OPTIONS=--openssl-legacy-provider "$peers/node_modules/.bin/s3rver" -d "$work/s3data" \
    -a 127.0.0.1 -p "$s3port" --configure-bucket mf-bench --silent >"$work/s3rver.log" 2>&1 &
pids+=($!)
(cd "$peers" && exec node s3-sigv4-proxy.js --port "$proxyport" --upstream "$s3port" \
    --require-signed-payload >"$work/proxy.log" 2>&1) &
pids+=($!)
waitfor "http://127.0.0.1:$s3port/"
waitfor "http://127.0.0.1:$proxyport/"
endpoint="http://127.0.0.1:$proxyport"

file="$work/model.bin"
head -c "$((chunks * 65536))" /dev/urandom > "$file"
bytes=$(stat -c %s "$file")

vault="$work/vault"
mf() { local cmd="$1"; shift; "$cli" "$cmd" --vault "$vault" --quiet "$@"; }
timed() { local out="$1"; shift; /usr/bin/time -f "%e" -o "$work/$out.time" "$@"; }
secs() { cat "$work/$1.time"; }
mf init >/dev/null
mf config credentials plaintext --i-understand-plaintext >/dev/null 2>&1
mf config chunker fixed:size=65536 >/dev/null
printf 'secretAccessKey=S3RVER\n' | mf provider add s3 bench-s3 --endpoint "$endpoint" \
    --bucket mf-bench --access-key-id S3RVER --secret-stdin >/dev/null 2>&1
echo "floating $chunks chunks of 64 KiB to S3…"
timed float "$cli" float --vault "$vault" --quiet "$file" --name m --replicas 1 \
    --provider bench-s3 >/dev/null 2>"$work/float.err" || { cat "$work/float.err"; exit 1; }

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
timed ls "$aws" --endpoint-url "$endpoint" s3 ls --recursive s3://mf-bench/ >"$work/ls.txt"
listed=$(wc -l < "$work/ls.txt")

timed check "$cli" scrub --vault "$vault" --quiet --all --rate 0 --json >"$work/check.json"
checked=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["good"])' "$work/check.json")
timed read "$cli" scrub --vault "$vault" --quiet --read --all --rate 0 --json >"$work/read.json"
readgood=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["good"])' "$work/read.json")
timed restore "$cli" restore --vault "$vault" --quiet m --to "$work/out" >/dev/null
cmp -s "$file" "$work/out/model.bin" || { echo "restore differs!"; exit 1; }
rm -rf "$work/out"

# A second provider, added only now so that the float put every chunk on S3 alone.
mf provider add local bench-local "$work/local" >/dev/null
mf config replication 2 >/dev/null
timed repair "$cli" repair --vault "$vault" --quiet --json >"$work/repair.json" ||
    { cat "$work/repair.json"; exit 1; }
made=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["copies_made"])' "$work/repair.json")

awk -v n="$chunks" -v b="$bytes" -v l="$listed" -v ls="$(secs ls)" -v c="$checked" \
    -v cs="$(secs check)" -v rg="$readgood" -v rs="$(secs read)" -v ts="$(secs restore)" \
    -v m="$made" -v ps="$(secs repair)" -v fs="$(secs float)" 'BEGIN {
    printf "vault: %d chunks of 64 KiB (%.0f MiB) on one S3 provider; float took %.1f s\n", n, b / 1048576, fs
    printf "%-44s %9s %12s %10s\n", "step", "wall s", "objects/s", "MB/s"
    printf "%-44s %9.2f %12.0f %10s\n", "aws s3 ls --recursive (" l " objects)", ls, l / ls, "-"
    printf "%-44s %9.2f %12.0f %10s\n", "scrub, existence pass (" c " good)", cs, c / cs, "-"
    printf "%-44s %9.2f %12.0f %10.1f\n", "scrub --read, full pass (" rg " good)", rs, rg / rs, b / rs / 1e6
    printf "%-44s %9.2f %12.0f %10.1f\n", "restore of the same model", ts, n / ts, b / ts / 1e6
    printf "%-44s %9.2f %12.0f %10.1f\n", "repair to 2 copies (" m " copies, S3 -> local)", ps, m / ps, b / ps / 1e6
    printf "existence pass / listing: %.2fx the objects per second; full pass / restore: %.2fx the throughput\n", (c / cs) / (l / ls), ts / rs
}'
