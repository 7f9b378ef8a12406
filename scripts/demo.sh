#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/demo.sh BUILD - the README's main job: the demo JIT compiles
# inferior/demo/examples/crash.kit to machine code at run time and crashes
# three JIT frames deep; kitrace, wrapping the run as CI would, triages it:
# the signal, the faulting instruction, every frame named, a JSON report.
set -u
build=${1:-build}
report=${REPORT:-demo-report.json}

echo "\$ $build/kitrace launch --batch --report $report -- $build/kitdemo inferior/demo/examples/crash.kit"
"$build/kitrace" launch --batch --report "$report" -- "$build/kitdemo" inferior/demo/examples/crash.kit
status=$?
echo
echo "kitrace exited with status $status (128 + SIGSEGV = 139: the program's own fate);"
echo "the JSON report is in $report."
[ "$status" = 139 ]
