#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh SECONDS - build the fuzzers with clang + libFuzzer (ASan, UBSan)
# and run each on a scratch copy of its seed corpus, SECONDS (default 60)
# split between them: fuzz_registry (the libkitjit registry reader) and
# fuzz_elfmem (GDB JIT images: the symbol index and the in-memory DWARF
# reader; libdwarf itself is not instrumented).  Exit 0 when no crash was
# found, 1 on a crash (the reproducer is left in the build directory), 77
# when clang or libFuzzer is missing.
set -u
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${BUILD:-build}/fuzz
case $out in /*) ;; *) out=$top/$out ;; esac
CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
	for c in clang-14 clang; do
		if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
	done
fi
if [ -z "$CLANG" ]; then
	echo "fuzz: SKIP: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 77
fi
mkdir -p "$out" || exit 1
probe=$out/probe.c
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$probe"
if ! "$CLANG" -fsanitize=fuzzer -o "$out/probe" "$probe" >/dev/null 2>&1; then
	echo "fuzz: SKIP: $CLANG cannot link libFuzzer (install libclang-rt-14-dev)" >&2
	exit 77
fi
set -e
CFLAGS_FUZZ="-std=gnu11 -g -O1 -D_GNU_SOURCE -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
"$CLANG" $CFLAGS_FUZZ -I"$top/shm" -I"$top/common" -o "$out/fuzz_registry" \
	"$here/fuzz_registry.c" "$top"/shm/*.c "$top/common/status.c"
"$CLANG" $CFLAGS_FUZZ -I"$top/tracer" -I"$top/arch" -I"$top/shm" -I"$top/common" \
	-I/usr/include/libdwarf -I/usr/include/capstone -o "$out/fuzz_elfmem" \
	"$here/fuzz_elfmem.c" "$top"/tracer/dwarf*.c "$top/tracer/gdbjit_image.c" \
	"$top/common/status.c" -ldwarf -lelf -lz
set +e
# fuzz NAME CORPUS SECONDS MAXLEN
fuzz() {
	rm -rf "$out/corpus_$1"
	mkdir -p "$out/corpus_$1"
	cp "$here/$2"/* "$out/corpus_$1/"
	(cd "$out" && ./"$1" -max_total_time="$3" -max_len="$4" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 "corpus_$1" >"$out/$1.log" 2>&1)
	rc=$?
	tail -n 12 "$out/$1.log"
	if [ $rc -ne 0 ]; then
		echo "fuzz: FAIL: $1 found a crash (exit $rc); see $out/$1.log and $out/crash-*" >&2
		exit 1
	fi
}
half=$((secs / 2))
[ "$half" -gt 0 ] || half=1
fuzz fuzz_registry corpus_registry "$half" 300000
fuzz fuzz_elfmem corpus_elfmem "$((secs - half > 0 ? secs - half : 1))" 65536
echo "fuzz: ok, no crash in ${secs}s"
exit 0
