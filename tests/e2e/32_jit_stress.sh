# SPDX-License-Identifier: MIT
# 32_jit_stress - kj_stress: 4 threads publish, call, retract and rewrite
# small JIT functions in reused memory (names f_<thread>_<k%50> repeat).
# Under kitrace, with pending breakpoints on some of those names that
# resolve, hit, go pending again when the code is retracted and get deleted
# (from -ex and from a breakpoint's own commands), the program must see
# exactly what it sees untraced: kj_stress checks every return value and
# prints a checksum; stale bytes restored or stepped over in reused memory
# change it (or crash the program).  Several rounds: the races are timing.
# The JIT code is x86-64 or AArch64 (inferior/progs/jitemit.h); emulated
# (make check-aarch64), 400 functions per thread and two rounds.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
ITERS=${KJ_ITERS:-$(emulated 2000 400)}
ROUNDS=${KJ_ROUNDS:-$(emulated 3 2)}

prog kj_stress "$ITERS"
expect_status 0
want=$(sed -n 's/.*checksum \([0-9a-f]*\)$/\1/p' "$T/out")
[ -n "$want" ] || fail "kj_stress printed no checksum"
echo "untraced checksum $want"

check_run() {
	local what=$1
	grep -q "received signal" "$T/err" && fail "$what: the program got a signal under kitrace"
	expect_status 0
	expect_out_contains "checksum $want"
	local hits
	hits=$(sed -nE 's/^kitrace stats: hits ([0-9]+),.*/\1/p' "$T/err")
	[ "${hits:-0}" -gt 0 ] || fail "$what: no breakpoint hit at all"
	echo "$what: ok ($(grep -c 'resolved:' "$T/err") resolutions, ${hits} hits)"
}

for round in $(seq 1 "$ROUNDS"); do
	# a: breakpoints that never stop (silent; continue), kept all along
	KITRACE_STATS=1 kt launch --batch \
		-ex 'break f_0_3' -ex commands -ex silent -ex continue -ex end \
		-ex 'break f_1_7' -ex commands -ex silent -ex continue -ex end \
		-ex 'break f_2_49 if $rax == 1' \
		-ex 'break f_3_0' -ex commands -ex silent -ex continue -ex end \
		-ex continue -- "$PROGS/kj_stress" "$ITERS"
	check_run "round $round a"
	expect_err_contains "(f_2_49) pending."

	# b: stop, look, delete from -ex and from a breakpoint's own commands
	KITRACE_STATS=1 kt launch --batch \
		-ex 'break f_0_3' -ex 'break f_1_7' -ex 'break f_3_11' \
		-ex 'commands 3' -ex silent -ex 'delete 3' -ex continue -ex end \
		-ex continue -ex bt -ex 'info breakpoints' -ex 'delete 1' \
		-ex continue -ex 'delete' -ex 'info breakpoints' -ex continue \
		-- "$PROGS/kj_stress" "$ITERS"
	check_run "round $round b"
	grep -qE "^Thread [0-9]+ hit Breakpoint [12], 0x[0-9a-f]+ in f_[01]_[37]\\+$JIT_PROLOGUE\$" "$T/err" ||
		fail "round $round b: no stop in f_0_3 / f_1_7"
	grep -qE '^#1 +0x[0-9a-f]+ in worker\+[0-9]+ \(kj_stress\)' "$T/err" ||
		fail "round $round b: bt does not unwind from the JIT frame to worker"
	expect_err_contains "No breakpoints"
done
echo ok
