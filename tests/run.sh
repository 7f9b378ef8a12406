#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/run.sh - run kitrace's test suite: the unit test binaries given as
# arguments, then every tests/e2e/*.sh in name order.
#
#   tests/run.sh [UNIT_BIN...]        (make test calls it with every unit binary)
#
# Environment:
#   BUILD    build directory (default build): kitrace is $BUILD/kitrace, the
#            inferior programs are in $BUILD/progs, logs go to $BUILD/test-logs
#   SAN      the sanitizer the build uses (asan|ubsan|empty), passed to tests
#   T        extended regex: run only the tests (unit or e2e) whose name matches
#
# Every test runs under `timeout 120` (a test may ask for more with a line
# "# kt-timeout: SECONDS") with stdin from /dev/null, its output in
# $BUILD/test-logs/NAME.log.  Exit status 0 is PASS, 77 is SKIP (the reason is
# the last line the test printed), anything else is FAIL (the last 30 lines of
# the log are shown).  One line per test, then "N passed, N failed, N skipped".
# Exits 1 if a test failed or none passed or failed.
#
# An e2e test runs from the top of the tree with KITRACE, PROGS, BUILD, SAN and
# TESTS (= tests/e2e) in its environment, all absolute except TESTS; it
# sources tests/e2e/lib.sh.  Whatever a test leaves running in its process
# group is killed when it ends.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

units=()
for u in "$@"; do
	units+=("$(abspath "$u")")
done
BUILD=$(abspath "${BUILD:-build}")
SAN=${SAN:-}
FILTER=${T:-}
unset T
cd "$ROOT" || exit 1

LOGS=$BUILD/test-logs
mkdir -p "$LOGS" || exit 1
export BUILD SAN
export KITRACE=$BUILD/kitrace PROGS=$BUILD/progs TESTS=tests/e2e
if [ -n "$SAN" ]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
TIMEOUT=${TEST_TIMEOUT:-120}

passed=0
failed=0
skipped=0
failures=()

# run_one NAME LOG CMD...: run one test in its own process group, report it.
run_one() {
	local name=$1 log=$2 t0 t1 st pid
	shift 2
	t0=$EPOCHREALTIME
	# timeout makes itself a process group leader, so the test's leftovers
	# can be killed through it.
	timeout -k 5 "$TIMEOUT" "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	wait "$pid"
	st=$?
	kill -KILL -- "-$pid" 2>/dev/null
	t1=$EPOCHREALTIME
	local secs
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2fs", b - a }')
	case $st in
	0)
		printf 'PASS %-36s %8s\n' "$name" "$secs"
		passed=$((passed + 1))
		;;
	77)
		local why
		why=$(tail -n 1 "$log")
		why=${why#SKIP: }
		printf 'SKIP %-36s %8s  %s\n' "$name" "$secs" "$why"
		skipped=$((skipped + 1))
		;;
	*)
		local what="exit status $st"
		if [ "$st" -eq 124 ]; then
			what="timed out after ${TIMEOUT}s"
		elif [ "$st" -gt 128 ]; then
			what="killed by signal $((st - 128))"
		fi
		printf 'FAIL %-36s %8s  %s (log: %s)\n' "$name" "$secs" "$what" "$log"
		tail -n "${KT_LOG_TAIL:-30}" "$log" | sed 's/^/    | /'
		failed=$((failed + 1))
		failures+=("$name")
		;;
	esac
}

selected() {
	[ -z "$FILTER" ] || [[ $1 =~ $FILTER ]]
}

for u in "${units[@]}"; do
	name=$(basename "$u")
	selected "$name" || continue
	if [ ! -x "$u" ]; then
		printf 'FAIL %-36s %8s  not built: %s\n' "$name" "-" "$u"
		failed=$((failed + 1))
		failures+=("$name")
		continue
	fi
	run_one "$name" "$LOGS/$name.log" "$u"
done

for t in tests/e2e/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	[ "$name" != lib ] || continue
	selected "$name" || continue
	# A test may ask for more time with a line "# kt-timeout: SECONDS".
	TIMEOUT=$(sed -nE 's/^# kt-timeout: ([0-9]+)$/\1/p' "$t" | head -n 1)
	TIMEOUT=${TIMEOUT:-${TEST_TIMEOUT:-120}}
	run_one "$name" "$LOGS/$name.log" bash "$t"
done

echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ]; then
	echo "failed: ${failures[*]}"
	exit 1
fi
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran${FILTER:+ (T=$FILTER matched nothing that ran)}"
	exit 1
fi
exit 0
