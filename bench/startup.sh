#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/startup.sh - what wrapping a short program costs: the time from
# `kitrace launch --batch` to the program's end, against the program alone
# and gdb, for a program that does almost nothing.  A CI job that wraps
# every test pays this once per test.
#
#   bench/startup.sh [RUNS]      RUNS launches per variant and round (default 50)
#
# Variants, alternated ROUNDS times (default 3); the median of the rounds,
# in milliseconds per launch:
#
#   untraced   bp_loop 1
#   kitrace    kitrace launch --batch -- bp_loop 1
#   kitrace+bp kitrace launch --batch -ex 'break hot if $rdi < 0' -- bp_loop 1
#   dynamic    the same as kitrace, with $KITRACE_DYNAMIC (a LINK=dynamic
#              build, e.g. `make LINK=dynamic BUILD=build-dyn build-dyn/kitrace`)
#   gdb        gdb -batch -nx -ex run --args bp_loop 1
#
# Prints what kitrace adds to a launch (median minus untraced) and the
# ratio to what gdb adds.  A run whose output lacks bp_loop's sum= line, or
# that exits non-zero, is INVALID and the script exits 1.  Missing kitrace,
# dynamic build or gdb are said and skipped.

set -u
cd "$(dirname "$0")/.." || exit 1

RUNS=${1:-50}
BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
ROUNDS=${ROUNDS:-3}
P=$PROGS/bp_loop
COND='$rdi < 0'
[ "$(uname -m)" != aarch64 ] || COND='$x0 < 0'

[ -x "$P" ] || {
	echo "startup: $P not built (make progs)" >&2
	exit 2
}
variants=(untraced)
if [ -x "$KITRACE" ]; then variants+=(kitrace kitrace+bp); else echo "kitrace: not built ($KITRACE)"; fi
if [ -n "${KITRACE_DYNAMIC:-}" ] && [ -x "$KITRACE_DYNAMIC" ]; then
	variants+=(dynamic)
else
	echo "dynamic: KITRACE_DYNAMIC not set to a LINK=dynamic kitrace, skipped"
fi
if command -v gdb >/dev/null 2>&1; then variants+=(gdb); else echo "gdb: not installed, skipped"; fi

# shellcheck disable=SC2016 # $rdi is kitrace's, not the shell's
command_for() {
	case $1 in
	untraced) CMD=("$P" 1) ;;
	kitrace) CMD=("$KITRACE" launch --batch -- "$P" 1) ;;
	kitrace+bp) CMD=("$KITRACE" launch --batch -ex "break hot if $COND" -- "$P" 1) ;;
	dynamic) CMD=("$KITRACE_DYNAMIC" launch --batch -- "$P" 1) ;;
	gdb) CMD=(gdb -batch -nx -ex run --args "$P" 1) ;;
	esac
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-startup.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
declare -A times invalid
echo "startup: $RUNS launches per variant, $ROUNDS rounds, $(nproc) CPUs"
for ((r = 1; r <= ROUNDS; r++)); do
	for v in "${variants[@]}"; do
		command_for "$v"
		t0=$EPOCHREALTIME
		for ((i = 0; i < RUNS; i++)); do
			st=0
			"${CMD[@]}" >"$TMP/out" 2>"$TMP/err" </dev/null || st=$?
			if [ "$st" -ne 0 ] || ! grep -q '^sum=1$' "$TMP/out"; then
				invalid[$v]=1
			fi
		done
		t1=$EPOCHREALTIME
		ms=$(awk -v a="$t0" -v b="$t1" -v n="$RUNS" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }')
		printf '  round %d %-10s %8.2f ms\n' "$r" "$v" "$ms"
		times[$v]+="$ms "
	done
done

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
declare -A med
echo
printf '%-10s %12s %12s\n' variant "ms/launch" "added ms"
for v in "${variants[@]}"; do
	med[$v]=$(printf '%s' "${times[$v]}" | median)
done
for v in "${variants[@]}"; do
	add=$(awk -v a="${med[$v]}" -v b="${med[untraced]}" 'BEGIN { printf "%.2f", a - b }')
	printf '%-10s %12.2f %12s %s\n' "$v" "${med[$v]}" "$add" "${invalid[$v]:+INVALID}"
done
if [ -n "${med[kitrace]:-}" ] && [ -n "${med[gdb]:-}" ]; then
	awk -v k="${med[kitrace]}" -v g="${med[gdb]}" -v u="${med[untraced]}" \
		'BEGIN { printf "kitrace adds %.2f x what gdb adds\n", (g - u > 0 ? (k - u) / (g - u) : 0) }'
fi
if [ -n "${med[dynamic]:-}" ]; then
	awk -v k="${med[kitrace]}" -v d="${med[dynamic]}" -v u="${med[untraced]}" \
		'BEGIN { printf "static kitrace adds %.2f x what the dynamic one adds\n", (d - u > 0 ? (k - u) / (d - u) : 0) }'
fi
for v in "${variants[@]}"; do
	[ -z "${invalid[$v]:-}" ] || {
		echo "startup: INVALID results from $v"
		exit 1
	}
done
exit 0
