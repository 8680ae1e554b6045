#!/usr/bin/env bash
# Runs the test suite while the machine is saturated, to find tests whose outcome depends on
# timing rather than on the product: ./scripts/test-under-load.sh [preset] [rounds]
# (default: the ci preset, 3 rounds). stress-ng keeps every core and the disk busy beside
# `ctest -j 2`; each round's failures are listed, and the script exits 1 if any round failed.
# The preset must have been built (./scripts/build.sh PRESET); asan runs with the same options
# as scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-ci}"
rounds="${2:-3}"

if ! command -v stress-ng >/dev/null; then
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends stress-ng >/dev/null ||
        { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends stress-ng >/dev/null; }
fi

export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"
if [ "$preset" = asan ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
fi

# The load: twice as many CPU hogs as cores, and two workers syncing writes to the disk. Its
# scratch files go to a folder of their own, removed with it.
scratch=$(mktemp -d)
stress-ng --cpu "$(($(nproc) * 2))" --io 2 --temp-path "$scratch" --timeout 0 --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null; wait "$stress" 2>/dev/null; rm -rf "$scratch"' EXIT

failed=0
for round in $(seq "$rounds"); do
    echo "== Round $round of $rounds ($preset, under load)"
    log=$(mktemp)
    if ./scripts/with-keyring.sh ctest --preset "$preset" -j 2 >"$log" 2>&1; then
        tail -n 3 "$log"
    else
        failed=1
        grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)' "$log" || true
        tail -n 3 "$log"
        # Kept in a build folder, which git ignores.
        mkdir -p build-under-load
        cp "$log" "build-under-load/$preset-round$round.log"
        echo "   (whole output: build-under-load/$preset-round$round.log)"
    fi
    rm -f "$log"
done
exit "$failed"
