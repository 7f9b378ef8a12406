# SPDX-License-Identifier: MIT
# 23_detach_race - attach, stop at a breakpoint that 16 threads hit as fast
# as they can, detach; 40 times over one process.  A thread interrupted just
# after executing the breakpoint still holds its SIGTRAP when it stops; were
# it detached like that it would die of it (this killed 16_attach's sleeper
# under load).  The process must live through every round (up to 40, as
# many as fit in 6 s, at least 5) and finish correctly.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

spawn hammer "$PROGS/hammer" 10
pid=$PID
sleep 0.3
start=$SECONDS rounds=0
for i in $(seq 1 40); do
	[ $((SECONDS - start)) -lt 6 ] || break
	"$KITRACE" attach --batch -ex 'break hammer_fn' -ex continue "$pid" \
		>"$T/round.out" 2>"$T/round.err"
	st=$?
	kill -0 "$pid" 2>/dev/null || { cat "$T/round.out" "$T/round.err"; fail "the process died after round $i"; }
	[ "$st" = 0 ] || { cat "$T/round.out" "$T/round.err"; fail "round $i: kitrace exited $st"; }
	grep -q "hit Breakpoint 1" "$T/round.out" || { cat "$T/round.out"; fail "round $i: no hit"; }
	rounds=$i
done
[ "$rounds" -ge "$(emulated 5 2)" ] || fail "only $rounds rounds in 6 s"
echo "$rounds rounds"
reap "$pid"
[ "$ST" = 0 ] || { cat "$T/hammer.out" "$T/hammer.err"; fail "hammer exited $ST"; }
grep -q "results correct: yes" "$T/hammer.out" || fail "wrong results"
grep -q "STARVED" "$T/hammer.out" && fail "a worker starved"
grep -q "children reaped: [0-9]* ok, 0 bad, 0 fork failures" "$T/hammer.out" || fail "children: $(grep children "$T/hammer.out")"
exit 0
