/* SPDX-License-Identifier: MIT */
/*
 * crash.c - a program for LLVM's lli (tests/e2e/50_lli.sh, bench/): the
 * test compiles it to LLVM IR with clang at test time and runs it JIT
 * compiled, so its frames exist only as GDB JIT interface images.  It
 * prints "before crash", then stores through a null pointer three calls
 * deep (main -> depth1 -> depth2 -> depth3) and dies of SIGSEGV.  On the
 * way depth2 calls twice(), which returns (a place for "finish").
 * The "@name" comments mark lines the test looks up: keep one per line.
 */
#include <stdio.h>

volatile int sink;

__attribute__((noinline)) int
depth3(int *p, int v)
{
	sink = v;
	*p = v; /* @crash */
	return v + 1;
}

__attribute__((noinline)) int
twice(int v)
{
	sink = v; /* @twice */
	return v * 2;
}

__attribute__((noinline)) int
depth2(int *p, int v)
{
	int t = twice(v); /* @call_twice */
	int r = depth3(p, t); /* @call3 */
	return r + sink;
}

__attribute__((noinline)) int
depth1(int *p, int v)
{
	int r = depth2(p, v + 3); /* @call2 */
	return r + sink;
}

int
main(int argc, char **argv)
{
	(void)argv;
	puts("before crash");
	fflush(stdout);
	return depth1(argc > 5 ? &argc : (int *)0, 4); /* @call1 */
}
