# SPDX-License-Identifier: MIT
# 14_traps - traps the program executes itself: an int3 that is not ours is
# a debugtrap (reported, continue resumes after it); ud2 is a trap (a crash:
# continuing delivers SIGILL, as without a debugger).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

kt launch --batch -- "$PROGS/traps" debugtrap
expect_status 0
expect_out_contains "after debugtrap"
expect_err_contains "hit a debug trap (int3) at"
expect_err_contains "do_debugtrap"

kt launch --batch -- "$PROGS/traps" trap
expect_status 132
expect_err_contains "SIGILL"
expect_err_contains "(trap instruction ud2)"
expect_err_contains "=== kitrace report ==="
grep -q '^=> .*<do_trap' "$T/err" || fail "ud2 not marked in do_trap"

kt launch --batch --report "$T/r.json" -- "$PROGS/traps" int3-then-trap
expect_status 132
expect_err_contains "debug trap (int3)"
grep -q '"trap": "ud2"' "$T/r.json" || fail "JSON report lacks the trap"

# Interactive-style: stop at the debugtrap with commands, then continue.
kt launch --batch -ex continue -ex 'print $pc' -ex continue -- "$PROGS/traps" debugtrap
expect_status 0
expect_out_contains "after debugtrap"
