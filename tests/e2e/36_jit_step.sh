# SPDX-License-Identifier: MIT
# 36_jit_step - source-level stepping in JIT code: kitdemo publishes each
# function's line table in the registry, and step/next/finish/until/list
# and frame selection use it as they use DWARF for compiled code.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
# A sanitized kitdemo cannot be leak-checked under ptrace (see 31_jit_pending).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
DEMO=${DEMO:-$BUILD/kitdemo}
[ -x "$DEMO" ] || fail "kitdemo not built ($DEMO)"
K=$T/tw.kit
cat >"$K" <<'KIT'
fn twice(x) {
	var y = x * 2;
	return y;
}

fn run(n) {
	var r = twice(n);
	var s = r + 1;
	var i = 0;
	while (i < 3) {
		i = i + 1;
	}
	print(s + i);
	return s;
}

fn main() {
	var v = run(21);
	return 0;
}
KIT
H='0x[0-9a-f]+'
shown() { grep -qxF -- "$1${TAB}$2" "$T/err"; }

# next to line 7; step into twice (another JIT function: its name and
# file:line, then its lines); back out mid-line into run; next on.
kt launch --batch -ex 'break run' -ex continue -ex next -ex step -ex next -ex step \
	-ex next -- "$DEMO" "$K"
expect_status 0
expect_out_contains "46"
shown 7 "	var r = twice(n);" || fail "next to line 7"
grep -qE "^twice \(\.\.\.\) at .*tw\.kit:2$" "$T/err" || fail "step into twice"
shown 2 "	var y = x * 2;" || fail "line 2"
shown 3 "	return y;" || fail "line 3"
grep -qE "^$H in run \(\.\.\.\) at .*tw\.kit:7$" "$T/err" || fail "back in run"
shown 8 "	var s = r + 1;" || fail "next after returning"

# With --lazy, twice is compiled by its first call, through a stub without
# line information: step steps over that call, as GDB does over a
# trampoline it does not know.
kt launch --batch -ex 'break run' -ex continue -ex next -ex step -- "$DEMO" --lazy "$K"
expect_status 0
shown 8 "	var s = r + 1;" || fail "step over the lazy stub"

# finish from twice prints what it returned and the caller's line; until
# runs the loop out; up selects run's JIT frame, its pc the return address.
kt launch --batch -ex 'break twice' -ex continue -ex 'print $pc' -ex up -ex 'print $pc' \
	-ex 'info frame' -ex down -ex finish -ex next -ex next -ex next -ex next -ex until \
	-ex until -ex list -- "$DEMO" "$K"
expect_status 0
grep -qE '^\$1 = 0x[0-9a-f]+ <twice\+' "$T/err" || fail "pc in twice"
grep -qE "^#1  $H in run\+[0-9]+ at .*tw\.kit:7 \[registry, registry\]$" "$T/err" || fail "up to run"
grep -qE '^\$2 = 0x[0-9a-f]+ <run\+' "$T/err" || fail "pc of frame 1 is not in run"
expect_err_contains "found by: registry; symbol from: registry"
expect_err_contains 'Value returned is $3 = 42'
grep -qE "^Run till exit from #0 " "$T/err" || fail "finish"
shown 10 "	while (i < 3) {" || fail "next to the loop"
shown 11 "		i = i + 1;" || fail "next into the loop body"
shown 13 "	print(s + i);" || fail "until did not run the loop out"
grep -qE "^16${TAB}$" "$T/err" && grep -qE "^17${TAB}fn main\(\) \{$" "$T/err" ||
	fail "list around the stop in the .kit file"

# list FUNCTION finds a JIT function's file through the registry; FIRST,LAST.
kt launch --batch -ex 'break run' -ex continue -ex 'list twice' -ex 'list 2,3' -ex kill \
	-- "$DEMO" "$K"
grep -qE "^1${TAB}fn twice\(x\) \{$" "$T/err" && grep -qE "^10${TAB}${TAB}while \(i < 3\) \{$" "$T/err" ||
	fail "list twice"
[ "$(grep -cE "^2${TAB}${TAB}var y = x \* 2;$" "$T/err")" = 2 ] || fail "list 2,3"
[ "$(grep -cE "^4${TAB}}$" "$T/err")" = 1 ] || fail "list 2,3 showed line 4"
