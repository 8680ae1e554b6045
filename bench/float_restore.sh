#!/usr/bin/env bash
# Benchmark (not a test): float and restore throughput and memory of the local vault, measured
# against `openssl dgst -sha256` of the same cached file in the same run.
#
#   bench/float_restore.sh [SIZE_GIB ...]      default: 2 4
#   RUNS=5 bench/float_restore.sh 2            repetitions per step (default 3; the median is shown)
#   CLI=path/to/modelfloat-cli bench/float_restore.sh
#
# Per size: wall time, MB/s, peak RSS and each wall time over the hashing time; then the dedup
# figure for the first size: re-floating the file with 1 KiB inserted at offset 100. Float and
# restore flush what they write (the default); where the build has --no-sync, they are measured
# in that fast mode too ("float-f", "restore-f").
# The vault and files live in $BENCH_DIR (default: a new folder under /var/tmp, on disk).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
fast=""
"$cli" float --help | grep -q -- --no-sync && fast="--no-sync"
runs="${RUNS:-3}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2 4)

work="${BENCH_DIR:-$(mktemp -d /var/tmp/modelfloat-bench.XXXXXX)}"
trap 'rm -rf "$work"' EXIT

# Runs a command `runs` times (running `prepare` before each) and prints the median
# "seconds peak_kib" of the runs.
measure() {
    local prepare="$1"; shift
    : > "$work/times.txt"
    for _ in $(seq "$runs"); do
        eval "$prepare"
        sync    # earlier steps' write-back is not this step's to pay for
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
            cat "$work/stderr.txt"; exit 1; }
        cat "$work/time.txt" >> "$work/times.txt"
    done
    sort -n "$work/times.txt" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %-9s %9s %10s %12s %10s\n" "size" "step" "wall s" "MB/s" "peak RSS" "x sha256"
for gib in "${sizes[@]}"; do
    file="$work/model-${gib}g.bin"
    vault="$work/vault-$gib"
    out="$work/out-$gib"
    head -c "${gib}G" /dev/urandom > "$file"
    cat "$file" > /dev/null               # into the page cache, as for the hashing baseline
    bytes=$(stat -c %s "$file")
    read -r hash_s _ <<<"$(measure : openssl dgst -sha256 "$file")"
    # A second reference for restore, which must put every byte on disk: copying the cached
    # file and syncing it.
    read -r copy_s _ <<<"$(measure "rm -f '$work/copy.bin'" sh -c "cp '$file' '$work/copy.bin' && sync")"
    rm -f "$work/copy.bin"
    read -r float_s float_kib <<<"$(measure "rm -rf '$vault' && '$cli' init --vault '$vault' >/dev/null" "$cli" float "$file" --vault "$vault" --name m --quiet)"
    read -r rest_s rest_kib <<<"$(measure "rm -rf '$out'" "$cli" restore m --vault "$vault" --to "$out" --quiet)"
    cmp -s "$file" "$out/model-${gib}g.bin" || { echo "restore differs!"; exit 1; }
    rows=("sha256 $hash_s 0" "cp+sync $copy_s 0" "float $float_s $float_kib" "restore $rest_s $rest_kib")
    if [ -n "$fast" ]; then
        read -r ffloat_s ffloat_kib <<<"$(measure "rm -rf '$vault' && '$cli' init --vault '$vault' >/dev/null" "$cli" float "$file" --vault "$vault" --name m --quiet $fast)"
        read -r frest_s frest_kib <<<"$(measure "rm -rf '$out'" "$cli" restore m --vault "$vault" --to "$out" --quiet $fast)"
        cmp -s "$file" "$out/model-${gib}g.bin" || { echo "restore differs!"; exit 1; }
        rows+=("float-f $ffloat_s $ffloat_kib" "restore-f $frest_s $frest_kib")
    fi
    for row in "${rows[@]}"; do
        read -r step s kib <<<"$row"
        awk -v g="${gib}GiB" -v st="$step" -v s="$s" -v b="$bytes" -v k="$kib" -v h="$hash_s" \
            'BEGIN { printf "%-8s %-9s %9.2f %10.0f %9.1f MiB %9.2fx\n", g, st, s, b / s / 1e6, k / 1024, s / h }'
    done
    rm -rf "$out"

    if [ "$gib" = "${sizes[0]}" ]; then
        # Dedup: the same file with 1 KiB inserted at offset 100, floated as a new model.
        shifted="$work/shifted.bin"
        { head -c 100 "$file"; head -c 1024 /dev/urandom; tail -c +101 "$file"; } > "$shifted"
        "$cli" float "$shifted" --vault "$vault" --name shifted --json --quiet > "$work/shift.json"
        sent=$(sed -n 's/.*"bytes_sent": *\([0-9]*\).*/\1/p' "$work/shift.json")
        echo "dedup: re-floating with 1 KiB inserted at offset 100 stored $sent new bytes of $((bytes + 1024))" \
             "($(awk -v s="$sent" -v b="$bytes" 'BEGIN { printf "%.2f", 100 * s / (b + 1024) }')%)"
        rm -f "$shifted"
    fi
    rm -rf "$vault" "$file"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
