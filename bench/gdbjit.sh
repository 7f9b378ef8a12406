#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/gdbjit.sh - the GDB JIT interface: kitrace against gdb.
#
#   bench/gdbjit.sh               # ROUNDS=3 (5 for the lli crash), GDB_CAP=120
#
# (a) Registration: build/progs/gjit (inferior/progs/gjit.c) announces N small in-memory ELF
#     objects, each with a function, its DWARF (.debug_info, .debug_line,
#     ...) and .eh_frame.  Wall time of the whole run untraced, under
#     `kitrace launch --batch` (no breakpoint: registrations never stop),
#     under kitrace with a pending breakpoint (every registration stops and
#     the new image is read, as gdb does), and under `gdb -batch -ex run`
#     (each object: 3 functions, 2 struct types, ~460 bytes of .debug_info);
#     then N = 1000 again with objects that also have a .rodata section the
#     JIT left at address 0 (overlapping in every object), gdb's slow case.
#     (one run per N, capped at GDB_CAP seconds: "> cap"), for N = 250,
#     500, 1000; kitrace alone also for 10000 and 100000.
# (b) Time from launch to the finished crash report of lli running
#     inferior/lli/crash.c (clang -O0 IR): `kitrace launch --batch -- lli
#     crash.ll` against `gdb -batch -ex run -ex bt --args lli crash.ll`,
#     alternated, medians of 5 (goal: kitrace <= 0.5 x gdb).
# (c) Time to the first `bt` after attaching to gjit holding 1,000
#     registered objects with a JIT frame on the stack: `kitrace attach
#     --batch -ex bt PID` against `gdb -batch -p PID -ex bt`.
#
# A run whose output lacks what it must show (the objects line, the JIT
# frames) is INVALID and the script exits 1.  Being slow is not an error.
# Environment: BUILD (default build), KITRACE, PROGS, ROUNDS, GDB_CAP, NS, KT_NS.

set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
KITRACE=${KITRACE:-$BUILD/kitrace}
ROUNDS=${ROUNDS:-3}
GDB_CAP=${GDB_CAP:-120}
NS=${NS:-250 500 1000}
KT_NS=${KT_NS:-10000 100000}
invalid=0
have_gdb=1
command -v gdb >/dev/null 2>&1 || have_gdb=0
[ -x "$KITRACE" ] || { echo "gdbjit: kitrace not built ($KITRACE)" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-gdbjit.XXXXXX") || exit 2
trap 'rm -rf "$TMP"; [ -n "${HOLD:-}" ] && kill "$HOLD" 2>/dev/null' EXIT

PROGS=${PROGS:-$BUILD/progs}
GJ=$PROGS/gjit
[ -x "$GJ" ] || { echo "gdbjit: $GJ not built (make progs)" >&2; exit 2; }
mkdir -p "$BUILD/bench"
TPL=$BUILD/bench/gj_tpl.o
# One function the JIT calls first in .text, and a little more code and
# types (DWARF) per object, as a real JIT's objects carry.
cat >"$TMP/gj_tpl.c" <<'EOF'
struct gj_point { int x, y; double w; const char *tag; };
struct gj_node { struct gj_point p; struct gj_node *next; unsigned flags[4]; };
int gj_0000000(void (*cb)(void)) { cb(); return 1; }
static int gj_sum(const struct gj_node *n) { int s = 0; for (; n; n = n->next) s += n->p.x * n->p.y; return s; }
static double gj_weight(const struct gj_node *n, int k) { double w = 0; while (n && k-- > 0) { w += n->p.w; n = n->next; } return w; }
int gj_use(struct gj_node *n) { struct gj_point q = {1, 2, 0.0, 0}; return gj_sum(n) + (int)gj_weight(n, q.x); }
EOF
gcc -c -g -O0 -fno-omit-frame-pointer -o "$TPL" "$TMP/gj_tpl.c" || exit 2

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a == a + 0) printf "%.2f", a / b; else print "n/a" }'; }

# timed TO CHECK CMD...: wall seconds of CMD (output in $TMP/o), or INVALID
# when it does not show the fixed string CHECK, or "> TO" when it timed out
timed() {
	local to=$1 check=$2 st=0 t0 t1
	shift 2
	t0=$(now)
	timeout -k 5 "$to" "$@" >"$TMP/o" 2>&1 || st=$?
	t1=$(now)
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		echo "> $to"
	elif ! grep -qF -- "$check" "$TMP/o"; then
		echo "gdbjit: INVALID: $* (status $st) lacks '$check'" >&2
		tail -n 5 "$TMP/o" >&2
		invalid=1
		echo INVALID
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
	fi
}

# med_of K TO CHECK CMD...: median wall seconds of K runs
med_of() {
	local k=$1
	shift
	for _ in $(seq 1 "$k"); do timed "$@"; echo; done | grep -v '^$' | grep -v INVALID | median
}

echo "gdbjit: (a) registering N in-memory ELF objects with DWARF, wall seconds" \
	"(median of $ROUNDS; gdb: one run, cap ${GDB_CAP} s), $(nproc) CPUs"
