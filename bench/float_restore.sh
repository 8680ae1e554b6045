#!/usr/bin/env bash
# Benchmark (not a test): float and restore throughput and memory of the local vault, measured
# against `openssl dgst -sha256` of the same cached file in the same run.
#
#   bench/float_restore.sh [SIZE_GIB ...]      default: 2 4
#
# Prints, per size: wall time, MB/s, peak RSS, and each wall time over the hashing time; then
# the dedup figure: re-floating the file with 1 KiB inserted at offset 100.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
[ -x build/app/modelfloat-cli ] || ./scripts/build.sh default >/dev/null
cli="$PWD/build/app/modelfloat-cli"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2 4)

work="${BENCH_DIR:-$(mktemp -d /var/tmp/modelfloat-bench.XXXXXX)}"
trap 'rm -rf "$work"' EXIT
measure() { # label, command... -> "seconds peak_kib"
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
        cat "$work/stderr.txt"; exit 1; }
    cat "$work/time.txt"
}

printf "%-8s %-8s %9s %10s %12s %10s\n" "size" "step" "wall s" "MB/s" "peak RSS" "x sha256"
for gib in "${sizes[@]}"; do
    file="$work/model-${gib}g.bin"
    head -c "${gib}G" /dev/urandom > "$file"
    sync                                  # the generated file's write-back is not ours to time
    cat "$file" > /dev/null               # into the page cache, as for the hashing baseline
    bytes=$(stat -c %s "$file")
    read -r hash_s _ <<<"$(measure openssl dgst -sha256 "$file")"
    vault="$work/vault-$gib"
    read -r float_s float_kib <<<"$(measure "$cli" float "$file" --vault "$vault" --name m --quiet)"
    sync
    read -r rest_s rest_kib <<<"$(measure "$cli" restore m --vault "$vault" --to "$work/out-$gib" --quiet)"
    cmp -s "$file" "$work/out-$gib/model-${gib}g.bin" || { echo "restore differs!"; exit 1; }
    for row in "sha256 $hash_s 0" "float $float_s $float_kib" "restore $rest_s $rest_kib"; do
        read -r step s kib <<<"$row"
        awk -v g="${gib}GiB" -v st="$step" -v s="$s" -v b="$bytes" -v k="$kib" -v h="$hash_s" \
            'BEGIN { printf "%-8s %-8s %9.2f %10.0f %9.1f MiB %9.2fx\n", g, st, s, b / s / 1e6, k / 1024, s / h }'
    done
    rm -rf "$work/out-$gib"

    if [ "$gib" = "${sizes[0]}" ]; then
        # Dedup: the same file with 1 KiB inserted at offset 100, floated as a new model.
        shifted="$work/shifted.bin"
        { head -c 100 "$file"; head -c 1024 /dev/urandom; tail -c +101 "$file"; } > "$shifted"
        "$cli" float "$shifted" --vault "$vault" --name shifted --json --quiet > "$work/shift.json"
        sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes_sent"])' "$work/shift.json")
        echo "dedup: re-floating with 1 KiB inserted at offset 100 stored $sent new bytes of $((bytes + 1024))" \
             "($(awk -v s="$sent" -v b="$bytes" 'BEGIN { printf "%.2f", 100 * s / (b + 1024) }')%)"
        rm -f "$shifted"
    fi
    rm -rf "$vault" "$file"
done
