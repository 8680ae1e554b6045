#!/usr/bin/env bash
# Benchmark (not a test): a replicated float across two network providers on loopback, against
# the reference S3 client copying the same file to the same S3 server, in the same run.
#
#   bench/network_float.sh [SIZE_MIB]          default: 1024 (1 GiB)
#   CLI=path/to/modelfloat-cli bench/network_float.sh
#   PROVIDERS=s3 bench/network_float.sh        S3 alone (replication 1), no WebDAV server
#   KEEP=1 bench/network_float.sh              keep the work folder (servers' logs) for a look
#
# Servers, all on free ports of 127.0.0.1, fresh folders:
#   - S3: s3rver (tests/peers) behind tests/peers/s3-sigv4-proxy.js, which checks every
#     signature and payload hash; both clients talk to the proxy;
#   - WebDAV: `rclone serve webdav` (Debian's rclone) with a user and password.
# Steps: `aws s3 cp` of the file (Debian's awscli, /usr/bin/aws: multipart, 10 requests at
# once); `modelfloat-cli float` of the same file with 2 replicas, one on each server; then a
# restore with the WebDAV provider forgotten, so every chunk comes from S3. Prints wall times,
# the float/awscli ratio, throughput and ModelFloat's peak RSS (GNU time).
# Needs GNU time, node with tests/peers installed (scripts/install-peers.sh), rclone, awscli and
# curl; it installs nothing (apt-get install time rclone awscli curl).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in /usr/bin/time /usr/bin/aws rclone node curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
size_mib="${1:-1024}"
providers="${PROVIDERS:-s3,webdav}"
peers="$PWD/tests/peers"

source bench/servers.sh

# S3: s3rver (its listing tokens need OpenSSL's legacy DES) behind the SigV4-checking proxy.
s3port=$(freeport); proxyport=$(freeport); davport=$(freeport)
mkdir -p "$work/s3data" "$work/dav"
NODE_OPTIONS=--openssl-legacy-provider "$peers/node_modules/.bin/s3rver" -d "$work/s3data" \
    -a 127.0.0.1 -p "$s3port" --configure-bucket mf-bench --silent >"$work/s3rver.log" 2>&1 &
pids+=($!)
(cd "$peers" && exec node s3-sigv4-proxy.js --port "$proxyport" --upstream "$s3port" \
    --require-signed-payload >"$work/proxy.log" 2>&1) &
pids+=($!)
waitfor "http://127.0.0.1:$s3port/"
waitfor "http://127.0.0.1:$proxyport/"
endpoint="http://127.0.0.1:$proxyport"
if [[ "$providers" == *webdav* ]]; then
    rclone serve webdav "$work/dav" --addr "127.0.0.1:$davport" --user mf --pass benchsecret \
        >"$work/rclone.log" 2>&1 &
    pids+=($!)
    waitfor "http://127.0.0.1:$davport/"
fi

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
cat "$file" > /dev/null   # in the page cache for both clients
bytes=$(stat -c %s "$file")

export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
/usr/bin/time -f "%e %M" -o "$work/aws.time" /usr/bin/aws --endpoint-url "$endpoint" \
    s3 cp "$file" s3://mf-bench/awscli/model.bin --only-show-errors
read -r aws_s _ < "$work/aws.time"

# The vault: secrets in its opt-in plaintext file (no keychain service on a bench machine),
# the embedded local provider left out of the float.
vault="$work/vault"
mf() { local cmd="$1"; shift; "$cli" "$cmd" --vault "$vault" --quiet "$@"; }
mf init >/dev/null
mf config credentials plaintext --i-understand-plaintext >/dev/null
printf 'secretAccessKey=S3RVER\n' | mf provider add s3 bench-s3 --endpoint "$endpoint" \
    --bucket mf-bench --access-key-id S3RVER --secret-stdin >/dev/null
float_args=(--provider bench-s3)
replicas=1
if [[ "$providers" == *webdav* ]]; then
    printf 'password=benchsecret\n' | mf provider add webdav bench-dav \
        --url "http://127.0.0.1:$davport/" --username mf --secret-stdin >/dev/null
    # "Test connection" as a person would after adding it. It also creates the adapter's
    # folders: without them rclone answers the first PUTs with an early 404 and closes, while
    # Qt keeps sending the body and only notices at the stall timeout (see the report of issue 4).
    mf provider test bench-dav >/dev/null
    float_args+=(--provider bench-dav)
    replicas=2
fi
sync
/usr/bin/time -f "%e %M" -o "$work/float.time" "$cli" float --vault "$vault" --quiet "$file" \
    --name m --replicas "$replicas" "${float_args[@]}" >/dev/null 2>"$work/float.err" ||
    { cat "$work/float.err"; exit 1; }
grep -v UNENCRYPTED "$work/float.err" || true
read -r float_s float_kib < "$work/float.time"

# Restore from S3 alone: the WebDAV provider is forgotten (its objects stay on its server).
if [[ "$providers" == *webdav* ]]; then mf provider remove bench-dav --force >/dev/null; fi
/usr/bin/time -f "%e %M" -o "$work/restore.time" "$cli" restore --vault "$vault" --quiet m \
    --to "$work/out" >/dev/null
read -r rest_s rest_kib < "$work/restore.time"
cmp -s "$file" "$work/out/model.bin" || { echo "restore differs!"; exit 1; }
s3_requests=$(grep -c '^sigv4-proxy: ' "$work/proxy.log" || true)
rejected=$(grep -c -- '-> 4[0-9][0-9] ' "$work/proxy.log" || true)

awk -v b="$bytes" -v a="$aws_s" -v f="$float_s" -v fk="$float_kib" -v r="$rest_s" \
    -v rk="$rest_kib" -v n="$replicas" -v p="$providers" -v q="$s3_requests" -v x="$rejected" 'BEGIN {
    printf "file: %.0f MiB; float: %d replica(s) on %s; %d requests reached the S3 proxy, %d refused\n",
           b / 1048576, n, p, q, x
    printf "%-34s %9s %10s %12s\n", "step", "wall s", "MB/s", "peak RSS"
    printf "%-34s %9.2f %10.0f %12s\n", "aws s3 cp (1 copy, S3)", a, b / a / 1e6, "-"
    printf "%-34s %9.2f %10.0f %8.1f MiB\n", "modelfloat float (" n " replicas)", f, b / f / 1e6, fk / 1024
    printf "%-34s %9.2f %10.0f %8.1f MiB\n", "modelfloat restore (S3 alone)", r, b / r / 1e6, rk / 1024
    printf "float / aws s3 cp: %.2fx (target: at most 1.5x)\n", f / a
}'
