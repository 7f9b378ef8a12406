// SPDX-License-Identifier: MIT
// hammer.c - 16 worker threads call hammer_fn() as fast as they can while a
// forker thread forks every ~50 ms (the child calls hammer_fn a few times and
// _exits) and a sender thread sends SIGUSR1 to a random worker every ~1 ms
// (the handler counts and calls hammer_fn too).  Runs S seconds (argv[1],
// default 10): the forker makes exactly 20*S children, and the workers stop
// once it is done and S seconds have passed.  The output holds only facts
// (no counts that depend on timing), so a traced run must print the same:
// tests/e2e/41_displaced_hammer.sh plants `break hammer_fn if $rdi < 0`.
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NWORKERS 16

static atomic_int stop;
static atomic_long signals;
static atomic_int bad_results;
static long counts[NWORKERS];
static pthread_t workers[NWORKERS];
static int children_ok, children_bad, forks_failed;

__attribute__((noinline)) long
hammer_fn(long tid, long i)
{
	return (tid * 0x9e3779b1L) ^ (i * 31 + 7);
}

static long
expected(long tid, long i)
{
	return (tid * 0x9e3779b1L) ^ (i * 31 + 7);
}

static void
on_usr1(int sig)
{
	(void)sig;
	if (hammer_fn(1000, 1) != expected(1000, 1))
		atomic_fetch_add(&bad_results, 1);
	atomic_fetch_add(&signals, 1);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *
worker(void *arg)
{
	long tid = (long)arg;

	for (long i = 0; !atomic_load_explicit(&stop, memory_order_relaxed); i++) {
		if (hammer_fn(tid, i) != expected(tid, i))
			atomic_fetch_add(&bad_results, 1);
		counts[tid]++;
	}
	return NULL;
}

static void *
forker(void *arg)
{
	long n = (long)arg;

	for (long k = 0; k < n; k++) {
		pid_t pid = fork();

		if (pid == 0) {
			long r = 0;

			for (long i = 0; i < 5; i++)
				r |= hammer_fn(2000 + k, i) != expected(2000 + k, i);
			_exit(r ? 3 : 0);
		}
		if (pid < 0) {
			forks_failed++;
		} else {
			int st;

			while (waitpid(pid, &st, 0) < 0)
				;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				children_ok++;
			else
				children_bad++;
		}
		sleep_ms(50);
	}
	return NULL;
}

static void *
sender(void *arg)
{
	unsigned seed = 12345;

	if (arg)
		atomic_fetch_add(&signals, 1);	// disabled: report as if it ran
	while (!arg && !atomic_load(&stop)) {
		pthread_kill(workers[rand_r(&seed) % NWORKERS], SIGUSR1);
		sleep_ms(1);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	long secs = argc > 1 ? atol(argv[1]) : 10;
	// argv[2] (for diagnosis): F = no forker, S = no signal sender
	const char *opt = argc > 2 ? argv[2] : "";
	int nofork = strchr(opt, 'F') != NULL, nosig = strchr(opt, 'S') != NULL;
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigset_t set;
	pthread_t fk, sd;
	time_t end;

	if (secs < 1)
		secs = 1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	for (long t = 0; t < NWORKERS; t++)
		pthread_create(&workers[t], NULL, worker, (void *)t);
	// Only the workers take SIGUSR1: block it in main, the forker and the sender.
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&fk, NULL, forker, (void *)(nofork ? 0 : secs * 20));
	pthread_create(&sd, NULL, sender, nosig ? (void *)1 : NULL);

	end = time(NULL) + secs;
	pthread_join(fk, NULL);
	while (time(NULL) < end)
		sleep_ms(10);
	atomic_store(&stop, 1);
	pthread_join(sd, NULL);
	for (int t = 0; t < NWORKERS; t++)
		pthread_join(workers[t], NULL);

	for (int t = 0; t < NWORKERS; t++)
		printf("thread %d %s\n", t, counts[t] > 0 ? "ok" : "STARVED");
	printf("children reaped: %d ok, %d bad, %d fork failures\n", children_ok,
	       children_bad, forks_failed);
	printf("signals handled > 0: %s\n", atomic_load(&signals) > 0 ? "yes" : "no");
	printf("results correct: %s\n", atomic_load(&bad_results) == 0 ? "yes" : "no");
	return 0;
}
