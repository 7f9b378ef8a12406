# SPDX-License-Identifier: MIT
# 17_sigterm - kitrace itself gets SIGTERM (or SIGHUP) while it runs an
# attached process with breakpoints planted: it removes every patch and
# detaches; the victim survives, its code intact, and finishes correctly.
# A launched program is killed instead.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

for sig in TERM HUP; do
	spawn sleeper "$PROGS/sleeper" 3 2
	wait_for_line "$T/sleeper.out" '^sleeper: pid' 10
	pid=$PID
	"$KITRACE" attach -ex "break tick if $ARG0 < 0" -ex 'break tick' -ex 'disable 2' \
		-ex continue "$pid" </dev/null >"$T/kt.out" 2>"$T/kt.err" &
	ktpid=$!
	sleep 1
	kill -"$sig" "$ktpid"
	wait "$ktpid"
	st=$?
	[ "$st" -ge 128 ] || fail "kitrace exited $st after SIG$sig"
	grep -q "kitrace received SIG$sig" "$T/kt.err" || { cat "$T/kt.err"; fail "no cleanup message"; }
	reap "$pid"
	expect_status 0
	grep -q "sleeper: code intact" "$T/sleeper.out" || { cat "$T/sleeper.out" "$T/sleeper.err"; fail "patches left behind after SIG$sig"; }
done

# Launch: SIGTERM to kitrace kills the program it launched, nothing is left.
"$KITRACE" launch --batch -ex 'break spin' -- "$PROGS/hang" </dev/null >"$T/h.out" 2>"$T/h.err" &
ktpid=$!
sleep 1
victim=$(pgrep -P "$ktpid" || true)
kill -TERM "$ktpid"
wait "$ktpid"
[ $? = 143 ] || fail "kitrace should exit 143 after SIGTERM"
[ -z "$victim" ] || ! kill -0 "$victim" 2>/dev/null || fail "launched program left running"
