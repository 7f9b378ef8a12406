# SPDX-License-Identifier: MIT
# 24_step - source-level stepping in compiled code (lines.c + lines/other.c):
# next, step into a function in another file and back out to the middle of
# the caller's line, step over a library without line information, next
# over a recursive call, finish printing values out of recursion, until in
# a loop, advance and until LOCATION; step into a shared library's function
# through its PLT stub; list.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
P=$PROGS/lines
SRC=inferior/progs/lines.c
H='0x[0-9a-f]+'
# Line numbers from the marker comments, so editing lines.c keeps this honest.
L() {
	local f=${2:-$SRC} n
	n=$(grep -n "/\* $1 \*/" "$f" | cut -d: -f1)
	[ -n "$n" ] || fail "marker $1 not in $f"
	echo "$n"
}
# A stop shown as GDB does: "N<TAB>source text" for line N.
line_shown() { grep -qE "^$1${TAB}.*/\* $2 \*/" "$T/err"; }

# next, then step into other_add in the other file; its lines; back out
# to the middle of main's line (address and function shown), then on.
kt launch --batch -ex "break $SRC:$(L L_SQUARE)" -ex continue -ex next -ex step -ex next \
	-ex step -ex step -ex next -- "$P"
expect_status 0
expect_out_contains "9 10 6 6 12 21"
line_shown "$(L L_OTHER)" L_OTHER || fail "next did not reach L_OTHER"
O=inferior/progs/lines/other.c
grep -qE "^other_add \(\.\.\.\) at .*lines/other\.c:$(L L_OTHER_BODY $O)$" "$T/err" ||
	fail "step did not enter other_add in other.c"
line_shown "$(L L_OTHER_BODY $O)" L_OTHER_BODY || fail "no source line of other.c"
line_shown "$(L L_OTHER_RET $O)" L_OTHER_RET || fail "next in other.c"
grep -qE "^0x[0-9a-f]+ in main \(\.\.\.\) at .*lines\.c:$(L L_OTHER)$" "$T/err" ||
	fail "step out of other_add did not stop mid-line in main"
line_shown "$(L L_FACT)" L_FACT || fail "next after returning"

# step into a library without line information steps over it; into one
# with lines through its PLT stub, it enters the function.
kt launch --batch -ex "break $SRC:$(L L_LIBC)" -ex continue -ex step -ex step -ex next -- "$P"
expect_status 0
line_shown "$(L L_PLUG)" L_PLUG || fail "step did not step over nolines_twice"
expect_err_not_contains "nolines_twice"
grep -qE "^plug_fn \(\.\.\.\) at .*inferior/progs/libplug\.c:[0-9]+$" "$T/err" ||
	fail "step did not enter plug_fn through the PLT"
grep -qE "^[0-9]+${TAB}${TAB}return x \* 7;$" "$T/err" || fail "no line of libplug.c"

# Recursion: in fact(1), finish prints each value on the way out; next
# over the recursive call from fact(3) runs it at full speed (the
# breakpoint deleted) and stops on the next line of the same frame.
kt launch --batch -ex 'break fact if $rdi == 1' -ex continue -ex finish -ex finish -ex finish \
	-- "$P"
expect_status 0
expect_err_contains 'Value returned is $1 = 1'
expect_err_contains 'Value returned is $2 = 2'
expect_err_contains 'Value returned is $3 = 6'
grep -qE "in main\+[0-9]+ \(lines\) at .*lines\.c:$(L L_FACT)$" "$T/err" || fail "finish to main"
line_shown "$(L L_FACT)" L_FACT || fail "finish shows no source line"
kt launch --batch -ex "break $SRC:$(L L_FACT_REC) if \$rdi == 3" -ex continue -ex delete \
	-ex next -ex next -ex 'print $rax' -- "$P"
