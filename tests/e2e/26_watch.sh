# SPDX-License-Identifier: MIT
# 26_watch - hardware breakpoints and watchpoints: watch with exact old and
# new values (a write of an unchanged value does not stop), rwatch and
# awatch, hbreak hit counts, a watchpoint set in main firing in a thread
# created later, the slot limit, a store from JIT code named by the
# registry, and detach leaving no debug register armed (read back by a
# fresh kitrace) and no stray trap.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

W="$PROGS/watched"
ARCH=$(uname -m)
case $ARCH in
x86_64 | aarch64) ;;
*) skip "no hardware watchpoints for $ARCH in kitrace" ;;
esac

# Every stop, in order, whichever stream batch mode used.
both() { cat "$T/out" "$T/err"; }

# Some hypervisors take the debug registers and never fire them (gdb's
# watch and hbreak never stop there either).  hwprobe, which shares no code
# with kitrace, tells; kitrace must then refuse the points with the reason
# rather than accept points that can never stop.
prog hwprobe
if [ "$ST" = 1 ]; then
	kt launch --batch -ex 'break main' -ex continue -ex 'watch counter' -ex 'hbreak tick' \
		-ex 'info breakpoints' -ex continue -- "$W"
	expect_status 0
	for what in "Hardware watchpoint 2" "Hardware assisted breakpoint 3"; do
		both | grep -qF "$what: could not insert: debug registers do not fire on this machine" ||
			fail "kitrace did not refuse ($what) on a machine where they do not fire"
	done
	both | grep -qE '^[23] +(hw|acc|read)' && fail "a refused point was kept"
	skip "debug registers do not fire on this machine (hwprobe; a hypervisor that does not" \
		"pass debug traps to the guest): only the refusal was tested"
fi
[ "$ST" = 0 ] || fail "hwprobe could not tell: $(cat "$T/err")"

# watch: counter goes 0..5; exactly 5 stops with the right values, none for
# rewrite() storing the same value; hit count in info breakpoints.
kt launch --batch -ex 'break main' -ex continue -ex 'watch counter' -ex continue \
	-ex continue -ex continue -ex continue -ex continue -ex 'info breakpoints' -- "$W"
expect_status 0
both | grep -qF "Hardware watchpoint 2: counter" || fail "watch not announced"
[ "$(both | grep -c 'hit Hardware watchpoint 2: counter')" = 5 ] || fail "expected 5 watch stops"
got=$(both | grep -E '^(Old|New) value = ' | tr '\n' ' ')
want="Old value = 0 New value = 1 Old value = 1 New value = 2 Old value = 2 New value = 3 "
want+="Old value = 3 New value = 4 Old value = 4 New value = 5 "
[ "$got" = "$want" ] || fail "old/new values: $got"
both | grep -q 'in bump+[0-9]* (watched) at .*watched.c:' || fail "stop not in bump"
both | grep -qE '^2 +hw watchpoint +keep y +counter' || fail "info breakpoints type"
both | grep -qF "breakpoint already hit 5 times" || fail "hit count"
expect_out_contains "watched: counter=5 seen=30 ticks=3"

# The storing instruction under a software breakpoint: stepped over out of
# line, in line (KT_NOSLOT), and by stepi; the watchpoint sees every write.
# (x86-64 code: the store is at bump+13.)
[ "$ARCH" = x86_64 ] && for mode in slot inline; do
	if [ $mode = inline ]; then export KT_NOSLOT=1; fi
	kt launch --batch -ex 'break main' -ex continue -ex 'break *bump+13' -ex 'watch counter' \
		-ex continue -ex continue -ex continue -ex continue -ex 'delete 2' -ex continue \
		-ex continue -ex continue -- "$W"
	unset KT_NOSLOT
	expect_status 0
	got=$(both | grep -E '^New value = ' | tr '\n' ' ')
	[ "$got" = "New value = 1 New value = 2 New value = 3 New value = 4 New value = 5 " ] ||
		fail "$mode step-over: $got"
done
if [ "$ARCH" = x86_64 ]; then
	kt launch --batch -ex 'break *bump+13' -ex continue -ex 'watch counter' -ex stepi \
		-ex stepi -ex kill -- "$W"
	both | grep -A4 'hit Hardware watchpoint 2: counter' | grep -qF "New value = 1" ||
		fail "stepi over the store: no watchpoint report"
fi

# condition, ignore and commands work on watchpoints; a condition names the
# variable's value as *(int *)&counter (a bare symbol is its address).
kt launch --batch -ex 'break main' -ex continue -ex 'watch counter if *(int *)&counter == 4' \
	-ex continue -ex 'info breakpoints' -ex 'delete 2' -ex 'awatch counter' -ex 'ignore 3 2' \
	-ex continue -ex 'info breakpoints' -ex kill -- "$W"
[ "$(both | grep -c 'hit Hardware watchpoint 2')" = 1 ] || fail "condition: one stop"
both | grep -A3 'hit Hardware watchpoint 2' | grep -qF "New value = 4" || fail "condition value"
both | grep -qF "stop only if *(int *)&counter == 4" || fail "condition not listed"
# peek() reads 4 twice (ignored, counted), bump() reads 4: the stop
both | grep -A3 'hit Hardware access (read/write) watchpoint 3' | grep -qF "Value = 4" ||
	fail "ignore count"
