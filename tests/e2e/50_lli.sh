# SPDX-License-Identifier: MIT
# 50_lli - the GDB JIT interface, read out of process, with LLVM's lli as
# the JIT: inferior/lli/crash.c is compiled to IR at test time (-O0, and
# -O2 without frame pointers, so JIT frames unwind by their .eh_frame),
# and its crash three calls deep must name every JIT frame with file:line
# in order, then lli's own frames; the JSON report says "gdb-jit".  A
# breakpoint on a function lli has not compiled yet stays pending, is
# resolved when the image is registered, and stops there (a FILE:LINE one
# too); bt, finish, next and step work inside JIT code.  Without a pending
# breakpoint, registrations never stop the process (invariant 7), which
# KITRACE_STATS counts.
# kt-timeout: 300
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
command -v lli >/dev/null 2>&1 || skip "lli not installed (apt-get install llvm)"
command -v clang >/dev/null 2>&1 || skip "clang not installed (apt-get install clang)"

SRC=$PWD/inferior/lli/crash.c
line_of() { grep -n "@$1 \*/" "$SRC" | cut -d: -f1; }
L_CRASH=$(line_of crash)
L_CALL3=$(line_of call3)
L_CALL2=$(line_of call2)
L_CALL1=$(line_of call1)
L_TWICE=$(line_of twice)
L_CALLT=$(line_of call_twice)

for o in O0 O2; do
	clang -g -$o -S -emit-llvm "$SRC" -o "$T/crash_$o.ll" || fail "clang -$o"
done

# check_crash OPT: the crash report of lli running crash_OPT.ll
check_crash() {
	local o=$1
	kt launch --batch --report "$T/r_$o.json" -- lli "$T/crash_$o.ll"
	expect_status 139
	expect_out_contains "before crash"
	grep -q "^#0 .* in depth3+[0-9]* at .*inferior/lli/crash.c:$L_CRASH \[gdb-jit, regs\]$" "$T/err" ||
		fail "-$o: frame 0 not depth3 at crash.c:$L_CRASH from the GDB JIT image"
	grep -q "^#1 .* in depth2+[0-9]* at .*crash.c:$L_CALL3 \[gdb-jit, cfi\]$" "$T/err" ||
		fail "-$o: frame 1 not depth2 at crash.c:$L_CALL3 unwound by CFI"
	grep -q "^#2 .* in depth1+[0-9]* at .*crash.c:$L_CALL2 \[gdb-jit, cfi\]$" "$T/err" ||
		fail "-$o: frame 2 not depth1 at crash.c:$L_CALL2"
	grep -q "^#3 .* in main+[0-9]* at .*crash.c:$L_CALL1 \[gdb-jit, cfi\]$" "$T/err" ||
		fail "-$o: frame 3 not the JIT's main at crash.c:$L_CALL1"
	# and back into lli itself (libLLVM's runAsMain, lli's main)
	grep -q '^#4 .* in .*runAsMain.* (libLLVM[^)]*) \[elf, cfi\]$' "$T/err" ||
		fail "-$o: frame 4 not libLLVM's runAsMain"
	grep -q '^#[5-9] .* in main+[0-9]* (lli) \[elf, cfi\]$' "$T/err" || fail "-$o: no frame of lli's main"
	python3 - "$T/r_$o.json" "$L_CRASH" "$L_CALL3" "$L_CALL2" "$L_CALL1" <<'PY' || fail "-$o: JSON report wrong"
import json, sys
r = json.load(open(sys.argv[1]))
want = [int(x) for x in sys.argv[2:]]
t = [t for t in r["threads"] if t["crashed"]][0]
f = t["frames"][:4]
assert [x["function"] for x in f] == ["depth3", "depth2", "depth1", "main"], f
assert [x["line"] for x in f] == want, f
assert all(x["symbol_source"] == "gdb-jit" and x["file"].endswith("inferior/lli/crash.c") for x in f), f
assert t["frames"][4]["symbol_source"] == "elf", t["frames"][4]
PY
}
check_crash O0
check_crash O2

