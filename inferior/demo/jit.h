/* SPDX-License-Identifier: MIT */
/*
 * jit.h - the compiler driver (jit.c): from a resolved program to published,
 * runnable code, eagerly or lazily.
 */
#ifndef KD_JIT_H
#define KD_JIT_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "codegen.h"
#include "kitjit.h"

struct kd_jit_fn {
	void *code; /* NULL until compiled (and mapped) */
	size_t size;
	uint32_t prologue_len;
	kitjit_code *handle; /* NULL if not published */
};

struct kd_mapping {
	void *addr;
	size_t len;
};

struct kd_jit {
	const struct kd_program *prog;
	enum kd_arch arch;
	const char *file; /* source path for the line tables, or NULL */
	uint64_t *table;  /* the call table: entry i is where function i's code is */
	struct kd_jit_fn *fns;
	struct kd_mapping *maps;
	size_t nmaps, capmaps;
	pthread_mutex_t lock; /* lazy compilation, maps */
	int warned;	      /* a publication failed and we said so */
};

/* The architecture kitdemo runs on natively. */
enum kd_arch kd_arch_native(void);
/* Whether code for ARCH can run here (else it can only be dumped). */
int kd_arch_runs_here(enum kd_arch arch);
int kd_arch_parse(const char *name, enum kd_arch *arch);
const char *kd_arch_name(enum kd_arch arch);

/* Generate function FN of CTX->prog for ARCH into OUT (dispatches to a back end). */
int kd_gen(enum kd_arch arch, const struct kd_genctx *ctx, int fn, struct kd_buf *out,
	   uint32_t *prologue_len);

/* Set up JIT for PROG (which must outlive it); 0 or -1 (out of memory). */
int kd_jit_init(struct kd_jit *jit, const struct kd_program *prog, enum kd_arch arch,
		const char *file);
void kd_jit_destroy(struct kd_jit *jit);

/*
 * Eager mode: compile every function into one block of code memory, publish
 * each with kitjit_add_ex() and point the call table at them.  Native
 * architecture only.  Returns 0, or -1 with a message on stderr.
 */
int kd_jit_compile_all(struct kd_jit *jit);

/*
 * Lazy mode: point every call table entry at a stub that compiles and
 * publishes the function on its first call (from whichever thread makes it).
 * Native architecture only.  Returns 0 or -1.
 */
int kd_jit_prepare_lazy(struct kd_jit *jit);

/* The current entry point of function FN (its code or its stub). */
uint64_t kd_jit_entry(struct kd_jit *jit, int fn);

/* Call function FN with up to 6 arguments (native code, after compile/prepare). */
int64_t kd_jit_call(struct kd_jit *jit, int fn, const int64_t *args, int nargs);

/* Print every function's size, line table and bytes to OUT; 0 or -1. */
int kd_jit_dump(struct kd_jit *jit, FILE *out);

#endif
