# Sourced by the swarming benchmarks (bench/swarm_restore.sh, bench/swarm_float.sh) from the
# project's root: checks the tools, builds what is missing ($BUILD, default build/), makes a work
# folder under /var/tmp removed at exit (KEEP=1 keeps it), and starts S3 servers on free ports of
# 127.0.0.1, each s3rver (tests/peers) behind tests/peers/s3-sigv4-proxy.js, which checks every
# signature, behind a slow link (bench_throttleproxy).

for tool in /usr/bin/time node curl; do
    command -v "$tool" >/dev/null || { echo "needs $tool (see the header of $0)"; exit 1; }
done
build="${BUILD:-$PWD/build}"
cli="$build/app/modelfloat-cli"
throttle="$build/bench/bench_throttleproxy"
[ -x "$cli" ] && [ -x "$throttle" ] || ./scripts/build.sh default >/dev/null
peers="$PWD/tests/peers"

source bench/servers.sh

# NAME DOWN_MIB [UP_MIB]: one server and its link (0: no limit); the link's port in $work/NAME.port.
start_s3() {
    local name="$1" down_mib="$2" up_mib="${3:-0}" s3port proxyport
    s3port=$(freeport); proxyport=$(freeport)
    mkdir -p "$work/$name-data"
    NODE_OPTIONS=--openssl-legacy-provider "$peers/node_modules/.bin/s3rver" \
        -d "$work/$name-data" -a 127.0.0.1 -p "$s3port" --configure-bucket mf-bench --silent \
        >"$work/$name-s3rver.log" 2>&1 &
    pids+=($!)
    (cd "$peers" && exec node s3-sigv4-proxy.js --port "$proxyport" --upstream "$s3port" \
        --require-signed-payload >"$work/$name-proxy.log" 2>&1) &
    pids+=($!)
    waitfor "http://127.0.0.1:$s3port/"
    waitfor "http://127.0.0.1:$proxyport/"
    "$throttle" "$proxyport" "$((down_mib * 1024 * 1024))" "$work/$name.port" \
        "$((up_mib * 1024 * 1024))" >"$work/$name-link.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.1; done
    [ -s "$work/$name.port" ] || { echo "the $name link did not start"; exit 1; }
}
