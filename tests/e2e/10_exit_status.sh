# SPDX-License-Identifier: MIT
# 10_exit_status - kitrace as a drop-in wrapper: the program's exit status,
# 128+N for a deadly signal, and kitrace's own 125/126/127 with a message
# that says what to do; stdout stays the program's own.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

kt launch --batch -- "$PROGS/exiter" status 7
expect_status 7

kt launch --batch -- "$PROGS/exiter" status 0
expect_status 0

# SIGTERM is passed silently and kills the program: 128+15, no crash report.
kt launch --batch -- "$PROGS/exiter" kill 15
expect_status 143
expect_err_not_contains "kitrace report"

# abort(): SIGABRT is a crash: report, then the program dies of it.
kt launch --batch -- "$PROGS/exiter" abort
expect_status 134
expect_err_contains "SIGABRT"
expect_err_contains "=== kitrace report ==="

# A handled SIGSEGV is not a crash: the program recovers and exits 0.
kt launch --batch -- "$PROGS/exiter" segv-handled
expect_status 0
expect_out_contains "recovered"
expect_err_not_contains "kitrace report"

# stdout is byte-identical to an untraced run.
prog bp_loop 1000
cp "$T/out" "$T/plain"
kt launch --batch -- "$PROGS/bp_loop" 1000
cmp -s "$T/out" "$T/plain" || fail "stdout differs from the untraced run"

kt launch --batch -- /nonexistent/program
expect_status 127
expect_err_contains "program not found"

kt launch --batch -- no-such-program-kitrace-test
expect_status 127

printf '#!/bin/sh\n' > "$T/noexec"
chmod 644 "$T/noexec"
kt launch --batch -- "$T/noexec"
expect_status 126
expect_err_contains "cannot execute"

printf 'not an elf\n' > "$T/garbage"
chmod 755 "$T/garbage"
kt launch --batch -- "$T/garbage"
expect_status 126

kt launch
expect_status 125
expect_err_contains "launch needs a PROGRAM"

kt frobnicate
expect_status 125
expect_err_contains "unknown mode"

kt launch --timeout abc -- "$PROGS/bp_loop"
expect_status 125
expect_err_contains "invalid --timeout"

kt launch --bogus -- "$PROGS/bp_loop"
expect_status 125

kt attach 999999999
expect_status 125

kt attach 4194000
expect_status 125
expect_err_contains "no such process"

kt attach notapid
expect_status 125
expect_err_contains "invalid PID"

kt --help
expect_status 0
expect_out_contains "Usage: kitrace launch"

kt --version
expect_status 0
expect_out_contains "kitrace "
