#!/usr/bin/env bash
# Benchmark (not a test): recovering a vault from the catalog on an S3 provider on loopback
# (docs/catalog.md, "Recovery"), against listing the same bucket with the reference S3 client in
# the same run.
#
#   bench/catalog_recover.sh [MODELS] [CHUNKS]     default: 100 models, 50000 chunks in all
#   CLI=path/to/modelfloat-cli bench/catalog_recover.sh
#   KEEP=1 bench/catalog_recover.sh                keep the work folder for a look
#   DATA=/var/tmp/mf-recover-data bench/catalog_recover.sh
#                            keep the filled bucket in DATA/s3data and reuse it on the next run with the
#                            same MODELS and CHUNKS: the float that fills it takes ~20 min for
#                            50,000 chunks, so it can run while the machine is busy and the
#                            measured steps later, on an idle machine
#
# Server: s3rver (tests/peers) behind tests/peers/s3-sigv4-proxy.js (every signature and payload
# hash checked), on free ports of 127.0.0.1. Steps: a vault floats MODELS models of CHUNKS/MODELS
# distinct fixed-size 64 KiB chunks each (the smallest chunk the chunker allows) to S3 alone,
# publishing its catalog after each float; the vault folder is deleted; a new vault with only
# the S3 provider's settings (its key prefix left at the default) runs `vault recover`, which
# finds the store, reads the states and manifests and lists the bucket's chunks; then
# `aws s3 ls --recursive` lists the same bucket. Prints wall times, requests and peak RSS.
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh), awscli and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in /usr/bin/time aws node curl python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
models="${1:-100}"
chunks="${2:-50000}"
per_model=$((chunks / models))
chunk=65536
peers="$PWD/tests/peers"

source bench/servers.sh

s3port=$(freeport); proxyport=$(freeport)
s3data="${DATA:-$work}/s3data" # a folder of its own: a leftover of a cut-off run is removed
filled="$s3data/.filled-$models-$chunks"
to_float="$models"
if [ -e "$filled" ]; then
    echo "reusing the bucket filled earlier in $s3data"
    to_float=0
else
    rm -rf "$s3data" # a run cut off part way leaves a bucket of unknown content
fi
mkdir -p "$s3data"
NODE_OPTIONS=--openssl-legacy-provider "$peers/node_modules/.bin/s3rver" -d "$s3data" \
    -a 127.0.0.1 -p "$s3port" --configure-bucket mf-bench --silent >"$work/s3rver.log" 2>&1 &
pids+=($!)
(cd "$peers" && exec node s3-sigv4-proxy.js --port "$proxyport" --upstream "$s3port" \
    --require-signed-payload >"$work/proxy.log" 2>&1) &
pids+=($!)
waitfor "http://127.0.0.1:$s3port/"
waitfor "http://127.0.0.1:$proxyport/"
endpoint="http://127.0.0.1:$proxyport"

# A vault whose secrets are in its opt-in plaintext file (no keychain service on a bench
# machine), with S3 as its only provider.
addS3() {
    "$cli" config credentials plaintext --i-understand-plaintext --vault "$1" >/dev/null
    printf 'secretAccessKey=S3RVER\n' | "$cli" provider add s3 bench-s3 --vault "$1" \
        --endpoint "$endpoint" --bucket mf-bench --access-key-id S3RVER --addressing path \
        --secret-stdin >/dev/null
    "$cli" provider remove local --force --vault "$1" >/dev/null
}
old="$work/old-vault"
if [ "$to_float" -gt 0 ]; then
    "$cli" init --vault "$old" >/dev/null
    addS3 "$old"
    echo "floating $models models of $per_model chunks of 64 KiB each ..."
fi
for i in $(seq "$to_float"); do
    # Distinct bytes per model (its own seed), so every chunk is its own object.
    python3 -c "import random,sys; r=random.Random($i); sys.stdout.buffer.write(r.randbytes($per_model*$chunk))" \
        >"$work/model-$i.bin"
    "$cli" float "$work/model-$i.bin" --vault "$old" --quiet --name "model-$i" --replicas 1 \
        --chunker fixed --chunk-size 64K >/dev/null 2>"$work/float.err" ||
        { cat "$work/float.err"; exit 1; }
    rm -f "$work/model-$i.bin"
done
rm -rf "$old" # the computer is lost
touch "$filled"

fresh="$work/new-vault"
"$cli" init --vault "$fresh" >/dev/null
addS3 "$fresh"
before=$(grep -c '^sigv4-proxy: ' "$work/proxy.log" || true)
/usr/bin/time -f "%e %M" -o "$work/recover.time" "$cli" vault recover --vault "$fresh" --json \
    >"$work/recover.json" 2>"$work/recover.err" || { cat "$work/recover.err"; exit 1; }
read -r rec_s rec_kib < "$work/recover.time"
requests=$(( $(grep -c '^sigv4-proxy: ' "$work/proxy.log" || true) - before ))

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
/usr/bin/time -f "%e %M" -o "$work/aws.time" aws --endpoint-url "$endpoint" \
    s3 ls --recursive s3://mf-bench/ >"$work/aws.ls"
read -r aws_s aws_kib < "$work/aws.time"
objects=$(wc -l < "$work/aws.ls")

python3 - "$work/recover.json" "$rec_s" "$rec_kib" "$aws_s" "$aws_kib" "$objects" "$requests" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
rec_s, rec_kib, aws_s, aws_kib = float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
print(f"recovered: {r['models']} models, {r['files']} files, {r['chunks']} chunks, "
      f"{r['placements_found']} placements; ok={r['ok']}; bucket holds {sys.argv[6]} objects")
print(f"{'step':36} {'wall s':>8} {'peak RSS':>12}")
print(f"{'modelfloat-cli vault recover':36} {rec_s:8.2f} {rec_kib/1024:8.1f} MiB   ({sys.argv[7]} S3 requests)")
print(f"{'aws s3 ls --recursive (same bucket)':36} {aws_s:8.2f} {aws_kib/1024:8.1f} MiB")
print(f"recover / aws s3 ls: {rec_s/aws_s:.2f}x")
EOF
