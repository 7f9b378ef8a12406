/* SPDX-License-Identifier: MIT */
/*
 * forker - fork and exit-status plumbing.  The parent calls in_both(0),
 * then forks three children one after another; child i (1..3) calls
 * in_both(i) twice and _exit(i); the parent waits for each before forking
 * the next and prints "child <i> exited <status>".  Finally the parent calls
 * in_both(0) again and exits 0.  Everything is flushed before each fork and
 * exit, so the output is the same on a terminal, a pipe or a file:
 *
 *	in_both parent 0
 *	in_both child 1
 *	in_both child 1
 *	child 1 exited 1
 *	... (2, 3)
 *	in_both parent 0
 *
 * A breakpoint on in_both is hit twice in the parent and twice per child
 * (if the tracer follows children).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

void in_both(int who);

__attribute__((noinline)) void
in_both(int who)
{
	printf("in_both %s %d\n", who ? "child" : "parent", who);
	fflush(stdout);
}

int
main(void)
{
	in_both(0);
	for (int i = 1; i <= 3; i++) {
		int status;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			in_both(i);
			in_both(i);
			_exit(i);
		}
		while (waitpid(pid, &status, 0) < 0)
			;
		if (WIFEXITED(status))
			printf("child %d exited %d\n", i, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			printf("child %d killed by signal %d\n", i, WTERMSIG(status));
		fflush(stdout);
	}
	in_both(0);
	return 0;
}
