#!/usr/bin/env bash
# Benchmark (not a test): the web page's first load for a vault of MODELS models, in the real
# browser (Debian's chromium, headless). bench/bigvault_gen.py writes the models straight into a
# new vault's registry (CHUNKS chunks each, nothing uploaded); `modelfloat-cli serve` serves it;
# bench/web_first_load.mjs opens a fresh sign-in link RUNS times in a new browser context and
# prints the median and p99 of the time to the list's first rows and to every model fetched.
# Taking turns with those loads, the same browser opens a page that says only "Hello", served by
# `python3 -m http.server`, in a new context each time: the browser's own floor on this machine
# (its first paint of a page with nothing in it), measured in the same run.
#
#   bench/web_first_load.sh [MODELS] [RUNS] [CHUNKS]      default: 10000 30 4
#   CLI=path/to/modelfloat-cli bench/web_first_load.sh
#
# Needs chromium (scripts/install-deps.sh) and playwright-core (npm ci in tests/peers).
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${CLI:-$PWD/build/app/modelfloat-cli}"
[ -x "$cli" ] || ./scripts/build.sh default >/dev/null
models="${1:-10000}"
runs="${2:-30}"
chunks="${3:-4}"
work="$(mktemp -d /var/tmp/modelfloat-webload.XXXXXX)"
server=""
floor=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    [ -z "$floor" ] || kill "$floor" 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/home/data" MODELFLOAT_VAULT="$work/vault"
mkdir -p "$HOME"
"$cli" init --quiet
"$cli" provider add local second "$work/second" --quiet
# No keychain here: the API's token is kept in the vault's plaintext store.
"$cli" config credentials plaintext --i-understand-plaintext >/dev/null
python3 bench/bigvault_gen.py "$MODELFLOAT_VAULT/registry.sqlite" "$models" "$chunks"
token="$("$cli" serve --print-token | head -n 1)"
"$cli" serve --port 0 --no-background-sync >"$work/serve.log" 2>&1 &
server=$!
url=""
for _ in $(seq 100); do
    url="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -n 1 || true)"
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log"; exit 1; }
mkdir -p "$work/floor"
printf '<!doctype html>\n<html lang="en"><title>Hello</title><p>Hello</p></html>\n' \
    >"$work/floor/index.html"
python3 -u -m http.server --bind 127.0.0.1 --directory "$work/floor" 0 >"$work/floor.log" 2>&1 &
floor=$!
floor_url=""
for _ in $(seq 100); do
    port="$(grep -o 'port [0-9]*' "$work/floor.log" | head -n 1 | cut -d' ' -f2 || true)"
    [ -n "$port" ] && floor_url="http://127.0.0.1:$port/" && break
    sleep 0.1
done
[ -n "$floor_url" ] || { cat "$work/floor.log"; exit 1; }
node bench/web_first_load.mjs "$url" "$token" "$runs" "$floor_url"
