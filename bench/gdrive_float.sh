#!/usr/bin/env bash
# Benchmark (not a test): float a file into the local Google Drive server and copy the same file
# with rclone's drive backend through the same server, in the same run.
#
#   bench/gdrive_float.sh [SIZE_MIB]          default: 1024 (1 GiB)
#   CLI=path/to/modelfloat-cli bench/gdrive_float.sh
#   KEEP=1 bench/gdrive_float.sh              keep the work folder (server log) for a look
#
# The server is tests/peers/drive/drive-server.js on a free port of 127.0.0.1 (its clock and
# limits untouched: no pace is enforced by it). rclone reaches it as the HTTPS proxy it also is
# (rclone's API host is fixed), with its certificate trusted by --ca-cert; ModelFloat talks to it
# over plain HTTP. Steps: `rclone copyto` of the file (one resumable upload in 8 MiB pieces);
# `modelfloat-cli float` of the same file onto the Drive provider alone (replication 1), first
# with the default pace of file creations (3 a second: Drive's real sustained rate), then again
# into a fresh folder with the pace off (what the adapter does when Drive does not limit it).
# Prints wall times, the ratios to rclone, ModelFloat's peak RSS (GNU time) and the requests per
# chunk the server counted. Needs GNU time, node, rclone, curl, python3; it installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in /usr/bin/time rclone node curl python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
size_mib="${1:-1024}"
peer="$PWD/tests/peers/drive"

source bench/servers.sh

port=$(freeport)
node "$peer/drive-server.js" --port "$port" --data "$work/data" --cert-dir "$work/cert" \
    >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/__control/stats" && break; sleep 0.2; done
url="http://127.0.0.1:$port/"
client=modelfloat-test.apps.googleusercontent.com
stat_requests() { curl -s "${url}__control/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

file="$work/model.bin"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$file"
cat "$file" > /dev/null   # in the page cache for both clients
bytes=$(stat -c %s "$file")

# rclone: its own config with a refresh token the server minted (rclone refreshes it at once).
refresh=$(curl -s -X POST -d '{}' "${url}__control/mint" | python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])')
cat > "$work/rclone.conf" <<CONF
[gd]
type = drive
client_id = $client
client_secret = test-secret
scope = drive.file
token_url = ${url}token
token = {"access_token":"x","token_type":"Bearer","refresh_token":"$refresh","expiry":"2000-01-01T00:00:00Z"}
CONF
HTTPS_PROXY="http://127.0.0.1:$port" /usr/bin/time -f "%e %M" -o "$work/rclone.time" \
    rclone --config "$work/rclone.conf" --ca-cert "$work/cert/cert.pem" copyto "$file" gd:rclone/model.bin
read -r rclone_s _ < "$work/rclone.time"

# ModelFloat: a vault with the Drive provider, signed in through the loopback flow (curl is the
# browser), secrets in the vault's opt-in plaintext file.
vault="$work/vault"
mf() { local cmd="$1"; shift; "$cli" "$cmd" --vault "$vault" --quiet "$@"; }
"$cli" init --vault "$vault" --quiet >/dev/null
mf config credentials plaintext --i-understand-plaintext >/dev/null
add_drive() { # name, creations a second: `provider add` signs in; curl plays the browser
    printf 'clientSecret=test-secret\n' | MODELFLOAT_NO_BROWSER=1 "$cli" provider add gdrive "$1" \
        --vault "$vault" --client-id "$client" --api-url "$url" \
        --auth-url "${url}o/oauth2/v2/auth" --token-url "${url}token" --folder "$1" \
        --creates-per-second "$2" --secret-stdin >"$work/add-$1.out" 2>"$work/add-$1.log" &
    local add=$!
    for _ in $(seq 300); do grep -q 'http://127' "$work/add-$1.log" && break; sleep 0.1; done
    curl -s -L -o /dev/null "$(grep -o 'http://127[^ ]*' "$work/add-$1.log" | head -1)"
    wait "$add"
}
run_float() { # provider, model name -> "seconds rss_kib requests chunks"
    local before after
    before=$(stat_requests)
    /usr/bin/time -f "%e %M" -o "$work/$1.time" "$cli" float "$file" --vault "$vault" --json \
        --name "$2" --provider "$1" --replicas 1 > "$work/$1.json"
    after=$(stat_requests)
    read -r secs rss < "$work/$1.time"
    chunks=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chunks"])' "$work/$1.json")
    echo "$secs $rss $((after - before)) $chunks"
}
add_drive paced 3
add_drive unpaced 0
read -r paced_s paced_rss paced_req chunks < <(run_float paced bench-paced)
read -r fast_s fast_rss fast_req _ < <(run_float unpaced bench-unpaced)

python3 - "$bytes" "$rclone_s" "$paced_s" "$paced_rss" "$paced_req" "$fast_s" "$fast_rss" "$fast_req" "$chunks" <<'PY'
import sys
b, rc, ps, prss, preq, fs, frss, freq, chunks = sys.argv[1:]
b = int(b); rc, ps, fs = float(rc), float(ps), float(fs); chunks = int(chunks)
mib = b / 1048576
print(f"file: {mib:.0f} MiB, {chunks} chunks (ModelFloat's default chunker)")
print(f"rclone copyto (drive backend, HTTPS proxy):  {rc:7.1f} s  {mib / rc:6.1f} MiB/s")
print(f"ModelFloat float, paced 3 creations/s:        {ps:7.1f} s  {mib / ps:6.1f} MiB/s  ratio {ps / rc:.2f}x rclone  peak RSS {int(prss) / 1024:.0f} MiB  {int(preq) / chunks:.2f} requests/chunk")
print(f"ModelFloat float, pace off:                   {fs:7.1f} s  {mib / fs:6.1f} MiB/s  ratio {fs / rc:.2f}x rclone  peak RSS {int(frss) / 1024:.0f} MiB  {int(freq) / chunks:.2f} requests/chunk")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
