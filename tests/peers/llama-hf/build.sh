#!/usr/bin/env bash
# Builds hf-pull (hf-pull.cpp): a few lines that call llama.cpp's own -hf download code in the
# libllama-common.so of node-llama-cpp's prebuilt Linux binary. The headers come from the
# llama.cpp source node-llama-cpp ships as a git bundle (llama/gitRelease.bundle: the release
# its binaries were built from), so the calls match the library. Offline; run by
# scripts/install-peers.sh after the npm peers are installed. Output:
# tests/peers/node_modules/.modelfloat-bin/hf-pull (skipped when already built from these).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
modules="$here/../node_modules"
bundle="$modules/node-llama-cpp/llama/gitRelease.bundle"
bins="$modules/@node-llama-cpp/linux-x64/bins/linux-x64"
out="$modules/.modelfloat-bin"
if [ ! -f "$bundle" ] || [ ! -f "$bins/libllama-common.so" ]; then
    echo "llama-hf: node-llama-cpp's bundle or its linux-x64 binary is missing; skipped" >&2
    exit 0
fi
want=$(cat "$here/hf-pull.cpp" "$here/build.sh" | sha256sum | cut -d' ' -f1)-$(sha256sum "$bundle" | cut -c1-16)
if [ -x "$out/hf-pull" ] && [ "$(cat "$out/hf-pull.stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
src="$modules/.modelfloat-llama-src"
rm -rf "$src"
git clone --quiet "$bundle" "$src" 2>/dev/null
mkdir -p "$out"
echo "Building tests/peers/llama-hf/hf-pull against node-llama-cpp's llama.cpp"
c++ -std=c++17 -O1 -I"$src/common" -I"$src/include" -I"$src/ggml/include" -I"$src/vendor" \
    "$here/hf-pull.cpp" -o "$out/hf-pull" \
    "$bins/libllama-common.so" "$bins"/libllama.v*.so "$bins"/libggml.v*.so "$bins/libggml-base.so" \
    -Wl,-rpath,"$bins"
rm -rf "$src" # only its headers were needed
echo "$want" >"$out/hf-pull.stamp"
