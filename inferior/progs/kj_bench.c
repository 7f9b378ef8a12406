/* SPDX-License-Identifier: MIT */
/*
 * kj_bench - the registration benchmark.  Fake code ranges (addresses that
 * are never mapped nor executed) are fine: only the registry is measured.
 *
 *   kj_bench N [THREADS]   THREADS threads (default 4) publish N ranges in
 *                          all, each removed after its batch of 64 is
 *                          published; prints the wall time of that work:
 *                          "kj_bench: N ranges, T threads, X.XXX ms"
 *   kj_bench hold N [SECS] publish N ranges and keep them (one thread),
 *                          print "kj_bench: holding N ranges, pid P", then
 *                          sleep SECS (default 60) and exit 0
 *
 * Names are "bench_<thread>_<i>".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kitjit.h"

#define BATCH 64

static long per_thread;
static long failed;

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uintptr_t
fake_addr(int t, long i)
{
	return (uintptr_t)0x100000000000ull + ((uintptr_t)t << 36) + (uintptr_t)i * 32;
}

static void *
worker(void *arg)
{
	int t = (int)(intptr_t)arg;
	kitjit_code *h[BATCH];
	char name[48];
	long bad = 0;
	for (long i = 0; i < per_thread;) {
		int n = 0;
		for (; n < BATCH && i < per_thread; n++, i++) {
			snprintf(name, sizeof name, "bench_%d_%ld", t, i);
			h[n] = kitjit_add(name, (const void *)fake_addr(t, i), 32);
			bad += !h[n];
		}
		for (int k = 0; k < n; k++)
			kitjit_remove(h[k]);
	}
	__atomic_add_fetch(&failed, bad, __ATOMIC_RELAXED);
	return NULL;
}

int
main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "hold")) {
		long n = atol(argv[2]);
		int secs = argc > 3 ? atoi(argv[3]) : 60;
		char name[48];
		for (long i = 0; i < n; i++) {
			snprintf(name, sizeof name, "bench_0_%ld", i);
			if (!kitjit_add(name, (const void *)fake_addr(0, i), 32)) {
				perror("kitjit_add");
				return 1;
			}
		}
		printf("kj_bench: holding %ld ranges, pid %d\n", n, (int)getpid());
		fflush(stdout);
		sleep((unsigned)secs);
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: kj_bench N [THREADS] | kj_bench hold N [SECS]\n");
		return 2;
	}
	long n = atol(argv[1]);
	int nthreads = argc > 2 ? atoi(argv[2]) : 4;
	if (n < 1 || nthreads < 1 || nthreads > 64)
		return 2;
	per_thread = (n + nthreads - 1) / nthreads;
	pthread_t th[64];
	double t0 = now_ms();
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t))
			return 2;
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	double ms = now_ms() - t0;
	printf("kj_bench: %ld ranges, %d threads, %.3f ms\n", per_thread * nthreads, nthreads, ms);
	if (failed)
		printf("kj_bench: %ld registrations failed\n", failed);
	return failed ? 1 : 0;
}
