/* SPDX-License-Identifier: MIT */
/*
 * aarch64.c - the AArch64 operations table: register names and layout
 * (struct user_pt_regs as NT_PRSTATUS gives it), the BRK #0x7cb patch, trap
 * classification and PC rules, disassembly with capstone, call detection,
 * the frame-pointer step, prologue skipping and system call injection.
 * Displaced stepping lives in step.c.  The word layout is defined here and
 * in step.h, not taken from <asm/ptrace.h>, so the table builds and is
 * tested on any host.  Choices are explained in doc/aarch64.md.
 */
#include "attr.h"
#include "arch.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "step.h"
#include "hw.h"

#ifndef EM_AARCH64
#define EM_AARCH64 183
#endif

#define X(n) {"x" #n, n, 64, 0, n, KT_REG_SHOWN}
#define WR(n) {"w" #n, n, 32, 0, -1, 0}

static const struct kt_reg_desc a64_regs[] = {
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7), X(8), X(9),
	X(10), X(11), X(12), X(13), X(14), X(15), X(16), X(17), X(18), X(19),
	X(20), X(21), X(22), X(23), X(24), X(25), X(26), X(27), X(28),
	{"x29", A64_W_FP, 64, 0, 29, KT_REG_SHOWN | KT_REG_ADDR},
	{"x30", A64_W_LR, 64, 0, 30, KT_REG_SHOWN | KT_REG_ADDR},
	{"sp", A64_W_SP, 64, 0, 31, KT_REG_SHOWN | KT_REG_ADDR},
	{"pc", A64_W_PC, 64, 0, 32, KT_REG_SHOWN | KT_REG_ADDR},
	{"pstate", A64_W_PSTATE, 64, 0, -1, KT_REG_SHOWN},
	/* Aliases ("sp" and "pc" are already the generic names). */
	{"fp", A64_W_FP, 64, 0, 29, KT_REG_ADDR},
	{"lr", A64_W_LR, 64, 0, 30, KT_REG_ADDR},
	/* 32-bit views: a write zero-extends (kt_reg_set), as in A64. */
	WR(0), WR(1), WR(2), WR(3), WR(4), WR(5), WR(6), WR(7), WR(8), WR(9),
	WR(10), WR(11), WR(12), WR(13), WR(14), WR(15), WR(16), WR(17), WR(18), WR(19),
	WR(20), WR(21), WR(22), WR(23), WR(24), WR(25), WR(26), WR(27), WR(28), WR(29),
	WR(30),
};

static const uint8_t brk_patch[4] = {
	(uint8_t)A64_PATCH_WORD, (uint8_t)(A64_PATCH_WORD >> 8),
	(uint8_t)(A64_PATCH_WORD >> 16), (uint8_t)(A64_PATCH_WORD >> 24),
};

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- traps ---- */

static bool
is_brk(uint32_t w)
{
	return (w & 0xffe0001fu) == 0xd4200000u;
}

struct imm_name {
	uint32_t imm;
	const char *name;
};

static const char *
imm_lookup(const struct imm_name *t, size_t n, uint32_t imm)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].imm == imm)
			return t[i].name;
	return NULL;
}

/* "brk #0x1"... for the immediates programs are known to use, else "brk". */
static const char *
brk_name(uint32_t imm)
{
	static const struct imm_name names[] = {
		{0, "brk #0x0"}, {1, "brk #0x1"}, {0x3e8, "brk #0x3e8"},
		{0x800, "brk #0x800"}, {0xf000, "brk #0xf000"},
	};
	const char *s = imm_lookup(names, sizeof(names) / sizeof(names[0]), imm);

	return s ? s : "brk"; /* the immediate is in out->imm */
}

