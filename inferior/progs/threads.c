/* SPDX-License-Identifier: MIT */
/*
 * threads - a multi-threaded inferior, in two modes.
 *
 *	threads [T [S]]		T worker threads (default 8), named "worker-0"
 *				.. "worker-<T-1>" with pthread_setname_np, each
 *				calling work(id, i) in a tight loop.  After S
 *				seconds (default 0 = forever, until killed) the
 *				workers stop, are joined, and it prints
 *				"threads: done T".
 *	threads T K cpu		fixed work: each of T threads makes exactly
 *				K million calls of work(id, i), then it prints
 *				"threads: cpu T K checksum=<hex>", which depends
 *				only on T and K.  bench/overhead.sh times it.
 *
 * Both modes print "threads: started T" (flushed) once every worker has
 * named itself and is about to loop, so a test can wait for that line
 * before it attaches or interrupts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long work(long id, long i);

struct worker {
	pthread_t thread;
	long id;
	long iters; /* cpu mode: calls to make; loop mode: calls made */
	uint64_t sum;
};

static atomic_int stop;
static int cpu_mode;
static pthread_barrier_t ready;

/* One step of a splitmix64-style mixer: cheap, but not foldable. */
__attribute__((noinline)) long
work(long id, long i)
{
	uint64_t z = (uint64_t)id * 0x9e3779b97f4a7c15ull + (uint64_t)i;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (long)(z ^ (z >> 31));
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "worker-%ld", w->id);
	pthread_setname_np(pthread_self(), name);
	pthread_barrier_wait(&ready);
	if (cpu_mode) {
		for (long i = 0; i < w->iters; i++)
			w->sum += (uint64_t)work(w->id, i);
	} else {
		long i;

		for (i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++)
			w->sum += (uint64_t)work(w->id, i);
		w->iters = i;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	long nthreads = argc > 1 ? strtol(argv[1], NULL, 0) : 8;
	double secs = argc > 2 ? strtod(argv[2], NULL) : 0;
	struct worker *workers;
	uint64_t checksum = 0;

	cpu_mode = argc > 3 && strcmp(argv[3], "cpu") == 0;
	if (nthreads < 1 || nthreads > 1024 || secs < 0) {
		fprintf(stderr, "usage: threads [T [SECONDS]] | threads T MILLIONS cpu\n");
		return 2;
	}
	workers = calloc((size_t)nthreads, sizeof(*workers));
	if (!workers)
		return 1;
	pthread_barrier_init(&ready, NULL, (unsigned)nthreads + 1);
	for (long t = 0; t < nthreads; t++) {
		workers[t].id = t;
		if (cpu_mode)
			workers[t].iters = (long)(secs * 1000000);
		if (pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	pthread_barrier_wait(&ready);
	printf("threads: started %ld\n", nthreads);
	fflush(stdout);

	if (!cpu_mode && secs > 0) {
		struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};

		while (nanosleep(&ts, &ts) != 0)
			;
		atomic_store(&stop, 1);
	}
	for (long t = 0; t < nthreads; t++) {
		pthread_join(workers[t].thread, NULL);
		checksum = checksum * 31 + workers[t].sum;
	}
	if (cpu_mode)
		printf("threads: cpu %ld %ld checksum=%016llx\n", nthreads, (long)secs,
		       (unsigned long long)checksum);
	else
		printf("threads: done %ld\n", nthreads);
	free(workers);
	return 0;
}
