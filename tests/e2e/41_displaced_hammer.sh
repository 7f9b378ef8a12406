# SPDX-License-Identifier: MIT
# 41_displaced_hammer - a false conditional breakpoint on a function that 16
# threads call as fast as they can while a sender thread sends them SIGUSR1
# every ~1 ms (inferior/progs/hammer.c): the output (facts only: no
# starvation, signals handled, every result right) must be the untraced one.
#
# hammer also forks every ~50 ms (the children call the function too, with
# the breakpoint removed from their copy).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

SECS=5
OPT=

prog hammer $SECS $OPT
expect_status 0
expect_out_contains "thread 15 ok"
expect_out_contains "signals handled > 0: yes"
expect_out_contains "results correct: yes"
expect_out_contains "children reaped: 100 ok, 0 bad"
cp "$T/out" "$T/plain"

RUN_TIMEOUT=120 KITRACE_STATS=1 kt launch --batch -ex 'break hammer_fn if $rdi < 0' \
	-- "$PROGS/hammer" $SECS $OPT
expect_status 0
cmp -s "$T/out" "$T/plain" || { diff "$T/plain" "$T/out"; fail "output differs from the untraced run"; }
grep 'kitrace stats:' "$T/err" || fail "no kitrace stats"
silent=$(sed -nE 's/.*kitrace stats:.* silent ([0-9]+).*/\1/p' "$T/err" | tail -n 1)
# emulated (make check-aarch64): a breakpoint round trip is ~50x slower
[ "${silent:-0}" -gt "$(emulated 10000 300)" ] || fail "only ${silent:-?} silent hits"
expect_err_not_contains "hit Breakpoint"
exit 0
