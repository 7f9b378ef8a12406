# SPDX-License-Identifier: MIT
# 35_jit_fork - kj_stress fork: a libkitjit program publishes two JIT
# functions, and with breakpoints planted in them (and a pending one on a
# name only the children publish) forks three children that call the
# inherited JIT code and publish, call and retract code of their own.
# kitrace does not follow the children: they must run untouched by the
# patches they inherited (no SIGTRAP) and the parent's breakpoints keep
# working.  The output must be the untraced one.  The JIT code is x86-64 or
# AArch64 (inferior/progs/jitemit.h); emulated (make check-aarch64), each
# process calls the functions 100 times instead of 1000.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
CALLS=$(emulated 1000 100)

prog kj_stress fork 3 "$CALLS"
expect_status 0
expect_out_contains "child 3 exited 3"
cp "$T/out" "$T/plain"

same_output() {
	cmp -s "$T/out" "$T/plain" || { diff "$T/plain" "$T/out"; fail "$1: output differs from the untraced run"; }
}

# Stopping breakpoints: jf_add is called once before the forks and CALLS
# times after them in the parent: CALLS + 1 stops, none from a child.
KITRACE_STATS=1 kt launch --batch -ex 'break jf_add' -ex 'break jf_mul if $rdi == 100000' \
	-ex 'break jf_child' -ex continue -ex bt -ex 'info breakpoints' \
	-- "$PROGS/kj_stress" fork 3 "$CALLS"
expect_status 0
same_output "stopping breakpoints"
expect_err_contains "Breakpoint 1 resolved: jf_add"
expect_err_contains "Breakpoint 2 resolved: jf_mul"
grep -qE '^#1 +0x[0-9a-f]+ in call_both\+[0-9]+ \(kj_stress\)' "$T/err" || fail "bt from jf_add"
n=$(grep -c "hit Breakpoint 1, 0x[0-9a-f]* in jf_add+$JIT_PROLOGUE\$" "$T/err")
[ "$n" = $((CALLS + 1)) ] || fail "jf_add stopped $n times, want $((CALLS + 1)) (the parent's calls only)"
expect_err_not_contains "hit Breakpoint 2"
expect_err_not_contains "hit Breakpoint 3"
expect_err_not_contains "received signal"

# Silent ones, every call a hit, and the same with the healer enabled.
for heal in 0 1; do
	KITJIT_HEAL=$heal KITRACE_STATS=1 kt launch --batch \
		-ex 'break jf_add' -ex commands -ex silent -ex continue -ex end \
		-ex 'break jf_mul if $rsi == 4' -ex 'break jf_child if $rax == 1' \
		-- "$PROGS/kj_stress" fork 3 "$CALLS"
	expect_status 0
	same_output "silent breakpoints (KITJIT_HEAL=$heal)"
	hits=$(sed -nE 's/^kitrace stats: hits ([0-9]+),.*/\1/p' "$T/err")
	[ "${hits:-0}" -ge $((2 * CALLS + 2)) ] ||
		fail "only ${hits:-0} hits, want >= $((2 * CALLS + 2)) (jf_add and jf_mul in the parent)"
done
echo ok