static KT_HOT void
a64_classify_trap(const struct kt_trap_in *in, struct kt_trap_out *out)
{
	uint8_t at[4];
	uint32_t w = 0;
	bool have = false;

	memset(out, 0, sizeof(*out));
	out->kind = KT_TRAP_SIGNAL;
	out->addr = in->pc;
	out->resume_pc = in->pc;

	if (in->signo == SIGTRAP) {
		switch (in->si_code) {
		case TRAP_BRKPT:
			/* BRK leaves pc at the brk. */
			if (in->is_patch && in->is_patch(in->ctx, in->pc)) {
				out->kind = KT_TRAP_PATCH;
				out->imm = A64_PATCH_IMM;
				out->what = "breakpoint";
				return;
			}
			if ((have = in->read(in->ctx, in->pc, at, 4) == KT_OK))
				w = le32(at);
			if (have && is_brk(w)) {
				uint32_t imm = (w >> 5) & 0xffff;
				out->imm = imm;
				out->what = brk_name(imm);
				if (imm == 0xf000) {
					out->kind = KT_TRAP_DEBUGTRAP;
					out->resume_pc = in->pc + 4;
				} else {
					/* __builtin_trap and friends: continuing
					 * delivers the SIGTRAP, as without us. */
					out->kind = KT_TRAP_TRAP;
				}
				return;
			}
			if (in->stepping) {
				out->kind = KT_TRAP_STEP;
				out->what = "step";
			}
			return;
		case TRAP_TRACE:
			if (in->stepping) {
				out->kind = KT_TRAP_STEP;
				out->what = "step";
			}
			return;
		case TRAP_HWBKPT:
			out->kind = KT_TRAP_HW;
			out->what = "hardware breakpoint";
			return;
		default:
			return;
		}
	}
	if (in->signo == SIGILL && in->read(in->ctx, in->pc, at, 4) == KT_OK &&
	    ((w = le32(at)) & 0xffff0000u) == 0) {
		out->kind = KT_TRAP_TRAP;
		out->imm = w & 0xffff;
		out->what = "udf";
	}
}

/*
 * AArch64 system call restart: when a system call returns -ERESTART*, the
 * kernel's do_signal() rewinds pc to the svc and puts orig_x0 back in x0
 * *before* the signal-delivery stop, so the tracer already sees the
 * restarted state; and if the tracer moves pc, the kernel notices
 * (pc != restart address) and skips its own later restart handling.  There
 * is no orig_rax-like word to cancel in NT_PRSTATUS: writing pc suffices.
 */
static KT_HOT void
a64_set_pc(struct kt_regs *regs, uint64_t pc)
{
	regs->w[A64_W_PC] = pc;
}

/* ---- disassembly ---- */

/* Names capstone 4 lacks: the PAC/BTI hints ("hint #0x19"). */
static const char *
hint_name(unsigned imm)
{
	static const struct imm_name names[] = {
		{7, "xpaclri"}, {8, "pacia1716"}, {10, "pacib1716"}, {12, "autia1716"},
		{14, "autib1716"}, {24, "paciaz"}, {25, "paciasp"}, {26, "pacibz"},
		{27, "pacibsp"}, {28, "autiaz"}, {29, "autiasp"}, {30, "autibz"},
		{31, "autibsp"}, {32, "bti"}, {34, "bti c"}, {36, "bti j"}, {38, "bti jc"},
	};

	return imm_lookup(names, sizeof(names) / sizeof(names[0]), imm);
}

static const char *const xname[32] = {
	"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
	"x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20",
	"x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "sp",
};

/*
 * Text by hand for the words capstone 4 cannot name: PAC hints and the
 * pointer-authenticated branches.  False if W is none of them.
 */
