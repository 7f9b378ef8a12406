/* SPDX-License-Identifier: MIT */
/*
 * codegen.h - the interface of the two back ends (codegen_x86_64.c and
 * codegen_aarch64.c): one function's tree in, its machine code and line
 * table out.  The code is position independent except for the absolute
 * addresses in struct kd_genctx, so it may be copied anywhere after
 * generation.  Calls between kit functions load their target from a table
 * entry (table + 8 * index) at every call, which is what lets --lazy swap a
 * compile stub for the real code.
 */
#ifndef KD_CODEGEN_H
#define KD_CODEGEN_H

#include <stdint.h>

#include "ast.h"
#include "emit.h"

enum kd_arch {
	KD_ARCH_X86_64,
	KD_ARCH_AARCH64,
};

struct kd_genctx {
	const struct kd_program *prog;
	uint64_t table;	     /* address of the call table: function i at table + 8*i */
	uint64_t print_fn;   /* void (*)(int64_t): print() */
	uint64_t divzero_fn; /* void (*)(void): raises SIGFPE (AArch64 only) */
};

/*
 * Append function FN of CTX->prog to OUT: a frame-pointer prologue of
 * *PROLOGUE_LEN bytes, the body, an epilogue at every return.  Returns 0, or
 * -1 if memory ran out.
 */
int kd_gen_x86_64(const struct kd_genctx *ctx, int fn, struct kd_buf *out, uint32_t *prologue_len);
int kd_gen_aarch64(const struct kd_genctx *ctx, int fn, struct kd_buf *out, uint32_t *prologue_len);

/*
 * Append a lazy-compile stub to OUT: it keeps the argument registers, calls
 * RESOLVER(ARG, INDEX) - a C function returning the address of the compiled
 * code - and jumps there with the arguments restored.  It has a frame-pointer
 * frame too.  Returns 0 or -1.
 */
int kd_gen_stub_x86_64(struct kd_buf *out, uint64_t resolver, uint64_t arg, uint64_t index);
int kd_gen_stub_aarch64(struct kd_buf *out, uint64_t resolver, uint64_t arg, uint64_t index);

#endif
