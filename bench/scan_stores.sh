#!/usr/bin/env bash
# Benchmark (not a test): `modelfloat-cli scan` of app stores holding many models, laid out by
# `modelfloat-cli use` (Ollama, LM Studio and a Hugging Face cache, each model in all three as
# hard links to one copy). Prints the time of a scan (layouts and digests as the apps recorded
# them) and of `scan --verify` (every file read and hashed once per distinct copy).
#
#   bench/scan_stores.sh [MODELS] [MiB]   default: 50 models of 16 MiB
#   CLI=path/to/modelfloat-cli bench/scan_stores.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
models="${1:-50}"
mib="${2:-16}"
work="$(mktemp -d /var/tmp/modelfloat-scanbench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export MODELFLOAT_VAULT="$work/vault" HOME="$work/home" XDG_DATA_HOME="$work/home/data"
mkdir -p "$HOME"
"$cli" init --quiet >/dev/null
for i in $(seq "$models"); do
    mkdir -p "$work/in/m$i"
    head -c "$((mib * 1048576))" /dev/urandom >"$work/in/m$i/m$i.gguf"
    "$cli" float "$work/in/m$i" --name "m$i" --quiet --no-sync >/dev/null 2>&1
    rm -rf "$work/in/m$i"
    for app in ollama lmstudio hf-cache; do
        "$cli" use "m$i" --in "$app" --root "$work/$app" --quiet >/dev/null
    done
done
roots=(--ollama "$work/ollama" --lmstudio "$work/lmstudio" --hf-cache "$work/hf-cache")
now() { date +%s.%N; }
t0=$(now); "$cli" scan "${roots[@]}" --json >"$work/scan.json"; t1=$(now)
found=$(python3 -c "import json,sys; d=json.load(open('$work/scan.json')); print(len(d.get('models', [])))")
sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches
t2=$(now); "$cli" scan "${roots[@]}" --verify --json >/dev/null; t3=$(now)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "stores: $models models of $mib MiB, each in Ollama, LM Studio and the HF cache"
echo "scan:           $(echo "$t1 - $t0" | bc) s ($found models listed)"
echo "scan --verify:  $(echo "$t3 - $t2" | bc) s (cold page cache)"
