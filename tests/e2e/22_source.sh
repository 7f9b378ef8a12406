# SPDX-License-Identifier: MIT
# 22_source - DWARF for compiled code: frames name their file:line,
# FILE:LINE breakpoints, and CFI unwinding through code without frame
# pointers (libc), with each frame saying it was found by CFI.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

# FILE:LINE: crash3.c:31 is "return level3(depth + 1) + 1;" in level2.
grep -n 'return level3(depth + 1) + 1;' inferior/progs/crash3.c | grep -q '^31:' ||
	fail "crash3.c changed: update the line numbers in this test"
kt launch --batch -ex 'break crash3.c:31' -ex continue -ex 'print $rdi' -ex bt -ex kill -- \
	"$PROGS/crash3"
expect_status 137
expect_err_contains "in level2+"
grep -q 'hit Breakpoint 1, .* at .*inferior/progs/crash3.c:31$' "$T/err" || fail "stop line lacks crash3.c:31"
expect_err_contains '$1 = 2'
grep -q '^#1 .* in level1+[0-9]* (crash3) at .*crash3.c:37 \[elf, cfi\]' "$T/err" ||
	fail "frame 1 not level1 at crash3.c:37 found by CFI"

# A line with no code, a file nobody has: pending, and a bad line number.
kt launch --batch -ex 'break nosuchfile.c:3' -ex 'info breakpoints' -ex 'break crash3.c:x' -- \
	"$PROGS/crash3"
expect_err_contains "Breakpoint 1 (nosuchfile.c:3) pending."
expect_err_contains 'invalid line number'

# CFI through libc: a worker thread's stack goes back through libc's
# thread start (no frame pointers there) by CFI.
kt launch --batch -ex 'break work' -ex continue -ex bt -ex kill -- "$PROGS/threads" 2 5
expect_status 137
grep -q '^#1 .* in worker_main+[0-9]* (threads) at .*threads.c:[0-9]* \[elf, cfi\]' "$T/err" ||
	fail "worker_main frame not found by CFI with its line"
grep -q '^#2 .* (libc.so.6).* cfi\]' "$T/err" || fail "no libc frame unwound by CFI"
