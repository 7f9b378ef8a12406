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
 *   kj_stress fork [N]   (default 3) publishes jf_add and jf_mul (real
 *   code, one page), calls each once, then forks N children one after the
 *   other; each child calls both 1000 times, publishes, calls and retracts
 *   a function of its own (jf_child) 1000 times in reused memory, prints
 *   "child I: SUM" and exits I; the parent waits for each, prints
 *   "child I exited S", then calls both 1000 times more and prints
 *   "parent: SUM".  The output is fixed (flushed before each fork).
 */
#include <sys/wait.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kitjit.h"

static int iters = 2000;

static uint32_t
value_of(int t, int k)
{
	return (uint32_t)(t * 1000003u + (uint32_t)k * 7919u) & 0x7fffffffu;
}

/* Two shapes, both with a 4-byte frame-pointer prologue:
 *   A: push %rbp; mov %rsp,%rbp; mov $imm,%eax;           pop %rbp; ret (11)
 *   B: push %rbp; mov %rsp,%rbp; xor %eax,%eax; add $imm,%eax; pop %rbp; ret (13) */
static size_t
emit(unsigned char *p, int shape, uint32_t imm)
{
	size_t n = 0;
	p[n++] = 0x55;
	p[n++] = 0x48, p[n++] = 0x89, p[n++] = 0xe5;
	if (shape) {
		p[n++] = 0x31, p[n++] = 0xc0;
		p[n++] = 0x05;
	} else {
		p[n++] = 0xb8;
	}
	memcpy(p + n, &imm, 4);
	n += 4;
	p[n++] = 0x5d;
	p[n++] = 0xc3;
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
		memset(page, 0xcc, 64 * 4);
		unsigned char *fn = page + (k % 4) * 64;
		size_t len = emit(fn, (k / 4) % 2, value_of(t, k));
		if (mprotect(page, (size_t)pg, PROT_READ | PROT_EXEC)) {
			perror("mprotect");
			exit(2);
		}
		struct kitjit_info info = {
			.struct_size = sizeof info,
			.unwind = { .kind = KITJIT_UNWIND_FP, .prologue_len = 4 },
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

/* jf_add(a, b) = a + b; jf_mul(a, b) = a * b; frame-pointer frames. */
static const unsigned char jf_add_code[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x8d, 0x04, 0x37,
					     0x5d, 0xc3 };
static const unsigned char jf_mul_code[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8, 0x48,
					     0x0f, 0xaf, 0xc6, 0x5d, 0xc3 };

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
fork_mode(int nchildren)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *page = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 2;
	memset(page, 0xcc, (size_t)pg);
	memcpy(page, jf_add_code, sizeof jf_add_code);
	memcpy(page + 64, jf_mul_code, sizeof jf_mul_code);
	if (mprotect(page, (size_t)pg, PROT_READ | PROT_EXEC))
		return 2;
	struct kitjit_info info = {
		.struct_size = sizeof info,
		.unwind = { .kind = KITJIT_UNWIND_FP, .prologue_len = 4 },
	};
	if (!kitjit_add_ex("jf_add", page, sizeof jf_add_code, &info) ||
	    !kitjit_add_ex("jf_mul", page + 64, sizeof jf_mul_code, &info))
		return 2;
	printf("parent: first %llu\n", (unsigned long long)call_both(page, 1));
	for (int c = 1; c <= nchildren; c++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			uint64_t s = call_both(page, 1000);
			unsigned char *own = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (own == MAP_FAILED)
				_exit(100);
			for (int k = 0; k < 1000; k++) {
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
	printf("parent: %llu\n", (unsigned long long)call_both(page, 1000));
	return 0;
}

int
main(int argc, char **argv)
{
	int nthreads = 4;
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return fork_mode(argc > 2 ? atoi(argv[2]) : 3);
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
