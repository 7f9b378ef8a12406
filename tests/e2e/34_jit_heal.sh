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
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need_arch x86_64 "kj_heal emits x86-64 machine code"
[ -r /proc/self/mem ] || skip "no /proc/self/mem (the healer writes code through it)"

round() {
	local heal=$1 ktpid
	if [ "$heal" = 1 ]; then
		spawn demo env KITJIT_HEAL=1 "$PROGS/kj_heal" 3
	else
		spawn demo env -u KITJIT_HEAL "$PROGS/kj_heal" 3
	fi
	local pid=$PID
	wait_for_line "$T/demo.out" '^kj_heal: pid' 10
	"$KITRACE" attach --batch -ex "break tick_fn if $ARG0 < 0" -ex continue "$pid" \
		>"$T/kt.out" 2>"$T/kt.err" &
	ktpid=$!
	wait_for_line "$T/kt.out" '^Breakpoint 1 at 0x[0-9a-f]+: tick_fn\+' 10
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
