# SPDX-License-Identifier: MIT
# 13_threads - a multi-threaded inferior: every thread traced, bt all shows
# all nine, info threads names them, thread N switches, and a conditional
# breakpoint hammered by 8 threads leaves the output right.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

kt launch --batch -ex 'break work if $rdi == 3' -ex continue -ex 'info threads' \
	-ex 'bt all' -ex 'thread 1' -ex 'bt' -ex 'thread 99' -ex delete -ex kill -- "$PROGS/threads" 8 30
expect_status 137
[ "$(grep -c '^Thread [0-9]* (tid' "$T/err")" = 9 ] || fail "bt all did not show 9 threads"
for i in 0 1 2 3 4 5 6 7; do
	grep -q "\"worker-$i\"" "$T/err" || fail "worker-$i missing"
done
expect_err_contains "[Switching to thread 1"
expect_err_contains "Invalid thread ID: 99"
grep -q 'in work+.*worker_main' "$T/err" || grep -q 'worker_main' "$T/err" || fail "no worker frames"

# 8 threads hammering a breakpoint whose condition is false: the
# deterministic checksum is the untraced one.
M=$(emulated 0.02 0.001) # emulated: a hit costs ~50x more
prog threads 8 $M cpu
want=$(grep checksum "$T/out")
[ -n "$want" ] || fail "no checksum"
kt launch --batch -ex 'break work if $rdi < 0' -- "$PROGS/threads" 8 $M cpu
expect_status 0
expect_out_contains "$want"
