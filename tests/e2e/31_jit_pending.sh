# SPDX-License-Identifier: MIT
# 31_jit_pending - with kitdemo --lazy a JIT function does not exist until
# its first call: a breakpoint on it is pending, resolves when libkitjit
# publishes it, and hits before the function's first instruction runs;
# bt and finish work from there; a conditional breakpoint hit 100000 times
# leaves the program's output intact; an attach to a process that has not
# created its registry yet leaves the breakpoint pending until it does.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
# In a sanitizer build kitdemo is sanitized too, and LeakSanitizer cannot
# check a process that is being traced: no leak check here (for either).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
DEMO=${DEMO:-$BUILD/kitdemo}
[ -x "$DEMO" ] || fail "kitdemo not built ($DEMO)"
EX=inferior/demo/examples

# 1. crash.kit: checksum is compiled only when parse_input first calls it.
kt launch --batch -ex 'break checksum' -ex 'info breakpoints' -ex continue -ex bt \
	-ex 'info breakpoints' -- "$DEMO" --lazy "$EX/crash.kit"
expect_status 139
expect_err_contains "Breakpoint 1 (checksum) pending."
expect_err_contains "<PENDING>"
expect_err_contains "Breakpoint 1 resolved: checksum"
grep -qE '^Thread 1 hit Breakpoint 1, 0x[0-9a-f]+ in checksum\+[0-9]+ at .*crash\.kit:1[45]$' "$T/err" ||
	fail "did not stop in checksum"
# bt at the stop: checksum <- parse_input <- main (JIT) <- main (kitdemo);
# read_cell is not compiled yet, so it is in no frame.
grep -qE '^#0 +0x[0-9a-f]+ in checksum\+[0-9]+ at .*crash\.kit:1[45] \[registry, ' "$T/err" || fail "bt #0"
grep -qE '^#1 +0x[0-9a-f]+ in parse_input\+[0-9]+ at .*crash\.kit:25 \[registry, registry\]' "$T/err" || fail "bt #1"
grep -qE '^#2 +0x[0-9a-f]+ in main\+[0-9]+ at .*crash\.kit:30 \[registry, registry\]' "$T/err" || fail "bt #2"
grep -qE '^#3 +0x[0-9a-f]+ in (main|kd_jit_call)\+[0-9]+ \(kitdemo\)( at [^ ]+)? \[elf, ' "$T/err" || fail "bt #3"
expect_err_contains "breakpoint already hit 1 time"
# and the crash is still reported through the lazily compiled frames
grep -qE '^#0 +0x[0-9a-f]+ in read_cell\+[0-9]+ at .*crash\.kit:11 \[registry, ' "$T/err" ||
	fail "crash not reported in read_cell"

# 2. finish from a lazily compiled JIT function prints what it returned.
cat >"$T/twice.kit" <<'KIT'
fn twice(x) {
	return x * 2;
}

fn main() {
	var r = twice(21);
	print(r);
	return 0;
}
KIT
kt launch --batch -ex 'break twice' -ex continue -ex 'print $rdi' -ex finish -- \
	"$DEMO" --lazy "$T/twice.kit"
expect_status 0
expect_out_contains "42"
expect_err_contains "Breakpoint 1 (twice) pending."
expect_err_contains "in twice+"
expect_err_contains '$1 = 21'
expect_err_contains "Run till exit from"
expect_err_contains 'Value returned is $2 = 42'
grep -qE 'in main\+[0-9]+ at .*twice\.kit:6$' "$T/err" || fail "finish did not return to main line 6"

# 3. A conditional breakpoint that is never true, on a function called
# 100000 times: every call is a hit, none stops, the output is right.
# Emulated (make check-aarch64): 3000 calls, checksum 4501500.
CALLS=$(emulated 100000 3000) SUM=$(emulated 5000050000 4501500)
sed -e 's/\bstep\b/kstep/g' -e "s/i <= 100000/i <= $CALLS/" "$EX/loop.kit" >"$T/kloop.kit"
sed "s/i <= 100000/i <= $CALLS/" "$EX/loop.kit" >"$T/loop.kit"
KITRACE_STATS=1 kt launch --batch -ex 'break kstep if $rdi < 0' -ex continue -- \
	"$DEMO" --lazy "$T/kloop.kit"
expect_status 0
expect_out_contains "$SUM"
expect_err_contains "Breakpoint 1 resolved: kstep"
expect_err_not_contains "hit Breakpoint"
hits=$(sed -nE 's/^kitrace stats: hits ([0-9]+), silent ([0-9]+),.*/\1 \2/p' "$T/err")
[ -n "$hits" ] || fail "no stats line"
set -- $hits
[ "$1" -ge "$CALLS" ] && [ "$2" -ge "$CALLS" ] || fail "stats: $hits, want >= $CALLS silent hits"

# 4. The same over the bundled loop.kit, whose function is named `step`:
# glibc also exports a function `step` (regexp.h), and the breakpoint on
# the JIT function must still be hit in the JIT code.
KITRACE_STATS=1 kt launch --batch -ex 'break step if $rdi < 0' -ex continue -ex 'info breakpoints' -- \
	"$DEMO" --lazy "$T/loop.kit"
expect_status 0
expect_out_contains "$SUM"
hits=$(sed -nE 's/^kitrace stats: hits ([0-9]+),.*/\1/p' "$T/err")
[ "${hits:-0}" -ge "$CALLS" ] ||
	fail "break step (JIT function) was hit ${hits:-0} times, want >= $CALLS (resolved to libc's step?)"
# 5. Attach before the registry exists: kj_heal waits 1 s before it
# creates its registry and publishes tick_fn.  The breakpoint is pending at
# the attach, resolves when the library creates the registry (its hook),
# and is hit on the first call.
spawn early "$PROGS/kj_heal" 1 1
wait_for_line "$T/early.out" '^kj_heal: waiting, pid' 10
kt attach --batch -ex 'break tick_fn' -ex continue -ex bt -ex kill "$PID"
reap "$PID"
expect_out_contains "Breakpoint 1 (tick_fn) pending."
expect_err_contains "Breakpoint 1 resolved: tick_fn"
grep -qE "hit Breakpoint 1, 0x[0-9a-f]+ in tick_fn\+$JIT_PROLOGUE\$" "$T/out" ||
	fail "no hit at tick_fn+$JIT_PROLOGUE after the registry appeared"
grep -qE "^#1 .* in main\+[0-9]+ \(kj_heal\)" "$T/out" || fail "bt from tick_fn does not reach main"
[ "$ST" -ne 0 ] || fail "kj_heal finished on its own: the kill did not reach it"
echo ok
