#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/registration.sh - what kitrace costs a JIT that registers code.
#
#   bench/registration.sh [N]     # N ranges in all, default 1000000; ROUNDS=3
#
# Part 1: `kj_bench N` (4 threads publish N ranges with kitjit_add and
# remove them; the program times its own registration work) untraced, under
# `kitrace launch --batch`, and under `kitrace launch --batch -ex 'break
# never_comes_name'` (a pending breakpoint: the name filter is on, so every
# registration tests it, and a false positive stops the process), in
# alternation, ROUNDS times each.  Prints the median of each and the
# ratios to untraced (goals: <= 1.1 x and <= 1.2 x).
#
# Part 2: the GDB JIT interface for comparison: `KITJIT_GDB=1 gdb -batch
# -ex run --args kj_bench N` for N in GDB_NS (default "250 500 1000"; 120 s
# timeout each), next to untraced and kitrace for the same N.  gdb is
# skipped if not installed.
#
# Every run must exit 0 and print its "kj_bench:" line, else the result is
# INVALID and the script exits 1.  Missing a goal is reported, not an error.
#
# Environment: BUILD (default build), KITRACE, PROGS, ROUNDS, GDB_NS.

set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
ROUNDS=${ROUNDS:-3}
N=${1:-1000000}
GDB_NS=${GDB_NS:-250 500 1000}
BENCH=$PROGS/kj_bench
invalid=0

[ -x "$BENCH" ] || { echo "registration: $BENCH not built (make progs)" >&2; exit 2; }
have_kt=1
[ -x "$KITRACE" ] || { echo "registration: kitrace: not built"; have_kt=0; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-registration.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# run NAME TIMEOUT CMD...: the program's own time (ms) on stdout, or INVALID
run() {
	local name=$1 to=$2 st=0
	shift 2
	timeout -k 5 "$to" "$@" >"$TMP/out" 2>"$TMP/err" || st=$?
	local ms
	ms=$(sed -nE 's/^kj_bench: [0-9]+ ranges, [0-9]+ threads, ([0-9.]+) ms$/\1/p' "$TMP/out")
	if [ "$st" != 0 ] || [ -z "$ms" ]; then
		echo "registration: $name: INVALID (status $st)" >&2
		tail -n 5 "$TMP/out" "$TMP/err" >&2
		invalid=1
		echo INVALID
		return
	fi
	echo "$ms"
}

# rungdb N: kj_bench N under gdb, its output through gdb's run redirection
rungdb() {
	local st=0 ms
	KITJIT_GDB=1 timeout -k 5 120 gdb -nx -batch -ex "run $1 >$TMP/gprog 2>&1" \
		"$BENCH" >"$TMP/err" 2>&1 || st=$?
	ms=$(sed -nE 's/^kj_bench: [0-9]+ ranges, [0-9]+ threads, ([0-9.]+) ms$/\1/p' "$TMP/gprog" 2>/dev/null)
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		echo "timeout"
	elif [ "$st" != 0 ] || [ -z "$ms" ] || ! grep -q 'exited normally' "$TMP/err"; then
		echo "registration: gdb $1: INVALID (status $st)" >&2
		tail -n 5 "$TMP/err" >&2
		invalid=1
		echo INVALID
	else
		echo "$ms"
	fi
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "NaN" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a == a + 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "registration: kj_bench $N (4 threads), $ROUNDS rounds, $(nproc) CPUs"
: >"$TMP/u"; : >"$TMP/k"; : >"$TMP/p"
for r in $(seq 1 "$ROUNDS"); do
	u=$(run untraced 300 "$BENCH" "$N"); echo "$u" >>"$TMP/u"
	if [ $have_kt = 1 ]; then
		k=$(run kitrace 300 "$KITRACE" launch --batch -- "$BENCH" "$N"); echo "$k" >>"$TMP/k"
		p=$(run kitrace+pending 300 "$KITRACE" launch --batch -ex 'break never_comes_name' \
			-- "$BENCH" "$N"); echo "$p" >>"$TMP/p"
	fi
	echo "  round $r: untraced $u ms, kitrace ${k:-n/a} ms, kitrace+pending ${p:-n/a} ms"
done
mu=$(grep -v INVALID "$TMP/u" | median)
mk=$(grep -v INVALID "$TMP/k" | median)
mp=$(grep -v INVALID "$TMP/p" | median)
printf '%-26s %10s ms\n' "untraced" "$mu"
if [ $have_kt = 1 ]; then
	rk=$(ratio "$mk" "$mu"); rp=$(ratio "$mp" "$mu")
	printf '%-26s %10s ms  %s x untraced (goal <= 1.1)%s\n' "kitrace" "$mk" "$rk" \
		"$(awk -v r="$rk" 'BEGIN { if (r + 0 > 1.1) print "  MISSED" }')"
	printf '%-26s %10s ms  %s x untraced (goal <= 1.2)%s\n' "kitrace + pending break" "$mp" "$rp" \
		"$(awk -v r="$rp" 'BEGIN { if (r + 0 > 1.2) print "  MISSED" }')"
fi

echo
echo "registration: the same workload announced through the GDB JIT interface (KITJIT_GDB=1)"
if ! command -v gdb >/dev/null 2>&1; then
	echo "  gdb: not installed, skipped"
else
	printf '  %8s %14s %14s %14s %12s\n' N "untraced ms" "kitrace ms" "gdb ms" "gdb wall s"
	for n in $GDB_NS; do
		u=$(run untraced 120 "$BENCH" "$n")
		k=n/a
		[ $have_kt = 1 ] && k=$(run kitrace 120 "$KITRACE" launch --batch -- "$BENCH" "$n")
		t0=$(date +%s.%N)
		g=$(rungdb "$n")
		t1=$(date +%s.%N)
		printf '  %8s %14s %14s %14s %12s\n' "$n" "$u" "$k" "$g" \
			"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	done
fi
[ $invalid = 0 ] || { echo "registration: INVALID runs (above)"; exit 1; }
exit 0
