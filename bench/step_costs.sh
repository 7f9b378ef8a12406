#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/step_costs.sh - what one silent breakpoint hit costs per way of
# stepping over the patched instruction, and how hits scale with threads.
#
#   bench/step_costs.sh [HITS]
#
# Per class (bp_loop, HITS calls of hot(), a false condition):
#   emulated     break *hot        (push %rbp: the tracer applies it)
#   out of line  break *hot+4      (mov %rdi,-8(%rbp): copy in a slot)
#   in line      break *hot+4 with set displaced-stepping off
#                (lift, single-step, replant, other threads held)
# Each runs ROUNDS times (default 3); the median wall time, microseconds per
# hit and hits/s are printed, with the untraced run subtracted.  Then
# threads (1 and 8 workers, `threads T K cpu`) under `break work if $rdi < 0`:
# aggregate hits/s, from kitrace's own hit count (KITRACE_STATS).
# Timing never fails anything; the machine is shared: compare ratios.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
ROUNDS=${ROUNDS:-3}
N=${1:-50000}
[ -x "$KITRACE" ] || { echo "kitrace: not built"; exit 0; }

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# time_of CMD...: wall seconds of one run
time_of() {
	local t0 t1
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

base=$(for _ in $(seq "$ROUNDS"); do time_of "$PROGS/bp_loop" "$N"; done | median)
printf '%-12s %10s %12s %10s\n' class median us/hit hits/s
for cls in emulated out-of-line in-line; do
	case $cls in
	emulated) args=(-ex 'break *hot if $rdi < 0') ;;
	out-of-line) args=(-ex 'break *hot+4 if $rdi < 0') ;;
	in-line) args=(-ex 'set displaced-stepping off' -ex 'break *hot+4 if $rdi < 0') ;;
	esac
	t=$(for _ in $(seq "$ROUNDS"); do
		time_of "$KITRACE" launch --batch "${args[@]}" -- "$PROGS/bp_loop" "$N"
	done | median)
	awk -v c="$cls" -v t="$t" -v b="$base" -v n="$N" \
		'BEGIN { d = t - b; printf "%-12s %9.3fs %12.2f %10.0f\n", c, t, d / n * 1e6, n / d }'
done

echo
printf '%-8s %10s %10s %10s\n' threads median hits hits/s
for nt in 1 8; do
	res=$(for _ in $(seq "$ROUNDS"); do
		t0=$(now)
		h=$(KITRACE_STATS=1 "$KITRACE" launch --batch -ex 'break work if $rdi < 0' -- \
			"$PROGS/threads" "$nt" 0.02 cpu 2>&1 >/dev/null |
			sed -nE 's/^kitrace stats: hits ([0-9]+),.*/\1/p')
		t1=$(now)
		awk -v a="$t0" -v b="$t1" -v h="$h" 'BEGIN { printf "%.4f %s\n", b - a, h }'
	done | sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
	set -- $res
	awk -v nt="$nt" -v t="$1" -v h="$2" 'BEGIN { printf "%-8s %9.3fs %10d %10.0f\n", nt, t, h, h / t }'
done
