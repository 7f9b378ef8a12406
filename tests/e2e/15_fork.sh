# SPDX-License-Identifier: MIT
# 15_fork - breakpoints planted in a process that forks: the children (not
# followed) get the patches removed before they run, so none dies of our
# SIGTRAP, and the output is the untraced one.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

prog forker
expect_status 0
cp "$T/out" "$T/plain"

kt launch --batch -ex 'break in_both' -- "$PROGS/forker"
expect_status 0
cmp -s "$T/out" "$T/plain" || { diff "$T/plain" "$T/out"; fail "output differs"; }
# Only the parent's two calls stop.
[ "$(grep -c 'hit Breakpoint 1' "$T/err")" = 2 ] || fail "expected 2 hits in the parent"

kt launch --batch -ex 'break in_both if $rdi == 7' -- "$PROGS/forker"
expect_status 0
cmp -s "$T/out" "$T/plain" || fail "output differs with a false condition"
