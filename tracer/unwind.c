/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - the unwinder (see unwind.h).  Unwinders are tried in order
 * for each frame; the first that knows the frame wins.  Callers' pcs are
 * symbolised at pc - 1, inside the call, so a call at the very end of a
 * function is named right.
 */
#include "unwind.h"

#include <string.h>

#include "jit.h"
#include "patch.h"

typedef kt_status (*unwinder)(struct kt_session *s, const struct kt_frame *f,
			      struct kt_frame *caller);

static kt_status
mem_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return kt_mem_read(ctx, addr, buf, len, NULL);
}

static kt_status
unwind_fp(struct kt_session *s, const struct kt_frame *f, struct kt_frame *caller)
{
	uint8_t fn[16], at[4];
	size_t nfn = 0, nat = 0;
	uint64_t off = UINT64_MAX;
	struct kt_arch_mem mem = {mem_cb, NULL, s};

	if (f->sym.function) {
		off = f->sym.offset;
		kt_mem_read(s, f->sym.start, fn, sizeof(fn), &nfn);
	}
	/* Prologue and epilogue shapes only matter in the innermost frame. */
	if (f->unwind && strcmp(f->unwind, "regs") == 0)
		kt_mem_read(s, f->pc, at, sizeof(at), &nat);
	else
		off = UINT64_MAX;
	struct kt_fp_frame in = {f->pc, f->sp, f->fp}, out;
	kt_status st = s->arch->fp_step(&in, off, fn, nfn, at, nat, &mem, &out);
	if (st != KT_OK)
		return st;
	caller->pc = out.pc;
	caller->sp = out.sp;
	caller->fp = out.fp;
	caller->unwind = "fp";
	return KT_OK;
}

/* JIT code with a registry rule "frame-pointer frame, prologue N bytes". */
static kt_status
unwind_registry(struct kt_session *s, const struct kt_frame *f, struct kt_frame *caller)
{
	uint64_t start;
	uint32_t kind, prologue;

	if (!f->sym.source || strcmp(f->sym.source, "registry") != 0 ||
	    !kt_jit_unwind_rule(s, f->pc - (f->unwind && strcmp(f->unwind, "regs") ? 1 : 0),
				&start, &kind, &prologue) ||
	    kind != 1)
		return KT_ERR_NOTFOUND;
	kt_status st = unwind_fp(s, f, caller);
	if (st == KT_OK)
		caller->unwind = "registry";
	return st;
}

static const unwinder unwinders[] = {unwind_registry, unwind_fp};

size_t
kt_unwind(struct kt_session *s, struct kt_thread *t, struct kt_frame *frames, size_t max)
{
	if (max == 0 || kt_thread_regs(s, t) != KT_OK)
		return 0;
	struct kt_frame *f = &frames[0];
	memset(f, 0, sizeof(*f));
	f->pc = kt_regs_pc(s->arch, &t->regs);
	f->sp = kt_regs_sp(s->arch, &t->regs);
	f->fp = t->regs.w[s->arch->reg_fp];
	f->unwind = "regs";
	kt_symbolize(s, f->pc, &f->sym);
	size_t n = 1;
	while (n < max) {
		struct kt_frame *cur = &frames[n - 1], *next = &frames[n];
		kt_status st = KT_ERR_NOTFOUND;
		memset(next, 0, sizeof(*next));
		for (size_t i = 0; i < sizeof(unwinders) / sizeof(unwinders[0]); i++)
			if ((st = unwinders[i](s, cur, next)) != KT_ERR_NOTFOUND)
				break;
		if (st != KT_OK || next->pc == 0 || next->sp <= cur->sp)
			break;
		kt_symbolize(s, next->pc - 1, &next->sym);
		if (next->sym.function)
			next->sym.offset += 1;
		n++;
	}
	return n;
}
