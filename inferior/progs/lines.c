/* SPDX-License-Identifier: MIT */
/*
 * lines - source-level stepping over two files (this one and
 * lines/other.c, linked into one program).  main computes square(N)
 * (N = argv[1], default 3), other_add(square, 1) in the other file,
 * fact(N) recursively, the sum 0+1+2+3 in a loop, nolines_twice(6) in
 * libnolines.so (no line information there) and plug_fn(3) in libplug.so
 * (with lines; bound at load time, -z now, so its PLT stub jumps straight
 * there); then prints "S T F SUM A P": for N = 3, "9 10 6 6 12 21".
 * With a second argument it spins forever on one line instead (L_SPIN).
 * tests/e2e/24_step.sh finds lines by the marker comments (L_...), so keep
 * one statement per marked line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lines/other.h"

int nolines_twice(int v); /* libnolines.so, built without line information */
int plug_fn(int x);       /* libplug.so, with lines, called through the PLT */

volatile unsigned long spins;

static int
fact(int n)
{
	if (n <= 1)     /* L_FACT_TEST */
		return 1; /* L_FACT_BASE */
	return n * fact(n - 1); /* L_FACT_REC */
}

static int
square(int x)
{
	int y = x * x; /* L_SQ_BODY */
	return y;      /* L_SQ_RET */
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3; /* L_ARGS */
	if (argc > 2)                          /* L_SPIN_IF */
		for (;;) spins++;             /* L_SPIN */
	int s = square(n);                     /* L_SQUARE */
	int t = other_add(s, 1);               /* L_OTHER */
	int f = fact(n);                       /* L_FACT */
	int sum = 0;                           /* L_SUM */
	for (int i = 0; i < 4; i++)            /* L_LOOP */
		sum += i;                      /* L_BODY */
	int a = nolines_twice(6);              /* L_LIBC */
	int p = plug_fn(3);                    /* L_PLUG */
	printf("%d %d %d %d %d %d\n", s, t, f, sum, a, p); /* L_PRINT */
	return 0;
}
