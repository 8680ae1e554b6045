#!/usr/bin/env bash
# Benchmark (not a test): streaming a floated file through the local HTTP API (docs/api.md)
# with curl, against `modelfloat-cli restore` and `cat` of the same file and `cat` of the
# original from the page cache; then CLIENTS concurrent curls of the whole file; then an upload
# of it (PUT) against `modelfloat-cli float`. Prints throughput, ratios and the server's peak
# RSS.
#
#   bench/api_stream.sh [MiB] [CLIENTS] [MODELS]   default: 2048 MiB, 10 concurrent clients,
#                                                  10000 models for the list latency
#   CLI=path/to/modelfloat-cli bench/api_stream.sh
#
# The vault and its one local-folder provider live in a temporary folder under /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
mib="${1:-2048}"
clients="${2:-10}"
models="${3:-10000}"
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

# No background sync: the 10,000 models written straight into the registry below would be
# published to the catalog meanwhile, which is not what the list's latency is about.
"$cli" serve --port 0 --no-background-sync >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q http "$work/serve.out" && break; sleep 0.1; done
port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out" | head -1 | cut -d: -f2)
url="http://127.0.0.1:$port/api/v1/models/model/files/model.bin"
auth="Authorization: Bearer $token"

cat "$work/model.bin" >/dev/null # into the page cache
t0=$(now); cat "$work/model.bin" >/dev/null; t1=$(now)
cat_s=$(echo "$t1 - $t0" | bc)
echo "cat of the original:           $(rate "$bytes" "$cat_s")"
t0=$(now); "$cli" restore model --to "$work/restored" --quiet; t1=$(now)
restore_s=$(echo "$t1 - $t0" | bc)
rm -rf "$work/restored"
echo "modelfloat-cli restore:        $(rate "$bytes" "$restore_s")"
t0=$(now); "$cli" cat model model.bin >/dev/null; t1=$(now)
echo "modelfloat-cli cat:            $(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
t0=$(now); curl -sS -H "$auth" "$url" -o /dev/null; t1=$(now)
api_s=$(echo "$t1 - $t0" | bc)
echo "curl through the API:          $(rate "$bytes" "$api_s")"
echo "  time, API / restore:         $(python3 -c "print(f'{$api_s/$restore_s:.2f}')")"
echo "  time, API / cat:             $(python3 -c "print(f'{$api_s/$cat_s:.2f}')")"
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

# The same bytes uploaded as a request body (a new model; its chunks are found stored already,
# so this is the receive, chunk and hash path), against a float of the file under a new name.
t0=$(now)
curl -sS -H "$auth" -T "$work/model.bin" -o /dev/null \
     "http://127.0.0.1:$port/api/v1/models/uploaded/files/model.bin"
t1=$(now)
echo "upload (PUT) of the same bytes: $(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
t0=$(now); "$cli" float "$work/model.bin" --name floated-again --quiet --no-sync; t1=$(now)
echo "modelfloat-cli float, same:    $(rate "$bytes" "$(echo "$t1 - $t0" | bc)")"
echo "server peak RSS after upload:  $(grep VmHWM /proc/$server/status | awk '{print $2}') KiB"

# GET /api/v1/models with MODELS models: copies of the floated model written straight into the
# registry, each with chunks of its own (named, not stored: the list reads only the registry),
# then 200 requests of the first page (100 models) and 200 searches, each timed by curl.
python3 - "$MODELFLOAT_VAULT/registry.sqlite" "$models" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
(mid,) = db.execute("SELECT id FROM models WHERE name = 'model'").fetchone()
cols = [r[1] for r in db.execute("PRAGMA table_info(models)") if r[1] not in ("id", "name", "uid")]
fcols = [r[1] for r in db.execute("PRAGMA table_info(files)") if r[1] not in ("id", "model_id")]
pcols = [r[1] for r in db.execute("PRAGMA table_info(placements)") if r[1] != "cid"]
files = db.execute(f"SELECT id, {', '.join(fcols)} FROM files WHERE model_id = ?", (mid,)).fetchall()
with db:
    for i in range(1, n):
        new = db.execute(f"INSERT INTO models (name, {', '.join(cols)}) SELECT ?, "
                         f"{', '.join(cols)} FROM models WHERE id = ?",
                         (f"model-{i:05d}", mid)).lastrowid
        for f in files:
            fid = db.execute(f"INSERT INTO files (model_id, {', '.join(fcols)}) VALUES (?, "
                             f"{', '.join('?' * len(fcols))})", (new, *f[1:])).lastrowid
            # Set-based, a file at a time: the chunks, the manifest and the placements, each
            # chunk's copy named by its CID with the model and index in its last 12 characters.
            copy = "substr(fc.cid, 1, length(fc.cid) - 12) || printf('%06d%06d', ?, fc.idx)"
            db.execute(f"INSERT INTO chunks (cid, size) SELECT {copy}, c.size FROM file_chunks fc "
                       "JOIN chunks c ON c.cid = fc.cid WHERE fc.file_id = ?", (i, f[0]))
            db.execute(f"INSERT INTO file_chunks (file_id, idx, offset, cid) SELECT ?, fc.idx, "
                       f"fc.offset, {copy} FROM file_chunks fc WHERE fc.file_id = ?",
                       (fid, i, f[0]))
            db.execute(f"INSERT INTO placements (cid, {', '.join(pcols)}) SELECT {copy}, "
                       f"{', '.join('p.' + c for c in pcols)} FROM file_chunks fc JOIN placements p "
                       "ON p.cid = fc.cid WHERE fc.file_id = ?", (i, f[0]))
    # As if published long ago, as bench/bigvault_gen.py does: the server's catalog publish has
    # nothing to send beside the requests timed.
    db.execute("UPDATE models SET catalog_dirty = 0")
PY
latency() { # URL: median and p99 of 200 requests, in ms
    for _ in $(seq 200); do curl -sS -H "$auth" -o /dev/null -w '%{time_total}\n' "$1"; done |
        sort -n | awk '{v[NR]=$1} END {printf "median %.1f ms, p99 %.1f ms\n", v[int(NR/2)]*1000, v[int(NR*0.99)]*1000}'
}
base="http://127.0.0.1:$port/api/v1/models"
echo "GET /models, $models models:    $(latency "$base")"
echo "GET /models?q=model-09, same:   $(latency "$base?q=model-09")"
