# SPDX-License-Identifier: MIT
# 25_frames - selecting frames (frame, up, down, info frame): registers in
# expressions and "info registers" are the selected frame's, finish leaves
# the selected frame, the selection resets at the next stop; calls inlined
# at -O2 are frames of their own in bt, frame N, and the JSON report.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3
P=$PROGS/lines
L() {
	local n
	n=$(grep -n "/\* $1 \*/" "${2:-inferior/progs/lines.c}" | cut -d: -f1)
	[ -n "$n" ] || fail "marker $1 not found"
	echo "$n"
}
H='0x[0-9a-f]+'

# In other_add, frame 1 is main at the call line: its pc is the return
# address, its sp the caller's; rax is not recovered there.
R_PC=rip R_SP=rsp R_X=rax
[ "$KT_ARCH" != aarch64 ] || { R_PC=pc R_SP=sp R_X=x0; }
kt launch --batch -ex 'break other_add' -ex continue -ex bt -ex 'print $pc' -ex up \
	-ex 'print $pc' -ex 'print $sp' -ex "print \$$R_X" -ex "info registers $R_PC $R_SP $R_X" \
	-ex 'info frame' -ex up -ex 'up 9' -ex 'up' -ex 'down 9' -ex 'down' -ex 'frame 1' \
	-ex frame -ex 'frame 99' -ex finish -ex 'print $pc' -- "$P"
expect_status 0
ret=$(sed -nE 's/^#1  (0x[0-9a-f]+) in main\+.*/\1/p' "$T/err" | head -1)
[ -n "$ret" ] || fail "no frame 1 in main"
ret=$(printf '0x%x' "$ret")
grep -qE "^\\\$1 = $H <other_add\+" "$T/err" || fail "frame 0 pc"
grep -qE "^#1  $H in main\+[0-9]+ \(lines\) at .*lines\.c:$(L L_OTHER) " "$T/err" || fail "up shows frame 1"
grep -qE "^$(L L_OTHER)${TAB}.*L_OTHER" "$T/err" || fail "up shows the source line"
grep -qE "^\\\$2 = $ret <main\+" "$T/err" || fail "print \$pc in frame 1 is not the return address $ret"
expect_err_contains "cannot read \$$R_X"
grep -qE "^$R_PC +$ret " "$T/err" || fail "info registers $R_PC in frame 1"
grep -qE "^$R_X +<not saved>" "$T/err" || fail "info registers: $R_X not shown as <not saved>"
grep -qE "^Stack level 1, frame at $H:$" "$T/err" || fail "info frame header"
grep -qE "^ pc = 0x0*${ret#0x} in main \(.*lines\.c:$(L L_OTHER)\); saved pc = $H$" "$T/err" ||
	fail "info frame pc line"
expect_err_contains "Initial frame selected; you cannot go up."
expect_err_contains "Bottom (innermost) frame selected; you cannot go down."
expect_err_contains "No frame at level 99."
# The outermost frame, _start, was reached by "up 9" (clamped).
grep -qE "^#[0-9]+ +$H in _start\+" "$T/err" || fail "up N did not clamp at the outermost frame"
# finish with frame 1 (main) selected runs main out to libc.
grep -qE "^Run till exit from #1 " "$T/err" || fail "finish from the selected frame"
# After the stop the selection is frame 0 again.
# finish from frame 1 (main) returns into its caller, and $pc is then
# frame 0's: main's saved pc, as "info frame" showed it.
saved=$(sed -nE 's/.*; saved pc = (0x[0-9a-f]+)$/\1/p' "$T/err" | head -1)
last=$(grep -E '^\$[0-9]+ = ' "$T/err" | tail -1 | awk '{ print $3 }')
[ -n "$saved" ] && [ "$((saved))" = "$((last))" ] ||
	fail "frame not reset after finish: \$pc is $last, main's saved pc $saved"

# Recursion: finish from frame 2 (the outer fact) returns to main.
kt launch --batch -ex 'break fact if $rdi == 1' -ex continue -ex 'up 2' -ex finish -- "$P"
expect_status 0
expect_err_contains 'Value returned is $1 = 6'
grep -qE "in main\+[0-9]+ \(lines\) at .*lines\.c:$(L L_FACT)$" "$T/err" || fail "finish from frame 2"

# Inlined frames (-O2): sink <- scale <- add_scaled (both inlined) <- main.
I=inferior/progs/inline_o2.c
kt launch --batch -ex 'break sink' -ex continue -ex bt -ex 'frame 2' -ex 'info frame' \
	-ex 'print $pc' -ex kill -- "$PROGS/inline_o2" 3
grep -qE "^#0  $H in sink .* at .*inline_o2\.c:$(L L_SINK $I) \[elf, regs\]$" "$T/err" || fail "bt #0"
grep -qE "^#1  $H in scale .* at .*inline_o2\.c:$(L L_SCALE_CALL $I) \[dwarf, inlined\]$" "$T/err" ||
	fail "bt #1: scale inlined at the call to sink"
grep -qE "^#2  $H in add_scaled .* at .*inline_o2\.c:$(L L_ADD_CALL $I) \[dwarf, inlined\]$" "$T/err" ||
	fail "bt #2: add_scaled inlined"
grep -qE "^#3  $H in main\+[0-9]+ .* at .*inline_o2\.c:$(L L_MAIN_CALL $I) \[elf, (cfi|fp)\]$" "$T/err" ||
	fail "bt #3: main at the inlined call"
pcs=$(grep -cE "^#[123]  $(sed -nE 's/^#1  (0x[0-9a-f]+) .*/\1/p' "$T/err" | head -1) " "$T/err")
[ "$pcs" -ge 3 ] || fail "inlined frames do not share their physical frame's pc"
expect_err_contains " inlined into frame 3"
grep -qE "^$(L L_ADD_CALL $I)${TAB}.*L_ADD_CALL" "$T/err" || fail "frame 2 source line"

# The crash report (text and JSON) has the inlined frames too.
kt launch --batch --report "$T/r.json" -- "$PROGS/inline_o2" 3 crash
expect_status 139
grep -qE "^#1  $H in scale .*\[dwarf, inlined\]$" "$T/err" || fail "text report lacks inlined frames"
python3 - "$T/r.json" "$(L L_SCALE_CALL $I)" "$(L L_ADD_CALL $I)" <<'PY' || fail "JSON report frames"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["report_version"] == 1
t = [t for t in r["threads"] if t["crashed"]][0]
f = t["frames"][:4]
assert [x["function"] for x in f] == ["sink", "scale", "add_scaled", "main"], f
assert [x["inlined"] for x in f] == [False, True, True, False], f
assert [x["index"] for x in f] == [0, 1, 2, 3], f
assert f[1]["unwind"] == "inlined" and f[1]["symbol_source"] == "dwarf", f[1]
assert (f[1]["line"], f[2]["line"]) == (int(sys.argv[2]), int(sys.argv[3])), f
assert f[1]["pc"] == f[2]["pc"] == f[3]["pc"], f
PY

# step at -O2: from the inlined call site into sink, which has no prologue:
# the step stops at its entry, on its line.
kt launch --batch -ex "break $I:$(L L_SCALE_CALL $I)" -ex continue -ex step -ex bt -ex kill \
	-- "$PROGS/inline_o2" 2
grep -qE "^sink \(\.\.\.\) at .*inline_o2\.c:$(L L_SINK $I)$" "$T/err" || fail "step into sink at -O2"
grep -qE "^#1  $H in scale .*\[dwarf, inlined\]$" "$T/err" || fail "bt after step into sink"
