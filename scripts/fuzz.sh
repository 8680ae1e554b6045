#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (the GGUF and safetensors header readers, the
# streaming HeaderSniffer, and the erasure-code shard decoder) with clang++-14 and -fsanitize=fuzzer,address,undefined, makes the seed
# corpus with the tests' own GGUF/safetensors writer, and runs each target for SECONDS seconds
# (default 20). Any crash, sanitizer report, leak, single allocation over 64 MiB or RSS over
# 2 GiB fails the script; the input that did it is left in $BUILD/artifacts. See docs/fuzzing.md.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      (targets: gguf safetensors sniffer shards)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(gguf safetensors sniffer shards)
build="${FUZZ_BUILD_DIR:-build-fuzz}"
cxx="${FUZZ_CXX:-clang++-14}"
mkdir -p "$build/obj" "$build/artifacts"

# Qt's headers and the project's own Qt safety defines (as in CMakeLists.txt).
read -r -a qt_cflags <<<"$(pkg-config --cflags Qt6Core)"
read -r -a qt_libs <<<"$(pkg-config --libs Qt6Core)"
common=(-std=c++17 -g -O1 -fPIC -fno-omit-frame-pointer "${qt_cflags[@]}" -Icore -Itests
        -DQT_NO_CAST_FROM_ASCII -DQT_NO_CAST_TO_ASCII -DQT_USE_QSTRINGBUILDER
        -DQT_NO_URL_CAST_FROM_STRING -DQT_DISABLE_DEPRECATED_UP_TO=0x060400)
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)

# The readers' sources, instrumented for coverage (not the QObject wrappers, which need moc).
objects=()
for src in core/formats/*.cpp; do
    grep -q Q_OBJECT "${src%.cpp}.h" 2>/dev/null && continue
    obj="$build/obj/$(basename "${src%.cpp}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find core/formats -name '*.h' -newer "$obj")" ]; then
        "$cxx" "${common[@]}" "${sanitize[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    fi
    objects+=("$obj")
done

# The shard codec and what it needs of core/chunking (CIDs on OpenSSL's SHA-256, ISA-L, the
# scanner's pieces it encodes from).
shard_objects=()
for src in core/chunking/{chunkbytes,chunkerparams,cid,sha256,shardcodec,redundancyscheme}.cpp; do
    obj="$build/obj/$(basename "${src%.cpp}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find core/chunking -name '*.h' -newer "$obj")" ]; then
        "$cxx" "${common[@]}" "${sanitize[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    fi
    shard_objects+=("$obj")
done

# The seed corpus, written by the tests' writer (tests/ggufwriter.h).
"$cxx" "${common[@]}" fuzz/make_seeds.cpp -o "$build/make_seeds" "${qt_libs[@]}"
"$build/make_seeds" "$build/seeds"
# Shard seeds: 4+2, 6+3 and 10+4 chunks with shards dropped, relabelled and flipped, and schemes.
mkdir -p "$build/seeds/shards"
printf '\x05\x03\xe9\x03\x00\x01\x00\x02' >"$build/seeds/shards/4+2-two-lost"
printf '\x07\x04\x00\x10\x00\x00\x02\x05\x00\x07' >"$build/seeds/shards/6+3-flipped"
printf '\x0b\x05\x01\x00\x04\x02\x01\x81\x06\x80' >"$build/seeds/shards/10+4-relabelled"
printf 'shards 4+2' >"$build/seeds/shards/scheme-shards"
printf 'copies 2' >"$build/seeds/shards/scheme-copies"

status=0
for t in "${targets[@]}"; do
    if [ "$t" = shards ]; then
        "$cxx" "${common[@]}" "${sanitize[@]}" -fsanitize=fuzzer "fuzz/fuzz_$t.cpp" \
            "${shard_objects[@]}" -o "$build/fuzz_$t" "${qt_libs[@]}" -lcrypto -lisal
    else
        "$cxx" "${common[@]}" "${sanitize[@]}" -fsanitize=fuzzer "fuzz/fuzz_$t.cpp" "${objects[@]}" \
            -o "$build/fuzz_$t" "${qt_libs[@]}"
    fi
    case "$t" in
        shards) seeds="$build/seeds/shards"; dict=fuzz/shards.dict ;;
        safetensors) seeds="$build/seeds/safetensors"; dict=fuzz/safetensors.dict ;;
        sniffer) seeds="$build/seeds"; dict=fuzz/gguf.dict ;;
        *) seeds="$build/seeds/gguf"; dict=fuzz/gguf.dict ;;
    esac
    corpus="$build/corpus/$t"
    mkdir -p "$corpus"
    echo "== fuzz_$t for ${seconds}s"
    if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz_$t" "$corpus" "$seeds" -dict="$dict" -max_total_time="$seconds" \
        -max_len=65536 -malloc_limit_mb=64 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" 2>"$build/fuzz_$t.log"; then
        tail -n 60 "$build/fuzz_$t.log"
        echo "fuzz_$t FAILED: see $build/fuzz_$t.log and $build/artifacts/" >&2
        status=1
    else
        grep -E "stat::number_of_executed_runs|stat::peak_rss_mb|cov:" "$build/fuzz_$t.log" | tail -n 3
    fi
done
exit $status
