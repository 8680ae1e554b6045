# Sourced by the benchmarks that start servers, from the project's root: a work folder under
# /var/tmp named after the benchmark, removed at exit with every process whose pid is added to
# `pids` (KEEP=1 keeps the folder, with the servers' logs, for a look), a free port of
# 127.0.0.1 (freeport), and a wait until an address answers (waitfor URL).

work="$(mktemp -d "/var/tmp/modelfloat-$(basename "$0" .sh).XXXXXX")"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitfor() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "$1 did not answer"; exit 1; }
