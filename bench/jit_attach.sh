#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/jit_attach.sh - attaching to a process with a large JIT registry.
#
#   bench/jit_attach.sh [N]     # N live ranges, default 1000000; ROUNDS=3
#
# Starts `kj_bench hold N` (one thread publishes N ranges and keeps them,
# then sleeps) and `kj_bench hold 0`, and times
# `kitrace attach --batch -ex bt PID` on each (bt symbolizes the stack, which
# reads the whole registry into the tracer's address index), ROUNDS times,
# medians.  While kitrace runs, its /proc/KPID/status is sampled every 10 ms
# for VmHWM (peak resident set, which includes the registry pages it maps
# shared) and RssAnon (its private memory); the largest samples are kept.
# Prints both for N and 0 ranges and (difference / N) bytes per range
# (goal: <= ~100 bytes per range of private memory).
#
# Every attach must exit 0 and print a backtrace, else INVALID, exit 1.
#
# Environment: BUILD (default build), KITRACE, PROGS, ROUNDS.

set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
ROUNDS=${ROUNDS:-3}
N=${1:-1000000}
BENCH=$PROGS/kj_bench
invalid=0

[ -x "$BENCH" ] || { echo "jit_attach: $BENCH not built (make progs)" >&2; exit 2; }
[ -x "$KITRACE" ] || { echo "jit_attach: kitrace: not built" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-jit-attach.XXXXXX") || exit 2
HOLDERS=()
cleanup() {
	local p
	for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# hold NRANGES: start a holder, wait until it has published, echo its pid
hold() {
	"$BENCH" hold "$1" 3600 >"$TMP/hold.$1" 2>&1 &
	local pid=$! i
	HOLDERS+=("$pid")
	for i in $(seq 1 600); do
		grep -q "^kj_bench: holding $1 ranges" "$TMP/hold.$1" && { echo "$pid"; return; }
		sleep 0.1
	done
	echo "jit_attach: kj_bench hold $1 did not get ready" >&2
	exit 2
}

# attach_once PID: "SECONDS HWM_KB ANON_KB" (or INVALID)
attach_once() {
	local pid=$1 t0 t1 kpid st=0 hwm=0 anon=0 v
	t0=$(date +%s.%N)
	"$KITRACE" attach --batch -ex bt "$pid" >"$TMP/out" 2>"$TMP/err" &
	kpid=$!
	while kill -0 "$kpid" 2>/dev/null; do
		if [ -r "/proc/$kpid/status" ]; then
			v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$kpid/status" 2>/dev/null)
			[ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v
			v=$(awk '/^RssAnon:/ { print $2 }' "/proc/$kpid/status" 2>/dev/null)
			[ -n "$v" ] && [ "$v" -gt "$anon" ] && anon=$v
		fi
		sleep 0.01
	done
	wait "$kpid" || st=$?
	t1=$(date +%s.%N)
	if [ "$st" != 0 ] || ! grep -qE '^#0 ' "$TMP/out" "$TMP/err"; then
		echo "jit_attach: attach to $pid: INVALID (status $st)" >&2
		tail -n 5 "$TMP/out" "$TMP/err" >&2
		invalid=1
		echo INVALID
		return
	fi
	awk -v a="$t0" -v b="$t1" -v h="$hwm" -v r="$anon" 'BEGIN { printf "%.3f %d %d\n", b - a, h, r }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "NaN" }'; }
col() { awk -v c="$1" '$1 != "INVALID" { print $c }'; }

echo "jit_attach: kitrace attach --batch -ex bt, $N ranges vs 0, $ROUNDS rounds"
big=$(hold "$N")
small=$(hold 0)
: >"$TMP/big"; : >"$TMP/small"
for r in $(seq 1 "$ROUNDS"); do
	b=$(attach_once "$big"); echo "$b" >>"$TMP/big"
	s=$(attach_once "$small"); echo "$s" >>"$TMP/small"
	echo "  round $r: $N ranges: $b   0 ranges: $s   (s, VmHWM kB, RssAnon kB)"
done
tb=$(col 1 <"$TMP/big" | median); ts=$(col 1 <"$TMP/small" | median)
hb=$(col 2 <"$TMP/big" | median); hs=$(col 2 <"$TMP/small" | median)
ab=$(col 3 <"$TMP/big" | median); as=$(col 3 <"$TMP/small" | median)
printf '%-28s %8s s   VmHWM %8s kB   RssAnon %8s kB\n' "attach + bt, $N ranges" "$tb" "$hb" "$ab"
printf '%-28s %8s s   VmHWM %8s kB   RssAnon %8s kB\n' "attach + bt, 0 ranges" "$ts" "$hs" "$as"
awk -v hb="$hb" -v hs="$hs" -v ab="$ab" -v as="$as" -v n="$N" 'BEGIN {
	if (n <= 0) exit
	h = (hb - hs) * 1024 / n; a = (ab - as) * 1024 / n
	printf "per range: %.1f bytes of VmHWM (incl. shared registry pages), %.1f bytes private (goal <= ~100)%s\n",
		h, a, (a > 100 ? "  MISSED" : "")
}'
[ $invalid = 0 ] || { echo "jit_attach: INVALID runs (above)"; exit 1; }
exit 0
