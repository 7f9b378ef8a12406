# SPDX-License-Identifier: MIT
# 44_a64_exclusive - breakpoints and ldxr/stxr loops (corpus_a64 x N: N
# increments through excl_inc: ldxr; add; stxr; cbnz).  Any stop between
# the ldxr and the stxr clears the exclusive monitor, so the stxr fails and
# the loop would retry forever.  A breakpoint asked for inside the window
# goes to its ldxr (with a note), and stepping over the ldxr runs the whole
# sequence to a temporary breakpoint after the stxr: the program ends with
# the right count, displaced stepping on and off.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need_arch aarch64 "ldxr/stxr are AArch64 instructions"

N=$(emulated 2000 200)
prog corpus_a64 x $N
expect_status 0
expect_out_contains "excl: counter=$N"

hits_of() {
	sed -nE 's/^kitrace stats: hits ([0-9]+),.*/\1/p' "$T/err" | tail -n 1
}

for mode in on off; do
	ex=()
	[ $mode = on ] || ex=(-ex 'set displaced-stepping off')
	# Inside the window (the add after the ldxr): moved to the ldxr.
	KITRACE_STATS=1 kt launch --batch "${ex[@]}" -ex 'break *excl_inc+4 if $x0 == 0' \
		-- "$PROGS/corpus_a64" x $N
	expect_status 0
	expect_out_contains "excl: counter=$N"
	expect_err_contains "is inside an exclusive sequence; using its start"
	hits=$(hits_of)
	[ "${hits:-0}" -ge "$N" ] || fail "only ${hits:-?} hits, want >= $N ($mode)"
	# On the ldxr itself, and on the stxr.
	KITRACE_STATS=1 kt launch --batch "${ex[@]}" -ex 'break *excl_inc if $x0 == 0' \
		-ex 'break *excl_inc+8 if $x0 == 0' -- "$PROGS/corpus_a64" x $N
	expect_status 0
	expect_out_contains "excl: counter=$N"
	hits=$(hits_of)
	[ "${hits:-0}" -ge "$N" ] || fail "only ${hits:-?} hits, want >= $N ($mode)"
	expect_err_not_contains "hit Breakpoint"
done
exit 0
