/* SPDX-License-Identifier: MIT */
/*
 * exiter - ends in a chosen way, to test how a tracer reports an exit.
 *
 *	exiter status N		exit(N)
 *	exiter abort		abort(): SIGABRT
 *	exiter kill N		raise(N): killed by signal N if its default
 *				action is to terminate (exits 0 otherwise)
 *	exiter segv-handled	installs a SIGSEGV handler, faults once in
 *				fault() (a store to 0x10), the handler
 *				(on_segv) siglongjmps back, prints "recovered",
 *				exits 0.  A tracer must pass the SIGSEGV on.
 *
 * Prints nothing else; bad usage exits 2.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fault(void);
void on_segv(int sig);

static sigjmp_buf recover;
int *volatile bad_ptr = (int *)0x10;

__attribute__((noinline)) void
fault(void)
{
	int *p = bad_ptr;

	*p = 1;
}

__attribute__((noinline)) void
on_segv(int sig)
{
	siglongjmp(recover, sig);
}

static int
usage(void)
{
	fprintf(stderr, "usage: exiter status N | abort | kill N | segv-handled\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(mode, "status") == 0 && argc > 2) {
		exit((int)strtol(argv[2], NULL, 0));
	} else if (strcmp(mode, "abort") == 0) {
		abort();
	} else if (strcmp(mode, "kill") == 0 && argc > 2) {
		raise((int)strtol(argv[2], NULL, 0));
		return 0;
	} else if (strcmp(mode, "segv-handled") == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_segv;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSEGV, &sa, NULL) != 0) {
			perror("sigaction");
			return 1;
		}
		if (sigsetjmp(recover, 1) == 0) {
			fault();
			printf("not recovered\n");
			return 1;
		}
		printf("recovered\n");
		return 0;
	}
	return usage();
}
