# SPDX-License-Identifier: MIT
# 51_node_perfmap - JIT code named from a perf map: node --perf-basic-prof
# writes /tmp/perf-PID.map; kitrace attaches to it while it spends nearly all
# its time in the JS function kitraceHotLoop (tests/node/hot.js), and bt names
# the innermost frame from the map ("[perf-map, regs]"); detach leaves node
# running, and it finishes with every call's result unchanged.  Then a launch
# with --timeout: the JSON hang report says "symbol_source": "perf-map".
# kt-timeout: 180
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
command -v node >/dev/null 2>&1 || skip "node not installed: apt-get install nodejs"
need python3

maps=()
trap '_kt_cleanup; rm -f "${maps[@]}"' EXIT
hot=$PWD/tests/node/hot.js
# Node runs in $T: with --perf-basic-prof, V8 also writes isolate-*-v8.log
# files into its working directory.
cd "$T" || fail "cd $T"

# Attach, bt, detach; again until an interrupt lands in kitraceHotLoop.
spawn node node --perf-basic-prof "$hot" "$T/stop"
pid=$PID
maps+=("/tmp/perf-$pid.map")
wait_for_line "$T/node.out" '^ready ' 20
# Node 20 names optimized code "JS:*name", node 18 "LazyCompile:*name".
wait_for_line "/tmp/perf-$pid.map" ' [A-Za-z]+:\*kitraceHotLoop ' 30
found=0
for i in 1 2 3 4 5 6 7 8; do
	kt attach --batch -ex bt "$pid"
	expect_status 0
	kill -0 "$pid" || fail "node died at detach"
	if grep -qE '^#0 .* in [A-Za-z]+:[*~^+]?kitraceHotLoop [^ ]*hot\.js:[0-9:]*\+[0-9]+ \[perf-map, regs\]$' "$T/out"; then
		found=1
		break
	fi
	cat "$T/out"
done
[ "$found" = 1 ] || fail "no attach found frame #0 named kitraceHotLoop from the perf map"
cat "$T/out"
# The unwind goes on past the JIT frame (by its frame pointer); what it finds
# beyond depends on node's version and build.
grep -qE '^#1 .* \[[a-z-]+, (fp|cfi)\]$' "$T/out" || fail "no frame #1 beyond the JIT frame"
touch "$T/stop"
reap "$pid"
[ "$ST" = 0 ] || fail "node exited $ST after detach"
grep -qE '^done [0-9]+ consistent$' "$T/node.out" || { cat "$T/node.out" "$T/node.err"; fail "node's results changed after detach"; }

# JS calling builtins: V8 (x86-64, enough memory) runs them from a second
# mapping of node's own file, next to its JIT code; they are named by file
# offset (from node's symbol table when it has one), never as a far-off
# symbol plus a huge offset.
spawn node2 node --perf-basic-prof "$hot" "$T/stop2" builtin
pid2=$PID
maps+=("/tmp/perf-$pid2.map")
wait_for_line "$T/node2.out" '^ready ' 20
wait_for_line "/tmp/perf-$pid2.map" ' [A-Za-z]+:\*kitraceHotLoop ' 30
exe=$(readlink "/proc/$pid2/exe")
nexec=$(awk -v f="$exe" '$6 == f && $2 ~ /x/' "/proc/$pid2/maps" | wc -l)
found=0
for i in 1 2 3 4 5 6; do
	kt attach --batch -ex bt "$pid2"
	expect_status 0
	! grep -qE ' in [^ ]+\+[0-9]{9,} ' "$T/out" || fail "a frame named with an absurd offset"
	if grep -qE '^#0 .* in Builtins_[A-Za-z]+\+[0-9]+ \(node\) \[elf, regs\]$' "$T/out" &&
		grep -qE '^#1 .* in [A-Za-z]+:[*~^+]?kitraceHotLoop .*\[perf-map, fp\]$' "$T/out"; then
		found=1
		break
	fi
done
cat "$T/out"
if [ "$nexec" -ge 2 ] && nm "$exe" 2>/dev/null | grep -q ' Builtins_ArrayIncludes'; then
	[ "$found" = 1 ] || fail "no bt showed a remapped builtin named, called from kitraceHotLoop"
else
	echo "note: node has no second executable mapping ($nexec) or no symbol table: builtin names not checked"
fi
touch "$T/stop2"
reap "$pid2"
[ "$ST" = 0 ] || fail "node (builtin) exited $ST after detach"
grep -qE '^done [0-9]+ consistent$' "$T/node2.out" || fail "node's results (builtin) changed"

# Launch with a timeout: the hang report names the JS frame, JSON included.
found=0
for i in 1 2 3; do
	kt launch --batch --timeout 4 --report "$T/r.json" -- node --perf-basic-prof "$hot" "$T/never"
	expect_status 124
	lpid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$T/r.json")
	maps+=("/tmp/perf-$lpid.map")
	expect_err_contains "[perf-map, " # the text report
	if python3 - "$T/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f0 = r["threads"][0]["frames"][0]
sys.exit(0 if f0["symbol_source"] == "perf-map" and "kitraceHotLoop" in f0["function"]
         and f0["module"] is None and f0["offset"] >= 0 else 1)
PY
	then
		found=1
		break
	fi
done
[ "$found" = 1 ] || { cat "$T/r.json"; fail "the JSON report has no perf-map frame in kitraceHotLoop"; }
