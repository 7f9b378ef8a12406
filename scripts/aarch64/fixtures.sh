#!/bin/bash
# SPDX-License-Identifier: MIT
# scripts/aarch64/fixtures.sh - build, on the host, what tests build at run
# time with a compiler or binutils, which the emulated AArch64 guest does not
# have.  scripts/aarch64/check.sh runs it after the cross build; the guest
# exports KT_FIXTURES=OUTDIR and the tests take these files instead
# (tests/e2e/lib.sh `fixture`; check_dwarf and check_dwarf_mem read
# $KT_FIXTURES/dwarf and /dwarf_mem).
#
#   scripts/aarch64/fixtures.sh BUILD OUTDIR
#
#   dwarf/, dwarf_mem/  tests/unit/dwarf/build.sh, with the host's gcc: the
#                       same x86-64 files the x86-64 run builds (the tests'
#                       CFI cases are x86-64; the DWARF reader takes the
#                       machine from the file, not from the host)
#   sleeper.nm          nm of BUILD/progs/sleeper (00_progs)
#   gj.o                tests/e2e/src/gj.c, cross-compiled (00_progs and
#                       50_gdbjit: gjit runs its code)
#   gone/gone           tests/e2e/src/gone.c, cross-compiled at
#                       OUTDIR/gone/gone.c, which is then deleted (24_step)
set -euo pipefail
BUILD=$1
OUT=$2
CROSS=${CROSS:-aarch64-linux-gnu-}
rm -rf "$OUT"
mkdir -p "$OUT/dwarf" "$OUT/dwarf_mem" "$OUT/gone"
sh tests/unit/dwarf/build.sh "$OUT/dwarf" dwarf
sh tests/unit/dwarf/build.sh "$OUT/dwarf_mem" mem
"${CROSS}nm" "$BUILD/progs/sleeper" >"$OUT/sleeper.nm"
"${CROSS}gcc" -c -g -O0 -fno-omit-frame-pointer -o "$OUT/gj.o" tests/e2e/src/gj.c
cp tests/e2e/src/gone.c "$OUT/gone/gone.c"
"${CROSS}gcc" -g -O0 -o "$OUT/gone/gone" "$OUT/gone/gone.c"
rm "$OUT/gone/gone.c"
