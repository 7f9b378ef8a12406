#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/unit/dwarf/build.sh - build the test programs of the DWARF unit tests
# from the sources in this directory, into OUTDIR:
#
#   tests/unit/dwarf/build.sh OUTDIR dwarf|mem
#
# "dwarf" (check_dwarf): t_basic.c as DWARF 5 and 4 at -O0 (b0, b4), with
# .debug_frame only (df), without DWARF (nodbg), at -O2 without a frame
# pointer (l2); t_inline.c at -O2 (i2); t_cfi.S as a shared object (cfi.so);
# b0 split into a stripped copy and its .gnu_debuglink file (split,
# split.debug); and t_a64.c for AArch64 (a64.so) when clang and ld.lld can.
# "mem" (check_dwarf_mem, check_dwarf_diecheck): t_basic.c as relocatable
# objects at -O0 and -O2, and with a second unit as one program
# (two_units; two_units_z: the same with its DWARF sections compressed).
#
# The tests run it at test time (gcc, objcopy).  The emulated AArch64 guest
# has no compiler: scripts/aarch64/check.sh runs it on the host, and the
# tests take the result from $KT_FIXTURES (the files are x86-64 ELF there
# too: the DWARF reader takes the machine from the file).
set -e
out=$1
src=$(dirname "$0")
case ${2:-} in
dwarf)
	gcc -g -O0 -fno-omit-frame-pointer -o "$out/b0" "$src/t_basic.c"
	gcc -gdwarf-4 -O0 -fno-omit-frame-pointer -o "$out/b4" "$src/t_basic.c"
	gcc -g -O0 -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -o "$out/df" "$src/t_basic.c"
	gcc -O0 -fno-omit-frame-pointer -o "$out/nodbg" "$src/t_basic.c"
	gcc -g -O2 -o "$out/i2" "$src/t_inline.c"
	gcc -g -O2 -fomit-frame-pointer -o "$out/l2" "$src/t_basic.c"
	gcc -nostdlib -shared -o "$out/cfi.so" "$src/t_cfi.S"
	clang --target=aarch64-linux-gnu -nostdlib -shared -fPIC -fuse-ld=lld -O2 -g \
		-fno-omit-frame-pointer -o "$out/a64.so" "$src/t_a64.c" 2>/dev/null || rm -f "$out/a64.so"
	(cd "$out" && objcopy --only-keep-debug b0 split.debug &&
		objcopy --strip-debug --add-gnu-debuglink=split.debug b0 split)
	;;
mem)
	gcc -c -g -O0 -o "$out/t_basic_O0.o" "$src/t_basic.c"
	gcc -c -g -O2 -o "$out/t_basic_O2.o" "$src/t_basic.c"
	printf 'int other_unit(int x)\n{\n\treturn x + 7;\n}\n' >"$out/other.c"
	gcc -g -O0 -o "$out/two_units" "$src/t_basic.c" "$out/other.c"
	objcopy --compress-debug-sections=zlib "$out/two_units" "$out/two_units_z"
	;;
*)
	echo "usage: $0 OUTDIR dwarf|mem" >&2
	exit 2
	;;
esac
