/* SPDX-License-Identifier: MIT */
/*
 * dlmain - loads a library after start-up.  Sleeps argv[1] seconds (default
 * 0; fractions allowed, so a test can attach first), calls before_dlopen(),
 * dlopen()s libplug.so from the directory its own executable is in (found
 * through /proc/self/exe), calls after_dlopen(), then calls plug_fn(6) and
 * prints "plug_fn=42".  Exits 0; 1 (with a message on stderr) if the library
 * or the symbol is missing.  A breakpoint on plug_fn must be pending until
 * the dlopen and then hit once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void before_dlopen(void);
void after_dlopen(void *handle);

__attribute__((noinline)) void
before_dlopen(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void
after_dlopen(void *handle)
{
	__asm__ volatile("" ::"r"(handle) : "memory");
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0;
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
	char path[PATH_MAX];
	ssize_t len;
	char *slash;
	void *handle;
	int (*fn)(int);

	if (secs > 0)
		while (nanosleep(&ts, &ts) != 0)
			;
	len = readlink("/proc/self/exe", path, sizeof(path) - sizeof("/libplug.so"));
	if (len < 0) {
		perror("dlmain: /proc/self/exe");
		return 1;
	}
	path[len] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash ? slash : path, "/libplug.so");

	before_dlopen();
	handle = dlopen(path, RTLD_NOW);
	if (!handle) {
		fprintf(stderr, "dlmain: %s\n", dlerror());
		return 1;
	}
	after_dlopen(handle);
	*(void **)&fn = dlsym(handle, "plug_fn");
	if (!fn) {
		fprintf(stderr, "dlmain: %s\n", dlerror());
		return 1;
	}
	printf("plug_fn=%d\n", fn(6));
	return 0;
}
