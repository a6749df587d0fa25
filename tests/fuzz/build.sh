#!/usr/bin/env bash
# Builds the libFuzzer targets: every tests/fuzz/fuzz_*.c, or only the
# targets named on the command line (fuzz_pem, fuzz_pin.c, ...).
#
#   tests/fuzz/build.sh [TARGET...]
#
# Each target is compiled together with the core sources (libaop/*.c),
# instrumented as a whole, with ASan + UBSan + libFuzzer. Targets named
# fuzz_tool_*.c also get the tool's sources (tools/tool_*.c, not
# tools/cfaop.c, which holds main()), libcurl and jansson.
#
# Needs clang and its fuzzer runtime (Debian: clang, libclang-rt-14-dev or
# libclang-rt-dev), pkg-config and the -dev packages of OpenSSL, libcurl and
# jansson. Binaries go to $FUZZ_OUT (default tests/fuzz/out/).
#
# Environment: CC (default clang-14 if present, else clang), FUZZ_OUT,
# FUZZ_CFLAGS (added to the compiler flags).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-$here/out}

if [ -z "${CC:-}" ]; then
    if command -v clang-14 >/dev/null; then
        CC=clang-14
    elif command -v clang >/dev/null; then
        CC=clang
    else
        echo "build.sh: clang not found; on Debian: apt-get install clang libclang-rt-14-dev" >&2
        exit 2
    fi
fi

# The sanitizers and libFuzzer come with the compiler-rt package, apart from
# clang itself; say so plainly rather than with a linker error.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    > "$probe/probe.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" \
        >"$probe/log" 2>&1; then
    cat "$probe/log" >&2
    echo "build.sh: $CC cannot link -fsanitize=fuzzer,address,undefined;" \
         "on Debian: apt-get install libclang-rt-14-dev (the compiler-rt of clang 14)" >&2
    exit 2
fi

# The built-in Cloudflare certificates are a source file that make generates
# from data/ (one rule, in Makefile.am): the tree must be configured.
if [ ! -f "$top/Makefile" ]; then
    echo "build.sh: configure the tree first (autoreconf -fi && ./configure)" >&2
    exit 2
fi
make -C "$top" libaop/aop_cloudflare_ca.c >/dev/null

if [ $# -eq 0 ]; then
    targets=()
    for f in "$here"/fuzz_*.c; do
        [ -e "$f" ] && targets+=("$(basename "$f" .c)")
    done
else
    targets=()
    for t in "$@"; do
        t=$(basename "$t" .c)
        if [ ! -f "$here/$t.c" ]; then
            echo "build.sh: no such target: $here/$t.c" >&2
            exit 2
        fi
        targets+=("$t")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "build.sh: no fuzz_*.c in $here" >&2
    exit 2
fi

cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Werror -I"$top/libaop")
# shellcheck disable=SC2206
cflags+=(${FUZZ_CFLAGS:-})
core=("$top"/libaop/aop_*.c)
read -r -a ssl_cflags <<<"$(pkg-config --cflags openssl)"
read -r -a ssl_libs <<<"$(pkg-config --libs openssl)"

mkdir -p "$out"
# One compiler per target, side by side: each compiles the core whole.
pids=()
for t in "${targets[@]}"; do
    srcs=("$here/$t.c" "${core[@]}")
    inc=("${ssl_cflags[@]}")
    libs=("${ssl_libs[@]}")
    if [[ $t == fuzz_tool_* ]]; then
        # The tool's code without its main() (tools/cfaop.c).
        srcs+=("$top"/tools/tool_*.c)
        read -r -a tool_cflags <<<"$(pkg-config --cflags libcurl jansson)"
        read -r -a tool_libs <<<"$(pkg-config --libs libcurl jansson)"
        # What configure would define for the tool (AC_INIT's version).
        version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
        inc+=(-I"$top/tools" "${tool_cflags[@]}" -DPACKAGE_VERSION="\"${version:-0}\"")
        libs+=("${tool_libs[@]}" -lm)
    fi
    echo "  FUZZ     $out/$t"
    "$CC" "${cflags[@]}" "${inc[@]}" "${srcs[@]}" "${libs[@]}" -o "$out/$t" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
exit $status
