# SPDX-License-Identifier: MIT
# 34_jit_heal - kitrace is SIGKILLed while a breakpoint it planted in JIT
# code is in place.  A process that opted into healing (KITJIT_HEAL=1)
# traps at the next call, libkitjit finds the patch in the journal kitrace
# wrote, restores the instruction, and the process finishes correctly with
# its code intact.  The control, without the healer, dies of SIGTRAP, which
# proves the breakpoint really was left behind.
#
# The kill lands while the JIT thread sleeps between calls (50 ms apart: the
# test waits to see it asleep), not while it sits in a breakpoint stop: a
# thread the kernel is holding in
# that stop when its tracer dies resumes past the patch without its
# SIGTRAP, where no healer can see it (kitjit(3), BUGS).
# The JIT code is x86-64 or AArch64 (inferior/progs/jitemit.h); the patch
# is int3 or brk, and the control dies of SIGTRAP on both.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
[ -r /proc/self/mem ] || skip "no /proc/self/mem (the healer writes code through it)"

# attach PID: start kitrace on it with the breakpoint in tick_fn (pid in
# $ktpid); fails unless kitrace found tick_fn in the registry at the attach.
# kt.out is emptied before the fork, so the wait cannot match the last
# round's line (lib.sh, spawn).
attach() {
	local pid=$1
	: >"$T/kt.out"
	"$KITRACE" attach --batch -ex "break tick_fn if $ARG0 < 0" -ex continue "$pid" \
		>"$T/kt.out" 2>"$T/kt.err" &
	ktpid=$!
	local d=$((SECONDS + 10))
	until grep -qE '^Breakpoint 1 (at 0x[0-9a-f]+: tick_fn\+|\(tick_fn\) pending)' "$T/kt.out"; do
		[ "$SECONDS" -lt "$d" ] || break
		sleep 0.05
	done
	grep -q '^Breakpoint 1 (tick_fn) pending' "$T/kt.out" &&
		{ kill -KILL "$ktpid"; cat "$T/kt.out" "$T/kt.err"; fail "the attach did not see tick_fn in the registry"; }
}

round() {
	local heal=$1 pid
	if [ "$heal" = 1 ]; then
		spawn demo env KITJIT_HEAL=1 "$PROGS/kj_heal" 3
	else
		spawn demo env -u KITJIT_HEAL "$PROGS/kj_heal" 3
	fi
	pid=$PID
	wait_for_line "$T/demo.out" '^kj_heal: pid' 10
	attach "$pid"
	wait_for_line "$T/kt.out" '^Breakpoint 1 at 0x[0-9a-f]+: tick_fn\+' 1
	sleep 1
	grep -q 'TracerPid:[[:space:]]*'"$ktpid" "/proc/$pid/status" || fail "kitrace is not tracing"
	# Kill just after seeing the thread asleep (S), not in a ptrace stop
	# (t): the sleep lasts 50 ms, a stop at the breakpoint ends the same way
	# for any tracer, so this keeps the test about healing.
	local st state
	for _ in $(seq 1 200); do
		read -r st <"/proc/$pid/stat" || break
		state=${st##*) }
		[ "${state:0:1}" != S ] || break
	done
	kill -KILL "$ktpid"
	wait "$ktpid" 2>/dev/null
	reap "$pid"
}

for r in 1 2 3; do
	round 1
	[ "$ST" = 0 ] || { cat "$T/demo.out" "$T/demo.err"; fail "healing round $r: status $ST, want 0"; }
	grep -qx "kj_heal: ok" "$T/demo.out" || { cat "$T/demo.out"; fail "healing round $r: wrong output"; }
done

round 0
[ "$ST" = $((128 + 5)) ] || fail "control (no KITJIT_HEAL): status $ST, want 133 (SIGTRAP)"
