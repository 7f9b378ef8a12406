# SPDX-License-Identifier: MIT
# 33_jit_corrupt - a program that scribbles over its own JIT registry (entry
# array, change log, header offsets, magic, anchor), then crashes three JIT
# frames deep: kitrace survives, warns once about the registry where the
# data it reads is corrupt, and still reports the crash with the right exit
# status, unwinding to main by frame pointer even if the JIT frames lost
# their names.  Then a valid registry full of hostile names: they must not
# break the text output (no raw control characters, no forged lines) nor
# the JSON report.  The JIT code is x86-64 or AArch64
# (inferior/progs/jitemit.h).
# Every check runs; the failures are listed together at the end.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3

bad=()
check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then echo "  ok: $what"; else echo "  NOT OK: $what"; bad+=("$what"); fi
}
nwarn() { grep -ac 'warning:.*registry' "$T/err"; }
crash_ok() { # the crash is reported: status, signal, unwinding to C main
	[ "$ST" = 139 ] && grep -aqF 'SEGV_MAPERR at address 0x10' "$T/err" &&
		grep -aqE '^#3 +0x[0-9a-f]+ in main\+[0-9]+ \(kj_scribble\)( at [^ ]+)? \[elf, ' "$T/err"
}

prog kj_scribble none
expect_status 139
expect_out_contains "kj_scribble: none done"

for how in direct checkpoint; do
	for m in entries log header magic anchor; do
		echo "== $m ($how)"
		if [ "$how" = direct ]; then
			kt launch --batch --report "$T/R.json" -- "$PROGS/kj_scribble" "$m"
		else
			# kitrace reads the good registry first, at checkpoint(), and
			# meets the corruption at checkpoint2() and at the crash.
			kt launch --batch --report "$T/R.json" -ex 'break checkpoint' -ex continue \
				-ex 'info jit' -ex 'break checkpoint2' -ex continue -ex 'info jit' -ex bt \
				-- "$PROGS/kj_scribble" "$m"
		fi
		check "$m/$how: kitrace survives and reports the crash (exit 139, SIGSEGV at 0x10, #3 main)" crash_ok
		check "$m/$how: the scribbling ran" grep -qF "kj_scribble: $m done" "$T/out"
		check "$m/$how: at most one registry warning" [ "$(nwarn)" -le 1 ]
		case $m in
		entries | log)
			check "$m/$how: exactly one registry warning" [ "$(nwarn)" -eq 1 ] ;;
		esac
		check "$m/$how: JSON report parses" python3 -c \
			'import json,sys; r=json.load(open(sys.argv[1])); assert r["exit_status"]==139' "$T/R.json"
	done
done

echo "== hostile names"
kt launch --batch --report "$T/R.json" -ex 'break checkpoint' -ex continue -ex 'info jit' \
	-- "$PROGS/kj_scribble" names
check "names: kitrace survives and reports the crash" crash_ok
check "names: the 4095-byte name is shown (maybe truncated)" grep -aq 'in crasher_AAAAAAAAAAAAAAAA' "$T/err"
check "names: no raw ESC (terminal escape) from a name" bash -c "! grep -aq \$'\\x1b' '$T/err'"
check "names: a name cannot forge a backtrace line" bash -c "! grep -aq '^#0 0x0 in fake_frame' '$T/err'"
check "names: no invalid UTF-8 from a name on stderr" python3 -c \
	'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/err"
check "names: JSON report is strict UTF-8 JSON with the frames named" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
f = [t for t in r["threads"] if t.get("crashed")][0]["frames"]
assert f[0]["function"].startswith("crasher_AAAA"), f[0]
assert "fake_frame" in f[1]["function"], f[1]
assert f[1]["symbol_source"] == "registry"
' "$T/R.json"

if [ ${#bad[@]} -gt 0 ]; then
	printf 'NOT OK: %s\n' "${bad[@]}"
	fail "${#bad[@]} check(s) failed (listed above)"
fi
echo ok
