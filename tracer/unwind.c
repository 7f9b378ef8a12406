/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - the unwinder (see unwind.h).  Unwinders are tried in order
 * for each frame; the first that knows the frame wins.  Callers' pcs are
 * symbolised at pc - 1, inside the call, so a call at the very end of a
 * function is named right.  Not so the frame a signal interrupted: its pc
 * is where it stopped (maybe a function's first instruction), and the
 * frame below it, the signal trampoline, is named "<signal handler
 * called>".
 */
#include "unwind.h"

#include <string.h>

#include "gdbjit.h"
#include "jit.h"
#include "patch.h"

typedef kt_status (*unwinder)(struct kt_session *s, const struct kt_frame *f,
			      struct kt_frame *caller);

static kt_status
mem_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return kt_mem_read(ctx, addr, buf, len, NULL);
}

/* DWARF number of the frame-pointer register. */
static int
dwarf_fp(const struct kt_arch *a)
{
	for (size_t i = 0; i < a->nregs; i++)
		if (a->regs[i].index == a->reg_fp && a->regs[i].bits == 64 && a->regs[i].dwarf >= 0)
			return a->regs[i].dwarf;
	return -1;
}

static void
set_reg(struct kt_dwarf_regs *r, int n, uint64_t v)
{
	if (n < 0 || n >= KT_DWARF_NREGS)
		return;
	r->v[n] = v;
	r->known |= (uint64_t)1 << n;
}

/* Is A's DWARF return-address column its pc register (x86-64's rip), not a
 * link register of its own (AArch64's x30)? */
static bool
ra_is_pc(const struct kt_arch *a)
{
	for (size_t i = 0; i < a->nregs; i++)
		if (a->regs[i].index == a->reg_pc && a->regs[i].dwarf == a->dwarf_ra)
			return true;
	return false;
}

/* The registers a frame found by pc/sp/fp alone is known to have. */
static void
minimal_regs(struct kt_session *s, struct kt_frame *f)
{
	memset(&f->regs, 0, sizeof(f->regs));
	set_reg(&f->regs, s->arch->dwarf_sp, f->sp);
	set_reg(&f->regs, dwarf_fp(s->arch), f->fp);
	if (ra_is_pc(s->arch))
		set_reg(&f->regs, s->arch->dwarf_ra, f->pc);
}

/* Is F's pc where the code stopped (frame 0, or interrupted by a signal),
 * not a return address? */
static bool
pc_is_exact(const struct kt_frame *f)
{
	return f->unwind && (strcmp(f->unwind, "regs") == 0 || strcmp(f->unwind, "sigframe") == 0);
}

/* F's known registers from a full register file R. */
static void
regs_from_file(struct kt_session *s, const struct kt_regs *r, struct kt_frame *f)
{
	f->pc = kt_regs_pc(s->arch, r);
	f->sp = kt_regs_sp(s->arch, r);
	f->fp = r->w[s->arch->reg_fp];
	memset(&f->regs, 0, sizeof(f->regs));
	for (size_t i = 0; i < s->arch->nregs; i++) {
		const struct kt_reg_desc *d = &s->arch->regs[i];
		if (d->bits == 64 && d->shift == 0 && d->dwarf >= 0)
			set_reg(&f->regs, d->dwarf, kt_reg_get(r, d));
	}
}

/* F is the kernel's signal trampoline: the caller is the interrupted code,
 * with every register the kernel saved. */
static kt_status
unwind_sigframe(struct kt_session *s, const struct kt_frame *f, struct kt_frame *caller)
{
	struct kt_arch_mem mem = {mem_cb, NULL, s};
	struct kt_regs r;
	uint8_t at[16];
	size_t nat = 0;

	if (!s->arch->sigframe_step)
		return KT_ERR_NOTFOUND;
	kt_mem_read(s, f->pc, at, sizeof(at), &nat);
	kt_status st = s->arch->sigframe_step(f->sp, at, nat, &mem, &r);
	if (st != KT_OK)
		return st;
	regs_from_file(s, &r, caller);
	caller->unwind = "sigframe";
	return KT_OK;
}

/* The link register's value in a frame whose pc is exact (AArch64 x30: the
 * return-address column is a register other than pc), or 0. */
static uint64_t
link_reg(const struct kt_arch *a, const struct kt_frame *f)
{
	int ra = a->dwarf_ra;

	if (!pc_is_exact(f) || ra < 0 || ra >= KT_DWARF_NREGS ||
	    !(f->regs.known & ((uint64_t)1 << ra)) || ra_is_pc(a))
		return 0;
	return f->regs.v[ra];
}

