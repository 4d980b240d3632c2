#!/bin/sh
# Builds and runs the sim self-test: g++ -std=c++17 -O1 -Wall -Werror, a2 and a5 test TUs linked
# into one binary together with the runtime. Also compiles the API probe (every API form the sim
# provides, api_probe.cpp) for both targets, and checks that every program in refused/ fails to
# compile against the sim with the expected message (forms the real API lacks; the same files are
# checked against the real headers by scripts/check_ascendc_headers.sh). Usage: ascendc/sim/tests/run.sh
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
SIM="$(cd "$HERE/.." && pwd)"
OUT="${TMPDIR:-/tmp}/ak_sim_selftest.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
CXX="${CXX:-g++}"
FLAGS="-std=c++17 -O1 -Wall -Wextra -Werror -ffp-contract=off -pthread -DAK_SIM -DASCENDC_CPU_DEBUG=1 -I$SIM"
A2="-D__NPU_ARCH__=2201 -D__CCE_AICORE__=220"
A5="-D__NPU_ARCH__=3510 -D__CCE_AICORE__=310"

# shellcheck disable=SC2086
$CXX $FLAGS $A2 -fsyntax-only "$HERE/api_probe.cpp"
# shellcheck disable=SC2086
$CXX $FLAGS $A5 -fsyntax-only "$HERE/api_probe.cpp"
echo "ok   api_probe.cpp compiles against the sim for a2 and a5"

refused_failures=0
for src in "$HERE"/refused/*.cpp; do
    name="$(basename "$src")"
    want="$(sed -n 's|^// expect-sim: ||p' "$src")"
    extra="$(sed -n 's|^// flags: ||p' "$src")"
    for arch in $(sed -n 's|^// arch: ||p' "$src"); do
        case "$arch" in
            2201) defs="$A2" ;;
            3510) defs="$A5" ;;
            *) echo "FAIL refused/$name: unknown arch $arch"; refused_failures=$((refused_failures + 1)); continue ;;
        esac
        # shellcheck disable=SC2086
        if $CXX $FLAGS $defs $extra -fsyntax-only "$src" >"$OUT/refused.log" 2>&1; then
            echo "FAIL refused/$name ($arch): compiles against the sim"
            refused_failures=$((refused_failures + 1))
        elif [ -z "$want" ] || ! grep -qF "$want" "$OUT/refused.log"; then
            echo "FAIL refused/$name ($arch): the compiler did not say '$want':"
            grep -m 5 "error" "$OUT/refused.log" || true
            refused_failures=$((refused_failures + 1))
        else
            echo "ok   refused/$name ($arch): $want"
        fi
    done
done
if [ "$refused_failures" -ne 0 ]; then
    echo "$refused_failures refused-program check(s) failed"
    exit 1
fi

# shellcheck disable=SC2086
$CXX $FLAGS -c "$SIM/ak_sim.cpp" -o "$OUT/ak_sim.o"
# shellcheck disable=SC2086
$CXX $FLAGS $A2 -c "$HERE/sim_selftest.cpp" -o "$OUT/a2.o"
# shellcheck disable=SC2086
$CXX $FLAGS $A5 -c "$HERE/sim_selftest_a5.cpp" -o "$OUT/a5.o"
$CXX -pthread "$OUT/a2.o" "$OUT/a5.o" "$OUT/ak_sim.o" -o "$OUT/sim_selftest"
"$OUT/sim_selftest"
