# SPDX-License-Identifier: MIT
# 18_hostile - a corrupt or hostile argument for every command: each gets a
# clear error, kitrace never crashes, and the program still runs to its end.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace

cat > "$T/cmds" <<'CMDS'
break
break *
break *(
break no_such_function_anywhere
break hot if
break hot if (((
break %%%
tbreak *0x1
delete 999
delete abc
disable 12345678901234567890
enable -1
condition
condition 999 1
condition 1 $rdi ==
ignore
ignore 1
ignore 1 -5
commands 999
stepi 0
stepi abc
nexti -1
continue abc
backtrace foo
bt 0x
thread
thread abc
thread 0
info
info nosuch
info registers nosuch
x
x/zz $pc
x/0x $pc
x/99999x $pc
x/4x 0
x/s 0
x/i 0
print
print 1/0
print 1 %
print ((((((((((((((((((((((((((((((
print $nosuchreg
print *(int *)0
print *(struct foo *)8
print/q 1
set
set $nosuchreg = 1
set *(int *)0 = 1
set $rip
set displaced-stepping maybe
disassemble 0
disassemble 0,0
disassemble no_such_symbol
disassemble $pc,+99999999
handle
handle SIGFOO stop
handle SIGKILL nostop
handle SIGUSR1 wibble
help nosuchcommand
nosuchcommand
frobnicate the widgets
   
# a comment
quit 999
CMDS
# Every line once more, as -ex, to also cover the prompt-less path.
kt launch --batch -x "$T/cmds" -ex 'break hot' -ex 'delete' -- "$PROGS/bp_loop" 5
expect_status 0
expect_out_contains "sum=25"
for msg in "Undefined command" "No breakpoint number 999" "Cannot access memory" \
	"Invalid thread ID" "Unrecognized signal" "Bad exit status" "division by zero" \
	"pending"; do
	grep -qi "$msg" "$T/err" || fail "no \"$msg\" message"
done
# Nothing went to stdout but the program's own output.
[ "$(cat "$T/out")" = "$(printf 'sum=25\ncold=26')" ] || fail "stdout polluted"
