# SPDX-License-Identifier: MIT
# 28_prompt - the interactive prompt on a real pseudo-terminal
# (tests/e2e/pty_drive.py types the keys): Ctrl-C at the prompt drops the
# line being typed ("Quit") and does not reach the stopped program; Ctrl-C
# while the program runs reaches the program, which stops with SIGINT and
# is not killed; Ctrl-D ends the session.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
command -v python3 >/dev/null || skip "python3 is needed to drive a pseudo-terminal"
DRIVE="python3 $TESTS/pty_drive.py"

# 1. Ctrl-C at the prompt: the half-typed line is dropped, the program
#    never sees a SIGINT and exits with its own status.
$DRIVE "$T/p1.log" -- "$KITRACE" launch "$PROGS/exiter" status 3 <<'S' || { cat "$T/p1.log"; fail "session 1"; }
expect \(kitrace\) 
send info brea
send \x03
expect Quit
send continue\n
expect exited with status 3
expect \(kitrace\) 
send quit\n
S
grep -q "SIGINT" "$T/p1.log" && { cat "$T/p1.log"; fail "the program received the prompt's Ctrl-C"; }
grep -q "exit 0$" "$T/p1.log" || { cat "$T/p1.log"; fail "kitrace did not exit 0"; }

# 2. Ctrl-C while the program runs stops it with SIGINT; it lives on.
$DRIVE "$T/p2.log" -- "$KITRACE" launch "$PROGS/hang" <<'S' || { cat "$T/p2.log"; fail "session 2"; }
expect \(kitrace\) 
send continue\n
expect hang: start
sleep 0.2
send \x03
expect received signal SIGINT
expect \(kitrace\) 
send bt\n
expect in main\+
expect \(kitrace\) 
send kill\n
expect \(kitrace\) 
send quit\n
S

# 3. Ctrl-D at an empty prompt ends the session; the program is killed.
#    (The pause: an end-of-file typed before libedit switches the terminal
#    to raw mode is lost in the switch, by a person and by this script.)
$DRIVE "$T/p3.log" -- "$KITRACE" launch "$PROGS/hang" <<'S' || { cat "$T/p3.log"; fail "session 3"; }
expect \(kitrace\) 
sleep 0.3
send \x04
expect quit
S
grep -q "exit 0$" "$T/p3.log" || { cat "$T/p3.log"; fail "kitrace did not exit 0 after Ctrl-D"; }
pgrep -f "$PROGS/hang\$" >/dev/null && fail "the program outlived the session"
exit 0