both | grep -qF "breakpoint already hit 3 times" || fail "ignored hits not counted"
cat >"$T/cmds" <<'CMDS'
break main
continue
watch counter
commands 2
silent
print *(int *)&counter
continue
end
continue
CMDS
kt launch --batch -x "$T/cmds" -- "$W"
expect_status 0
for i in 1 2 3 4 5; do
	grep -q "= $i\$" "$T/err" || fail "watchpoint commands did not print $i"
done
expect_err_not_contains "hit Hardware watchpoint"

# rwatch stops on reads only (x86-64: an access that changed the value was a
# write); awatch on both, with Old/New for the write.  Through *(int *)&sym.
kt launch --batch -ex 'break rewrite' -ex continue -ex 'rwatch counter' -ex continue \
	-ex continue -ex 'delete 2' -ex 'awatch *(int *)&counter' -ex continue -ex continue \
	-ex continue -ex continue -ex 'info breakpoints' -ex kill -- "$W"
both | grep -qF "Hardware read watchpoint 2: counter" || fail "rwatch not announced"
# in rewrite() (counter 3): its read, then its store of the same value,
# which x86-64 cannot tell from a read (kitrace(1), as GDB); AArch64 has
# read-only watchpoints: the read, then peek()'s read.
[ "$(both | grep -c 'hit Hardware read watchpoint 2: counter')" = 2 ] || fail "expected 2 read stops"
[ "$(both | grep -A2 'hit Hardware read watchpoint 2' | grep -c "Value = 3")" = 2 ] ||
	fail "read values"
if [ "$ARCH" = x86_64 ]; then
	[ "$(both | grep -c '^0x.* in rewrite+')" = 2 ] || fail "read stops not in rewrite"
else
	[ "$(both | grep -c '^0x.* in rewrite+')" = 1 ] || fail "one read stop in rewrite"
	[ "$(both | grep -c '^0x.* in peek+')" -ge 1 ] || fail "a read stop in peek"
fi
both | grep -qF "Hardware access (read/write) watchpoint 3: *(int *)&counter" ||
	fail "awatch not announced"
# the next accesses: peek() reads 3 twice, bump() reads 3, writes 4 (on
# AArch64, peek()'s second read was rwatch's second stop)
got=$(both | sed -n '/hit Hardware access/,/^0x/p' | grep -E '^(Value|Old value|New value) = ' |
	tr '\n' ' ')
want="Value = 3 Value = 3 Value = 3 Old value = 3 New value = 4 "
[ "$ARCH" = x86_64 ] || want="Value = 3 Value = 3 Old value = 3 New value = 4 Value = 4 "
[ "$got" = "$want" ] || fail "awatch values: $got"
both | grep -qE '^3 +acc watchpoint +keep y +\*\(int \*\)&counter' || fail "acc watchpoint type"

# hbreak: no patch, 3 hits for 3 calls (continue does not refire in place);
# thbreak stops once and is gone.
kt launch --batch -ex 'break main' -ex continue -ex 'hbreak tick' -ex continue -ex continue \
	-ex continue -ex 'info breakpoints' -ex 'x/1xb $pc' -ex continue -- "$W"
expect_status 0
both | grep -qF "Hardware assisted breakpoint 2 at" || fail "hbreak not announced"
[ "$(both | grep -cE 'hit Breakpoint 2, .* in tick[+ ]')" = 3 ] || fail "expected 3 hbreak stops"
both | grep -qE '^2 +hw breakpoint +keep y +0x[0-9a-f]+ tick' || fail "hw breakpoint type"
both | grep -qF "breakpoint already hit 3 times" || fail "hbreak hit count"
both | grep -q ':[[:space:]]*0xcc' && fail "hbreak planted an int3"
expect_out_contains "watched: counter=5 seen=30 ticks=3"
# Resuming from a hardware breakpoint's address reached by stepi goes over
# it, as from a software one (x86-64 code: tick+4 is two instructions in).
if [ "$ARCH" = x86_64 ]; then
	kt launch --batch -ex 'break main' -ex continue -ex 'hbreak *tick+4' -ex 'break *tick' \
		-ex continue -ex stepi -ex stepi -ex continue -ex kill -- "$W"
	both | grep -q '^0x[0-9a-f]* in tick+4 ' || fail "stepi did not reach tick+4"
	both | grep -q 'hit Breakpoint 2' && fail "the hardware breakpoint fired in place"
	[ "$(both | grep -c 'hit Breakpoint 3')" = 2 ] || fail "continue did not go on to tick"
fi
kt launch --batch -ex 'break main' -ex continue -ex 'thbreak tick' -ex continue \
	-ex 'info breakpoints' -ex continue -- "$W"
expect_status 0
[ "$(both | grep -c 'hit Temporary breakpoint 2')" = 1 ] || fail "thbreak stops once"
both | grep -qE '^2 +hw breakpoint' && fail "thbreak not deleted"

