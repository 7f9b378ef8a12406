/* SPDX-License-Identifier: MIT */
/*
 * sleeper - a quiet, long-running inferior to attach to and detach from,
 * which checks at the end that no debugger left a patch in its code.
 *
 *	sleeper [S [T]]
 *
 * Prints "sleeper: pid <pid>" (flushed), then calls tick(n) and sleeps
 * 10 ms, over and over, until S seconds (default 5; fractions allowed)
 * have passed; T extra threads (default 0), named "sleeper-N", do the
 * same.  Then it joins them and compares the executable code of every
 * loaded object (the program, ld.so, libc, ...) with its file on disk:
 *
 *	sleeper: code intact	nothing differs
 *	sleeper: CODE CHANGED	a byte differs and no tracer is attached: a
 *				debugger left a breakpoint behind after it
 *				detached.  Where is printed on stderr;
 *				exit status 3.
 *	sleeper: code patched while traced
 *				a byte differs but a tracer is still attached
 *				(TracerPid != 0), so breakpoints may legitimately
 *				be in place; exit status 0.
 *
 * Then "sleeper: done", exit 0.  Comparing with the file rather than with a
 * snapshot taken at start-up also catches breakpoints planted before main.
 * canary() is never called: a test may poke a byte into it (through
 * /proc/PID/mem) to check that the detector works.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void tick(long n);
void canary(void);

static atomic_long ticks;
static double duration = 5;
static struct timespec started;
static int changed;

__attribute__((noinline)) void
tick(long n)
{
	atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed);
	(void)n;
}

/* Never called: a test may patch it to check the detector below. */
__attribute__((noinline)) void
canary(void)
{
	atomic_fetch_sub_explicit(&ticks, 1, memory_order_relaxed);
}

static double
elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - started.tv_sec) + (now.tv_nsec - started.tv_nsec) / 1e9;
}

static void *
tick_loop(void *arg)
{
	long n = 0;

	if (arg) {
		char name[16];

		snprintf(name, sizeof(name), "sleeper-%ld", (long)(intptr_t)arg);
		pthread_setname_np(pthread_self(), name);
	}
	do {
		struct timespec ts = {0, 10 * 1000 * 1000};

		tick(n++);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	} while (elapsed() < duration);
	return NULL;
}

/* Report the first differing byte of one segment on stderr. */
static void
report(const char *file, uintptr_t addr, unsigned char mem, unsigned char disk)
{
	const struct {
		const char *name;
		uintptr_t addr;
	} known[] = {
		{"tick", (uintptr_t)tick},
		{"canary", (uintptr_t)canary},
	};
	const char *name = NULL;
	uintptr_t best = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].addr <= addr && addr - known[i].addr < 256 && known[i].addr >= best) {
			best = known[i].addr;
			name = known[i].name;
		}
	}
	fprintf(stderr, "sleeper: %s: byte at %#lx is %#04x in memory, %#04x on disk", file,
		(unsigned long)addr, mem, disk);
	if (name)
		fprintf(stderr, " (%s+%lu)", name, (unsigned long)(addr - best));
	fprintf(stderr, "\n");
}

/* Compare each executable PT_LOAD segment of one object with its file. */
static int
check_object(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *file = info->dlpi_name;
	FILE *f;

	(void)size;
	(void)data;
	if (!file || !*file)
		file = "/proc/self/exe"; /* the program itself */
	f = fopen(file, "rb");
	if (!f)
		return 0; /* the vDSO has no file */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *mem = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		unsigned char buf[4096];
		size_t done = 0;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (fseek(f, (long)ph->p_offset, SEEK_SET) != 0)
			break;
		while (done < ph->p_filesz) {
			size_t want = ph->p_filesz - done;
			size_t got;

			if (want > sizeof(buf))
				want = sizeof(buf);
			got = fread(buf, 1, want, f);
			if (got == 0)
				break;
			if (memcmp(buf, mem + done, got) != 0) {
				for (size_t k = 0; k < got; k++) {
					if (buf[k] != mem[done + k]) {
						report(file, (uintptr_t)(mem + done + k),
						       mem[done + k], buf[k]);
						break;
					}
				}
				changed = 1;
				break;
			}
			done += got;
		}
	}
	fclose(f);
	return 0;
}

static int
traced(void)
{
	char line[256];
	int pid = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid != 0;
}

int
main(int argc, char **argv)
{
	long nthreads = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
	pthread_t *threads;

	if (argc > 1)
		duration = strtod(argv[1], NULL);
	if (nthreads < 0 || nthreads > 1024) {
		fprintf(stderr, "usage: sleeper [SECONDS [THREADS]]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &started);
	printf("sleeper: pid %d\n", (int)getpid());
	fflush(stdout);
	threads = calloc((size_t)nthreads + 1, sizeof(*threads));
	if (!threads)
		return 1;
	for (long t = 0; t < nthreads; t++) {
		if (pthread_create(&threads[t], NULL, tick_loop, (void *)(intptr_t)(t + 1)) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	printf("sleeper: %ld threads up\n", nthreads + 1);
	fflush(stdout);
	tick_loop(NULL);
	for (long t = 0; t < nthreads; t++)
		pthread_join(threads[t], NULL);
	free(threads);

	dl_iterate_phdr(check_object, NULL);
	if (!changed) {
		printf("sleeper: code intact\n");
	} else if (traced()) {
		printf("sleeper: code patched while traced\n");
	} else {
		printf("sleeper: CODE CHANGED\n");
		return 3;
	}
	printf("sleeper: done\n");
	return 0;
}
