#!/usr/bin/env bash
# Sets up everything, builds, and starts the ModelFloat desktop app. Arguments go to the app:
#   ./scripts/run.sh                     the app, on the default vault
#   ./scripts/run.sh ~/models/x.gguf     the app, offering to float that file
#   ./scripts/run.sh --vault DIR         another vault
# With no display (a server, a container), run it under a virtual one:
#   xvfb-run -s "-screen 0 1400x900x24" ./scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh default
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    echo "No display found (DISPLAY and WAYLAND_DISPLAY are empty)." >&2
    echo "Run it under a virtual display:  xvfb-run -s \"-screen 0 1400x900x24\" $0 $*" >&2
    exit 1
fi
exec ./build/app/modelfloat "$@"
