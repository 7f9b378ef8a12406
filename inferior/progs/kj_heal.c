/* SPDX-License-Identifier: MIT */
/*
 * kj_heal.c - a JIT that publishes one function with libkitjit and calls it
 * every 50 ms for S seconds (argv[1], default 3), then checks every result
 * and its own code: "kj_heal: ok N calls" and exit 0, or a message and
 * exit 3.  With KITJIT_HEAL=1 in the environment the library's healer is
 * on: if a tracer dies with a breakpoint planted in tick_fn, the next call
 * traps, the healer puts the original instruction back, and the call goes
 * on as if never patched.  The code is x86-64 or AArch64 (jitemit.h).
 * With a second argument W it first says "kj_heal: waiting, pid N" and
 * sleeps W seconds before it creates its registry, for a tracer to attach
 * to a process that has none yet.
 * Used by tests/e2e/34_jit_heal.sh and 31_jit_pending.sh.
 */
#include <kitjit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "jitemit.h"

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;

	if (argc > 2) {
		double w = atof(argv[2]);
		struct timespec wait = {(time_t)w, (long)((w - (double)(time_t)w) * 1e9)};
		printf("kj_heal: waiting, pid %d\n", (int)getpid());
		fflush(stdout);
		nanosleep(&wait, NULL);
	}
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/* tick_fn(x) = x + 7 in a frame-pointer frame (jitemit.h); CODE keeps
	 * the bytes for the check at the end. */
	unsigned char code[64];
	size_t len = jit_func(code, jit_body_add7);
	memcpy(page, code, len);
	jit_ready(page, len);
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		return 2;
	}
	struct kitjit_info info = {
		.struct_size = sizeof(info),
		.unwind = {.kind = KITJIT_UNWIND_FP, .prologue_len = JIT_FP_PROLOGUE},
	};
	if (!kitjit_add_ex("tick_fn", page, len, &info)) {
		perror("kitjit_add_ex");
		return 2;
	}
	int (*fn)(int) = (int (*)(int))(void *)page;
	printf("kj_heal: pid %d\n", (int)getpid());
	fflush(stdout);
	struct timespec t0, now, nap = {0, 50000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long calls = 0;
	do {
		int v = fn((int)calls);
		if (v != (int)calls + 7) {
			printf("kj_heal: call %ld returned %d\n", calls, v);
			return 3;
		}
		calls++;
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	if (memcmp(page, code, len) != 0) {
		puts("kj_heal: CODE CHANGED");
		return 3;
	}
	puts("kj_heal: ok");
	return 0;
}