# A watchpoint set in main fires in a thread created after it was set.
kt launch --batch -ex 'break main' -ex continue -ex 'watch shared' -ex continue \
	-ex continue -ex continue -- "$W" thread
expect_status 0
[ "$(both | grep -c 'Thread 2 hit Hardware watchpoint 2: shared')" = 3 ] ||
	fail "the new thread's writes were not all seen"
both | grep -q 'in writer+' || fail "stop not in writer"
expect_out_contains "watched: shared=9"

# x86-64: four debug registers for every kind, so the fifth point is refused
# and deleted.  AArch64 (the guest: 6 breakpoint, 4 watchpoint slots): the
# hbreak takes a breakpoint slot, the fifth watchpoint is refused.  Unaligned
# or odd sizes are refused with the reason.
if [ "$ARCH" = x86_64 ]; then
	extra=() bad='*(int *)((char *)&sink + 1)' badwhy="not aligned to the watched length"
	n=6 del=5 # refused: watch ticks; freed: the hbreak
	armed='Thread 1: dr7 0x[0-9a-f]*[1-9a-f][0-9a-f]* dr0 0x[1-9a-f]'
else
	extra=(-ex 'watch sink') bad='*(long *)((char *)&sink + 4)' badwhy="cross an 8-byte boundary"
	n=7 del=6 # refused: watch ticks; freed: watch sink
	armed='Thread 1: 5 armed of [0-9]+ breakpoint and 4 watchpoint slots'
fi
kt launch --batch -ex 'break main' -ex continue -ex 'watch counter' -ex 'watch shared' \
	-ex 'rwatch jit_target' -ex 'hbreak tick' "${extra[@]}" -ex 'watch ticks' \
	-ex 'info breakpoints' -ex "watch $bad" -ex "delete $del" -ex 'watch ticks' \
	-ex 'info debug-registers' -ex kill -- "$W"
both | grep -qF "Hardware watchpoint $n: could not insert: no free debug register" ||
	fail "fifth point not refused"
both | grep -qE "^$n " && fail "refused watchpoint kept"
both | grep -qF "$badwhy" || fail "unaligned accepted"
both | grep -qF "Hardware watchpoint $((n + 1)): ticks" || fail "freed slot not reused"
both | grep -qE "$armed" || fail "debug registers not armed"

# A store from JIT code: the stop names the registry function.
kt launch --batch -ex 'break main' -ex continue -ex 'watch jit_target' -ex continue -ex bt \
	-- "$W" jit
expect_status 0
both | grep -qF "hit Hardware watchpoint 2: jit_target" || fail "no JIT store stop"
both | grep -A3 'hit Hardware watchpoint 2: jit_target' | grep -qF "New value = 42" ||
	fail "JIT store value"
both | grep -qE '^0x[0-9a-f]+ in jit_store\+' || fail "stop does not name jit_store"
both | grep -qE '#0 .* in jit_store\+[0-9]+ \[registry' || fail "frame 0 not from the registry"
expect_out_contains "watched: jit_target=42"

# An exec replaces the program: its hardware points are disabled, said so,
# and do not fire in the new one.
kt launch --batch -ex 'break main' -ex continue -ex 'watch counter' -ex continue -ex continue \
	-ex 'info breakpoints' -- "$W" exec
expect_status 0
[ "$(both | grep -c 'hit Hardware watchpoint 2')" = 1 ] || fail "exec: watch stops"
both | grep -qF "Hardware point 2 disabled: its address belonged to the old program" ||
	fail "exec: not disabled"
both | grep -qE '^2 +hw watchpoint +keep n' || fail "exec: shown enabled"
expect_out_contains "watched: counter=5 seen=30 ticks=3"

# Detach leaves nothing armed: the process runs on with counter changing
# (a leftover watchpoint would kill it with SIGTRAP), and a fresh kitrace
# reads the debug registers back as zero.
spawn hold "$W" hold 4
wait_for_line "$T/hold.out" '^watched: pid' 10
pid=$PID
kt attach --batch -ex 'watch counter' -ex 'hbreak tick' -ex continue -ex 'info debug-registers' \
	"$pid"
expect_status 0
both | grep -qF "hit Hardware watchpoint 1: counter" || fail "attach: no watch stop"
if [ "$ARCH" = x86_64 ]; then
	armed='dr7 0x[0-9a-f]*[1-9a-f]' clear='^Thread 1: dr7 0x0 dr0 0x0 dr1 0x0 dr2 0x0 dr3 0x0$'
else
	armed='Thread 1: 2 armed' clear='^Thread 1: 0 armed of [0-9]+ breakpoint and [0-9]+ watchpoint'
fi
both | grep -qE "$armed" || fail "attach: debug registers not armed"
kt attach --batch -ex 'info debug-registers' "$pid"
expect_status 0
both | grep -qE "$clear" || { both; fail "debug registers left armed after detach"; }
reap "$pid"
expect_status 0
grep -q "watched: held" "$T/hold.out" || fail "the process did not finish after detach"
