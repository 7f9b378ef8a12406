# SPDX-License-Identifier: MIT
# 25_sigframe - unwinding through a signal frame: a crash three calls deep in
# a signal handler (sigcrash).  The report shows the handler's frames, the
# signal trampoline ("<signal handler called>"), then the interrupted
# function and main, in order, text and JSON.  "sigcrash first": the
# interrupted pc is the first instruction of first_insn_faults; it is named
# as it is (not as the function before it, at pc - 1), and the caller found
# from it is main (the function before it has another CFA rule).
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3

# frames_in_order WANT...: the crashed thread's first frames in the text report.
frames_in_order() {
	sed -n '/(crashed):$/,/^$/p' "$T/err" | grep -E '^#[0-9]' |
		sed -E 's/^#[0-9]+ +0x[0-9a-f]+ in (<signal handler called>|[A-Za-z0-9_]+).*/\1/' |
		head -n $# >"$T/frames"
	printf '%s\n' "$@" | cmp -s - "$T/frames" || {
		cat "$T/frames"
		fail "frames not: $*"
	}
}

for mode in alarm first; do
	case $mode in
	alarm) handler=on_alarm interrupted=spin_here ;;
	first) handler=on_segv interrupted=first_insn_faults ;;
	esac
	kt launch --batch --report "$T/r.json" -- "$PROGS/sigcrash" "$mode"
	expect_status 139
	expect_out_contains "sigcrash: start"
	expect_err_contains "SIGSEGV (Segmentation fault), SEGV_MAPERR at address 0x10"
	frames_in_order crash_c crash_b crash_a "$handler" "<signal handler called>" \
		"$interrupted" main
	grep -qE '^#4 +0x[0-9a-f]+ in <signal handler called> \(.*\) \[sigtramp, (cfi|fp)\]$' "$T/err" ||
		fail "trampoline frame not labelled"
	grep -qE "^#5 +0x[0-9a-f]+ in $interrupted[+ ].*\\[elf, sigframe\\]\$" "$T/err" ||
		fail "interrupted frame not labelled sigframe"
	if [ "$mode" = first ]; then
		grep -qE '^#5 +0x[0-9a-f]+ in first_insn_faults \(' "$T/err" ||
			fail "first_insn_faults not at offset 0"
	fi
	python3 - "$T/r.json" "$handler" "$interrupted" "$mode" <<'PY' || fail "JSON report wrong ($mode)"
import json, os, sys
r = json.load(open(sys.argv[1]))
handler, interrupted, mode = sys.argv[2:5]
assert r["event"] == "crash" and r["signal"]["name"] == "SIGSEGV", r["signal"]
t = [t for t in r["threads"] if t["crashed"]][0]
fr = t["frames"]
names = [f["function"] for f in fr][:7]
assert names == ["crash_c", "crash_b", "crash_a", handler, "<signal handler called>",
                 interrupted, "main"], names
tr, it = fr[4], fr[5]
assert tr["symbol_source"] == "sigtramp" and tr["offset"] == 0, tr
assert it["unwind"] == "sigframe" and it["symbol_source"] == "elf", it
assert fr[6]["unwind"] == "cfi", fr[6]
# The interrupted pc is exact: at offset 0 when the first instruction faulted.
if mode == "first":
    assert it["offset"] == 0, it
elif os.uname().machine == "x86_64":
    assert it["offset"] > 0 and it["line"] is not None, it
else:
    # AArch64 compiles spin_here's loop to one branch at its entry: offset 0.
    assert it["function"] == "spin_here" and it["line"] is not None, it
assert [f["index"] for f in fr] == list(range(len(fr)))
PY
done
