/* SPDX-License-Identifier: MIT */
/*
 * watched.c - data for hardware watchpoints.  Modes (argv[1]):
 *
 *   main    counter goes 0 -> 1 -> 2 -> 3 -> 4 -> 5 in bump(), with one
 *           write of an unchanged value in between (rewrite()); peek()
 *           reads it twice; tick() is called 3 times.  Prints
 *           "watched: counter=5 seen=30 ticks=3".
 *   thread  after a 300 ms pause main starts one thread, which sets
 *           shared to 7, 8, 9 and exits; prints "watched: shared=9".
 *   jit     publishes jit_store (stores its second argument through its
 *           first) with libkitjit and calls it to store 42 into
 *           jit_target; prints "watched: jit_target=42".
 *   hold    prints "watched: pid N", then adds 1 to counter every 50 ms
 *           for S seconds (argv[2], default 30); prints "watched: held".
 *   exec    bump()s counter once, then executes itself in mode main.
 *   loop    bump()s counter N times (argv[2], default 1000); prints
 *           "watched: counter=N" (for measuring the cost of a hit).
 */
#include <kitjit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

volatile int counter;
volatile int shared;
volatile int jit_target;
volatile long sink;
volatile int ticks;

void
bump(void)
{
	counter = counter + 1;
}

void
rewrite(void)
{
	counter = counter;
}

int
peek(void)
{
	return counter;
}

void
tick(void)
{
	ticks++;
}

static void *
writer(void *arg)
{
	(void)arg;
	for (int i = 7; i <= 9; i++)
		shared = i;
	return NULL;
}

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

#if defined(__x86_64__)
/* push %rbp; mov %rsp,%rbp; mov %esi,(%rdi); pop %rbp; ret */
static const unsigned char store_code[] = {0x55, 0x48, 0x89, 0xe5, 0x89, 0x37, 0x5d, 0xc3};
#define STORE_PROLOGUE 4
#elif defined(__aarch64__)
/* str w1, [x0]; ret */
static const unsigned char store_code[] = {0x01, 0x00, 0x00, 0xb9, 0xc0, 0x03, 0x5f, 0xd6};
#define STORE_PROLOGUE 0
#endif

static int
jit(void)
{
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memcpy(page, store_code, sizeof(store_code));
	__builtin___clear_cache((char *)page, (char *)page + sizeof(store_code));
	if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) {
		perror("mprotect");
		return 2;
	}
	struct kitjit_info info = {
		.struct_size = sizeof(info),
		.unwind = {.kind = KITJIT_UNWIND_FP, .prologue_len = STORE_PROLOGUE},
	};
	if (!kitjit_add_ex("jit_store", page, sizeof(store_code), &info)) {
		perror("kitjit_add_ex");
		return 2;
	}
	void (*fn)(volatile int *, int) = (void (*)(volatile int *, int))(void *)page;
	fn(&jit_target, 42);
	printf("watched: jit_target=%d\n", jit_target);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "main";

	if (strcmp(mode, "thread") == 0) {
		pthread_t th;
		pause_ms(300);
		if (pthread_create(&th, NULL, writer, NULL) != 0)
			return 2;
		pthread_join(th, NULL);
		printf("watched: shared=%d\n", shared);
		return 0;
	}
	if (strcmp(mode, "jit") == 0)
		return jit();
	if (strcmp(mode, "loop") == 0) {
		long n = argc > 2 ? atol(argv[2]) : 1000;
		for (long i = 0; i < n; i++)
			bump();
		printf("watched: counter=%d\n", counter);
		return 0;
	}
	if (strcmp(mode, "exec") == 0) {
		bump();
		execl("/proc/self/exe", argv[0], "main", (char *)NULL);
		perror("execl");
		return 2;
	}
	if (strcmp(mode, "hold") == 0) {
		double secs = argc > 2 ? atof(argv[2]) : 30.0;
		printf("watched: pid %d\n", (int)getpid());
		fflush(stdout);
		for (long i = 0; i < (long)(secs * 20); i++) {
			bump();
			pause_ms(50);
		}
		printf("watched: held\n");
		return 0;
	}
	for (int i = 0; i < 5; i++) {
		bump();
		if (i == 2)
			rewrite();
		sink += peek();
		sink += peek();
		if (i < 3)
			tick();
	}
	printf("watched: counter=%d seen=%ld ticks=%d\n", counter, (long)sink, ticks);
	return 0;
}
