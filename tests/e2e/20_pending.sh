# SPDX-License-Identifier: MIT
# 20_pending - a breakpoint on a function of a library that is not loaded
# yet stays pending, shows in info breakpoints, and resolves when dlopen()
# maps the library (the r_debug rendezvous); also across exec.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

kt launch --batch -ex 'break plug_fn' -ex 'info breakpoints' -ex continue -ex bt \
	-ex 'print $rdi' -ex finish -- "$PROGS/dlmain"
expect_status 0
expect_out_contains "plug_fn=42"
expect_err_contains "Breakpoint 1 (plug_fn) pending."
expect_err_contains "<PENDING>"
expect_err_contains "in plug_fn"
expect_err_contains '$1 = 6'
expect_err_contains 'Value returned is $2 = 42'
grep -q 'libplug.so' "$T/err" || fail "module not named"

# exec: symbols are re-read and the breakpoint resolves in the new program.
kt launch --batch -ex 'break hot if $rdi == 2' -ex continue -ex 'print $rdi' -- \
	/bin/sh -c "exec $PROGS/bp_loop 4"
expect_status 0
expect_out_contains "sum=16"
expect_err_contains "executing a new program"
expect_err_contains '$1 = 2'