printf '  %7s %9s %9s %12s %9s %12s %14s\n' N untraced kitrace "kt+pending" gdb \
	"gdb/kitrace" "gdb/kt+pend"
for n in $NS $KT_NS; do
	want="gjit: $n objects"
	u=$(med_of "$ROUNDS" 300 "$want" "$GJ" "$TPL" "$n")
	k=$(med_of "$ROUNDS" 300 "$want" "$KITRACE" launch --batch -- "$GJ" "$TPL" "$n")
	p=$(med_of "$ROUNDS" 600 "$want" "$KITRACE" launch --batch -ex 'break never_comes' -- \
		"$GJ" "$TPL" "$n")
	g=-
	case " $NS " in
	*" $n "*) [ $have_gdb = 1 ] && g=$(timed "$GDB_CAP" "$want" gdb -nx -batch -ex run \
		--args "$GJ" "$TPL" "$n") ;;
	esac
	printf '  %7s %9s %9s %12s %9s %12s %14s\n' "$n" "$u" "$k" "$p" "$g" \
		"$(ratio "$g" "$k")" "$(ratio "$g" "$p")"
done

# The same objects with a .rodata section the JIT leaves at address 0 in
# every object (sh_addr not patched): gdb's slow case.
sed 's/{1, 2, 0.0, 0}/{1, 2, 3.0, 0}/' "$TMP/gj_tpl.c" >"$TMP/gj_ro.c"
gcc -c -g -O0 -fno-omit-frame-pointer -o "$BUILD/bench/gj_ro.o" "$TMP/gj_ro.c" || exit 2
n=1000
want="gjit: $n objects"
k=$(med_of "$ROUNDS" 300 "$want" "$KITRACE" launch --batch -- "$GJ" "$BUILD/bench/gj_ro.o" "$n")
p=$(med_of "$ROUNDS" 600 "$want" "$KITRACE" launch --batch -ex 'break never_comes' -- \
	"$GJ" "$BUILD/bench/gj_ro.o" "$n")
g=-
[ $have_gdb = 1 ] && g=$(timed "$GDB_CAP" "$want" gdb -nx -batch -ex run --args "$GJ" \
	"$BUILD/bench/gj_ro.o" "$n")
printf '  %7s %9s %9s %12s %9s %12s %14s  (.rodata left at 0)\n' "$n" - "$k" "$p" "$g" \
	"$(ratio "$g" "$k")" "$(ratio "$g" "$p")"

echo
echo "gdbjit: (b) lli crash (inferior/lli/crash.c, clang -O0), launch to finished report, median of 5"
if command -v lli >/dev/null 2>&1 && command -v clang >/dev/null 2>&1; then
	clang -g -O0 -S -emit-llvm -o "$TMP/crash.ll" inferior/lli/crash.c || exit 2
	# alternate, so a burst of load from elsewhere hits both alike
	: >"$TMP/bk"; : >"$TMP/bg"
	for _ in 1 2 3 4 5; do
		timed 120 "in depth1+" "$KITRACE" launch --batch -- lli "$TMP/crash.ll" >>"$TMP/bk"
		echo >>"$TMP/bk"
		[ $have_gdb = 1 ] && { timed 120 "in depth1 " gdb -nx -batch -ex run -ex bt \
			--args lli "$TMP/crash.ll" >>"$TMP/bg"; echo >>"$TMP/bg"; }
	done
	k=$(grep -v '^$' "$TMP/bk" | grep -v INVALID | median)
	g=n/a
	[ $have_gdb = 1 ] && g=$(grep -v '^$' "$TMP/bg" | grep -v INVALID | median)
	r=$(ratio "$k" "$g")
	printf '  kitrace %s s, gdb %s s: kitrace = %s x gdb (goal <= 0.5)%s\n' "$k" "$g" "$r" \
		"$(awk -v r="$r" 'BEGIN { if (r == r + 0 && r > 0.5) print "  MISSED" }')"
else
	echo "  lli or clang not installed (apt-get install llvm clang), skipped"
fi

echo
echo "gdbjit: (c) attach to gjit holding 1000 objects (a JIT frame on the stack), to the first bt; median of $ROUNDS"
: >"$TMP/hold"
"$GJ" "$TPL" 1000 hold >"$TMP/hold" 2>&1 &
HOLD=$!
for _ in $(seq 1 100); do grep -q holding "$TMP/hold" && break; sleep 0.1; done
k=$(med_of "$ROUNDS" 120 "in gj_0000999+" "$KITRACE" attach --batch -ex bt "$HOLD")
g=n/a
[ $have_gdb = 1 ] && g=$(med_of "$ROUNDS" 120 "gj_0000999" gdb -nx -batch -p "$HOLD" -ex bt)
printf '  kitrace %s s, gdb %s s: kitrace = %s x gdb\n' "$k" "$g" "$(ratio "$k" "$g")"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
HOLD=

[ $invalid = 0 ] || { echo "gdbjit: INVALID runs (above)"; exit 1; }
exit 0
