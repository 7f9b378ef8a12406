# SPDX-License-Identifier: MIT
# 42_displaced_interrupt - SIGINT to kitrace while a thread passes a
# breakpoint out of line (bp_loop's hot() under a silent breakpoint, about
# every 100 us): the thread may be stopped inside its scratch slot, and must
# be shown where it is in the program (hot), never at the slot's address.
# Half of the rounds caught the thread in its slot before the fix.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

for round in 1 2 3 4 5 6 7 8; do
	"$KITRACE" launch --batch -ex 'break hot' -ex 'commands 1' -ex silent -ex continue -ex end \
		-ex continue -- "$PROGS/bp_loop" 100000000 >"$T/out" 2>"$T/err" &
	kp=$!
	sleep 0.7
	kill -INT "$kp"
	st=0
	wait "$kp" || st=$?
	[ "$st" = 130 ] || { cat "$T/err"; fail "round $round: kitrace exited $st, want 130"; }
	line=$(grep -m1 '^Interrupted\.' "$T/err")
	echo "round $round: $line"
	case $line in
	*" in "[a-z_]*) ;;
	*) cat "$T/err"; fail "round $round: interrupted outside the program: $line" ;;
	esac
done
exit 0