static bool
text_by_hand(uint32_t w, struct kt_insn_text *t)
{
	if ((w & 0xfffff01fu) == 0xd503201fu) {
		const char *h = hint_name((w >> 5) & 0x7f);
		if (!h)
			return false;
		const char *sp = strchr(h, ' ');
		if (sp) {
			snprintf(t->mnemonic, sizeof(t->mnemonic), "%.*s", (int)(sp - h), h);
			snprintf(t->operands, sizeof(t->operands), "%s", sp + 1);
		} else {
			snprintf(t->mnemonic, sizeof(t->mnemonic), "%s", h);
		}
		return true;
	}
	if ((w & 0xfe1ff800u) == 0xd61f0800u) {
		unsigned opc = (w >> 21) & 0xf, m = (w >> 10) & 1;
		unsigned rn = (w >> 5) & 0x1f, rm = w & 0x1f;
		const char *k = m ? "b" : "a";
		switch (opc) {
		case 0: /* braaz/brabz */
		case 1: /* blraaz/blrabz */
			if (rm != 31)
				return false;
			snprintf(t->mnemonic, sizeof(t->mnemonic), "%s%sz",
				 opc ? "blra" : "bra", k);
			snprintf(t->operands, sizeof(t->operands), "%s", xname[rn]);
			return rn != 31;
		case 2: /* retaa/retab */
			if (rn != 31 || rm != 31)
				return false;
			snprintf(t->mnemonic, sizeof(t->mnemonic), "reta%s", k);
			return true;
		case 8: /* braa/brab */
		case 9: /* blraa/blrab */
			snprintf(t->mnemonic, sizeof(t->mnemonic), "%s%s",
				 opc == 9 ? "blra" : "bra", k);
			snprintf(t->operands, sizeof(t->operands), "%s, %s",
				 rn == 31 ? "xzr" : xname[rn], xname[rm]);
			return true;
		default:
			return false;
		}
	}
	return false;
}

static bool
is_direct_branch_id(unsigned id)
{
	return id == ARM64_INS_B || id == ARM64_INS_BL || id == ARM64_INS_CBZ ||
	       id == ARM64_INS_CBNZ || id == ARM64_INS_TBZ || id == ARM64_INS_TBNZ;
}

static size_t
a64_disassemble(const uint8_t *code, size_t len, uint64_t addr, struct kt_insn_text *out,
		size_t max)
{
	csh h;
	size_t n = 0;

	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *insn = cs_malloc(h);
	if (!insn) {
		cs_close(&h);
		return 0;
	}
	for (size_t off = 0; n < max && off + 4 <= len; off += 4) {
		const uint8_t *p = code + off;
		size_t left = 4;
		uint64_t a = addr + off;
		uint32_t w = le32(code + off);
		struct kt_insn_text *t = &out[n];

		memset(t, 0, sizeof(*t));
		t->addr = addr + off;
		t->len = 4;
		memcpy(t->bytes, code + off, 4);
		if (text_by_hand(w, t)) {
			n++;
			continue;
		}
		if (!cs_disasm_iter(h, &p, &left, &a, insn)) {
			/* A valid encoding capstone 4 cannot decode (LSE,
			 * RCpc...) or an unallocated one: show the word, like
			 * objdump, and go on (every A64 instruction is 4 bytes). */
			snprintf(t->mnemonic, sizeof(t->mnemonic), ".inst");
			snprintf(t->operands, sizeof(t->operands), "0x%08x", w);
			n++;
			continue;
		}
		snprintf(t->mnemonic, sizeof(t->mnemonic), "%s", insn->mnemonic);
		snprintf(t->operands, sizeof(t->operands), "%s", insn->op_str);
		if (is_direct_branch_id(insn->id)) {
			const cs_arm64 *d = &insn->detail->arm64;
			for (int k = 0; k < d->op_count; k++)
				if (d->operands[k].type == ARM64_OP_IMM) {
					t->has_target = true;
					t->target = (uint64_t)d->operands[k].imm;
				}
		}
		n++;
	}
	cs_free(insn, 1);
	cs_close(&h);
	return n;
}

static size_t
a64_insn_length(const uint8_t *code, size_t len, uint64_t addr)
{
	return len >= 4 && (addr & 3) == 0 ? 4 : 0;
}

/* bl, blr, blraa, blrab, blraaz, blrabz: decoded by hand (capstone 4
 * knows no PAC forms and puts bl/blr in no call group). */
static bool
is_call_word(uint32_t w)
{
	if ((w & 0xfc000000u) == 0x94000000u)           /* bl */
		return true;
	if ((w & 0xfffffc1fu) == 0xd63f0000u)           /* blr */
		return true;
	if ((w & 0xfffff81fu) == 0xd63f081fu)           /* blraaz, blrabz */
		return true;
	return (w & 0xfffff800u) == 0xd73f0800u;        /* blraa, blrab */
}

static bool
a64_is_call(const uint8_t *code, size_t len, uint64_t addr)
{
	return len >= 4 && is_call_word(le32(code));
}

/* ---- frames and prologues ---- */

