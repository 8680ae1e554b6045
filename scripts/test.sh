#!/usr/bin/env bash
# Checks the code's shape (scripts/check-structure.py), sets up everything, builds, and runs every
# test: first the normal build, then its Debian package (scripts/package-check.sh), then the same
# suite under AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."

# The code's shape first, in a second: includes point down the layers, no file over 800 lines
# (docs/architecture.md).
echo "== Structure: layers and file lengths"
./scripts/check-structure.py

./scripts/install-deps.sh
./scripts/install-peers.sh

export QT_QPA_PLATFORM=offscreen
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
chmod 700 "$XDG_RUNTIME_DIR"

# Runs one preset's suites. When one fails, its failure messages are printed once more at the end:
# a log shown cut in the middle (as a CI page shows it) still ends with why it failed.
run_suites() {
    local preset=$1 builddir=$2
    # Every vault keeps its catalog key in the keychain: the suites run in a private D-Bus session
    # with gnome-keyring, as on a desktop (scripts/with-keyring.sh).
    ./scripts/with-keyring.sh ctest --preset "$preset" -j 2 && return 0
    echo "== What failed ($preset), again"
    grep -h -A 12 -E '^(FAIL!|QFATAL)|ERROR: (Address|Leak)Sanitizer|runtime error:' \
        "$builddir/Testing/Temporary/LastTest.log" | cut -c 1-400 | head -n 60 || true
    return 1
}

preset=default
[ "${CI:-}" = "true" ] && preset=ci   # warnings are errors in CI

builddir=build
[ "$preset" = ci ] && builddir=build-ci

echo "== Build ($preset) and test"
./scripts/build.sh "$preset"
run_suites "$preset" "$builddir"

echo "== The Debian package: lintian, then installed and used on a clean Debian 12"
./scripts/package-check.sh "$builddir"
# A CI machine's disk may be nearly full: a clone's builds are thrown away after the run, so each
# one goes as soon as its stage has passed (a developer's own build folders stay).
if [ "${CI:-}" = "true" ]; then rm -rf "$builddir"; fi

echo "== Build (asan) and test under ASan + UBSan"
./scripts/build.sh asan
# Leaks inside third-party libraries are suppressed by tests/lsan.supp (each entry says why);
# ours still fail, which the lsan_canary test checks.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
    run_suites asan build-asan
if [ "${CI:-}" = "true" ]; then rm -rf build-asan; fi

echo "== Fuzz the GGUF and safetensors header readers (libFuzzer, 20 s per target)"
./scripts/fuzz.sh 20
