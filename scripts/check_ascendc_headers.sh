#!/bin/sh
# Syntax-checks every AscendC translation unit `ascend-kernels emit` writes (a2 and a5) against the
# public CANN headers, in the toolkit's own CPU-debug configuration, and proves the sim's API surface
# against the same headers (ascendc/sim/tests/api_probe.cpp must parse; every program in
# ascendc/sim/tests/refused/ must fail with the expected message).
#
#   scripts/check_ascendc_headers.sh ASC_DEVKIT_DIR ASC_TOOLS_DIR
#
# ASC_DEVKIT_DIR: a checkout of the public asc-devkit (https://gitcode.com/cann/asc-devkit, mirrored
# on GitHub as mirror-cann/asc-devkit); ASC_TOOLS_DIR: a checkout of asc-tools (hicann/asc-tools, for
# its cpudebug headers). Nothing is copied from them into this repository: the emitted projects, the
# generated stand-ins for CANN's closed headers and every compiler output live in a temporary
# directory (kept if AK_CHECK_WORK is set to a directory). Prints PASS/FAIL per unit and a summary;
# exits non-zero if any unit fails. Needs g++ (C++17), python3 and cargo (or ASCEND_KERNELS_BIN
# pointing at a built `ascend-kernels`). Takes about 15-30 minutes on 2 cores.
#
# Not run in CI: CI has no network access to GitHub/GitCode to fetch the two checkouts. Run it by hand
# after changing a kernel, a helper in ascendc/include, the emit frame or the sim's API surface, and
# record the result in docs/cann.md ("Checked against the real headers").
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 ASC_DEVKIT_DIR ASC_TOOLS_DIR" >&2
    exit 2
fi
DEVKIT="$(cd "$1" && pwd)"
TOOLS="$(cd "$2" && pwd)"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
for f in "$DEVKIT/include/kernel_operator.h" "$TOOLS/cpudebug/include/cpu_debug_launch.h"; do
    if [ ! -f "$f" ]; then
        echo "error: $f not found (arguments: an asc-devkit checkout, then an asc-tools checkout)" >&2
        exit 2
    fi
done

if [ -n "${AK_CHECK_WORK:-}" ]; then
    WORK="$AK_CHECK_WORK"
    mkdir -p "$WORK"
else
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/ak_header_check.XXXXXX")"
    trap 'rm -rf "$WORK"' EXIT
fi

if [ -n "${ASCEND_KERNELS_BIN:-}" ]; then
    BIN="$ASCEND_KERNELS_BIN"
else
    echo "building ascend-kernels (cargo build --release --bin ascend-kernels) ..."
    (cd "$ROOT" && cargo build --release --locked --quiet --bin ascend-kernels)
    BIN="$ROOT/target/release/ascend-kernels"
fi
for t in a2 a5; do
    rm -rf "$WORK/emitted/$t"
    "$BIN" emit --target "$t" --out "$WORK/emitted/$t"
done

echo "checking against $DEVKIT ($(git -C "$DEVKIT" rev-parse --short HEAD 2>/dev/null || echo 'no git')) and $TOOLS ($(git -C "$TOOLS" rev-parse --short HEAD 2>/dev/null || echo 'no git'))"
status=0
python3 "$HERE/check_ascendc_headers.py" \
    --devkit "$DEVKIT" \
    --tools "$TOOLS" \
    --emitted "$WORK/emitted" \
    --work "$WORK" \
    --probe "$ROOT/ascendc/sim/tests/api_probe.cpp" \
    --refused "$ROOT/ascendc/sim/tests/refused" || status=$?
exit "$status"
