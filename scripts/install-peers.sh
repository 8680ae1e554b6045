#!/usr/bin/env bash
# Installs the npm test peers (js-ipfs, s3rver, the AWS SigV4 signer, the Hugging Face client
# libraries) into tests/peers/node_modules from the committed lockfile. Skipped when the tree
# already matches the lockfile.
set -euo pipefail
cd "$(dirname "$0")/../tests/peers"
stamp=node_modules/.modelfloat-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
echo "Installing npm test peers (tests/peers, from package-lock.json)"
# Not `npm ci`: js-ipfs has an optional dependency (electron-eval -> headless) on a GitHub
# tarball that this registry cannot serve; npm install skips it as optional, while npm ci calls
# the lockfile out of sync. With the lockfile present, npm install still installs exactly the
# locked versions, and --no-save leaves the committed files untouched.
npm install --no-save --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
