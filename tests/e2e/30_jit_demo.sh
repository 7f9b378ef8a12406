# SPDX-License-Identifier: MIT
# 30_jit_demo - the README demo: kitdemo's crash.kit faults three JIT frames
# deep; kitrace names every JIT frame from the libkitjit registry with its
# source line, unwinds through them to kitdemo's C main, and says so in the
# JSON report.  `info jit` lists the published functions.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3
DEMO=${DEMO:-$BUILD/kitdemo}
[ -x "$DEMO" ] || fail "kitdemo not built ($DEMO)"
EX=inferior/demo/examples

kt launch --batch --report "$T/R.json" -- "$DEMO" "$EX/crash.kit"
expect_status 139
expect_out_contains "1"
expect_err_contains "SIGSEGV"
expect_err_contains "SEGV_MAPERR at address 0x10"
# The crashing thread's backtrace, in order, each JIT frame from the registry.
awk '/^Thread 1 .*\(crashed\):/ { on = 1; next } on && /^#/ { print } on && /^$/ { exit }' \
	"$T/err" >"$T/bt"
cat "$T/bt"
i=0
for want in 'read_cell\+[0-9]+ at .*crash\.kit:11 \[registry, ' \
	'checksum\+[0-9]+ at .*crash\.kit:18 \[registry, ' \
	'parse_input\+[0-9]+ at .*crash\.kit:25 \[registry, ' \
	'main\+[0-9]+ at .*crash\.kit:30 \[registry, ' \
	'(main|kd_jit_call)\+[0-9]+ \(kitdemo\)( at [^ ]+)? \[elf, '; do
	line=$(sed -n "$((i + 1))p" "$T/bt")
	echo "$line" | grep -qE "^#$i +0x[0-9a-f]+ in $want" ||
		fail "frame #$i is '$line', want /$want/"
	i=$((i + 1))
done

python3 - "$T/R.json" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["exit_status"] == 139, r["exit_status"]
s = r["signal"]
assert (s["name"], s["code"], int(s["address"], 16)) == ("SIGSEGV", "SEGV_MAPERR", 0x10), s
t = [t for t in r["threads"] if t.get("crashed")]
assert len(t) == 1, "one crashed thread"
f = t[0]["frames"]
want = [("read_cell", 11), ("checksum", 18), ("parse_input", 25), ("main", 30)]
assert len(f) >= 5, "only %d frames" % len(f)
for i, (name, line) in enumerate(want):
    g = f[i]
    assert g["function"] == name, (i, g)
    assert g["symbol_source"] == "registry", (i, g)
    assert g["file"] and g["file"].endswith("crash.kit"), (i, g)
    assert g["line"] == line, (i, g)
    assert g["module"] is None, (i, g)
    if i:
        assert g["unwind"] == "registry", (i, g)
c = f[4]
# kitdemo's own caller: main, or kd_jit_call where the build did not inline it
assert c["function"] in ("main", "kd_jit_call") and c["symbol_source"] == "elf", c
assert c["module"] and c["module"].endswith("kitdemo"), c
print("report ok")
PY

# info jit at a breakpoint on a JIT function (eager mode: all four are
# published before main runs), then run to the crash.
kt launch --batch -ex 'break read_cell' -ex continue -ex 'info jit' -ex bt -- "$DEMO" "$EX/crash.kit"
expect_status 139
expect_err_contains "hit Breakpoint 1"
expect_err_contains "in read_cell+"
expect_err_contains "crash.kit:9"
for fn in read_cell checksum parse_input main; do
	grep -qE "^ +0x[0-9a-f]+ +[0-9]+ +[0-9]+ +$fn\$" "$T/err" || fail "info jit does not list $fn"
done
grep -qE "^Registry 1 at 0x[0-9a-f]+: 4 live ranges" "$T/err" || fail "info jit: not 4 live ranges"
echo ok
