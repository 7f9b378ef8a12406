# SPDX-License-Identifier: MIT
# tests/e2e/lib.sh - sourced by every end-to-end test.
#
# tests/run.sh runs each tests/e2e/NN_name.sh from the top of the tree, with
# KITRACE, PROGS, BUILD and TESTS set (defaults below for running one by
# hand: `bash tests/e2e/10_foo.sh`).  A test exits 0 to pass, 77 to skip
# (skip), anything else to fail (fail).  Everything it prints goes to
# $BUILD/test-logs/NAME.log; the runner shows the tail of the log on failure.
#
# Helpers:
#   fail MSG                print "FAIL: MSG" and the last command's output, exit 1
#   skip REASON             print "SKIP: REASON", exit 77
#   need_kitrace            skip unless $KITRACE is built
#   need CMD...             skip unless each CMD is on PATH
#   need_arch ARCH REASON   skip unless the machine ($KT_ARCH, uname -m) is ARCH
#   $ARG0                   the first argument register's name for conditions
#                           in kitrace command lines not run through kt
#                           ($rdi on x86-64, $x0 on aarch64)
#   $JIT_PROLOGUE           the length of the frame set-up in the JIT code of
#                           kj_stress, kj_heal and kj_scribble
#                           (inferior/progs/jitemit.h): `break NAME` on one of
#                           their functions stops at NAME+$JIT_PROLOGUE
#   emulated N M            M under an emulated machine (KT_EMULATED=1, set by
#                           make check-aarch64), else N: iteration counts
#   run CMD [ARG...]        run CMD (timeout $RUN_TIMEOUT, default 60 s), stdout to
#                           $T/out, stderr to $T/err, exit status to $ST; stdin is
#                           the caller's (so `run ... <<EOF` works)
#   kt ARG...               run "$KITRACE" ARG...; also fails the test if $T/err
#                           holds a sanitizer report.  On aarch64 the x86-64
#                           register names in the arguments become their
#                           AArch64 counterparts ($rdi $rsi $rdx: first three
#                           arguments x0 x1 x2; $rax: x0; $rip $rsp: pc sp),
#                           so one command line serves both machines
#   prog NAME [ARG...]      run "$PROGS/NAME" ARG... untraced
#   expect_status N         $ST must be N
#   expect_out_contains S   $T/out must contain the fixed string S
#   expect_out_not_contains S
#   expect_err_contains S   the same for $T/err
#   expect_err_not_contains S
#   mask [PID...]           filter stdin to stdout: 0x and 4+ hex digits become ADDR,
#                           each given decimal PID (as a whole number) becomes PID
#   golden NAME [PID...]    compare `mask PID... < $T/out` with $TESTS/golden/NAME;
#                           UPDATE_GOLDEN=1 writes the file instead
#   wait_for_line FILE REGEX [SECS]
#                           wait until a line of FILE matches the extended REGEX
#                           (default 10 s); fail on timeout
#   spawn NAME CMD [ARG...] start CMD in the background, stdout to $T/NAME.out,
#                           stderr to $T/NAME.err, pid in $PID; killed at exit
#                           unless reaped with `reap $PID` (status in $ST)
#
# $T is a private temporary directory, removed when the test exits.

set -u

