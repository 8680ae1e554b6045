#!/usr/bin/env bash
# Benchmark (not a test): reading a floated file through `modelfloat-cli mount` (docs/mount.md)
# against `modelfloat-cli restore` of the same file from the same two local-folder providers.
# Prints: the sequential read rate through the mount (cold chunk cache, dd) and its ratio to the
# restore's; sha256sum through the mount (checked against the file's; it competes with the
# mount's own hashing for the CPU); the time to first byte and p50/p99 of 4 KiB random reads,
# each with a cold and a warm chunk cache (a fresh mount each time, so the kernel's page cache
# of the mount holds nothing); and the mount process's peak RSS. Needs FUSE (/dev/fuse; root
# or fusermount3).
#
#   bench/mount_read.sh [MiB] [READS]   default: 1024 MiB, 2000 random reads per pass
#   CLI=path/to/modelfloat-cli bench/mount_read.sh
#
# The vault and its providers live in a temporary folder under /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
mib="${1:-1024}"
reads="${2:-2000}"
work="$(mktemp -d /var/tmp/modelfloat-mountbench.XXXXXX)"
mnt="$work/mnt"
mounter=""
unmount() {
    if [ -n "$mounter" ]; then
        "$cli" unmount "$mnt" >/dev/null 2>&1 || true
        wait "$mounter" 2>/dev/null || true
        mounter=""
    fi
}
cleanup() {
    unmount
    rm -rf "$work"
}
trap cleanup EXIT
export MODELFLOAT_VAULT="$work/vault" HOME="$work/home" XDG_DATA_HOME="$work/home/data"
mkdir -p "$HOME" "$mnt"
rate() { python3 -c "print(f'{$1/1048576/$2:.0f} MiB/s')"; }
now() { date +%s.%N; }
mount_it() {
    "$cli" mount "$mnt" >"$work/mount.out" 2>&1 &
    mounter=$!
    for _ in $(seq 300); do grep -q Mounted "$work/mount.out" && break; sleep 0.1; done
    grep -q Mounted "$work/mount.out" || { cat "$work/mount.out"; exit 1; }
}

"$cli" init --quiet >/dev/null
"$cli" config credentials plaintext --i-understand-plaintext --quiet >/dev/null 2>&1
"$cli" provider add local second "$work/second" --quiet >/dev/null
"$cli" config read-cache "$((mib * 2))M" --quiet >/dev/null
head -c "$((mib * 1048576))" /dev/urandom >"$work/model.bin"
"$cli" float "$work/model.bin" --replicas 2 --quiet --no-sync
bytes=$(stat -c %s "$work/model.bin")
sum=$(sha256sum "$work/model.bin" | cut -c1-64)

t0=$(now); "$cli" restore model --to "$work/restored" --quiet --no-sync; t1=$(now)
restore_s=$(echo "$t1 - $t0" | bc)
rm -rf "$work/restored"
echo "modelfloat-cli restore:           $(rate "$bytes" "$restore_s")"

first_byte() {
    python3 - "$mnt/model/model.bin" <<'PY'
import sys, time
t = time.perf_counter()
with open(sys.argv[1], 'rb', buffering=0) as f:
    f.read(1)
print(f"{(time.perf_counter() - t) * 1000:.1f} ms")
PY
}
mount_it
echo "time to first byte (cold):        $(first_byte)"
unmount
mount_it # the first chunk is in the chunk cache now; a fresh mount, so not in the page cache
echo "time to first byte (warm):        $(first_byte)"
unmount
rm -rf "$work/vault/chunk-cache"
mount_it
t0=$(now); dd if="$mnt/model/model.bin" of=/dev/null bs=1M status=none; t1=$(now)
mount_s=$(echo "$t1 - $t0" | bc)
echo "sequential read through the mount: $(rate "$bytes" "$mount_s") (cold chunk cache, dd bs=1M)"
echo "  rate, mount / restore:          $(python3 -c "print(f'{$restore_s/$mount_s:.2f}')")"
echo "mount peak RSS:                   $(grep VmHWM /proc/$mounter/status | awk '{print $2}') KiB"
unmount
rm -rf "$work/vault/chunk-cache"
mount_it
t0=$(now); got=$(sha256sum "$mnt/model/model.bin" | cut -c1-64); t1=$(now)
[ "$got" = "$sum" ] || { echo "WRONG BYTES through the mount"; exit 1; }
echo "sha256sum through the mount:      $(rate "$bytes" "$(echo "$t1 - $t0" | bc)") (cold chunk cache; the sum is right)"
unmount

random_reads() {
    python3 - "$mnt/model/model.bin" "$reads" "$bytes" <<'PY'
import os, random, sys, time
path, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(4096)
fd = os.open(path, os.O_RDONLY)
times = []
for _ in range(n):
    off = rng.randrange(0, size - 4096)
    t = time.perf_counter()
    os.pread(fd, 4096, off)
    times.append(time.perf_counter() - t)
os.close(fd)
times.sort()
print(f"p50 {times[len(times)//2]*1000:.2f} ms, p99 {times[int(len(times)*0.99)]*1000:.2f} ms")
PY
}
rm -rf "$work/vault/chunk-cache"
mount_it
echo "4 KiB random reads, cold cache:   $(random_reads)"
unmount
mount_it # every chunk of those reads is in the chunk cache now; the page cache is empty
echo "4 KiB random reads, warm cache:   $(random_reads)"
echo "mount peak RSS:                   $(grep VmHWM /proc/$mounter/status | awk '{print $2}') KiB"