/* Compiled code with DWARF CFI (.eh_frame, .debug_frame). */
static kt_status
unwind_cfi(struct kt_session *s, const struct kt_frame *f, struct kt_frame *caller)
{
	uint64_t at = pc_is_exact(f) ? f->pc : f->pc - 1;
	struct kt_module *m = kt_module_for_addr(s, at);
	struct kt_dwarf *dw = m ? kt_module_dwarf(s, m) : NULL;
	uint64_t bias = m ? m->bias : 0;
	struct kt_arch_mem mem = {mem_cb, NULL, s};
	struct kt_dwarf_regs out;
	uint64_t cfa;

	if (f->sym.source && strcmp(f->sym.source, "gdb-jit") == 0) {
		dw = kt_gdbjit_dwarf(s, at); /* runtime addresses: bias 0 */
		bias = 0;
	}
	if (!dw || (f->sym.source && strcmp(f->sym.source, "registry") == 0))
		return KT_ERR_NOTFOUND;
	kt_status st = kt_dwarf_cfi_step(dw, bias, f->pc, pc_is_exact(f), &f->regs,
					 (unsigned)s->arch->dwarf_ra, (unsigned)s->arch->dwarf_sp,
					 &mem, &out, &cfa);
	if (st == KT_ERR_NOTFOUND || st == KT_ERR_UNSUPPORTED)
		return KT_ERR_NOTFOUND; /* let the frame-pointer unwinder try */
	if (st != KT_OK)
		return st;
	if (!(out.known & ((uint64_t)1 << s->arch->dwarf_ra)))
		return KT_ERR_RANGE; /* the outermost frame (_start) */
	int fpn = dwarf_fp(s->arch);
	caller->pc = out.v[s->arch->dwarf_ra];
	caller->sp = cfa;
	caller->fp = fpn >= 0 && (out.known & ((uint64_t)1 << fpn)) ? out.v[fpn] : 0;
	caller->regs = out;
	set_reg(&caller->regs, s->arch->dwarf_sp, cfa);
	caller->unwind = "cfi";
	return KT_OK;
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
	/* Prologue and epilogue shapes only matter where the code stopped. */
	if (pc_is_exact(f))
		kt_mem_read(s, f->pc, at, sizeof(at), &nat);
	else
		off = UINT64_MAX;
	struct kt_fp_frame in = {f->pc, f->sp, f->fp, link_reg(s->arch, f)}, out;
	kt_status st = s->arch->fp_step(&in, off, fn, nfn, at, nat, &mem, &out);
	if (st != KT_OK)
		return st;
	caller->pc = out.pc;
	caller->sp = out.sp;
	caller->fp = out.fp;
	caller->unwind = "fp";
	minimal_regs(s, caller);
	return KT_OK;
}

/* JIT code with a registry rule "frame-pointer frame, prologue N bytes". */
static kt_status
unwind_registry(struct kt_session *s, const struct kt_frame *f, struct kt_frame *caller)
{
	uint64_t start;
	uint32_t kind, prologue;

	if (!f->sym.source || strcmp(f->sym.source, "registry") != 0 ||
	    !kt_jit_unwind_rule(s, f->pc - (pc_is_exact(f) ? 0 : 1),
				&start, &kind, &prologue) ||
	    kind != 1)
		return KT_ERR_NOTFOUND;
	kt_status st = unwind_fp(s, f, caller);
	if (st == KT_OK)
		caller->unwind = "registry";
	return st;
}

/* Bytes of stack the scan looks through above a frame's sp. */
#define SCAN_BYTES 2048

/*
 * Is W a return address: just after a call instruction in known code (a
 * mapped module, or a libkitjit or GDB JIT function)?  Not kt_symbolize():
 * for a word no module covers it re-reads the process's maps, and most
 * stack words are not code.
 */
static bool
returns_to(struct kt_session *s, uint64_t w)
{
	uint8_t code[8];
	struct kt_symbol_info si;

	if (w < sizeof(code))
		return false;
	if (!kt_module_for_addr(s, w - 1) && !kt_jit_symbolize(s, w - 1, &si) &&
	    !kt_gdbjit_symbolize(s, w - 1, &si))
		return false;
	if (kt_mem_read(s, w - sizeof(code), code, sizeof(code), NULL) != KT_OK)
		return false;
	/* a call of each possible length ending at W (AArch64: 4 bytes) */
	for (size_t len = 2; len <= sizeof(code); len++) {
		const uint8_t *c = code + sizeof(code) - len;
		if (s->arch->is_call(c, len, w - len) && s->arch->insn_length(c, len, w - len) == len)
			return true;
	}
	return false;
}

