#!/usr/bin/env bash
# Installs the npm test peers (js-ipfs, s3rver, the AWS SigV4 signer, the Hugging Face client
# libraries, node-llama-cpp's prebuilt llama.cpp, and the clients of each provider's own folder)
# from their committed lockfiles:
# tests/peers/package-lock.json and one tests/peers/<name>/package-lock.json per further set,
# each into its own node_modules. A set whose tree already matches its lockfile is skipped.
set -euo pipefail
cd "$(dirname "$0")/../tests/peers"

# Installing a set into a fresh clone takes minutes (the first set is 1,200 packages, 400 MB), so
# each set's tree, once installed from its lockfile, is kept in the user's cache and later clones
# copy it from there. The key is the lockfile's hash and Node's version; a set keeps one tree.
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/modelfloat/test-peers"

install_set() {
    local dir="$1"
    (
        cd "$dir"
        local stamp=node_modules/.modelfloat-lock.sha256
        local want
        want=$(sha256sum package-lock.json | cut -d' ' -f1)
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
            exit 0
        fi
        local name
        name=$(basename "$(pwd)")
        local cached
        cached="$cache_root/$name-$want-$(node --version)"
        if [ -f "$cached/.complete" ]; then
            echo "Copying npm test peers (tests/peers/${dir#./}) from $cached"
            rm -rf node_modules
            cp -a "$cached/node_modules" node_modules
            echo "$want" >"$stamp"
            exit 0
        fi
        echo "Installing npm test peers (tests/peers/${dir#./}, from package-lock.json)"
        # Not `npm ci`: js-ipfs has an optional dependency (electron-eval -> headless) on a GitHub
        # tarball that this registry cannot serve; npm install skips it as optional, while npm ci
        # calls the lockfile out of sync. With the lockfile present, npm install still installs
        # exactly the locked versions, and --no-save leaves the committed files untouched.
        # --omit=optional: node-llama-cpp lists a prebuilt llama.cpp for every platform and GPU
        # (CUDA alone is 540 MB) as optional; the one the tests run, linux-x64 on the CPU, is a
        # direct dependency in package.json instead. The peers take 398 MB instead of 1.1 GB.
        npm install --no-save --no-audit --no-fund --loglevel=error --omit=optional
        echo "$want" >"$stamp"
        # Into the cache under a temporary name, then renamed: a copy cut short is never used.
        mkdir -p "$cache_root"
        local tmp
        tmp=$(mktemp -d "$cache_root/.partial.XXXXXX")
        cp -a node_modules "$tmp/node_modules"
        touch "$tmp/.complete"
        rm -rf "$cache_root/$name"-*
        mv "$tmp" "$cached"
    )
}

install_set .
# llama.cpp's own -hf code, from node-llama-cpp's prebuilt library (tests/peers/llama-hf).
./llama-hf/build.sh
for lock in */package-lock.json; do
    [ -e "$lock" ] || continue
    case "$lock" in node_modules/*) continue ;; esac
    install_set "$(dirname "$lock")"
done