TEST_NAME=$(basename "$0" .sh)
BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
PROGS=${PROGS:-$BUILD/progs}
TESTS=${TESTS:-tests/e2e}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}
KT_ARCH=${KT_ARCH:-$(uname -m)}
if [ "$KT_ARCH" = aarch64 ]; then ARG0='$x0' JIT_PROLOGUE=8; else ARG0='$rdi' JIT_PROLOGUE=4; fi
# absolute, so a test may cd
case $KITRACE in /*) ;; *) KITRACE=$PWD/$KITRACE ;; esac
case $PROGS in /*) ;; *) PROGS=$PWD/$PROGS ;; esac
ST=0
PID=
_KT_SPAWNED=()

T=$(mktemp -d "${TMPDIR:-/tmp}/kt-$TEST_NAME.XXXXXX") || {
	echo "FAIL: mktemp" >&2
	exit 1
}
: >"$T/out"
: >"$T/err"

_kt_cleanup() {
	local p
	for p in "${_KT_SPAWNED[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap _kt_cleanup EXIT

# Show the tail of the last command's output, to make a failure readable.
_kt_show() {
	local f
	for f in out err; do
		if [ -s "$T/$f" ]; then
			echo "--- last $f (tail) ---"
			tail -n 40 "$T/$f"
		fi
	done
}

fail() {
	echo "FAIL: $*"
	_kt_show
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# A tab, for patterns (busybox grep, in the AArch64 guest, has no -P).
TAB=$'\t'

need_kitrace() {
	[ -x "$KITRACE" ] || skip "kitrace not built ($KITRACE)"
}

need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
	done
}

# fixture NAME: in the emulated AArch64 guest, which has no compiler and no
# binutils, scripts/aarch64/fixtures.sh has built what the tests would build
# into $KT_FIXTURES; set FIX to $KT_FIXTURES/NAME and return 0.  Without
# KT_FIXTURES, return 1: the test builds its own.  A fixture that should be
# there and is not fails the test.
fixture() {
	[ -n "${KT_FIXTURES:-}" ] || return 1
	FIX=$KT_FIXTURES/$1
	[ -e "$FIX" ] || fail "fixture $FIX missing (scripts/aarch64/fixtures.sh makes it)"
}

need_arch() {
	[ "$KT_ARCH" = "$1" ] || skip "$1 only ($2); this machine is $KT_ARCH"
}

emulated() {
	if [ "${KT_EMULATED:-0}" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# The arguments of kt, with x86-64 register names rewritten for $KT_ARCH.
_kt_args=()
_kt_regs() {
	local a
	_kt_args=()
	for a in "$@"; do
		if [ "$KT_ARCH" = aarch64 ]; then
			a=${a//\$rdi/\$x0} a=${a//\$rsi/\$x1} a=${a//\$rdx/\$x2}
			a=${a//\$rax/\$x0} a=${a//\$rip/\$pc} a=${a//\$rsp/\$sp}
		fi
		_kt_args+=("$a")
	done
}

run() {
	echo "+ $*"
	ST=0
	timeout -k 5 "$RUN_TIMEOUT" "$@" >"$T/out" 2>"$T/err" || ST=$?
	[ "$ST" -ne 124 ] || echo "(timed out after $RUN_TIMEOUT s)"
	return 0
}

kt() {
	_kt_regs "$@"
	run "$KITRACE" "${_kt_args[@]}"
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/err"; then
		fail "sanitizer report from kitrace $*"
	fi
}

prog() {
	local name=$1
	shift
	run "$PROGS/$name" "$@"
}

expect_status() {
	[ "$ST" -eq "$1" ] || fail "expected exit status $1, got $ST"
}

expect_out_contains() {
	grep -qF -- "$1" "$T/out" || fail "stdout does not contain '$1'"
}

expect_out_not_contains() {
	! grep -qF -- "$1" "$T/out" || fail "stdout contains '$1'"
}

expect_err_contains() {
	grep -qF -- "$1" "$T/err" || fail "stderr does not contain '$1'"
}

expect_err_not_contains() {
	! grep -qF -- "$1" "$T/err" || fail "stderr contains '$1'"
}

mask() {
	local args=(-E -e 's/0x[0-9a-fA-F]{4,}/ADDR/g') p
	for p in "$@"; do
		[ -n "$p" ] || continue
		# twice: adjacent matches share the separating character
		args+=(-e "s/(^|[^0-9])$p([^0-9]|\$)/\\1PID\\2/g")
		args+=(-e "s/(^|[^0-9])$p([^0-9]|\$)/\\1PID\\2/g")
	done
	sed "${args[@]}"
}

golden() {
	local name=$1
	shift
	local file="$TESTS/golden/$name"
	# NAME.ARCH, where it exists, is this machine's (offsets differ).
	[ ! -f "$file.$KT_ARCH" ] || file="$file.$KT_ARCH"
	mask "$@" <"$T/out" >"$T/golden.$name"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$TESTS/golden"
		cp "$T/golden.$name" "$file"
		echo "golden: wrote $file"
		return 0
	fi
	[ -f "$file" ] || fail "no golden file $file (run with UPDATE_GOLDEN=1 to create it)"
	if ! diff -u "$file" "$T/golden.$name"; then
		fail "output differs from golden $file (above: - expected, + got)"
	fi
}

wait_for_line() {
	local file=$1 re=$2 secs=${3:-10}
	local deadline=$((SECONDS + secs))
	while ! grep -qE -- "$re" "$file" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "--- $file ---"
			tail -n 20 "$file" 2>/dev/null
			fail "no line matching '$re' in $file after $secs s"
		fi
		sleep 0.05
	done
}

# spawn NAME CMD...: run CMD in the background, its output in $T/NAME.out
# and .err, its pid in $PID.  The files are emptied here, before the fork:
# the child's own redirection truncates them only once it runs, and until
# then a wait_for_line would match what an earlier NAME printed.
spawn() {
	local name=$1
	shift
	echo "+ $* &"
	: >"$T/$name.out"
	: >"$T/$name.err"
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	PID=$!
	_KT_SPAWNED+=("$PID")
}

reap() {
	local p=$1 i
	ST=0
	wait "$p" 2>/dev/null || ST=$?
	for i in "${!_KT_SPAWNED[@]}"; do
		[ "${_KT_SPAWNED[$i]}" != "$p" ] || unset "_KT_SPAWNED[$i]"
	done
}