#define A64_NOP 0xd503201fu
#define A64_MOV_FP_SP 0x910003fdu       /* mov x29, sp (add x29, sp, #0) */
#define A64_RET 0xd65f03c0u

/* Hints a prologue may start with: paciasp, pacibsp, bti, bti c/j/jc. */
static bool
is_prologue_hint(uint32_t w)
{
	if ((w & 0xfffff01fu) != 0xd503201fu)
		return false;
	unsigned imm = (w >> 5) & 0x7f;
	return imm == 25 || imm == 27 || imm == 32 || imm == 34 || imm == 36 || imm == 38;
}

/* stp x29, x30, [sp, #-N]!  ->  N (> 0), or 0 if W is not that. */
static uint64_t
stp_fp_lr_pre(uint32_t w)
{
	if ((w & 0xffc07fffu) != 0xa9807bfdu)
		return 0;
	int64_t imm = (int64_t)((w >> 15) & 0x7f);
	if (imm & 0x40)
		imm -= 0x80;
	return imm < 0 ? (uint64_t)(-imm * 8) : 0;
}

/* Byte offset of the first non-hint word in FN. */
static size_t
skip_hints(const uint8_t *fn, size_t nfn)
{
	size_t off = 0;

	while (off + 4 <= nfn && is_prologue_hint(le32(fn + off)))
		off += 4;
	return off;
}

/*
 * A recognised frame set-up, after optional hints:
 *   A: stp x29, x30, [sp, #-N]!; mov x29, sp                 (gcc)
 *   B: sub sp, sp, #N; stp x29, x30, [sp, #M]; add x29, sp, #M (clang)
 * stp_off is where the stp is, done_off the offset after the set-up, frame
 * the bytes subtracted from sp (N) and rec the record's offset from the new
 * sp (0 or M).  stp_off is set (and done_off 0) when only an A-shape stp is
 * found without its mov.
 */
struct prologue {
	size_t stp_off, done_off;
	uint64_t frame, rec;
	bool sub_first; /* B: sp already lowered by frame before the stp */
};

static bool
parse_prologue(const uint8_t *fn, size_t nfn, struct prologue *p)
{
	size_t e = skip_hints(fn, nfn);
	uint64_t n;

	memset(p, 0, sizeof(*p));
	if (nfn >= e + 4 && (n = stp_fp_lr_pre(le32(fn + e))) != 0) {
		p->stp_off = e;
		p->frame = n;
		if (nfn >= e + 8 && le32(fn + e + 4) == A64_MOV_FP_SP)
			p->done_off = e + 8;
		return true;
	}
	if (nfn >= e + 12 && (le32(fn + e) & 0xffc003ffu) == 0xd10003ffu) {
		uint32_t stp = le32(fn + e + 4), add = le32(fn + e + 8);
		uint64_t m = ((stp >> 15) & 0x3f) * 8;
		if ((stp & 0xffc07fffu) == 0xa9007bfdu && !(stp & (1u << 21)) &&
		    (add & 0xffc003ffu) == 0x910003fdu && ((add >> 10) & 0xfff) == m) {
			p->stp_off = e + 4;
			p->done_off = e + 12;
			p->frame = (le32(fn + e) >> 10) & 0xfff;
			p->rec = m;
			p->sub_first = true;
			return p->frame >= m + 16;
		}
	}
	return false;
}

static kt_status
read_word(const struct kt_arch_mem *mem, uint64_t addr, uint64_t *v)
{
	return mem->read(mem->ctx, addr, v, sizeof(*v));
}

/*
 * A return address signed with pointer authentication carries the PAC in
 * its top bits.  Strip them assuming 48-bit user addresses (the Linux
 * default); a tracer that wants to be exact uses NT_ARM_PAC_MASK.
 */
static uint64_t
strip_pac(uint64_t ra)
{
	if ((ra >> 48) != 0 && !(ra & ((uint64_t)1 << 55)))
		return ra & (((uint64_t)1 << 48) - 1);
	return ra;
}

