/* SPDX-License-Identifier: MIT */
/*
 * t_basic.c - compiled by tests/unit/check_dwarf.c at test time.  The
 * "@name" comments mark lines the test looks up by name: keep one per line.
 */
#include <stdio.h>

volatile int sink;

int
compute(int x)
{
	int y = x * 2; /* @compute_first */
	sink = y;
	return y + 1; /* @compute_ret */
}

static int
hidden_static(int a)
{
	sink = a + 5; /* @hidden_first */
	return sink;
}

__attribute__((noinline)) int
leaf(int a)
{
	return a * 5 + 1; /* @leaf_body */
}

int
main(int argc, char **argv)
{
	int r = compute(argc); /* @main_first */
	r += hidden_static(r);
	r += leaf(r);
	printf("%d\n", r);
	return 0;
}
