# SPDX-License-Identifier: MIT
# 36_jit_reach - the three ways kitrace reaches a libkitjit registry give the
# same answers: sharing its memfd (/proc/PID/fd/N), sharing its mapping
# (/proc/PID/map_files/, needs CAP_SYS_ADMIN), and a copy kept current
# through process memory (tracer/jit_mirror.c), which also has to push the
# breakpoint-name filter back so a lazily compiled function stops.
# KITRACE_REGISTRY_ACCESS forces one way.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"
DEMO=${DEMO:-$BUILD/kitdemo}
[ -x "$DEMO" ] || fail "kitdemo not built ($DEMO)"
EX=inferior/demo/examples

for how in fd map_files copy; do
	case $how in
	fd) want="shared memfd" ;;
	map_files) want="shared mapping (map_files)" ;;
	copy) want="copy through process memory" ;;
	esac
	if [ "$how" = map_files ] && ! grep -q '^CapEff:.*[1-9a-f]' /proc/self/status; then
		echo "map_files needs CAP_SYS_ADMIN: not tried here"
		continue
	fi
	echo "== $how"
	KITRACE_REGISTRY_ACCESS=$how kt launch --batch -ex 'break checksum' -ex continue \
		-ex 'info jit' -ex bt -- "$DEMO" --lazy "$EX/crash.kit"
	expect_status 139
	expect_err_contains "read as a $want"
	expect_err_contains "Breakpoint 1 resolved: checksum"
	grep -qE '^#0 +0x[0-9a-f]+ in checksum\+[0-9]+ at .*crash\.kit:1[45] \[registry, ' "$T/err" ||
		fail "$how: no stop in checksum"
	grep -qE '^#1 +0x[0-9a-f]+ in parse_input\+[0-9]+ at .*crash\.kit:25 \[registry, registry\]' "$T/err" ||
		fail "$how: bt #1"
	grep -qE '^#0 +0x[0-9a-f]+ in read_cell\+[0-9]+ at .*crash\.kit:11 \[registry, ' "$T/err" ||
		fail "$how: crash not reported in read_cell"
done

# A copy follows removals and reuse too: kj_stress's 4 threads publish,
# call, retract and rewrite functions in reused memory while breakpoints
# on their names resolve, hit (silently) and go pending again; the
# program's checksum must be the untraced one.  Emulated (make
# check-aarch64): 200 functions per thread instead of 1000.
ITERS=$(emulated 1000 200)
prog kj_stress "$ITERS"
expect_status 0
want=$(sed -n 's/.*checksum \([0-9a-f]*\)$/\1/p' "$T/out")
[ -n "$want" ] || fail "kj_stress printed no checksum"
KITRACE_REGISTRY_ACCESS=copy KITRACE_STATS=1 kt launch --batch \
	-ex 'break f_0_3' -ex commands -ex silent -ex continue -ex end \
	-ex 'break f_2_49 if $rax == 1' \
	-ex 'break f_3_0' -ex commands -ex silent -ex continue -ex end \
	-ex continue -- "$PROGS/kj_stress" "$ITERS"
expect_status 0
expect_out_contains "checksum $want"
hits=$(sed -nE 's/^kitrace stats: hits ([0-9]+),.*/\1/p' "$T/err")
[ "${hits:-0}" -gt 0 ] || fail "copy: no breakpoint hit at all"
echo "copy under churn: $(grep -c 'resolved:' "$T/err") resolutions, $hits hits"
exit 0
