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
# Restore is also paired with what the disk allows, from a cold page cache, taking turns in the
# same run: `cat` of the vault's objects into one file plus `sync` ("cat+sync"), and the same
# objects read through the page cache and written with O_DIRECT in 4 MiB blocks, as restore
# writes ("cat|dd-direct": restore's own I/O without its hashing). The lines after the table give
# restore's time over each. Dropping the cache needs root;
# without it the pair is measured warm and says so. bench/compare_builds.sh pairs two builds.
# The vault and files live in $BENCH_DIR (default: a new folder under /var/tmp, on disk).
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
fast=""
"$cli" float --help | grep -q -- --no-sync && fast="--no-sync"
runs="${RUNS:-3}"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2 4)

work="${BENCH_DIR:-$(mktemp -d /var/tmp/modelfloat-bench.XXXXXX)}"
trap 'rm -rf "$work"' EXIT

source bench/timing.sh

# Restore, `cat` of its objects + `sync`, and `cat | dd oflag=direct`, taking turns (A, B, C, A,
# B, C, ...) from a cold cache; prints the medians "restore_s restore_kib cat_s direct_s".
measure_restore_pair() {
    local vault="$1" out="$2" objects="$3"
    : > "$work/rtimes.txt"; : > "$work/ctimes.txt"; : > "$work/dtimes.txt"
    for _ in $(seq "$runs"); do
        rm -rf "$out"; drop_caches
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$cli" restore m --vault "$vault" --to "$out" \
            --quiet >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt"; exit 1; }
        cat "$work/time.txt" >> "$work/rtimes.txt"
        rm -f "$work/cat.bin"; drop_caches
        /usr/bin/time -f "%e 0" -o "$work/time.txt" \
            sh -c "xargs -0 cat < '$objects' > '$work/cat.bin' && sync"
        cat "$work/time.txt" >> "$work/ctimes.txt"
        rm -f "$work/cat.bin"; drop_caches
        /usr/bin/time -f "%e 0" -o "$work/time.txt" \
            sh -c "xargs -0 cat < '$objects' | dd of='$work/cat.bin' bs=4M iflag=fullblock oflag=direct status=none"
        cat "$work/time.txt" >> "$work/dtimes.txt"
    done
    rm -f "$work/cat.bin"
    local median='{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
    echo "$(sort -n "$work/rtimes.txt" | awk "$median") $(sort -n "$work/ctimes.txt" | awk "$median" | cut -d' ' -f1) $(sort -n "$work/dtimes.txt" | awk "$median" | cut -d' ' -f1)"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
$cold || echo "not root: the page cache cannot be dropped; restore and cat+sync run warm"
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
    # The model's objects (its chunks), as the local-folder provider keeps them.
    find "$vault" -path '*/.tmp' -prune -o -type f -name 'bafkrei*' -print0 > "$work/objects.txt"
    read -r rest_s rest_kib cat_s direct_s <<<"$(measure_restore_pair "$vault" "$out" "$work/objects.txt")"
    cmp -s "$file" "$out/model-${gib}g.bin" || { echo "restore differs!"; exit 1; }
    rows=("sha256 $hash_s 0" "cp+sync $copy_s 0" "float $float_s $float_kib" "restore $rest_s $rest_kib"
          "cat+sync $cat_s 0" "dd-direct $direct_s 0")
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
    awk -v r="$rest_s" -v c="$cat_s" -v w="$($cold && echo cold || echo warm)" \
        'BEGIN { printf "restore over cat+sync of its objects (%s cache, same run): %.2fx\n", w, r / c }'
    awk -v r="$rest_s" -v d="$direct_s" -v w="$($cold && echo cold || echo warm)" \
        'BEGIN { printf "restore over cat|dd-direct of its objects, restore'"'"'s own I/O unhashed (%s cache, same run): %.2fx\n", w, r / d }'
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