/* Words at pc that mean "the return address is in lr now". */
static bool
ra_in_lr_at(uint32_t w)
{
	return (w & 0xfffffc1fu) == 0xd65f0000u ||      /* ret {Xn} */
	       w == 0xd65f0bffu || w == 0xd65f0fffu ||  /* retaa, retab */
	       w == 0xd50323bfu || w == 0xd50323ffu ||  /* autiasp, autibsp */
	       (w & 0xff8003ffu) == 0x910003ffu;        /* add sp, sp, #imm: after
							   the epilogue's ldp */
}

/*
 * The return address is in lr: the caller is at lr (PAC stripped) with sp
 * CSP and the frame pointer untouched.  Without lr: KT_ERR_UNSUPPORTED.
 */
static kt_status
caller_from_lr(const struct kt_fp_frame *f, uint64_t csp, struct kt_fp_frame *caller)
{
	uint64_t ra = strip_pac(f->lr);

	if (f->lr == 0)
		return KT_ERR_UNSUPPORTED;
	if ((ra & 3) != 0)
		return KT_ERR_CORRUPT;
	*caller = (struct kt_fp_frame){ra, csp, f->fp, 0};
	return KT_OK;
}

static kt_status
a64_fp_step(const struct kt_fp_frame *f, uint64_t off, const uint8_t *fn, size_t nfn,
	    const uint8_t *at, size_t nat, const struct kt_arch_mem *mem,
	    struct kt_fp_frame *caller)
{
	uint64_t ra = 0, saved_fp = 0, csp_from_fp = 16;
	struct prologue pr;
	kt_status st;

	if (f->pc == 0)
		return KT_ERR_NOTFOUND;
	/* At a return: the epilogue's ldp has put the return address in lr;
	 * at clang's "add sp, sp, #N" the frame is not popped yet. */
	if (nat >= 4 && ra_in_lr_at(le32(at))) {
		uint32_t w = le32(at);
		uint64_t pop = (w & 0xff8003ffu) == 0x910003ffu ?
			((w >> 10) & 0xfff) << ((w >> 22) & 1 ? 12 : 0) : 0;
		return caller_from_lr(f, f->sp + pop, caller);
	}
	if (off == 0)
		return caller_from_lr(f, f->sp, caller);
	if (off != UINT64_MAX && nfn > 0 && parse_prologue(fn, nfn, &pr)) {
		if (off <= pr.stp_off) /* stp not done: ra still in lr */
			return caller_from_lr(f, f->sp + (pr.sub_first && off == pr.stp_off ?
							  pr.frame : 0), caller);
		if (pr.done_off && off == pr.done_off - 4) {
			/* After the stp, before x29 is set: the record is at sp + rec. */
			if ((st = read_word(mem, f->sp + pr.rec, &saved_fp)) != KT_OK ||
			    (st = read_word(mem, f->sp + pr.rec + 8, &ra)) != KT_OK)
				return st;
			ra = strip_pac(ra);
			if ((ra & 3) != 0)
				return KT_ERR_CORRUPT;
			*caller = (struct kt_fp_frame){ra, f->sp + pr.frame, saved_fp, 0};
			return ra ? KT_OK : KT_ERR_NOTFOUND;
		}
		/* In the body: the caller's sp is exact. */
		if (pr.done_off && off >= pr.done_off)
			csp_from_fp = pr.frame - pr.rec;
	}

	if (f->fp == 0)
		return KT_ERR_NOTFOUND;
	if ((f->fp & 7) != 0 || f->fp < f->sp)
		return KT_ERR_CORRUPT;
	if ((st = read_word(mem, f->fp, &saved_fp)) != KT_OK ||
	    (st = read_word(mem, f->fp + 8, &ra)) != KT_OK)
		return st;
	ra = strip_pac(ra);
	if (ra == 0)
		return KT_ERR_NOTFOUND;
	if ((ra & 3) != 0 || (saved_fp != 0 && saved_fp <= f->fp))
		return KT_ERR_CORRUPT;
	*caller = (struct kt_fp_frame){ra, f->fp + csp_from_fp, saved_fp, 0};
	return KT_OK;
}

/* __kernel_rt_sigreturn: mov x8, #139 (rt_sigreturn); svc #0. */
static const uint8_t a64_sigreturn[8] = {0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4};

