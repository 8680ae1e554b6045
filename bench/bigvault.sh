#!/usr/bin/env bash
# Benchmark (not a test): the CLI's everyday commands on a big vault. bench/bigvault_gen.py fills
# the registry with MODELS models of CHUNKS chunks each (default 10,000 x 100: 1,000,000 chunks,
# 2,000,000 placements on two local-folder providers), without uploading them; then each command
# is timed (wall, peak RSS), and a float of FLOAT_MIB MiB is timed here and in an empty vault:
# FLOATS times in each, taking turns (default 5; the median of each is printed).
#
#   bench/bigvault.sh [MODELS] [CHUNKS] [FLOAT_MIB]      default: 10000 100 256
#   CLI=path/to/modelfloat-cli bench/bigvault.sh
#
# Everything lives in a new folder under /var/tmp, removed at the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
models="${1:-10000}"
chunks="${2:-100}"
float_mib="${3:-256}"
work="$(mktemp -d /var/tmp/modelfloat-bigvault.XXXXXX)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/home/data"
mkdir -p "$HOME"

vault() { # NAME: a vault with two local-folder providers
    export MODELFLOAT_VAULT="$work/$1"
    "$cli" init --quiet
    "$cli" provider add local second "$work/$1-second" --quiet
}
timed() { # LABEL COMMAND...: one line, wall time and peak RSS
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    read -r secs kib <"$work/time"
    printf '%-46s %8.0f ms %8.1f MiB\n' "$label" "$(echo "$secs * 1000" | bc)" \
        "$(echo "$kib / 1024" | bc -l)"
}

head -c "$((float_mib * 1048576))" /dev/urandom >"$work/new.bin"
vault empty

vault big
t0=$(date +%s.%N)
python3 bench/bigvault_gen.py "$MODELFLOAT_VAULT/registry.sqlite" "$models" "$chunks"
t1=$(date +%s.%N)
placements=$((models * chunks * 2))
size=$(stat -c %s "$MODELFLOAT_VAULT/registry.sqlite")
echo "generated $models models, $((models * chunks)) chunks, $placements placements in" \
    "$(printf '%.0f' "$(echo "$t1 - $t0" | bc)") s"
echo "registry: $((size / 1048576)) MiB, $((size / placements)) bytes per placement"
# The first read after the generation finds little of the registry in the page cache.
timed "list" "$cli" list
timed "list, again" "$cli" list
timed "list --json" "$cli" list --json
middle=$(printf 'model-%05d' $((models / 2)))
timed "info $middle" "$cli" info "$middle"
timed "stats" "$cli" stats
# The floats take turns between the two vaults, so that a slower minute of the machine weighs on
# both alike; each is removed again, so that every run floats the same new file.
floats="${FLOATS:-5}"
for i in $(seq "$floats"); do
    for v in empty big; do
        MODELFLOAT_VAULT="$work/$v" /usr/bin/time -f "%e %M" -o "$work/time" \
            "$cli" float "$work/new.bin" --no-sync --name "new-$i" --quiet >/dev/null
        cat "$work/time" >>"$work/floats-$v"
        MODELFLOAT_VAULT="$work/$v" "$cli" rm "new-$i" --quiet >/dev/null
    done
done
for v in empty big; do
    sort -n "$work/floats-$v" | awk -v label="float ${float_mib} MiB, $v vault (median of $floats)" \
        '{s[NR]=$1; m[NR]=$2} END {i=int((NR+1)/2); printf "%-46s %8.0f ms %8.1f MiB\n", label, s[i]*1000, m[i]/1024}'
done
timed "rm model-00001" "$cli" rm model-00001
