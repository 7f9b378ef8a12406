/* SPDX-License-Identifier: MIT */
/*
 * kj_stress - registry churn with real code: NTHREADS threads each own one
 * code page and, ITERS times, write a tiny function into it (RW), make it
 * RX, publish it with kitjit_add_ex() as f_<thread>_<k % 50> (so names
 * repeat), call it, retract it and reuse the same memory for the next
 * function (two shapes of different encodings, at four offsets).  Prints a
 * checksum of every return value that depends only on ITERS: a debugger
 * that restores stale bytes over reused memory changes it (or crashes us).
 *
 *   kj_stress [ITERS [NTHREADS]]   (default 2000, 4)
 *
 *   kj_stress fork [N [CALLS]]   (default 3, 1000) publishes jf_add and
 *   jf_mul (real code, one page), calls each once, then forks N children
 *   one after the other; each child calls both CALLS times, publishes,
 *   calls and retracts a function of its own (jf_child) CALLS times in
 *   reused memory, prints "child I: SUM" and exits I; the parent waits for
 *   each, prints "child I exited S", then calls both CALLS times more and
 *   prints "parent: SUM".  The output is fixed (flushed before each fork).
 *
 *   The code is x86-64 or AArch64 (jitemit.h), with the same return values,
 *   so the output is the same on both machines.
 */
#include <sys/wait.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jitemit.h"
#include "kitjit.h"

static int iters = 2000;

static uint32_t
value_of(int t, int k)
{
	return (uint32_t)(t * 1000003u + (uint32_t)k * 7919u) & 0x7fffffffu;
}

/* Two shapes of different encodings and lengths, both in a frame-pointer
 * frame, returning IMM (jitemit.h, jit_body_const). */
static size_t
emit(unsigned char *p, int shape, uint32_t imm)
{
	size_t n = jit_enter(p);
	n += jit_body_const(p + n, shape, imm);
	n += jit_leave(p + n);
	jit_ready(p, n);
	return n;
}

static void *
worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *page = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	uint64_t sum = 0;
	for (int k = 0; k < iters; k++) {
		char name[32];
		snprintf(name, sizeof name, "f_%d_%d", t, k % 50);
		if (mprotect(page, (size_t)pg, PROT_READ | PROT_WRITE)) {
			perror("mprotect");
			exit(2);
		}
		memset(page, JIT_FILL, 64 * 4);
		unsigned char *fn = page + (k % 4) * 64;
		size_t len = emit(fn, (k / 4) % 2, value_of(t, k));
		if (mprotect(page, (size_t)pg, PROT_READ | PROT_EXEC)) {
			perror("mprotect");
			exit(2);
		}
		struct kitjit_info info = {
			.struct_size = sizeof info,
			.unwind = { .kind = KITJIT_UNWIND_FP, .prologue_len = JIT_FP_PROLOGUE },
		};
		kitjit_code *c = kitjit_add_ex(name, fn, len, &info);
		if (!c) {
			perror("kitjit_add_ex");
			exit(2);
		}
		uint32_t (*f)(void) = (uint32_t(*)(void))(void *)fn;
		uint32_t v = f();
		if (v != value_of(t, k)) {
			fprintf(stderr, "kj_stress: %s (iteration %d) returned %u, want %u\n", name, k,
				v, value_of(t, k));
			exit(3);
		}
		sum = sum * 31 + v;
		kitjit_remove(c);
	}
	munmap(page, (size_t)pg);
	return (void *)(uintptr_t)sum;
}

static uint64_t
call_both(unsigned char *page, int n)
{
	uint64_t (*add)(uint64_t, uint64_t) = (uint64_t(*)(uint64_t, uint64_t))(void *)page;
	uint64_t (*mul)(uint64_t, uint64_t) =
		(uint64_t(*)(uint64_t, uint64_t))(void *)(page + 64);
	uint64_t s = 0;
	for (int i = 0; i < n; i++)
		s = add(s, mul((uint64_t)i, 3));
	return s;
}

static int
fork_mode(int nchildren, int calls)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *page = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 2;
	memset(page, JIT_FILL, (size_t)pg);
	/* jf_add(a, b) = a + b at 0, jf_mul(a, b) = a * b at 64 */
	size_t add_len = jit_func(page, jit_body_add);
	size_t mul_len = jit_func(page + 64, jit_body_mul);
	jit_ready(page, 64 + mul_len);
	if (mprotect(page, (size_t)pg, PROT_READ | PROT_EXEC))
		return 2;
	struct kitjit_info info = {
		.struct_size = sizeof info,
		.unwind = { .kind = KITJIT_UNWIND_FP, .prologue_len = JIT_FP_PROLOGUE },
	};
	if (!kitjit_add_ex("jf_add", page, add_len, &info) ||
	    !kitjit_add_ex("jf_mul", page + 64, mul_len, &info))
		return 2;
	printf("parent: first %llu\n", (unsigned long long)call_both(page, 1));
	for (int c = 1; c <= nchildren; c++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			uint64_t s = call_both(page, calls);
			unsigned char *own = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (own == MAP_FAILED)
				_exit(100);
			for (int k = 0; k < calls; k++) {
				mprotect(own, (size_t)pg, PROT_READ | PROT_WRITE);
				size_t len = emit(own + (k % 4) * 64, k % 2, value_of(c, k));
				mprotect(own, (size_t)pg, PROT_READ | PROT_EXEC);
				kitjit_code *h = kitjit_add_ex("jf_child", own + (k % 4) * 64, len, &info);
				s += ((uint32_t(*)(void))(void *)(own + (k % 4) * 64))();
				kitjit_remove(h);
			}
			printf("child %d: %llu\n", c, (unsigned long long)s);
			fflush(stdout);
			_exit(c);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid)
			return 2;
		if (WIFEXITED(st))
			printf("child %d exited %d\n", c, WEXITSTATUS(st));
		else
			printf("child %d killed by signal %d\n", c, WTERMSIG(st));
	}
	printf("parent: %llu\n", (unsigned long long)call_both(page, calls));
	return 0;
}

int
main(int argc, char **argv)
{
	int nthreads = 4;
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return fork_mode(argc > 2 ? atoi(argv[2]) : 3, argc > 3 ? atoi(argv[3]) : 1000);
	if (argc > 1)
		iters = atoi(argv[1]);
	if (argc > 2)
		nthreads = atoi(argv[2]);
	if (iters < 1 || nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "usage: kj_stress [ITERS [NTHREADS]]\n");
		return 2;
	}
	pthread_t th[64];
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t)) {
			fprintf(stderr, "pthread_create failed\n");
			return 2;
		}
	uint64_t total = 0;
	for (int t = 0; t < nthreads; t++) {
		void *r;
		pthread_join(th[t], &r);
		total ^= (uint64_t)(uintptr_t)r * (uint64_t)(2 * t + 1);
	}
	printf("kj_stress: %d threads x %d functions, checksum %016llx\n", nthreads, iters,
	       (unsigned long long)total);
	return 0;
}
