# SPDX-License-Identifier: MIT
# 50_gdbjit - the GDB JIT interface with a JIT we control
# (inferior/progs/gjit.c registers N copies of a gcc-compiled object):
# unregistered code forgets its breakpoints (pending again, never
# restored); a corrupt list (a cycle, a 1 TiB image, an image of zeros)
# costs at most a warning, never a hang or a crash, and the intact objects
# still name their frames; attaching to a process with 1000 objects names
# the JIT frame; a breakpoint pending across 1000 registrations stops at
# each registration until it resolves (and the program runs on).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
# The template: tests/e2e/src/gj.c (its call of cb is line 6), compiled here
# or, in the guest, which has no compiler, by scripts/aarch64/fixtures.sh.
if fixture gj.o; then
	cp "$FIX" "$T/gj.o"
else
	need gcc
	gcc -c -g -O0 -fno-omit-frame-pointer -o "$T/gj.o" "$TESTS/src/gj.c" || fail "gcc gj.c"
fi
G=$PROGS/gjit

# Unregistration: breakpoint 1's object goes away before breakpoint 2 hits.
kt launch --batch -ex 'break gj_0000000' -ex 'break gj_0000001' -ex continue -ex continue \
	-ex 'info breakpoints' -ex continue -- "$G" "$T/gj.o" 5 unreg
expect_status 0
expect_err_contains "Thread 1 hit Breakpoint 1, "
expect_err_contains "Breakpoint 1: its JIT code was unregistered; pending again"
grep -q '^Thread 1 hit Breakpoint 2, .* in gj_0000001+[0-9]* at .*gj.c:6$' "$T/err" ||
	fail "breakpoint 2 not hit in gj_0000001 at gj.c:6"
grep -Eq '^1 +breakpoint +keep y +<PENDING> +gj_0000000$' "$T/err" ||
	fail "breakpoint 1 not pending again after its code was unregistered"

# Corrupt lists: the intact last object still names the frame below the crash.
for mode in cycle bigsize garbage; do
	kt launch --batch -- "$G" "$T/gj.o" 50 "$mode"
	expect_status 139
	grep -q '^#1 .* in gj_0000049+[0-9]* at .*gj.c:6 \[gdb-jit, cfi\]$' "$T/err" ||
		fail "$mode: frame 1 not gj_0000049 from its object"
	grep -q '^#2 .* in main+[0-9]* (gjit)' "$T/err" || fail "$mode: no main frame"
done
kt launch --batch -- "$G" "$T/gj.o" 50 cycle
expect_err_contains "GDB JIT interface of process"
expect_err_contains "is corrupt (its list has a cycle)"

# Attach to 1000 registered objects, a JIT frame on the stack.
spawn hold "$G" "$T/gj.o" 1000 hold
wait_for_line "$T/hold.out" '^gjit: holding$' 20
kt attach --batch -ex bt "$PID"
expect_status 0
grep -q '^#2 .* in gj_0000999+[0-9]* at .*gj.c:6 \[gdb-jit, cfi\]$' "$T/out" ||
	fail "attach: frame 2 not gj_0000999"
grep -q '^#3 .* in main+[0-9]* (gjit)' "$T/out" || fail "attach: no main below the JIT frame"
kill -0 "$PID" || fail "the process did not survive the detach"
kill -KILL "$PID"
reap "$PID"

# Pending across 1000 registrations: caught at each until it resolves.
KITRACE_STATS=1 kt launch --batch -ex 'break gj_0000999' -ex continue -ex bt -ex kill -- \
	"$G" "$T/gj.o" 1000 hold
expect_status 137
grep -q '^Thread 1 hit Breakpoint 1, .* in gj_0000999+[0-9]* at .*gj.c:6$' "$T/err" ||
	fail "breakpoint on the 1000th function not hit"
expect_err_contains "gdb-jit registrations stopped 1000"
exit 0
