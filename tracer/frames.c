/* SPDX-License-Identifier: MIT */
/*
 * frames.c - inline frames over the physical ones, and the registers of a
 * selected frame (see frames.h).  The unwinder knows nothing of inlining:
 * expansion happens here, after unwinding.
 */
#include "frames.h"

#include <stdlib.h>
#include <string.h>

#include "dwarf.h"
#include "modules.h"

/* The inlined calls at ADDR (a frame's lookup address), from DWARF. */
static bool
inline_chain(struct kt_session *s, const struct kt_frame *f, uint64_t addr,
	     struct kt_dwarf_loc *loc)
{
	struct kt_module *m;
	struct kt_dwarf *dw;

	if (f->sym.source && strcmp(f->sym.source, "registry") == 0)
		return false;
	if (!(m = kt_module_for_addr(s, addr)) || !(dw = kt_module_dwarf(s, m)))
		return false;
	return kt_dwarf_addr2line(dw, addr - m->bias, loc) && loc->ninlined > 0;
}

size_t
kt_frames_inline(const struct kt_frame *p, const struct kt_dwarf_loc *loc, struct kt_frame *out,
		 size_t max)
{
	size_t n = 0;
	int ni = loc ? loc->ninlined : 0;

	if (ni < 0 || ni > KT_DWARF_MAX_INLINE)
		ni = 0;
	for (int k = 0; k < ni && n < max; k++) {
		struct kt_frame *f = &out[n++];
		*f = *p;
		f->inlined = true;
		f->unwind = "inlined";
		f->sym.function = loc->inlined[k];
		f->sym.offset = 0;
		f->sym.size = 0;
		f->sym.source = "dwarf";
		f->sym.file = k == 0 ? loc->file : loc->inl_call_file[k - 1];
		f->sym.line = k == 0 ? loc->line : loc->inl_call_line[k - 1];
	}
	if (n < max) {
		/* The function itself, at the line that holds the inlined call. */
		out[n] = *p;
		if (ni > 0) {
			out[n].sym.file = loc->inl_call_file[ni - 1];
			out[n].sym.line = loc->inl_call_line[ni - 1];
		}
		n++;
	}
	return n;
}

size_t
kt_frames(struct kt_session *s, struct kt_thread *t, struct kt_frame *out, size_t max)
{
	struct kt_frame *phys = calloc(max ? max : 1, sizeof(*phys));
	size_t np, n = 0;

	if (!phys)
		return 0;
	np = kt_unwind(s, t, phys, max);
	for (size_t i = 0; i < np && n < max; i++) {
		struct kt_dwarf_loc loc;
		const struct kt_frame *p = &phys[i];
		/* A caller's pc is a return address: look inside the call. */
		bool inl = inline_chain(s, p, i == 0 ? p->pc : p->pc - 1, &loc);
		n += kt_frames_inline(p, inl ? &loc : NULL, out + n, max - n);
	}
	free(phys);
	return n;
}

kt_status
kt_frame_regs(struct kt_session *s, struct kt_thread *t, int n, struct kt_regs *regs,
	      uint64_t *known, struct kt_frame *fr)
{
	const struct kt_arch *a = s->arch;
	kt_status st;

	if (n < 0 || n >= KT_MAX_FRAMES)
		return KT_ERR_RANGE;
	if ((st = kt_thread_regs(s, t)) != KT_OK)
		return st;
	*regs = t->regs;
	struct kt_frame *v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		return KT_ERR_NOMEM;
	size_t got = kt_frames(s, t, v, (size_t)n + 1);
	if (got <= (size_t)n) {
		free(v);
		return KT_ERR_RANGE;
	}
	const struct kt_frame *f = &v[n];
	if (fr)
		*fr = *f;
	if (f->pc == kt_regs_pc(a, &t->regs) && f->sp == kt_regs_sp(a, &t->regs)) {
		/* Frame 0, or a call inlined into it: the thread's registers. */
		*known = ~(uint64_t)0;
		free(v);
		return KT_OK;
	}
	*known = 0;
	for (size_t i = 0; i < a->nregs; i++) {
		const struct kt_reg_desc *d = &a->regs[i];
		if (d->bits != 64 || d->shift || d->dwarf < 0 || d->dwarf >= KT_DWARF_NREGS ||
		    !(f->regs.known & ((uint64_t)1 << d->dwarf)) || d->index >= 64)
			continue;
		regs->w[d->index] = f->regs.v[d->dwarf];
		*known |= (uint64_t)1 << d->index;
	}
	a->set_pc(regs, f->pc);
	regs->w[a->reg_sp] = f->sp;
	*known |= (uint64_t)1 << a->reg_pc | (uint64_t)1 << a->reg_sp;
	if (f->fp) {
		regs->w[a->reg_fp] = f->fp;
		*known |= (uint64_t)1 << a->reg_fp;
	}
	free(v);
	return KT_OK;
}
