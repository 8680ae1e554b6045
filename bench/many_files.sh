#!/usr/bin/env bash
# Benchmark (not a test): floating and restoring models of many small files, with every object
# and restored file flushed to disk (the default) and in the fast mode (--no-sync), where
# flushing is left to the kernel. Many small files are where flushing costs the most: each
# object and each restored file is one fdatasync, and each object's folder one fsync more.
#
#   bench/many_files.sh [COUNT ...]            default: 1000 10000 (files of FILE_KIB KiB)
#   RUNS=3 FILE_KIB=16 bench/many_files.sh     repetitions (median shown), file size
#   CLI=path/to/modelfloat-cli bench/many_files.sh
#   CLI2=path/to/other/modelfloat-cli ...      also measure another build, as "other"
#
# The modes take turns within each repetition, so that a machine whose load changes treats
# them alike. A build without --no-sync (older ModelFloat never flushed) is measured once per
# repetition, as "no flush". The vault and files live in $BENCH_DIR (default: a new folder
# under /var/tmp, on disk).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
runs="${RUNS:-3}"
kib="${FILE_KIB:-16}"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000)

work="${BENCH_DIR:-$(mktemp -d /var/tmp/modelfloat-manyfiles.XXXXXX)}"
trap 'rm -rf "$work"' EXIT

# "label|program|flag" for each mode measured.
modes=()
add_modes() {
    local program="$1" prefix="$2"
    if "$program" float --help | grep -q -- --no-sync; then
        modes+=("${prefix}flush|$program|" "${prefix}fast|$program|--no-sync")
    else
        modes+=("${prefix}no flush|$program|")
    fi
}
add_modes "$cli" ""
[ -z "${CLI2:-}" ] || add_modes "$CLI2" "other "

# Runs a command once after a sync and prints its wall seconds and peak RSS (KiB).
timed() {
    sync    # earlier steps' write-back is not this step's to pay for
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || {
        cat "$work/stderr.txt" >&2; exit 1; }
    cat "$work/time.txt"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
peak() { awk '$2 > m { m = $2 } END { printf "%.1f", m / 1024 }'; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-7s %-14s %-8s %9s %10s %9s\n" "files" "mode" "step" "wall s" "files/s" "peak MiB"
for n in "${counts[@]}"; do
    src="$work/model-$n"
    rm -rf "$src" && mkdir -p "$src"
    head -c "$((n * kib * 1024))" /dev/urandom | split -b "${kib}K" -a 6 -d - "$src/f"
    rm -f "$work"/times-*
    for _ in $(seq "$runs"); do
        for i in "${!modes[@]}"; do
            IFS='|' read -r _ program flag <<<"${modes[$i]}"
            vault="$work/vault" out="$work/out"
            rm -rf "$vault" "$out"
            # Builds that make a vault only when asked need `init`; older ones have none.
            "$program" init --vault "$vault" >/dev/null 2>&1 || true
            # shellcheck disable=SC2086 # $flag is one word or none
            timed "$program" float "$src" --vault "$vault" --name m --quiet $flag >> "$work/times-$i-float"
            # shellcheck disable=SC2086
            timed "$program" restore m --vault "$vault" --to "$out" --quiet $flag >> "$work/times-$i-restore"
            diff -rq "$src" "$out" >/dev/null || { echo "restore differs!"; exit 1; }
        done
    done
    for i in "${!modes[@]}"; do
        IFS='|' read -r label _ _ <<<"${modes[$i]}"
        for step in float restore; do
            s=$(median < "$work/times-$i-$step")
            rss=$(peak < "$work/times-$i-$step")
            awk -v n="$n" -v m="$label" -v st="$step" -v s="$s" -v r="$rss" \
                'BEGIN { printf "%-7s %-14s %-8s %9.2f %10.0f %9s\n", n, m, st, s, n / s, r }'
        done
    done
    rm -rf "$src" "$work/vault" "$work/out"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
