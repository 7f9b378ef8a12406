#!/bin/bash
# SPDX-License-Identifier: MIT
# bench/run.sh - every kitrace benchmark, in turn (`make bench` runs it).
#
#   bench/run.sh
#
# Environment as for the benchmarks themselves: BUILD (default build),
# KITRACE, PROGS, ROUNDS, PIN (bp_bench), BP_N (hits for bp_bench, default
# 100000).  Needs `make all progs` first; runs without a kitrace too (and
# says so).  Exits 1 if a benchmark produced INVALID results or could not
# run; being slow is not a failure.

set -u
cd "$(dirname "$0")/.." || exit 1
export BUILD=${BUILD:-build}

st=0
echo "== bp_bench: conditional breakpoint throughput =="
bench/bp_bench.sh "${BP_N:-100000}" || st=1
echo
echo "== startup: what wrapping a short program costs =="
bench/startup.sh || st=1
echo
echo "== overhead: cost of being traced, CPU-bound threads =="
bench/overhead.sh || st=1
echo
echo "== step_costs: per stepping class, and 1 vs 8 threads =="
bench/step_costs.sh || st=1
echo
echo "== registration: the JIT registry against no tracer and gdb =="
bench/registration.sh || st=1
echo
echo "== gdbjit: the GDB JIT interface (registration, lli crash, attach) against gdb =="
bench/gdbjit.sh || st=1
exit $st
