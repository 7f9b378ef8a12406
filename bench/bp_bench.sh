#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/bp_bench.sh - conditional-breakpoint throughput: kitrace against the
# ptrace floor (bench/onestop) and gdb.
#
#   bench/bp_bench.sh [N]        N breakpoint hits (default 100000)
#
# Runs $PROGS/bp_loop N, which calls hot() N times, four ways, ROUNDS times
# each (default 3), alternating so that drift in machine load hits all alike:
#
#   untraced   bp_loop N
#   onestop    bench/onestop bp_loop N          (one ptrace stop per hit)
#   kitrace    kitrace launch --batch -ex 'break hot if $rdi < 0' -- bp_loop N
#   gdb        gdb -batch -nx -ex 'break hot if $rdi < 0' -ex run --args bp_loop N
#
# The condition is never true, so each hit costs one stop and a resume and
# nothing else.  Reports the median wall time of each, hits per second
# (N / median) and "kitrace = X.XX x onestop, Y.YY x gdb" (ratios of hits
# per second: higher is better for kitrace).  A run whose output lacks the
# untraced run's sum= line, or that exits non-zero, is INVALID; the script
# then exits 1.  kitrace or gdb missing is reported and skipped.
#
# Environment: BUILD (default build), KITRACE (default $BUILD/kitrace), PROGS
# (default $BUILD/progs), ROUNDS (default 3), PIN=1 to run every variant
# pinned to CPU 0 (tracer and tracee on one CPU: cheaper stops on most VMs),
# ONESTOP (a prebuilt onestop; otherwise it is compiled with gcc into
# $BUILD/bench), ONESTOP_VALUE (see bench/onestop.c; where nm is missing).
# On aarch64 the condition is "$x0 < 0" (make bench-aarch64 runs this in the
# emulated guest).

set -u
cd "$(dirname "$0")/.." || exit 1

N=${1:-100000}
BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
ROUNDS=${ROUNDS:-3}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
BP_LOOP=$PROGS/bp_loop
ONESTOP_GIVEN=${ONESTOP:-}
ONESTOP=${ONESTOP:-$BUILD/bench/onestop}
COND='$rdi < 0'
[ "$(uname -m)" != aarch64 ] || COND='$x0 < 0'
PIN_CMD=()
[ "${PIN:-0}" != 1 ] || PIN_CMD=(taskset -c 0)

if [ ! -x "$BP_LOOP" ]; then
	echo "bp_bench: $BP_LOOP not built (make progs)" >&2
	exit 2
fi
mkdir -p "$BUILD/bench" || exit 2
if [ -z "$ONESTOP_GIVEN" ]; then
	gcc -O2 -std=gnu11 -Wall -Wextra -o "$ONESTOP" bench/onestop.c || exit 2
elif [ ! -x "$ONESTOP" ]; then
	echo "bp_bench: ONESTOP=$ONESTOP is not executable" >&2
	exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-bp_bench.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

expected=$("$BP_LOOP" "$N" | grep '^sum=')
[ -n "$expected" ] || {
	echo "bp_bench: bp_loop printed no sum=" >&2
	exit 2
}

variants=(untraced onestop)
if [ -x "$KITRACE" ]; then
	variants+=(kitrace)
else
	echo "kitrace: not built ($KITRACE)"
fi
if command -v gdb >/dev/null 2>&1; then
	variants+=(gdb)
else
	echo "gdb: not installed, skipped"
fi

# shellcheck disable=SC2016 # $rdi is kitrace's and gdb's, not the shell's
command_for() {
	case $1 in
	untraced) CMD=("$BP_LOOP" "$N") ;;
	onestop) CMD=("$ONESTOP" "$BP_LOOP" "$N") ;;
	kitrace) CMD=("$KITRACE" launch --batch -ex "break hot if $COND" -- "$BP_LOOP" "$N") ;;
	gdb) CMD=(gdb -batch -nx -ex "break hot if $COND" -ex run --args "$BP_LOOP" "$N") ;;
	esac
}

declare -A times invalid
for v in "${variants[@]}"; do
	times[$v]=
	invalid[$v]=
done

echo "bp_bench: N=$N hits, $ROUNDS rounds, $(nproc) CPUs${PIN:+, PIN=$PIN}, expected $expected"
for ((r = 1; r <= ROUNDS; r++)); do
	for v in "${variants[@]}"; do
		command_for "$v"
		st=0
		t0=$EPOCHREALTIME
		timeout "$RUN_TIMEOUT" "${PIN_CMD[@]}" "${CMD[@]}" >"$TMP/out" 2>"$TMP/err" </dev/null || st=$?
		t1=$EPOCHREALTIME
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
		note=
		if ! grep -qx -- "$expected" "$TMP/out"; then
			invalid[$v]=1
			note="INVALID: no '$expected' in output"
		elif [ "$st" -ne 0 ]; then
			invalid[$v]=1
			note="INVALID: exit status $st"
		fi
		printf '  round %d %-9s %9.3fs %s\n' "$r" "$v" "$secs" "$note"
		if [ -n "$note" ]; then
			tail -n 5 "$TMP/out" "$TMP/err" | sed 's/^/      /'
		fi
		times[$v]+="$secs "
	done
done

median() {
	tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

declare -A med rate
echo
printf '%-9s %10s %14s\n' variant median hits/s
for v in "${variants[@]}"; do
	med[$v]=$(printf '%s' "${times[$v]}" | median)
	rate[$v]=$(awk -v n="$N" -v s="${med[$v]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
	flag=
	[ -z "${invalid[$v]}" ] || flag=INVALID
	if [ "$v" = untraced ]; then
		printf '%-9s %9.3fs %14s %s\n' "$v" "${med[$v]}" "-" "$flag"
	else
		printf '%-9s %9.3fs %14s %s\n' "$v" "${med[$v]}" "${rate[$v]}" "$flag"
	fi
done

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}
if [ -n "${rate[kitrace]:-}" ]; then
	line="kitrace = $(ratio "${rate[kitrace]}" "${rate[onestop]}") x onestop"
	if [ -n "${rate[gdb]:-}" ]; then
		line+=", $(ratio "${rate[kitrace]}" "${rate[gdb]}") x gdb"
	fi
	[ -z "${invalid[kitrace]}" ] || line+=" (INVALID)"
	echo "$line"
	# The same ratio round by round, onestop and kitrace run back to back:
	# a burst of load on a shared machine then hits both of a pair.
	echo "kitrace / onestop by round: $(paste -d' ' <(printf '%s' "${times[onestop]}" | tr ' ' '\n' | grep .) \
		<(printf '%s' "${times[kitrace]}" | tr ' ' '\n' | grep .) |
		awk '{ printf "%.2f ", ($2 > 0 ? $1 / $2 : 0) }')(median $(paste -d' ' \
		<(printf '%s' "${times[onestop]}" | tr ' ' '\n' | grep .) \
		<(printf '%s' "${times[kitrace]}" | tr ' ' '\n' | grep .) |
		awk '{ printf "%f ", ($2 > 0 ? $1 / $2 : 0) }' | median | awk '{ printf "%.2f", $1 }'))"
elif [ -n "${rate[gdb]:-}" ]; then
	echo "gdb = $(ratio "${rate[gdb]}" "${rate[onestop]}") x onestop (kitrace: not built)"
fi

bad=()
for v in "${variants[@]}"; do
	[ -z "${invalid[$v]}" ] || bad+=("$v")
done
if [ "${#bad[@]}" -gt 0 ]; then
	echo "bp_bench: INVALID results from: ${bad[*]} (output or exit status differs from untraced)"
	exit 1
fi
exit 0
