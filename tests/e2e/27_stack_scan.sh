# SPDX-License-Identifier: MIT
# 27_stack_scan - a crash in JIT code that has no frame pointer, no unwind
# rule and no symbol (inferior/progs/jitscan.c): the frame-pointer chain is
# gone (the code zeroed it), so the unwinder's last resort, a scan of the
# stack for a return address just after a call in named code, finds main;
# that frame says "scan", in text and JSON.  The same for a leaf that never
# stores its return address (AArch64: it stays in x30).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3
L=$(grep -n 'L_CALL' inferior/progs/jitscan.c | cut -d: -f1)

kt launch --batch --report "$T/r.json" -- "$PROGS/jitscan"
expect_status 139
expect_out_contains "jitscan: start"
grep -qE "^#0 +0x[0-9a-f]+ in \?\? .*\[none, regs\]$" "$T/err" || fail "frame 0 is not the unnamed JIT code"
grep -qE "^#1 +0x[0-9a-f]+ in main\+[0-9]+ \(jitscan\) at .*jitscan\.c:$L \[elf, scan\]$" "$T/err" ||
	fail "main not found by the stack scan at jitscan.c:$L"
python3 - "$T/r.json" "$L" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
f = [t for t in r["threads"] if t.get("crashed")][0]["frames"]
assert f[0]["function"] is None and f[0]["unwind"] == "regs", f[0]
assert f[1]["function"] == "main" and f[1]["unwind"] == "scan", f[1]
assert f[1]["line"] == int(sys.argv[2]), f[1]
PY
kt launch --batch -- "$PROGS/jitscan" leaf
expect_status 139
grep -qE "^#0 +0x[0-9a-f]+ in \?\? .*\[none, regs\]$" "$T/err" || fail "leaf: frame 0 is not the unnamed JIT code"
grep -qE "^#1 +0x[0-9a-f]+ in main\+[0-9]+ \(jitscan\) at .*jitscan\.c:$L \[elf, scan\]$" "$T/err" ||
	{ grep '^#' "$T/err"; fail "leaf: main not found by the stack scan at jitscan.c:$L"; }
exit 0
