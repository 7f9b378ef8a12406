#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh SECONDS - build the registry fuzzer with clang + libFuzzer (ASan,
# UBSan) and run it for SECONDS (default 60) on a scratch copy of the seed
# corpus.  Exit 0 when no crash was found, 1 on a crash (the reproducer is
# left in the build directory), 77 when clang or libFuzzer is missing.
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
"$CLANG" -std=gnu11 -g -O1 -D_GNU_SOURCE -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/shm" -I"$top/common" -o "$out/fuzz_registry" \
	"$here/fuzz_registry.c" "$top"/shm/*.c "$top/common/status.c"
rm -rf "$out/corpus"
mkdir -p "$out/corpus"
cp "$here"/corpus_registry/* "$out/corpus/"
set +e
cd "$out"
./fuzz_registry -max_total_time="$secs" -max_len=300000 -rss_limit_mb=2048 \
	-timeout=10 -print_final_stats=1 corpus >"$out/fuzz.log" 2>&1
rc=$?
tail -n 20 "$out/fuzz.log"
if [ $rc -ne 0 ]; then
	echo "fuzz: FAIL: crash found (exit $rc); see $out/fuzz.log and $out/crash-*" >&2
	exit 1
fi
echo "fuzz: ok, no crash in ${secs}s"
exit 0