expect_status 0
grep -qE "^$(($(L L_FACT_REC) + 1))${TAB}}" "$T/err" || fail "next over recursion: not at the closing brace"
grep -qE "^0x[0-9a-f]+ in main \(\.\.\.\) at .*lines\.c:$(L L_FACT)$" "$T/err" ||
	fail "next out of fact(3) did not return to main"
expect_err_contains '$1 = 6'

# until in a loop: from the body, next goes back to the loop line, until
# from there runs the loop out to the line after it; next would not.
kt launch --batch -ex "break $SRC:$(L L_BODY)" -ex continue -ex delete -ex next -ex until -- "$P"
expect_status 0
line_shown "$(L L_LOOP)" L_LOOP || fail "next from the body"
line_shown "$(L L_LIBC)" L_LIBC || fail "until did not leave the loop"
[ "$(grep -cE "^$(L L_BODY)${TAB}" "$T/err")" = 0 ] || fail "until stopped in the body"
kt launch --batch -ex "break $SRC:$(L L_BODY)" -ex continue -ex delete -ex next -ex next -- "$P"
line_shown "$(L L_BODY)" L_BODY || fail "next from the loop line does not re-enter the body (until test is void)"

# advance LOCATION; until LOCATION stops when the frame returns first.
kt launch --batch -ex 'break main' -ex continue -ex "advance $SRC:$(L L_PRINT)" -- "$P"
expect_status 0
grep -qE "^main \(\.\.\.\) at .*lines\.c:$(L L_PRINT)$" "$T/err" || fail "advance"
kt launch --batch -ex 'break square' -ex continue -ex "until $SRC:$(L L_PRINT)" -- "$P"
expect_status 0
grep -qE "in main \(\.\.\.\) at .*lines\.c:$(L L_SQUARE)$" "$T/err" ||
	fail "until LOCATION did not stop when square returned"

# step N counts lines; step in code without lines says so.
kt launch --batch -ex "break $SRC:$(L L_SQUARE)" -ex continue -ex 'next 3' -- "$P"
line_shown "$(L L_SUM)" L_SUM || fail "next 3"
[ "$(grep -cE "^($(L L_OTHER)|$(L L_FACT))${TAB}" "$T/err")" = 0 ] || fail "next 3 showed an intermediate line"
kt launch --batch -ex 'break nolines_twice' -ex continue -ex step -- "$P"
expect_status 0
expect_err_contains "Single stepping until exit from function nolines_twice,"
line_shown "$(L L_LIBC)" L_LIBC || fail "step out of nolines_twice"

# list: around a function, again goes on, FILE:LINE in the other file, a
# line past the end, and around the last stop.
kt launch --batch -ex 'list square' -ex list -ex 'list other.c:11' -ex 'list lines.c:999' \
	-ex "break $SRC:$(L L_OTHER)" -ex continue -ex list -ex kill -- "$P"
sq=$(grep -n '^square(int x)$' $SRC | cut -d: -f1)
grep -qE "^$((sq - 4))${TAB}" "$T/err" && grep -qE "^$((sq + 5))${TAB}" "$T/err" ||
	fail "list square: not lines $((sq - 4))..$((sq + 5))"
grep -qE "^$((sq + 15))${TAB}" "$T/err" || fail "list again did not go on"
line_shown "$(L L_OTHER_RET $O)" L_OTHER_RET || fail "list other.c:11"
expect_err_contains 'Line number 994 out of range; "'
[ "$(grep -cE "^$(L L_OTHER)${TAB}" "$T/err")" -ge 2 ] || fail "list after a stop"

# A program whose source is gone: steps show "N<TAB>in FILE", list says why.
# (tests/e2e/src/gone.c; in the guest, which has no compiler,
# scripts/aarch64/fixtures.sh has built and deleted it the same way)
if fixture gone/gone; then
	gone=$FIX
	[ ! -e "$FIX.c" ] || fail "$FIX.c exists: the source should be gone"
