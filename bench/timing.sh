# Sourced by the benchmarks that time a step several times, from the project's root, once
# `work` (a folder for their scratch files) and `runs` (repetitions per step) are set:
#   measure PREPARE CMD...   runs CMD `runs` times, PREPARE (evaluated) before each, and prints
#                            the median "seconds peak_kib"
#   drop_caches              empties the page cache (root only; `cold` says whether it can),
#                            so that a step reads from the disk as a first read would
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }

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

cold=false
if [ -w /proc/sys/vm/drop_caches ]; then cold=true; fi
drop_caches() {
    sync
    if $cold; then echo 3 > /proc/sys/vm/drop_caches; fi
}
