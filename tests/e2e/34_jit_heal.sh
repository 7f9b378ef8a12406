# SPDX-License-Identifier: MIT
# 34_jit_heal - kitrace attaches to kitdemo looping a billion times through a
# JIT function, with a breakpoint on it whose condition is never true (so it
# is planted and hit all the time), and is SIGKILLed.  With KITJIT_HEAL=1
# the process repairs the patch at its next trap and finishes with the
# right output and status 0.  Control: without healing the same scenario
# kills the process with SIGTRAP, which proves the scenario plants patches
# and that the test can fail.  Several rounds: where kitrace dies is timing.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
DEMO=${DEMO:-$BUILD/kitdemo}
[ -x "$DEMO" ] || fail "kitdemo not built ($DEMO)"
ROUNDS=${HEAL_ROUNDS:-5}
[ -r /proc/self/mem ] || skip "no /proc/self/mem (the healer writes code through it)"

cat >"$T/heal.kit" <<'KIT'
fn hstep(i, acc) {
	return acc + i;
}

fn main() {
	print(0);
	var i = 1;
	var acc = 0;
	while (i <= 1000000000) {
		acc = hstep(i, acc);
		i = i + 1;
	}
	print(acc);
	return 0;
}
KIT
WANT=500000000500000000

# One round: start the loop (HEAL=$1), attach, let the breakpoint be hit
# for $2 seconds, SIGKILL kitrace, reap the process: status in $ST.
round() {
	local heal=$1 secs=$2 ktpid n
	if [ "$heal" = 1 ]; then
		spawn demo env KITJIT_HEAL=1 "$DEMO" "$T/heal.kit"
	else
		spawn demo env -u KITJIT_HEAL "$DEMO" "$T/heal.kit"
	fi
	local pid=$PID
	wait_for_line "$T/demo.out" '^0$' 10
	"$KITRACE" attach --batch -ex 'break hstep if $rdi < 0' -ex continue "$pid" \
		>"$T/kt.out" 2>"$T/kt.err" &
	ktpid=$!
	wait_for_line "$T/kt.out" '^Breakpoint 1 at 0x[0-9a-f]+: hstep\+' 10
	sleep "$secs"
	kill -0 "$pid" 2>/dev/null || { cat "$T/kt.out" "$T/kt.err"; fail "the loop ended before kitrace was killed (machine too fast? raise the loop count)"; }
	grep -q 'TracerPid:[[:space:]]*'"$ktpid" "/proc/$pid/status" || fail "kitrace is not tracing the process"
	kill -KILL "$ktpid"
	wait "$ktpid" 2>/dev/null
	reap "$pid"
	echo "round heal=$heal after ${secs}s: status $ST, output: $(tr '\n' ' ' <"$T/demo.out")"
}

for r in $(seq 1 "$ROUNDS"); do
	secs=$(awk -v r="$r" 'BEGIN { printf "%.2f", 0.3 + 0.25 * r }')
	round 1 "$secs"
	[ "$ST" = 0 ] || { cat "$T/demo.err"; fail "healing round $r: the process ended with status $ST, want 0"; }
	grep -qx "$WANT" "$T/demo.out" || fail "healing round $r: wrong output"
done

# Control: no healer, the process dies of the breakpoint kitrace left.
round 0 1
[ "$ST" = $((128 + 5)) ] || fail "control (no KITJIT_HEAL): status $ST, want 133 (SIGTRAP)"
! grep -qx "$WANT" "$T/demo.out" || fail "control: the process finished anyway"
echo "control: killed by SIGTRAP, as expected without healing"
echo ok
