# SPDX-License-Identifier: MIT
# 19_timeout - --timeout: a hung program is reported (every thread's stack),
# killed, and kitrace exits 124 as timeout(1) does; the JSON says "hang".
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
need python3

kt launch --batch --timeout 1 --report "$T/r.json" -- "$PROGS/hang"
expect_status 124
expect_err_contains "timeout after 1 s"
expect_err_contains "in spin"
expect_err_contains "\"blocker\""
python3 - "$T/r.json" <<'PY' || fail "hang report wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["event"] == "hang" and r["exit_status"] == 124, r
assert len(r["threads"]) == 2, len(r["threads"])
fns = [t["frames"][0]["function"] for t in r["threads"]]
assert "spin" in fns, fns
PY
pgrep -f "$PROGS/hang" && fail "hung program left running"
true
