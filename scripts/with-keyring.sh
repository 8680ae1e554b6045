#!/usr/bin/env bash
# Runs a command ("$@") inside a private D-Bus session with gnome-keyring's Secret Service,
# its keyring in a temporary folder, created and unlocked with a throw-away password: the
# keychain a desktop session has, for tests that run headless. Every vault keeps its catalog
# key in the keychain (docs/catalog.md), so the test command runs its suites in one.
set -euo pipefail
if [ "${MODELFLOAT_KEYRING_RUNNING:-}" = 1 ]; then exec "$@"; fi
home=$(mktemp -d)
export MODELFLOAT_KEYRING_HOME="$home"
export MODELFLOAT_KEYRING_RUNNING=1
exec dbus-run-session -- bash -c '
    set -euo pipefail
    runtime="$MODELFLOAT_KEYRING_HOME/runtime"
    mkdir -p "$runtime" && chmod 700 "$runtime"
    # The daemon keeps its keyring under its own HOME; the tests keep theirs.
    printf throwaway | HOME="$MODELFLOAT_KEYRING_HOME" XDG_RUNTIME_DIR="$runtime" \
        gnome-keyring-daemon --unlock --components=secrets >/dev/null
    for _ in $(seq 100); do
        if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
            org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
            grep -q "boolean true"; then
            break
        fi
        sleep 0.1
    done
    status=0
    "$@" || status=$?
    rm -rf "$MODELFLOAT_KEYRING_HOME"
    exit $status
' with-keyring "$@"
