# SPDX-License-Identifier: MIT
# 00_progs - the inferior programs, untraced: each prints what it should and
# ends the way it should.  Needs no kitrace; it checks the programs the other
# tests depend on, and exercises lib.sh itself (run, expect_*, mask, golden,
# spawn, wait_for_line).
# shellcheck source=tests/e2e/lib.sh
. "${TESTS:-tests/e2e}/lib.sh"

for p in crash3 bp_loop threads forker traps sleeper dlmain libplug.so exiter hang; do
	[ -x "$PROGS/$p" ] || fail "$PROGS/$p not built (make progs)"
done

# crash3: the demo crash, SIGSEGV after its first line
prog crash3
expect_status 139
expect_out_contains "crash3: start"
golden crash3

# bp_loop: sum of 2i+1 for i < N is N*N
prog bp_loop 1000
expect_status 0
golden bp_loop
prog bp_loop
expect_out_contains "sum=10000000000"

# threads, timed mode: T workers named worker-N, stop after S seconds
prog threads 3 0.2
expect_status 0
expect_out_contains "threads: started 3"
expect_out_contains "threads: done 3"

# threads, forever: the workers carry their names
spawn threads "$PROGS/threads" 3
wait_for_line "$T/threads.out" '^threads: started 3$' 10
names=$(cat /proc/"$PID"/task/*/comm | sort | tr '\n' ' ')
[ "$names" = "threads worker-0 worker-1 worker-2 " ] || fail "thread names: $names"
kill "$PID"
reap "$PID"
[ "$ST" -eq 143 ] || fail "threads forever: expected SIGTERM death (143), got $ST"

# threads, cpu mode: a deterministic checksum
prog threads 2 3 cpu
expect_status 0
cp "$T/out" "$T/cpu1"
golden threads-cpu
prog threads 2 3 cpu
cmp -s "$T/out" "$T/cpu1" || fail "threads cpu checksum differs between runs"

# forker: three children in turn, exit statuses 1..3, output order fixed
prog forker
expect_status 0
golden forker

# traps: int3 untraced is death by SIGTRAP; ud2 is SIGILL
prog traps debugtrap
expect_status 133
expect_out_contains "before"
expect_out_not_contains "after"
prog traps trap
# AArch64: the trap is brk #1, SIGTRAP
if [ "$KT_ARCH" = aarch64 ]; then expect_status 133; else expect_status 132; fi
expect_out_contains "before trap"
prog traps int3-then-trap
expect_status 133
expect_out_not_contains "after"
prog traps
expect_status 2

# sleeper: runs S seconds with T extra threads, finds its code intact
prog sleeper 0.3 2
expect_status 0
pid=$(sed -n 's/^sleeper: pid \([0-9]*\)$/\1/p' "$T/out")
[ -n "$pid" ] || fail "sleeper printed no pid"
golden sleeper "$pid"

# sleeper's detector: poke one byte into canary(), which is never called
# (nm's output comes prebuilt in the guest, which has no nm)
if fixture sleeper.nm; then
	cp "$FIX" "$T/sleeper.nm"
else
	need nm
	nm "$PROGS/sleeper" >"$T/sleeper.nm" || fail "nm $PROGS/sleeper"
fi
spawn sleeper "$PROGS/sleeper" 1.5
wait_for_line "$T/sleeper.out" '^sleeper: pid' 10
off=$(awk '$3 == "canary" { print $1 }' "$T/sleeper.nm")
[ -n "$off" ] || fail "no canary symbol in sleeper"
exe=$(readlink -f "$PROGS/sleeper")
base=$(awk -v f="$exe" '$6 == f { split($1, r, "-"); print r[1]; exit }' /proc/"$PID"/maps)
[ -n "$base" ] || fail "sleeper's mapping not found in /proc/$PID/maps"
# /proc/PID/maps gives the first mapping (file offset 0): the load bias of a PIE
addr=$((0x$base + 0x$off))
printf '\xcc' | dd of=/proc/"$PID"/mem bs=1 seek="$addr" oflag=seek_bytes conv=notrunc \
	status=none || fail "cannot write /proc/$PID/mem"
reap "$PID"
[ "$ST" -eq 3 ] || fail "patched sleeper: expected exit 3, got $ST"
grep -q '^sleeper: CODE CHANGED$' "$T/sleeper.out" || fail "patched sleeper: no CODE CHANGED"
grep -q '(canary+0)' "$T/sleeper.err" || fail "patched sleeper: patch not located: $(cat "$T/sleeper.err")"

# dlmain: finds libplug.so next to itself, from any working directory
(cd / && prog dlmain && cp "$T/out" "$T/dl" && echo "$ST" >"$T/dlst")
[ "$(cat "$T/dlst")" = 0 ] || fail "dlmain from /: exit $(cat "$T/dlst")"
grep -qx 'plug_fn=42' "$T/dl" || fail "dlmain from /: $(cat "$T/dl")"
prog dlmain 0.1
expect_status 0
golden dlmain

# exiter: each way of ending
prog exiter status 7
expect_status 7
prog exiter status 0
expect_status 0
prog exiter abort
expect_status 134
prog exiter kill 15
expect_status 143
prog exiter kill 10
expect_status 138
prog exiter segv-handled
expect_status 0
golden exiter-segv-handled
prog exiter
expect_status 2

# hang: one thread spinning in user code, one asleep in pause()
spawn hang "$PROGS/hang"
wait_for_line "$T/hang.out" '^hang: start$' 10
sleep 0.1
tasks=(/proc/"$PID"/task/*)
ntask=${#tasks[@]}
[ "$ntask" -eq 2 ] || fail "hang: $ntask threads, expected 2"
for task in /proc/"$PID"/task/*; do
	comm=$(cat "$task/comm")
	state=$(awk '/^State:/ { print $2 }' "$task/status")
	case $comm in
	hang) [ "$state" = R ] || fail "hang: main thread state $state, expected R (spinning)" ;;
	blocker) [ "$state" = S ] || fail "hang: blocker state $state, expected S (pause)" ;;
	*) fail "hang: unexpected thread $comm" ;;
	esac
done
kill -KILL "$PID"
reap "$PID"

# sigcrash: SIGSEGV inside a signal handler, after its first line, both modes
for mode in alarm first; do
	prog sigcrash "$mode"
	expect_status 139
	[ "$(cat "$T/out")" = "sigcrash: start" ] || fail "sigcrash $mode: output"
done

# watched: each mode prints its end state
[ -x "$PROGS/watched" ] || fail "$PROGS/watched not built (make progs)"
prog watched
expect_status 0
expect_out_contains "watched: counter=5 seen=30 ticks=3"
prog watched thread
expect_out_contains "watched: shared=9"
prog watched jit
expect_out_contains "watched: jit_target=42"
prog watched exec
expect_out_contains "watched: counter=5 seen=30 ticks=3"
prog watched loop 7
expect_out_contains "watched: counter=7"
prog watched hold 0.1
expect_status 0
expect_out_contains "watched: held"

# hwprobe: says whether debug registers fire here (0) or not (1), never
# anything else
prog hwprobe
case $ST in
0) expect_out_contains "hwprobe: fires" ;;
1) expect_out_contains "hwprobe: does not fire" ;;
*) fail "hwprobe could not tell (status $ST): $(cat "$T/err")" ;;
esac

# lines (two files and libnolines.so), inline_o2 (-O2): what they compute
prog lines
expect_status 0
expect_out_contains "9 10 6 6 12 21"
prog inline_o2 5
expect_status 0
expect_out_contains "inline_o2: 30"

# gjit: N GDB JIT objects registered from a template object; unreg mode
# runs the first two functions and exits 0, cycle mode dies of SIGSEGV
# (tests/e2e/src/gj.c, compiled here or, in the guest, by fixtures.sh)
gj=
if fixture gj.o; then
	gj=$FIX
elif command -v gcc >/dev/null 2>&1; then
	gj=$T/gj.o
	gcc -c -g -O0 -fno-omit-frame-pointer -o "$gj" "$TESTS/src/gj.c" || fail "gcc gj.c"
else
	echo "note: no gcc: the gjit checks are left out"
fi
if [ -n "$gj" ]; then
	prog gjit "$gj" 3 unreg
	expect_status 0
	expect_out_contains "gjit: 3 objects, "
	expect_out_contains "gjit: unregistered"
	prog gjit "$gj" 3 cycle
	expect_status 139
fi

echo "all programs behave"
