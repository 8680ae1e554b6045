#!/usr/bin/env bash
# Sets up everything, builds, and shows the command-line tool at work: floats a generated
# 256 MiB file into your default vault, restores it somewhere else and checks it is bit-identical.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh default
cli=./build/app/modelfloat-cli

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== Generating a 256 MiB sample file"
head -c 256M /dev/urandom > "$work/sample-model.bin"
name="demo-$(date +%Y%m%d-%H%M%S)"
echo "== Floating it into the vault as \"$name\""
"$cli" float "$work/sample-model.bin" --name "$name"
echo "== What the vault holds"
"$cli" info "$name"
echo "== Restoring it and verifying"
"$cli" restore "$name" --to "$work/restored"
cmp "$work/sample-model.bin" "$work/restored/sample-model.bin" && echo "Bit-identical."
"$cli" verify "$name"
echo
echo "The model stays in your vault; see it with:  $cli list"
echo "Remove it with:                             $cli rm $name"