else
	need cc
	mkdir "$T/gone"
	cp "$TESTS/src/gone.c" "$T/gone/gone.c"
	cc -g -O0 -o "$T/gone/gone" "$T/gone/gone.c" || fail "cannot build gone.c"
	rm "$T/gone/gone.c"
	gone=$T/gone/gone
fi
kt launch --batch -ex 'break gone.c:10' -ex continue -ex step -ex list -- "$gone"
expect_status 0
grep -qE "^g \(\.\.\.\) at .*gone\.c:6$" "$T/err" || fail "step into g without its source"
grep -qE "^6${TAB}in .*/gone/gone\.c$" "$T/err" || fail "no 'in FILE' line for a missing source"
grep -qE "gone/gone\.c: No such file or directory" "$T/err" || fail "list of a missing file"

# Breakpoints on the way: next over square() stops at the breakpoint in it
# (the callee runs at full speed, so it is hit); next goes on from there,
# stepping the thread over the patch it stands on; a next that arrives on
# a breakpoint is a hit of it, shown and counted as GDB does.
kt launch --batch -ex "break $SRC:$(L L_SQUARE)" -ex 'break square' -ex continue -ex next \
	-ex next -ex "break $SRC:$(L L_OTHER)" -ex next -ex next -ex next -ex next -ex 'info breakpoints' \
	-- "$P"
expect_status 0
grep -qE "^Thread 1 hit Breakpoint 2, $H in square\+[0-9]+ .*lines\.c:[0-9]+$" "$T/err" ||
	fail "next over square did not stop at its breakpoint"
# 'break square' lands after the frame set-up: on x86-64 (push/mov) that is
# still the line of the '{', on AArch64 (gcc -O0 leaf: sub sp; str w0) it
# is L_SQ_BODY.  The next after the hit shows the line after that.
if [ "$KT_ARCH" = aarch64 ]; then after=L_SQ_RET; else after=L_SQ_BODY; fi
grep -A1 "^Thread 1 hit Breakpoint 2, " "$T/err" | tail -n 1 | grep -qE "^$(L $after)${TAB}.*/\* $after \*/" ||
	fail "next from the breakpoint in square: not at $after"
grep -qE "^Thread 1 hit Breakpoint 3, $H in main\+[0-9]+ \(lines\) at .*lines\.c:$(L L_OTHER)$" \
	"$T/err" || fail "next onto a line with a breakpoint: not reported as its hit"
grep -qE "^3 +breakpoint +keep y +$H main\+[0-9]+ \(lines\)$" "$T/err" || fail "breakpoint 3 listed"
grep -A1 -E "^3 +breakpoint" "$T/err" | grep -q "breakpoint already hit 1 time" ||
	fail "the hit by next is not counted"

# A line that never ends (for (;;) on one line): SIGINT to kitrace
# interrupts the step; batch mode then leaves with 128+SIGINT.
# (No breakpoint inside the loop: arriving on one would be a hit each time.)
spawn spin "$KITRACE" launch --batch -ex "break $SRC:$(L L_SPIN_IF)" -ex continue -ex next -ex next \
	-- "$P" 3 spin
wait_for_line "$T/spin.err" "^$(L L_SPIN)"$'\t' 10
sleep 0.5 # the second next is under way (or about to be: either way it is interrupted)
kill -INT "$PID"
reap "$PID"
[ "$ST" = 130 ] || { cat "$T/spin.err"; fail "interrupted step: status $ST, want 130"; }
grep -qE "^Interrupted\. Thread 1 at $H in main\+[0-9]+ \(lines\) at .*lines\.c:$(L L_SPIN)$" \
	"$T/spin.err" || { cat "$T/spin.err"; fail "step not interrupted on the spinning line"; }

# list before any stop: around main.
kt launch --batch -ex list -ex kill -- "$P"
grep -qE "^$(grep -n '^main(int argc, char \*\*argv)$' $SRC | cut -d: -f1)${TAB}main\(int argc" "$T/err" ||
	fail "list at startup is not around main"
