/* SPDX-License-Identifier: MIT */
/*
 * crash3 - the bundled demo crash.  main calls level1(), level1 calls
 * level2(), level2 calls level3(), and level3 stores through the bad pointer
 * (int *)0x10, so the process dies of SIGSEGV (si_code SEGV_MAPERR,
 * si_addr 0x10) with a four-frame stack: level3, level2, level1, main.
 * Prints "crash3: start" (flushed) before it crashes; never prints anything
 * after.  The README's triage example and the crash tests run it.
 */
#include <stdio.h>

int level1(int depth);
int level2(int depth);
int level3(int depth);

/* Volatile so the compiler can neither fold the store nor prove it faults. */
int *volatile bad_ptr = (int *)0x10;

__attribute__((noinline)) int
level3(int depth)
{
	int *p = bad_ptr;

	*p = depth; /* SIGSEGV: SEGV_MAPERR at 0x10 */
	return depth + 3;
}

__attribute__((noinline)) int
level2(int depth)
{
	return level3(depth + 1) + 1;
}

__attribute__((noinline)) int
level1(int depth)
{
	return level2(depth + 1) + 1;
}

int
main(void)
{
	printf("crash3: start\n");
	fflush(stdout);
	return level1(1) == 0;
}
