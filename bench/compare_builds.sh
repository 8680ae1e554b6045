#!/usr/bin/env bash
# Benchmark (not a test): two builds of modelfloat-cli taking turns on the same file, so that a
# change's effect is measured on this shared machine at the same load, not on two different days.
#
#   bench/compare_builds.sh CLI_A CLI_B [SIZE_GIB]     default size: 2; RUNS=n (default 3)
#
# Each round runs, in turn: `openssl dgst -sha256` of the cached file, float with A, float with B
# (each into a fresh vault), then from a cold page cache (root: drop_caches) restore with A,
# restore with B and `cat` of the objects into one file + `sync`. A and B take turns going first
# from one round to the next: on the project's VM the second restore of a round was the slow
# one, whichever build it was (2.3 s against 3.1 s). Prints the median of each and the ratios
# the README gives: float over openssl, restore over cat+sync.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
a="$(realpath "$1")"; b="$(realpath "$2")"; gib="${3:-2}"; runs="${RUNS:-3}"
work="${BENCH_DIR:-$(mktemp -d /var/tmp/modelfloat-ab.XXXXXX)}"
trap 'rm -rf "$work"' EXIT
cold=false
[ -w /proc/sys/vm/drop_caches ] && cold=true
drop_caches() { sync; if $cold; then echo 3 > /proc/sys/vm/drop_caches; fi; }
# Times one command into $work/<name>.txt (seconds per line).
timed() {
    local name="$1"; shift
    /usr/bin/time -f "%e" -o "$work/t.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
        cat "$work/stderr.txt"; exit 1; }
    cat "$work/t.txt" >> "$work/$name.txt"
}
median() { sort -n "$work/$1.txt" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }

file="$work/model.bin"
head -c "${gib}G" /dev/urandom > "$file"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
$cold || echo "not root: restores and cat+sync run warm"
for round in $(seq "$runs"); do
    order="a b"; [ $((round % 2)) -eq 0 ] && order="b a"
    cat "$file" > /dev/null
    timed sha openssl dgst -sha256 "$file"
    for x in $order; do
        cli="$a"; [ $x = b ] && cli="$b"
        rm -rf "$work/vault-$x"; "$cli" init --vault "$work/vault-$x" >/dev/null; sync
        timed "float-$x" "$cli" float "$file" --vault "$work/vault-$x" --name m --quiet
    done
    for x in $order; do
        cli="$a"; [ $x = b ] && cli="$b"
        rm -rf "$work/out"; drop_caches
        timed "restore-$x" "$cli" restore m --vault "$work/vault-$x" --to "$work/out" --quiet
        cmp -s "$file" "$work/out/model.bin" || { echo "restore with $cli differs!"; exit 1; }
    done
    rm -rf "$work/out"
    find "$work/vault-a" -path '*/.tmp' -prune -o -type f -name 'bafkrei*' -print0 > "$work/objects"
    rm -f "$work/cat.bin"; drop_caches
    timed cat sh -c "xargs -0 cat < '$work/objects' > '$work/cat.bin' && sync"
    rm -f "$work/cat.bin"
done
for name in sha float-a float-b restore-a restore-b cat; do
    echo "  runs, $name: $(tr '\n' ' ' < "$work/$name.txt")"
done
sha=$(median sha); cat_s=$(median cat)
echo "${gib} GiB, median of $runs: openssl dgst -sha256 ${sha} s, cat+sync of the objects ${cat_s} s"
for x in a b; do
    cli="$a"; [ $x = b ] && cli="$b"
    awk -v n="$x: $cli" -v f="$(median "float-$x")" -v r="$(median "restore-$x")" -v h="$sha" -v c="$cat_s" \
        'BEGIN { printf "%s\n   float %.2f s (%.2fx openssl)   restore %.2f s (%.2fx cat+sync)\n", n, f, f / h, r, r / c }'
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