/*
 * F's link register, if it holds a return address into named code outside
 * F's own function (after a call F made, it points back into F), or 0.
 */
static uint64_t
scan_link(struct kt_session *s, const struct kt_frame *f)
{
	uint64_t lr = link_reg(s->arch, f);

	if (!lr || !returns_to(s, lr))
		return 0;
	if (f->sym.function && f->sym.size && lr - 1 - f->sym.start < f->sym.size)
		return 0;
	return lr;
}

/*
 * The last resort, for JIT code that neither keeps a frame pointer nor
 * publishes an unwind rule: the first word above sp that is a return
 * address into named code.  On a machine with a link register the
 * innermost frame's return address may never have been stored (a leaf):
 * if the link register holds one and no stack word in reach repeats it,
 * the caller is there, with sp unchanged.  Only below frames in code no
 * module covers (compiled code has CFI or frame pointers, and its
 * outermost frame must stay the last); frames found this way say "scan".
 */
static kt_status
unwind_scan(struct kt_session *s, const struct kt_frame *f, struct kt_frame *caller)
{
	if (kt_module_for_addr(s, pc_is_exact(f) ? f->pc : f->pc - 1))
		return KT_ERR_NOTFOUND;
	uint64_t lr = scan_link(s, f), found = 0, words[SCAN_BYTES / 8];
	size_t got = 0, i;
	/* One read of the window; a fault ends it early (*got says where). */
	kt_mem_read(s, f->sp, words, sizeof(words), &got);
	for (i = 0; i < got / 8; i++) {
		if (lr ? words[i] == lr : returns_to(s, words[i])) {
			found = words[i];
			break;
		}
	}
	if (found) {
		caller->pc = found;
		caller->sp = f->sp + 8 * i + 8; /* the word's slot popped (x86-64: the call's push) */
	} else if (lr) {
		caller->pc = lr; /* a leaf: the return address stayed in the register */
		caller->sp = f->sp;
	} else {
		return KT_ERR_NOTFOUND;
	}
	caller->fp = f->fp;
	caller->unwind = "scan";
	minimal_regs(s, caller);
	return KT_OK;
}

static const unwinder unwinders[] = {unwind_sigframe, unwind_registry, unwind_cfi, unwind_fp};

/* F, recognised as the signal trampoline: named as GDB names it. */
static void
name_trampoline(struct kt_frame *f)
{
	const char *module = f->sym.module, *path = f->sym.module_path;

	memset(&f->sym, 0, sizeof(f->sym));
	f->sym.function = "<signal handler called>";
	f->sym.start = f->pc;
	f->sym.module = module;
	f->sym.module_path = path;
	f->sym.source = "sigtramp";
}

size_t
kt_unwind(struct kt_session *s, struct kt_thread *t, struct kt_frame *frames, size_t max)
{
	if (max == 0 || kt_thread_regs(s, t) != KT_OK)
		return 0;
	struct kt_frame *f = &frames[0];
	memset(f, 0, sizeof(*f));
	regs_from_file(s, &t->regs, f);
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
		if (st != KT_OK || next->pc == 0) {
			/* Nothing found: scan, below unknown code. */
			struct kt_frame scanned;
			memset(&scanned, 0, sizeof(scanned));
			if (unwind_scan(s, cur, &scanned) == KT_OK) {
				*next = scanned;
				st = KT_OK;
			}
		}
		if (st != KT_OK || next->pc == 0)
			break;
		if (strcmp(next->unwind, "sigframe") == 0) {
			/* The interrupted stack may be anywhere (sigaltstack). */
			name_trampoline(cur);
			kt_symbolize(s, next->pc, &next->sym);
		} else {
			/* The stack grows down: a caller's sp is above its
			 * callee's, or equal when the callee was stopped (not
			 * called) before it pushed anything (AArch64 at a
			 * function's entry: the return address is in lr). */
			if (next->sp < cur->sp || (next->sp == cur->sp && !pc_is_exact(cur)))
				break;
			kt_symbolize(s, next->pc - 1, &next->sym);
			if (next->sym.function)
				next->sym.offset += 1;
		}
		n++;
	}
	return n;
}
