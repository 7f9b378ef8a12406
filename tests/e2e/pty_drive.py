#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# pty_drive.py - run a command on a pseudo-terminal and drive it like a
# person at the keyboard.  The script comes on stdin, one step per line:
#   send TEXT      type TEXT (Python escapes: \n, \x03 for Ctrl-C, \x04 Ctrl-D)
#   expect REGEX   wait (up to 30 s) until the output so far, from the end
#                  of the last match, matches REGEX; fail if it does not
#   sleep SECS
# Usage: pty_drive.py LOG -- COMMAND [ARGS...] < SCRIPT
# Everything the command printed goes to LOG.  Exit 0 when every step
# passed and the command exited; its exit status is the last line of LOG
# ("exit N").  Exit 1 with the failing step on stderr otherwise.
import os, pty, re, select, sys, time

def main():
    log_path = sys.argv[1]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    steps = [l.rstrip("\n") for l in sys.stdin if l.strip()]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    pos = 0

    def pump(timeout):
        nonlocal out
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        out += data
        return True

    ok = True
    for step in steps:
        verb, _, arg = step.partition(" ")
        if verb == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif verb == "sleep":
            end = time.time() + float(arg)
            while time.time() < end and pump(end - time.time()):
                pass
        elif verb == "expect":
            rx = re.compile(arg.encode())
            end = time.time() + 30
            while True:
                m = rx.search(out, pos)
                if m:
                    pos = m.end()
                    break
                if time.time() > end or not pump(end - time.time()):
                    sys.stderr.write("pty_drive: no match for %r\n" % arg)
                    ok = False
                    break
            if not ok:
                break
    end = time.time() + 10
    while time.time() < end and pump(0.2):
        pass
    end = time.time() + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > end:
            os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
            ok = False
            sys.stderr.write("pty_drive: the command did not exit\n")
            break
        pump(0.1)
    code = os.waitstatus_to_exitcode(status)
    with open(log_path, "wb") as f:
        f.write(out)
        f.write(b"\nexit %d\n" % code)
    sys.exit(0 if ok else 1)

main()
