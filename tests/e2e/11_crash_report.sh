# SPDX-License-Identifier: MIT
# 11_crash_report - the README demo: a segfault three calls deep, triaged by
# launch --batch: the signal decoded, the faulting instruction marked, the
# frames named in order, and the same in the JSON report.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3

kt launch --batch --report "$T/r.json" -- "$PROGS/crash3"
expect_status 139
expect_out_contains "crash3: start"
expect_err_contains "SIGSEGV (Segmentation fault), SEGV_MAPERR at address 0x10"
expect_err_contains "=> 0x"
grep -q '^=> .*<level3+[0-9]*>:' "$T/err" || fail "faulting instruction not marked in level3"
# Frames in order: level3, level2, level1, main.
grep -E '^#[0-9]' "$T/err" | sed -E 's/.* in ([a-z0-9_]+)\+?.*/\1/' | head -4 > "$T/frames"
printf 'level3\nlevel2\nlevel1\nmain\n' | cmp -s - "$T/frames" || {
	cat "$T/frames"
	fail "frames not level3, level2, level1, main"
}
# The backtrace section, addresses masked, matches the golden transcript.
# Only the program's own frames: what libc shows depends on its debug info.
top=$(cd "$(dirname "$0")/../.." && pwd)
sed -n '/^Thread 1 "/,/^$/p' "$T/err" | grep -E '^(Thread|#[0-3] )' | mask |
	sed -E -e 's/tid [0-9]+/tid TID/' -e "s|$top/||" > "$T/bt"
cp "$T/bt" "$T/out"
golden crash3_bt

python3 - "$T/r.json" <<'PY' || fail "JSON report wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["event"] == "crash", r["event"]
assert r["report_version"] == 1
assert r["exit_status"] == 139
s = r["signal"]
assert (s["number"], s["name"], s["code"], s["address"]) == (11, "SIGSEGV", "SEGV_MAPERR", "0x10"), s
t = [t for t in r["threads"] if t["crashed"]]
assert len(t) == 1 and t[0]["name"] == "crash3", t
names = [f["function"] for f in t[0]["frames"]][:4]
assert names == ["level3", "level2", "level1", "main"], names
f0 = t[0]["frames"][0]
assert f0["index"] == 0 and f0["pc"].startswith("0x") and f0["symbol_source"] == "elf"
assert f0["unwind"] == "regs" and t[0]["frames"][1]["unwind"] in ("cfi", "fp")
assert f0["module"].endswith("/crash3") and f0["offset"] > 0
# DWARF: the program is built with -g; lines from its source (crash3.c).
assert f0["file"].endswith("inferior/progs/crash3.c") and f0["line"] == 24, f0
lines = [f["line"] for f in t[0]["frames"][:4]]
assert lines == [24, 31, 37, 45], lines
pcname = "rip" if "rip" in t[0]["registers"] else "pc"  # x86-64, AArch64
assert t[0]["registers"].get(pcname) == f0["pc"], t[0]["registers"]
PY

# A clean exit writes an "exit" report.
kt launch --batch --report "$T/e.json" -- "$PROGS/exiter" status 3
expect_status 3
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["event"]=="exit" and r["exit_status"]==3 and r["signal"] is None, r' "$T/e.json" ||
	fail "exit report wrong"

# An unwritable report path is reported, the program still runs to its end.
kt launch --batch --report /nonexistent/dir/r.json -- "$PROGS/exiter" status 0
expect_status 0
expect_err_contains "cannot write the report"
