#!/usr/bin/env bash
# Benchmark (not a test): pulling a floated GGUF through the local API's registry endpoint
# (docs/api.md, "Ollama and other registry clients") with skopeo, which checks the blob against
# its digest as Ollama does, against `modelfloat-cli restore` of the same file from the same two
# local-folder providers. Both write the file to disk; both verify every byte.
#
#   bench/registry_pull.sh [MiB]          default: 1024
#   CLI=path/to/modelfloat-cli bench/registry_pull.sh
#
# The vault and its providers live in a temporary folder under /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
command -v skopeo >/dev/null || { echo "needs skopeo (scripts/install-deps.sh)"; exit 1; }
mib="${1:-1024}"
work="$(mktemp -d /var/tmp/modelfloat-pullbench.XXXXXX)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export MODELFLOAT_VAULT="$work/vault" HOME="$work/home" XDG_DATA_HOME="$work/home/data"
mkdir -p "$HOME" "$work/model"
rate() { python3 -c "print(f'{$1/1048576/$2:.0f} MiB/s')"; }
now() { date +%s.%N; }

"$cli" init --quiet >/dev/null
"$cli" config credentials plaintext --i-understand-plaintext --quiet >/dev/null 2>&1
"$cli" provider add local second "$work/second" --quiet >/dev/null
# A GGUF's name is what makes a file an image; its bytes need not parse for a pull.
head -c "$((mib * 1048576))" /dev/urandom >"$work/model/model.gguf"
"$cli" float "$work/model" --name model --replicas 2 --quiet --no-sync
bytes=$(stat -c %s "$work/model/model.gguf")
sum=$(sha256sum "$work/model/model.gguf" | cut -c1-64)
rm -rf "$work/model"
token=$("$cli" serve --print-token)
port=$((20000 + RANDOM % 20000))
"$cli" serve --port "$port" --no-background-sync >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q Serving "$work/serve.out" && break; sleep 0.1; done

sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
t0=$(now); "$cli" restore model --to "$work/restored" --quiet; t1=$(now)
restore_s=$(echo "$t1 - $t0" | bc)
rm -rf "$work/restored"

sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
t0=$(now)
skopeo --insecure-policy copy --quiet --src-tls-verify=false --src-registry-token "$token" \
    "docker://127.0.0.1:$port/library/model:latest" "dir:$work/pulled"
sync; t1=$(now)
pull_s=$(echo "$t1 - $t0" | bc)
[ "$(sha256sum "$work/pulled/$sum" | cut -c1-64)" = "$sum" ] || { echo "pulled bytes differ!"; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "restore (${mib} MiB, cold cache):      $(rate "$bytes" "$restore_s")  ($restore_s s)"
echo "registry pull with skopeo:         $(rate "$bytes" "$pull_s")  ($pull_s s)"
python3 -c "print(f'pull over restore: {$restore_s/$pull_s:.2f}x the rate')"
