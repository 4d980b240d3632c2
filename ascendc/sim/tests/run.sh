#!/bin/sh
# Builds and runs the sim self-test: g++ -std=c++17 -O1 -Wall -Werror, a2 and a5 test TUs linked
# into one binary together with the runtime. Usage: ascendc/sim/tests/run.sh
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
SIM="$(cd "$HERE/.." && pwd)"
OUT="${TMPDIR:-/tmp}/ak_sim_selftest.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
CXX="${CXX:-g++}"
FLAGS="-std=c++17 -O1 -Wall -Wextra -Werror -ffp-contract=off -pthread -DAK_SIM -DASCENDC_CPU_DEBUG=1 -I$SIM"
$CXX $FLAGS -c "$SIM/ak_sim.cpp" -o "$OUT/ak_sim.o"
$CXX $FLAGS -D__NPU_ARCH__=2201 -D__CCE_AICORE__=220 -c "$HERE/sim_selftest.cpp" -o "$OUT/a2.o"
$CXX $FLAGS -D__NPU_ARCH__=3510 -D__CCE_AICORE__=310 -c "$HERE/sim_selftest_a5.cpp" -o "$OUT/a5.o"
$CXX -pthread "$OUT/a2.o" "$OUT/a5.o" "$OUT/ak_sim.o" -o "$OUT/sim_selftest"
"$OUT/sim_selftest"
