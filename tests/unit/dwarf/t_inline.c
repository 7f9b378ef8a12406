/* SPDX-License-Identifier: MIT */
/*
 * t_inline.c - compiled at -O2 by tests/unit/check_dwarf.c: helper is
 * inlined into outer.  "@name" comments mark the lines the test checks.
 */
volatile int sink;

static inline __attribute__((always_inline)) void
helper(int x)
{
	sink = x * 3; /* @helper_body */
	sink = x + 7;
}

__attribute__((noinline)) void
outer(int x)
{
	sink = 1; /* @outer_first */
	helper(x); /* @call_site */
	sink = 2;
}

int
main(int argc, char **argv)
{
	outer(argc);
	return 0;
}
