#!/usr/bin/env bash
# Configures and builds one CMake preset (default: "default"): ./scripts/build.sh [preset]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
# With ccache (scripts/install-deps.sh installs it), building another clone of the same sources
# on this machine, as CI does, compiles only what differs: paths are taken relative to the clone
# (CCACHE_BASEDIR), so every clone shares one cache. A build folder keeps the launcher it was
# first configured with.
if command -v ccache >/dev/null; then
    export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
    export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
fi
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
