#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/overhead.sh - what merely being traced costs a CPU-bound
# multi-threaded program: no breakpoints, so ideally nothing.
#
#   bench/overhead.sh [THREADS [MILLIONS]]
#
# Runs `threads THREADS MILLIONS cpu` (default: one thread per CPU, 400
# million calls of work() each; about 2 s here) untraced and under
# `kitrace launch --batch --`, alternating, ROUNDS times each (default 5),
# and reports the median wall times and their ratio, traced / untraced.
# The goal is a ratio <= 1.05.  Every run must print the untraced run's
# checksum line and exit 0, else the result is INVALID and the script
# exits 1.  Missing the goal is reported but is not an error.
#
# Environment: BUILD (default build), KITRACE (default $BUILD/kitrace), PROGS
# (default $BUILD/progs), ROUNDS (default 5).

set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
ROUNDS=${ROUNDS:-5}
NT=${1:-$(nproc)}
MILLIONS=${2:-400}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
GOAL=1.05
THREADS=$PROGS/threads

if [ ! -x "$THREADS" ]; then
	echo "overhead: $THREADS not built (make progs)" >&2
	exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-overhead.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

echo "overhead: threads $NT $MILLIONS cpu, $ROUNDS rounds, $(nproc) CPUs"
expected=$("$THREADS" "$NT" "$MILLIONS" cpu | grep checksum=)
[ -n "$expected" ] || {
	echo "overhead: threads printed no checksum" >&2
	exit 2
}
variants=(untraced)
if [ -x "$KITRACE" ]; then
	variants+=(kitrace)
else
	echo "kitrace: not built ($KITRACE); one untraced round only"
	ROUNDS=1
fi

declare -A times invalid
for v in "${variants[@]}"; do
	times[$v]=
	invalid[$v]=
done
for ((r = 1; r <= ROUNDS; r++)); do
	for v in "${variants[@]}"; do
		case $v in
		untraced) CMD=("$THREADS" "$NT" "$MILLIONS" cpu) ;;
		kitrace) CMD=("$KITRACE" launch --batch -- "$THREADS" "$NT" "$MILLIONS" cpu) ;;
		esac
		st=0
		t0=$EPOCHREALTIME
		timeout "$RUN_TIMEOUT" "${CMD[@]}" >"$TMP/out" 2>"$TMP/err" </dev/null || st=$?
		t1=$EPOCHREALTIME
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
		note=
		if ! grep -qxF -- "$expected" "$TMP/out"; then
			invalid[$v]=1
			note="INVALID: no '$expected' in output"
		elif [ "$st" -ne 0 ]; then
			invalid[$v]=1
			note="INVALID: exit status $st"
		fi
		printf '  round %d %-9s %8.3fs %s\n' "$r" "$v" "$secs" "$note"
		[ -z "$note" ] || tail -n 5 "$TMP/out" "$TMP/err" | sed 's/^/      /'
		times[$v]+="$secs "
	done
done

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

echo
declare -A med
for v in "${variants[@]}"; do
	med[$v]=$(printf '%s' "${times[$v]}" | median)
	flag=
	[ -z "${invalid[$v]}" ] || flag=INVALID
	printf '%-9s median %8.3fs %s\n' "$v" "${med[$v]}" "$flag"
done
if [ -n "${med[kitrace]:-}" ]; then
	ratio=$(awk -v a="${med[kitrace]}" -v b="${med[untraced]}" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
	verdict=$(awk -v r="$ratio" -v g="$GOAL" 'BEGIN { print (r <= g) ? "meets" : "MISSES" }')
	line="overhead: kitrace / untraced = $ratio ($verdict the goal <= $GOAL)"
	[ -z "${invalid[kitrace]}" ] || line+=" (INVALID)"
	echo "$line"
fi
for v in "${variants[@]}"; do
	if [ -n "${invalid[$v]}" ]; then
		echo "overhead: INVALID results from $v (output or exit status differs from untraced)"
		exit 1
	fi
done
exit 0
