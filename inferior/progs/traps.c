/* SPDX-License-Identifier: MIT */
/*
 * traps - trap instructions compiled into the program, not planted by a
 * debugger.  argv[1] selects:
 *
 *	debugtrap	prints "before", executes int3 (do_debugtrap), prints
 *			"after debugtrap", exits 0.  Untraced, the int3's
 *			SIGTRAP kills it after "before"; a debugger must report
 *			it as a trap it did not plant, and on continue (without
 *			passing the signal) it prints "after debugtrap".
 *	trap		prints "before trap", executes ud2 (do_trap,
 *			__builtin_trap): SIGILL, ILL_ILLOPN.  On AArch64
 *			int3 is brk #0xf000 and ud2 is brk #1 (clang's
 *			__builtin_debugtrap and __builtin_trap): SIGTRAP.
 *	int3-then-trap	prints "before", int3, "after debugtrap",
 *			"before trap", then ud2.
 *
 * stdout is unbuffered so the lines survive the crash.  Bad usage exits 2.
 */
#include <stdio.h>
#include <string.h>

void do_debugtrap(void);
void do_trap(void);

__attribute__((noinline)) void
do_debugtrap(void)
{
#if defined(__aarch64__)
	__asm__ volatile("brk #0xf000"); /* clang's __builtin_debugtrap */
#else
	__asm__ volatile("int3");
#endif
}

__attribute__((noinline)) void
do_trap(void)
{
#if defined(__aarch64__)
	__asm__ volatile("brk #1"); /* clang's __builtin_trap */
#else
	__builtin_trap();
#endif
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(mode, "debugtrap") == 0 || strcmp(mode, "int3-then-trap") == 0) {
		printf("before\n");
		do_debugtrap();
		printf("after debugtrap\n");
		if (strcmp(mode, "debugtrap") == 0)
			return 0;
	} else if (strcmp(mode, "trap") != 0) {
		fprintf(stderr, "usage: traps debugtrap|trap|int3-then-trap\n");
		return 2;
	}
	printf("before trap\n");
	do_trap();
	printf("after trap\n"); /* not reached */
	return 1;
}
