/* SPDX-License-Identifier: MIT */
/*
 * inline_o2 - built at -O2 (Makefile), so that add_scaled() and scale() are
 * inlined into main and DWARF describes them as inlined subroutines.
 * main loops argv[1] (default 5) times over an opaque volatile counter;
 * the innermost inlined code calls the out-of-line, non-inlinable
 * sink(), where a breakpoint stops with the inlined frames above it.
 * Prints "inline_o2: SUM" (for 5: "inline_o2: 30").  With a second
 * argument, sink() stores through NULL: SIGSEGV with the inlined frames
 * above it.
 */
#include <stdio.h>
#include <stdlib.h>

volatile int counter;
int *volatile target = (int *)&counter;

__attribute__((noinline)) void
sink(int v)
{
	*target += v; /* L_SINK */
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

	if (argc > 2)
		target = NULL; /* "inline_o2 N crash": SIGSEGV in sink */

	for (int i = 0; i < n; i++)
		acc = add_scaled(acc, i); /* L_MAIN_CALL */
	printf("inline_o2: %d\n", acc + counter);
	return 0;
}
