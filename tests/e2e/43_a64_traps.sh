# SPDX-License-Identifier: MIT
# 43_a64_traps - AArch64 brk instructions of the program itself, in one run
# (inferior/progs/corpus_a64.S, mode brk): brk #0xf000 is a debug trap
# (reported; continue resumes after it), brk #1 is a trap (a crash:
# continuing delivers SIGTRAP, as without a debugger).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need_arch aarch64 "brk is an AArch64 instruction; 14_traps covers int3/ud2"

prog corpus_a64 brk
expect_status 133
expect_out_contains "before"
expect_out_not_contains "after debugtrap"

kt launch --batch -ex continue -ex continue -- "$PROGS/corpus_a64" brk
expect_status 133
expect_out_contains "after debugtrap"
expect_out_contains "before trap"
expect_out_not_contains "after trap"
expect_err_contains "hit a debug trap (brk #0xf000) at"
expect_err_contains "(trap instruction brk #0x1)"
expect_err_contains "SIGTRAP"
[ "$(grep -c 'hit a debug trap' "$T/err")" = 1 ] || fail "the debug trap was reported more than once"
exit 0
