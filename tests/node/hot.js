// SPDX-License-Identifier: MIT
// hot.js - a JS program for the perf map test (tests/e2e/51_node_perfmap.sh).
// Run as `node --perf-basic-prof hot.js STOPFILE [builtin]`: prints "ready
// PID", then spends nearly all its time in the function kitraceHotLoop until
// the file STOPFILE exists (or 60 s have passed), then prints "done N
// consistent" (N calls, each returning the same value) or "done N
// INCONSISTENT", and exits 0.  With "builtin", kitraceHotLoop spends its time
// in V8 builtins instead (Array.prototype.includes and indexOf on a large
// array).
'use strict';
const fs = require('fs');

const big = new Array(200000).fill(1);
const builtin = process.argv[3] === 'builtin';

function kitraceHotLoop(n) {
	if (builtin)
		return big.indexOf(2) + (big.includes(3) ? 1 : 0) + n;
	let s = 0;
	for (let i = 0; i < n; i++)
		s = (s + i * 7) % 1000003;
	return s;
}

const stop = process.argv[2] || '/nonexistent';
const end = Date.now() + 60 * 1000;
const want = kitraceHotLoop(2000000);
let calls = 0, ok = true;
console.log('ready ' + process.pid);
while (Date.now() < end) {
	for (let k = 0; k < 20; k++) {
		ok = ok && kitraceHotLoop(2000000) === want;
		calls++;
	}
	if (fs.existsSync(stop))
		break;
}
console.log('done ' + calls + (ok ? ' consistent' : ' INCONSISTENT'));
