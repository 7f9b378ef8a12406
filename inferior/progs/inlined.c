/* SPDX-License-Identifier: MIT */
/*
 * inlined - built at -O2 (Makefile), so that add_scaled() and scale() are
 * inlined into main and DWARF describes them as inlined subroutines.
 * main loops argv[1] (default 5) times over an opaque volatile counter;
 * the innermost inlined code calls the out-of-line, non-inlinable
 * sink(), where a breakpoint stops with the inlined frames above it.
 * Prints "inlined: SUM" (for 5: "inlined: 30").
 */
#include <stdio.h>
#include <stdlib.h>

volatile int counter;

__attribute__((noinline)) void
sink(int v)
{
	counter += v; /* L_SINK */
}

static inline __attribute__((always_inline)) int
scale(int v)
{
	sink(v);       /* L_SCALE_CALL */
	return v * 2;
}

static inline __attribute__((always_inline)) int
add_scaled(int acc, int v)
{
	return acc + scale(v); /* L_ADD_CALL */
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5;
	int acc = 0;

	for (int i = 0; i < n; i++)
		acc = add_scaled(acc, i); /* L_MAIN_CALL */
	printf("inlined: %d\n", acc + counter);
	return 0;
}
