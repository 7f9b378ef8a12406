/* SPDX-License-Identifier: MIT */
/*
 * hang - never finishes by itself: for interrupt, attach, backtrace-of-all-
 * threads and kill tests.  A second thread, named "blocker", calls
 * blocked(), which sits in pause(); once it is there the main thread prints
 * "hang: start" (flushed) and spins in spin() forever.  So an interrupted
 * hang has one thread running user code (spin) and one in a system call
 * (pause, under blocked).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

void spin(void);
void blocked(void);

static atomic_int blocker_ready;
volatile unsigned long spins;

__attribute__((noinline)) void
spin(void)
{
	for (;;)
		spins++;
}

__attribute__((noinline)) void
blocked(void)
{
	atomic_store(&blocker_ready, 1);
	for (;;)
		pause();
}

static void *
blocker_main(void *arg)
{
	pthread_setname_np(pthread_self(), "blocker");
	blocked();
	return arg;
}

int
main(void)
{
	pthread_t blocker;

	if (pthread_create(&blocker, NULL, blocker_main, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	while (!atomic_load(&blocker_ready))
		usleep(1000);
	usleep(10000); /* let it get into pause() */
	printf("hang: start\n");
	fflush(stdout);
	spin();
	return 0;
}
