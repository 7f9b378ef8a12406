/* SPDX-License-Identifier: MIT */
/*
 * main.c - the kitdemo command: options, reading the source file, reporting
 * compile errors as FILE:LINE:COL: message (exit status 2), the --many
 * registry stress, and running main on one or more threads.  The exit status
 * is main's return value modulo 256.
 *
 *   kitdemo [--arch=x86_64|aarch64] [--lazy] [--dump] [--threads=N]
 *           [--many=N] FILE.kit
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "parser.h"

#define KD_THREAD_STACK (64u << 20) /* deep recursion is fine */

struct options {
	enum kd_arch arch;
	int lazy;
	int dump;
	long threads;
	long many;
	const char *file;
};

struct runner {
	struct kd_jit *jit;
	int main_fn;
	pthread_barrier_t *start;
	int64_t ret;
};

#ifdef __SANITIZE_ADDRESS__
/*
 * A crash in JIT code is the point of kitdemo: under AddressSanitizer, let
 * SIGSEGV, SIGFPE and SIGILL kill the process as usual instead of turning
 * them into a report and exit status 1; and no leak check at exit, which
 * LeakSanitizer cannot do in a traced process.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:detect_leaks=0";
}
#endif

static void
usage(FILE *out)
{
	fprintf(out, "usage: kitdemo [--arch=x86_64|aarch64] [--lazy] [--dump] [--threads=N]\n"
		     "               [--many=N] FILE.kit\n");
}

static int
parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	o->arch = kd_arch_native();
	o->threads = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--arch=", 7)) {
			if (kd_arch_parse(a + 7, &o->arch)) {
				fprintf(stderr, "kitdemo: unknown architecture '%s'\n", a + 7);
				return -1;
			}
		} else if (!strcmp(a, "--lazy")) {
			o->lazy = 1;
		} else if (!strcmp(a, "--dump")) {
			o->dump = 1;
		} else if (!strncmp(a, "--threads=", 10)) {
			if (parse_count(a + 10, 1024, &o->threads) || !o->threads) {
				fprintf(stderr, "kitdemo: --threads wants 1..1024\n");
				return -1;
			}
		} else if (!strncmp(a, "--many=", 7)) {
			if (parse_count(a + 7, 1000000, &o->many)) {
				fprintf(stderr, "kitdemo: --many wants 0..1000000\n");
				return -1;
			}
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "kitdemo: unknown option '%s'\n", a);
			return -1;
		} else if (o->file) {
			fprintf(stderr, "kitdemo: one source file only\n");
			return -1;
		} else {
			o->file = a;
		}
	}
	if (!o->file) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int err = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *b = realloc(buf, cap ? cap * 2 : 4096);

			if (!b) {
				err = ENOMEM;
				break;
			}
			buf = b;
			cap = cap ? cap * 2 : 4096;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	*len = n;
	return buf;
}

/*
 * --many=N: compile and publish gen_0..gen_{N-1}, each `x * k + k`, then
 * call each once and check the answers (when the code can run here).
 */
static int
stress_many(enum kd_arch arch, long many, struct kd_program **progp, struct kd_jit *jit)
{
	size_t cap = (size_t)many * 64 + 1, len = 0;
	char *src = malloc(cap);
	struct kd_diag diag;
	struct kd_program *prog;

	if (!src)
		return -1;
	for (long i = 0; i < many; i++)
		len += (size_t)snprintf(src + len, cap - len,
					"fn gen_%ld(x) { return x * %ld + %ld; }\n", i, i % 97, i);
	prog = kd_parse_lib(src, len, &diag);
	free(src);
	if (!prog) {
		fprintf(stderr, "kitdemo: <generated>:%d:%d: %s\n", diag.line, diag.col, diag.msg);
		return -1;
	}
	*progp = prog;
	if (kd_jit_init(jit, prog, arch, NULL) || kd_jit_compile_all(jit))
		return -1;
	for (int i = 0; i < prog->nfuncs; i++) {
		int64_t x = 3;

		if (kd_jit_call(jit, i, &x, 1) != 3 * (i % 97) + i) {
			fprintf(stderr, "kitdemo: gen_%d returned a wrong value\n", i);
			return -1;
		}
	}
	return 0;
}

static void *
run_main(void *arg)
{
	struct runner *r = arg;

	if (r->start)
		pthread_barrier_wait(r->start);
	r->ret = kd_jit_call(r->jit, r->main_fn, NULL, 0);
	return NULL;
}

static int
run_threads(struct kd_jit *jit, int main_fn, long n, int64_t *ret)
{
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	struct runner *rs = calloc((size_t)n, sizeof(*rs));
	pthread_barrier_t start;
	pthread_attr_t attr;
	int err = 0;

	if (!tids || !rs) {
		free(tids);
		free(rs);
		return -1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)n);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, KD_THREAD_STACK);
	for (long i = 0; i < n; i++) {
		rs[i] = (struct runner){.jit = jit, .main_fn = main_fn, .start = &start};
		err = pthread_create(&tids[i], &attr, run_main, &rs[i]);
		if (err) {
			fprintf(stderr, "kitdemo: pthread_create: %s\n", strerror(err));
			exit(1); /* the others wait at the barrier forever */
		}
	}
	for (long i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	*ret = rs[0].ret;
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&start);
	free(tids);
	free(rs);
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o = {0};
	struct kd_program *prog, *gen_prog = NULL;
	struct kd_jit jit, gen_jit;
	struct kd_diag diag;
	char *src, *path;
	size_t len = 0;
	int64_t ret = 0;
	int status;

	if (parse_options(argc, argv, &o))
		return 2;
	if (!o.dump && !kd_arch_runs_here(o.arch)) {
		fprintf(stderr, "kitdemo: %s code cannot run on this host (use --dump)\n",
			kd_arch_name(o.arch));
		return 2;
	}
	src = read_file(o.file, &len);
	if (!src) {
		fprintf(stderr, "kitdemo: %s: %s\n", o.file, strerror(errno));
		return 2;
	}
	prog = kd_parse(src, len, &diag);
	free(src);
	if (!prog) {
		fprintf(stderr, "%s:%d:%d: %s\n", o.file, diag.line, diag.col, diag.msg);
		return 2;
	}
	/* published with the line tables: absolute, so a debugger finds it from anywhere */
	path = realpath(o.file, NULL);
	if (kd_jit_init(&jit, prog, o.arch, path ? path : o.file)) {
		fprintf(stderr, "kitdemo: out of memory\n");
		return 1;
	}
	if (o.dump) {
		status = kd_jit_dump(&jit, stdout) ? 1 : 0;
		kd_jit_destroy(&jit);
		kd_program_free(prog);
		free(path);
		return status;
	}
	memset(&gen_jit, 0, sizeof(gen_jit));
	if (o.many && stress_many(o.arch, o.many, &gen_prog, &gen_jit))
		return 1;
	if (o.lazy ? kd_jit_prepare_lazy(&jit) : kd_jit_compile_all(&jit))
		return 1;
	fflush(stdout);
	if (o.threads == 1) /* on the main thread: the simplest stack for the demo */
		ret = kd_jit_call(&jit, kd_program_find(prog, "main"), NULL, 0);
	else if (run_threads(&jit, kd_program_find(prog, "main"), o.threads, &ret))
		return 1;
	kd_jit_destroy(&jit);
	kd_program_free(prog);
	free(path);
	if (gen_prog) {
		kd_jit_destroy(&gen_jit);
		kd_program_free(gen_prog);
	}
	return (int)(ret & 0xff);
}