# A breakpoint on a function not compiled yet: pending, resolved at the
# registration, hit; bt and finish inside JIT code.
for o in O0 O2; do
	KITRACE_STATS=1 kt launch --batch -ex 'break twice' -ex continue -ex bt -ex finish -ex 'bt 1' \
		-ex 'info jit' -ex kill -- lli "$T/crash_$o.ll"
	expect_status 137
	expect_err_contains "Breakpoint 1 (twice) pending."
	expect_err_contains "Breakpoint 1 resolved: twice"
	# after the prologue by the line table: its first line (-O2: maybe the next)
	grep -Eq "^Thread 1 hit Breakpoint 1, .* in twice(\+[0-9]+)? at .*crash.c:($L_TWICE|$((L_TWICE + 1)))$" "$T/err" ||
		fail "-$o: breakpoint on twice not hit in its body"
	[ "$o" = O2 ] || grep -q "^Thread 1 hit Breakpoint 1, .* in twice+[0-9]* at .*crash.c:$L_TWICE$" "$T/err" ||
		fail "-$o: breakpoint on twice not after its prologue (crash.c:$L_TWICE)"
	grep -q "^#1 .* in depth2+[0-9]* at .*crash.c:$L_CALLT \[gdb-jit, cfi\]$" "$T/err" ||
		fail "-$o: bt at twice lacks depth2 at crash.c:$L_CALLT"
	grep -q "^#3 .* in main+[0-9]* at .*crash.c:$L_CALL1 \[gdb-jit, cfi\]$" "$T/err" ||
		fail "-$o: bt at twice lacks the JIT's main"
	grep -q '(lli) \[elf, cfi\]$' "$T/err" || fail "-$o: bt at twice does not reach lli"
	expect_err_contains "Run till exit from #0 "
	expect_err_contains 'Value returned is $1 = 14'
	grep -q "^#0 .* in depth2+[0-9]* at .*crash.c:[0-9]* \[gdb-jit, regs\]$" "$T/err" ||
		fail "-$o: finish did not return into depth2"
	[ "$o" = O2 ] || grep -q "^#0 .* in depth2+[0-9]* at .*crash.c:$L_CALLT \[gdb-jit, regs\]$" "$T/err" ||
		fail "-$o: finish did not return to crash.c:$L_CALLT"
	grep -Eq '^GDB JIT interface at 0x[0-9a-f]+: [1-9][0-9]* objects, [0-9]+ functions' "$T/err" ||
		fail "-$o: info jit lists no GDB JIT objects"
	grep -Eq '^  0x[0-9a-f]+ +[0-9]+ +0x[0-9a-f]+ depth3$' "$T/err" || fail "-$o: info jit lacks depth3"
	grep -Eq 'gdb-jit registrations stopped [1-9]' "$T/err" ||
		fail "-$o: the pending breakpoint did not stop at the registration"
done

# Line stepping in JIT code (-O0): next goes from depth2's first line to
# the call of depth3, step enters depth3 at its first line.
kt launch --batch -ex 'break depth2' -ex continue -ex next -ex step -ex kill -- lli "$T/crash_O0.ll"
expect_status 137
grep -q "^Thread 1 hit Breakpoint 1, .* in depth2+[0-9]* at .*crash.c:$L_CALLT$" "$T/err" ||
	fail "break depth2 not at crash.c:$L_CALLT"
grep -q "^$L_CALL3	" "$T/err" || fail "next in JIT code did not reach crash.c:$L_CALL3"
grep -q "^depth3 (...) at .*crash.c:$((L_CRASH - 1))$" "$T/err" ||
	fail "step in JIT code did not enter depth3 at crash.c:$((L_CRASH - 1))"

# FILE:LINE in JIT code, set before lli compiles it: from the object's lines.
kt launch --batch -ex "break crash.c:$L_CRASH" -ex continue -ex kill -- lli "$T/crash_O0.ll"
expect_status 137
expect_err_contains "Breakpoint 1 (crash.c:$L_CRASH) pending."
grep -q "^Thread 1 hit Breakpoint 1, .* in depth3+[0-9]* at .*crash.c:$L_CRASH$" "$T/err" ||
	fail "FILE:LINE breakpoint in JIT code not hit"

# No pending breakpoint: registrations never stop lli.
KITRACE_STATS=1 kt launch --batch -- lli "$T/crash_O0.ll"
expect_status 139
expect_err_contains "gdb-jit registrations stopped 0"
# A breakpoint that resolves before lli compiles anything (in lli itself)
# is not pending either.
KITRACE_STATS=1 kt launch --batch -ex 'break main' -ex continue -ex continue -- lli "$T/crash_O0.ll"
expect_status 139
expect_err_contains "gdb-jit registrations stopped 0"
# A breakpoint that never resolves keeps the registration breakpoint in.
KITRACE_STATS=1 kt launch --batch -ex 'break no_such_jit_function' -ex continue -- lli "$T/crash_O0.ll"
expect_status 139
grep -Eq 'gdb-jit registrations stopped [1-9]' "$T/err" || fail "pending breakpoint: registration not caught"
exit 0