/*
 * When the handler has returned to the trampoline, sp is the handler's
 * entry sp: the kernel's struct rt_sigframe, a 128-byte siginfo and then
 * the ucontext, whose uc_mcontext (struct sigcontext, 16-byte aligned)
 * starts 176 bytes in, after uc_flags, uc_link, uc_stack and the 128-byte
 * uc_sigmask area.  struct sigcontext: fault_address, then regs[31], sp,
 * pc, pstate: the NT_PRSTATUS order.
 */
#define A64_SIGCONTEXT (128 + 176)

static kt_status
a64_sigframe_step(uint64_t sp, const uint8_t *at, size_t nat, const struct kt_arch_mem *mem,
		  struct kt_regs *out)
{
	uint64_t regs[A64_PRSTATUS_WORDS];
	kt_status st;

	if (nat < sizeof(a64_sigreturn) || memcmp(at, a64_sigreturn, sizeof(a64_sigreturn)) != 0)
		return KT_ERR_NOTFOUND;
	if (sp > UINT64_MAX - A64_SIGCONTEXT - 8 - sizeof(regs))
		return KT_ERR_MEM;
	if ((st = mem->read(mem->ctx, sp + A64_SIGCONTEXT + 8, regs, sizeof(regs))) != KT_OK)
		return st;
	memset(out, 0, sizeof(*out));
	memcpy(out->w, regs, sizeof(regs));
	return KT_OK;
}

static size_t
a64_skip_prologue(const uint8_t *code, size_t len, uint64_t addr)
{
	struct prologue pr;

	return parse_prologue(code, len, &pr) ? pr.done_off : 0;
}

/* ---- system calls ---- */

static const uint8_t svc0[4] = {0x01, 0x00, 0x00, 0xd4};  /* svc #0 */

static void
a64_set_syscall(struct kt_regs *r, long nr, const uint64_t a[6])
{
	r->w[8] = (uint64_t)nr;
	for (int i = 0; i < 6; i++)
		r->w[i] = a[i];
}

static int64_t
a64_syscall_result(const struct kt_regs *r)
{
	return (int64_t)r->w[0];
}

const struct kt_arch kt_arch_aarch64 = {
	.name = "aarch64",
	.id = KT_ARCH_AARCH64,
	.elf_machine = EM_AARCH64,
	.prstatus_size = A64_PRSTATUS_WORDS * 8,
	.regs = a64_regs,
	.nregs = sizeof(a64_regs) / sizeof(a64_regs[0]),
	.reg_pc = A64_W_PC,
	.reg_sp = A64_W_SP,
	.reg_fp = A64_W_FP,
	.reg_ret = 0,
	.dwarf_ra = 30,
	.dwarf_sp = 31,
	.reg_args = {0, 1, 2, 3, 4, 5, 6, 7},
	.patch = brk_patch,
	.patch_len = sizeof(brk_patch),
	.insn_align = 4,
	.classify_trap = a64_classify_trap,
	.set_pc = a64_set_pc,
	.disassemble = a64_disassemble,
	.insn_length = a64_insn_length,
	.is_call = a64_is_call,
	.fp_step = a64_fp_step,
	.sigframe_step = a64_sigframe_step,
	.skip_prologue = a64_skip_prologue,
	.syscall_insn = svc0,
	.syscall_len = sizeof(svc0),
	.nr_mmap = 222,
	.nr_munmap = 215,
	.set_syscall = a64_set_syscall,
	.syscall_result = a64_syscall_result,
	.plan = a64_plan,
	.emulate = a64_emulate,
	.slot_size = A64_SLOT_SIZE,
	.ool_reach = (uint64_t)1 << 27, /* b: +-128 MiB */
	.ool_build = a64_ool_build,
	.ool_enter = a64_ool_enter,
	.ool_leave = a64_ool_leave,
	.class_name = a64_class_name,
	.hw_check = a64_hw_check,
	.hw_encode = a64_hw_encode,
	.hw_decode = a64_hw_decode,
	.hw_disable = a64_hw_disable,
	.hw_stops_before = true,
	.hw_read_is_rw = false,
	.atomic_sequence = a64_exclusive_sequence,
	.atomic_window = a64_exclusive_window,
};
