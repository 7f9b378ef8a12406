# SPDX-License-Identifier: MIT
# 14_traps - traps the program executes itself: an int3 that is not ours is
# a debugtrap (reported, continue resumes after it); ud2 is a trap (a crash:
# continuing delivers SIGILL, as without a debugger).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

# What the traps are on this machine (inferior/progs/traps.c).
if [ "$KT_ARCH" = aarch64 ]; then
	dbg="brk #0xf000" trap="brk #0x1" tsig=SIGTRAP tst=133
else
	dbg="int3" trap="ud2" tsig=SIGILL tst=132
fi

kt launch --batch -- "$PROGS/traps" debugtrap
expect_status 0
expect_out_contains "after debugtrap"
expect_err_contains "hit a debug trap ($dbg) at"
expect_err_contains "do_debugtrap"

kt launch --batch -- "$PROGS/traps" trap
expect_status $tst
expect_err_contains "$tsig"
expect_err_contains "(trap instruction $trap)"
expect_err_contains "=== kitrace report ==="
grep -q '^=> .*<do_trap' "$T/err" || fail "$trap not marked in do_trap"

kt launch --batch --report "$T/r.json" -- "$PROGS/traps" int3-then-trap
expect_status $tst
expect_err_contains "debug trap ($dbg)"
grep -q "\"trap\": \"$trap\"" "$T/r.json" || fail "JSON report lacks the trap"

# Interactive-style: stop at the debugtrap with commands, then continue.
kt launch --batch -ex continue -ex 'print $pc' -ex continue -- "$PROGS/traps" debugtrap
expect_status 0
expect_out_contains "after debugtrap"
