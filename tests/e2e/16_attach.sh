# SPDX-License-Identifier: MIT
# 16_attach - attach to a running multi-threaded process, look, plant and hit
# breakpoints, detach: the process goes on, byte-identical (the sleeper
# checks its own code), and finishes correctly.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

spawn sleeper "$PROGS/sleeper" 8 3
wait_for_line "$T/sleeper.out" '^sleeper: 4 threads up' 10
pid=$PID

kt attach --batch -ex 'info threads' -ex 'bt' -ex 'break tick' -ex continue -ex bt \
	-ex 'info breakpoints' "$pid"
expect_status 0
expect_out_contains "hit Breakpoint 1"
expect_out_contains "in tick+"
[ "$(grep -c 'Thread [0-9]* "sleeper' "$T/out")" = 4 ] || fail "not every thread listed"
kill -0 "$pid" || fail "the process died at detach"

# Again, with a condition that is never true and many hits, then detach.
"$KITRACE" attach --batch -ex "break tick if $ARG0 < 0" -ex 'continue' "$pid" \
	>"$T/kt2.out" 2>"$T/kt2.err" &
ktpid=$!
sleep 1
kill -INT "$ktpid" 2>/dev/null
wait "$ktpid"
st=$?
[ "$st" = 130 ] || { cat "$T/kt2.out" "$T/kt2.err"; fail "kitrace exited $st after SIGINT, want 130"; }
kill -0 "$pid" || fail "the process died"

reap "$pid"
expect_status 0
grep -q "sleeper: code intact" "$T/sleeper.out" || { cat "$T/sleeper.out" "$T/sleeper.err"; fail "code not intact after detach"; }
grep -q "sleeper: done" "$T/sleeper.out" || fail "sleeper did not finish"

# A process that is gone.
kt attach "$pid"
expect_status 125
expect_err_contains "no such process"
