/* SPDX-License-Identifier: MIT */
/*
 * x86_64.c - the x86-64 operations table: register names and layout
 * (struct kt_x64_user_regs), the INT3 patch, trap classification and PC
 * rules, disassembly with capstone, the frame-pointer step and prologue
 * skipping.  Displaced stepping lives in step_plan.c (deciding)
 * and step_exec.c (doing).
 */
#include "attr.h"
#include "arch.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "regs.h"

#include "step.h"
#include "hw.h"


#define W(f) ((uint16_t)(offsetof(struct kt_x64_user_regs, f) / 8))

/* hw.c names eflags by its word index. */
_Static_assert(W(eflags) == 18, "eflags is word 18 of struct user_regs_struct");

#define R64(n, f, dw, fl) {n, W(f), 64, 0, dw, fl}
#define R32(n, f) {n, W(f), 32, 0, -1, 0}
#define R16(n, f) {n, W(f), 16, 0, -1, 0}
#define R8(n, f) {n, W(f), 8, 0, -1, 0}
#define R8H(n, f) {n, W(f), 8, 8, -1, 0}

static const struct kt_reg_desc x86_regs[] = {
	R64("rax", rax, 0, KT_REG_SHOWN),
	R64("rbx", rbx, 3, KT_REG_SHOWN),
	R64("rcx", rcx, 2, KT_REG_SHOWN),
	R64("rdx", rdx, 1, KT_REG_SHOWN),
	R64("rsi", rsi, 4, KT_REG_SHOWN),
	R64("rdi", rdi, 5, KT_REG_SHOWN),
	R64("rbp", rbp, 6, KT_REG_SHOWN | KT_REG_ADDR),
	R64("rsp", rsp, 7, KT_REG_SHOWN | KT_REG_ADDR),
	R64("r8", r8, 8, KT_REG_SHOWN),
	R64("r9", r9, 9, KT_REG_SHOWN),
	R64("r10", r10, 10, KT_REG_SHOWN),
	R64("r11", r11, 11, KT_REG_SHOWN),
	R64("r12", r12, 12, KT_REG_SHOWN),
	R64("r13", r13, 13, KT_REG_SHOWN),
	R64("r14", r14, 14, KT_REG_SHOWN),
	R64("r15", r15, 15, KT_REG_SHOWN),
	R64("rip", rip, 16, KT_REG_SHOWN | KT_REG_ADDR),
	R64("eflags", eflags, 49, KT_REG_SHOWN),
	R64("cs", cs, 51, KT_REG_SHOWN),
	R64("ss", ss, 52, KT_REG_SHOWN),
	R64("ds", ds, 53, KT_REG_SHOWN),
	R64("es", es, 50, KT_REG_SHOWN),
	R64("fs", fs, 54, KT_REG_SHOWN),
	R64("gs", gs, 55, KT_REG_SHOWN),
	R64("fs_base", fs_base, 58, KT_REG_SHOWN | KT_REG_ADDR),
	R64("gs_base", gs_base, 59, KT_REG_SHOWN | KT_REG_ADDR),
	R64("orig_rax", orig_rax, -1, 0),
	/* The generic names every architecture has. */
	R64("pc", rip, 16, KT_REG_ADDR),
	R64("sp", rsp, 7, KT_REG_ADDR),
	R64("fp", rbp, 6, KT_REG_ADDR),
	R32("eax", rax), R32("ebx", rbx), R32("ecx", rcx), R32("edx", rdx),
	R32("esi", rsi), R32("edi", rdi), R32("ebp", rbp), R32("esp", rsp),
	R32("r8d", r8), R32("r9d", r9), R32("r10d", r10), R32("r11d", r11),
	R32("r12d", r12), R32("r13d", r13), R32("r14d", r14), R32("r15d", r15),
	R16("ax", rax), R16("bx", rbx), R16("cx", rcx), R16("dx", rdx),
	R16("si", rsi), R16("di", rdi), R16("bp", rbp),
	R8("al", rax), R8("bl", rbx), R8("cl", rcx), R8("dl", rdx),
	R8("sil", rsi), R8("dil", rdi),
	R8H("ah", rax), R8H("bh", rbx), R8H("ch", rcx), R8H("dh", rdx),
};

static const uint8_t int3[] = {0xcc};

/* The byte or two that end at PC, into B (B[1] the last); how many were readable. */
static size_t
bytes_before(const struct kt_trap_in *in, uint8_t b[2])
{
	if (in->read(in->ctx, in->pc - 2, b, 2) == KT_OK)
		return 2;
	/* pc at the start of a mapping: only the last byte is there. */
	return in->read(in->ctx, in->pc - 1, b + 1, 1) == KT_OK ? 1 : 0;
}

static KT_HOT void
x86_classify_trap(const struct kt_trap_in *in, struct kt_trap_out *out)
{
	uint8_t b[2] = {0, 0};

	memset(out, 0, sizeof(*out));
	out->kind = KT_TRAP_SIGNAL;
	out->addr = in->pc;
	out->resume_pc = in->pc;

	if (in->signo == SIGTRAP) {
		switch (in->si_code) {
		case SI_KERNEL: {
			/* int3 and int $3 both leave pc after the instruction. */
			if (in->is_patch(in->ctx, in->pc - 1)) {
				out->kind = KT_TRAP_PATCH;
				out->addr = in->pc - 1;
				out->what = "breakpoint";
				return;
			}
			size_t nb = bytes_before(in, b);
			if (nb >= 1 && b[1] == 0xcc) {
				out->kind = KT_TRAP_DEBUGTRAP;
				out->addr = in->pc - 1;
				out->what = "int3";
			} else if (nb == 2 && b[0] == 0xcd && b[1] == 0x03) {
				out->kind = KT_TRAP_DEBUGTRAP;
				out->addr = in->pc - 2;
				out->what = "int $3";
			}
			return;
		}
		case TRAP_TRACE:
		case TRAP_BRKPT: /* a single-stepped syscall reports TRAP_BRKPT */
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
	if (in->signo == SIGILL && in->read(in->ctx, in->pc, b, 2) == KT_OK && b[0] == 0x0f &&
	    b[1] == 0x0b) {
		out->kind = KT_TRAP_TRAP;
		out->what = "ud2";
	}
}

static KT_HOT void
x86_set_pc(struct kt_regs *regs, uint64_t pc)
{
	regs->w[W(rip)] = pc;
	/* Cancel a pending syscall restart, which would move pc back by 2. */
	regs->w[W(orig_rax)] = (uint64_t)-1;
}

static bool
cs_open64(csh *h, bool att)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, h) != CS_ERR_OK)
		return false;
	if (att)
		cs_option(*h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	return true;
}

static bool
insn_is_direct_branch(const cs_insn *i)
{
	const cs_detail *d = i->detail;

	for (int k = 0; k < d->groups_count; k++)
		if (d->groups[k] == CS_GRP_JUMP || d->groups[k] == CS_GRP_CALL ||
		    d->groups[k] == CS_GRP_BRANCH_RELATIVE)
			return true;
	return false;
}

static size_t
x86_64_disassemble(const uint8_t *code, size_t len, uint64_t addr, struct kt_insn_text *out,
		   size_t max)
{
	csh h;
	size_t n = 0;

	if (!cs_open64(&h, true))
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *insn = cs_malloc(h);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t a = addr;
	while (n < max && left > 0 && cs_disasm_iter(h, &p, &left, &a, insn)) {
		struct kt_insn_text *t = &out[n++];
		memset(t, 0, sizeof(*t));
		t->addr = insn->address;
		t->len = (uint8_t)insn->size;
		memcpy(t->bytes, insn->bytes, insn->size);
		snprintf(t->mnemonic, sizeof(t->mnemonic), "%s", insn->mnemonic);
		snprintf(t->operands, sizeof(t->operands), "%s", insn->op_str);
		if (insn_is_direct_branch(insn)) {
			const cs_x86 *x = &insn->detail->x86;
			for (int k = 0; k < x->op_count; k++)
				if (x->operands[k].type == X86_OP_IMM) {
					t->has_target = true;
					t->target = (uint64_t)x->operands[k].imm;
				}
		}
	}
	cs_free(insn, 1);
	cs_close(&h);
	return n;
}

static size_t
x86_insn_length(const uint8_t *code, size_t len, uint64_t addr)
{
	struct kt_insn_text t;

	return x86_64_disassemble(code, len, addr, &t, 1) ? t.len : 0;
}

static bool
x86_is_call(const uint8_t *code, size_t len, uint64_t addr)
{
	struct kt_insn_text t;

	if (!x86_64_disassemble(code, len, addr, &t, 1))
		return false;
	return strncmp(t.mnemonic, "call", 4) == 0;
}

/* Length of "endbr64" at CODE, or 0. */
static size_t
endbr_len(const uint8_t *code, size_t n)
{
	static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};

	return n >= 4 && memcmp(code, endbr64, 4) == 0 ? 4 : 0;
}

static bool
is_mov_rsp_rbp(const uint8_t *c, size_t n)
{
	/* 48 89 e5 (mov %rsp,%rbp) or 48 8b ec */
	return n >= 3 && c[0] == 0x48 &&
	       ((c[1] == 0x89 && c[2] == 0xe5) || (c[1] == 0x8b && c[2] == 0xec));
}

static kt_status
read_word(const struct kt_arch_mem *mem, uint64_t addr, uint64_t *v)
{
	return mem->read(mem->ctx, addr, v, sizeof(*v));
}

static kt_status
x86_fp_step(const struct kt_fp_frame *f, uint64_t off, const uint8_t *fn, size_t nfn,
	    const uint8_t *at, size_t nat, const struct kt_arch_mem *mem,
	    struct kt_fp_frame *caller)
{
	uint64_t ra = 0, saved_fp = 0;
	kt_status st;

	if (f->pc == 0)
		return KT_ERR_NOTFOUND;

	/* Where is pc relative to "endbr64; push %rbp; mov %rsp,%rbp"? */
	if (off != UINT64_MAX && nfn > 0) {
		size_t e = endbr_len(fn, nfn);
		bool has_push = nfn > e && fn[e] == 0x55;
		bool has_mov = has_push && is_mov_rsp_rbp(fn + e + 1, nfn - e - 1);
		if (has_push && off <= e) {
			/* Before push %rbp: the return address is on top. */
			if ((st = read_word(mem, f->sp, &ra)) != KT_OK)
				return st;
			*caller = (struct kt_fp_frame){ra, f->sp + 8, f->fp, 0};
			return ra ? KT_OK : KT_ERR_NOTFOUND;
		}
		if (has_mov && off == e + 1) {
			/* Between push and mov: saved rbp on top, then the return address. */
			if ((st = read_word(mem, f->sp, &saved_fp)) != KT_OK ||
			    (st = read_word(mem, f->sp + 8, &ra)) != KT_OK)
				return st;
			*caller = (struct kt_fp_frame){ra, f->sp + 16, saved_fp, 0};
			return ra ? KT_OK : KT_ERR_NOTFOUND;
		}
	}
	/* At a ret (after leave or pop %rbp): the return address is on top. */
	if (nat >= 1 && (at[0] == 0xc3 || (nat >= 2 && at[0] == 0xf3 && at[1] == 0xc3))) {
		if ((st = read_word(mem, f->sp, &ra)) != KT_OK)
			return st;
		*caller = (struct kt_fp_frame){ra, f->sp + 8, f->fp, 0};
		return ra ? KT_OK : KT_ERR_NOTFOUND;
	}

	if (f->fp == 0)
		return KT_ERR_NOTFOUND;
	if ((f->fp & 7) != 0 || f->fp < f->sp)
		return KT_ERR_CORRUPT;
	if ((st = read_word(mem, f->fp, &saved_fp)) != KT_OK ||
	    (st = read_word(mem, f->fp + 8, &ra)) != KT_OK)
		return st;
	if (ra == 0)
		return KT_ERR_NOTFOUND;
	if (saved_fp != 0 && saved_fp <= f->fp)
		return KT_ERR_CORRUPT;
	*caller = (struct kt_fp_frame){ra, f->fp + 16, saved_fp, 0};
	return KT_OK;
}

/* __restore_rt: mov $15 (rt_sigreturn),%rax; syscall. */
static const uint8_t x86_sigreturn[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

/*
 * When the handler has returned to __restore_rt, sp points at the struct
 * ucontext of the kernel's struct rt_sigframe (its return address popped);
 * the general registers are the first words of its uc_mcontext (struct
 * sigcontext), 40 bytes in: uc_flags, uc_link and the 24-byte uc_stack
 * come first.
 */
#define X86_UC_MCONTEXT 40

static kt_status
x86_sigframe_step(uint64_t sp, const uint8_t *at, size_t nat, const struct kt_arch_mem *mem,
		  struct kt_regs *out)
{
	/* struct sigcontext, in its order; then cs, gs, fs, ss as 16-bit fields. */
	static const uint16_t order[] = {W(r8),  W(r9),  W(r10), W(r11), W(r12), W(r13),
					 W(r14), W(r15), W(rdi), W(rsi), W(rbp), W(rbx),
					 W(rdx), W(rax), W(rcx), W(rsp), W(rip), W(eflags)};
	uint64_t sc[sizeof(order) / sizeof(order[0]) + 1];
	kt_status st;

	if (nat < sizeof(x86_sigreturn) || memcmp(at, x86_sigreturn, sizeof(x86_sigreturn)) != 0)
		return KT_ERR_NOTFOUND;
	if (sp > UINT64_MAX - X86_UC_MCONTEXT - sizeof(sc))
		return KT_ERR_MEM;
	if ((st = mem->read(mem->ctx, sp + X86_UC_MCONTEXT, sc, sizeof(sc))) != KT_OK)
		return st;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		out->w[order[i]] = sc[i];
	out->w[W(cs)] = sc[18] & 0xffff;
	out->w[W(ss)] = sc[18] >> 48;
	out->w[W(orig_rax)] = (uint64_t)-1; /* no system call to restart */
	return KT_OK;
}

static size_t
x86_skip_prologue(const uint8_t *code, size_t len, uint64_t addr)
{
	size_t e = endbr_len(code, len);

	if (len > e + 1 && code[e] == 0x55 && is_mov_rsp_rbp(code + e + 1, len - e - 1))
		return e + 4;
	return 0;
}

static const uint8_t syscall_insn[] = {0x0f, 0x05};

static void
x86_set_syscall(struct kt_regs *r, long nr, const uint64_t a[6])
{
	r->w[W(rax)] = (uint64_t)nr;
	r->w[W(orig_rax)] = (uint64_t)-1;
	r->w[W(rdi)] = a[0];
	r->w[W(rsi)] = a[1];
	r->w[W(rdx)] = a[2];
	r->w[W(r10)] = a[3];
	r->w[W(r8)] = a[4];
	r->w[W(r9)] = a[5];
}

static void
x86_after_single_step(const uint8_t *insn, size_t len, const struct kt_regs *regs,
		      const struct kt_arch_mem *mem)
{
	uint64_t sp = regs->w[W(rsp)], word;
	size_t i = 0;

	while (i < 4 && i < len && (insn[i] == 0x66 || (insn[i] & 0xf0) == 0x40))
		i++; /* operand-size and REX prefixes */
	if (i >= len || insn[i] != 0x9c) /* pushf */
		return;
	if (mem->read(mem->ctx, sp, &word, sizeof(word)) == KT_OK && (word & 0x100)) {
		word &= ~(uint64_t)0x100; /* TF */
		mem->write(mem->ctx, sp, &word, sizeof(word));
	}
}

static int64_t
x86_syscall_result(const struct kt_regs *r)
{
	return (int64_t)r->w[W(rax)];
}

static bool
x86_undo_syscall_restart(struct kt_regs *r)
{
	int64_t rax = (int64_t)r->w[W(rax)], orig = (int64_t)r->w[W(orig_rax)];

	if (orig < 0)
		return false;
	if (rax == -512 || rax == -513 || rax == -514) /* ERESTARTSYS, NOINTR, NOHAND */
		r->w[W(rax)] = (uint64_t)orig;
	else if (rax == -516) /* ERESTART_RESTARTBLOCK */
		r->w[W(rax)] = 219; /* __NR_restart_syscall */
	else
		return false;
	r->w[W(rip)] -= 2; /* back onto the syscall instruction */
	r->w[W(orig_rax)] = (uint64_t)-1;
	return true;
}

const struct kt_arch kt_arch_x86_64 = {
	.name = "x86_64",
	.id = KT_ARCH_X86_64,
	.elf_machine = EM_X86_64,
	.prstatus_size = sizeof(struct kt_x64_user_regs),
	.regs = x86_regs,
	.nregs = sizeof(x86_regs) / sizeof(x86_regs[0]),
	.reg_pc = W(rip),
	.reg_sp = W(rsp),
	.reg_fp = W(rbp),
	.reg_ret = W(rax),
	.dwarf_ra = 16,
	.dwarf_sp = 7,
	.reg_args = {W(rdi), W(rsi), W(rdx), W(rcx), W(r8), W(r9), -1},
	.patch = int3,
	.patch_len = 1,
	.insn_align = 1,
	.classify_trap = x86_classify_trap,
	.set_pc = x86_set_pc,
	.disassemble = x86_64_disassemble,
	.insn_length = x86_insn_length,
	.is_call = x86_is_call,
	.fp_step = x86_fp_step,
	.sigframe_step = x86_sigframe_step,
	.skip_prologue = x86_skip_prologue,
	.syscall_insn = syscall_insn,
	.syscall_len = sizeof(syscall_insn),
	.nr_mmap = 9,
	.nr_munmap = 11,
	.set_syscall = x86_set_syscall,
	.syscall_result = x86_syscall_result,
	.undo_syscall_restart = x86_undo_syscall_restart,
	.after_single_step = x86_after_single_step,
	.plan = x86_64_plan,
	.emulate = x86_64_emulate,
	.slot_size = X86_64_SLOT_SIZE,
	.ool_build = x86_64_ool_build,
	.ool_enter = x86_64_ool_enter,
	.ool_leave = x86_64_ool_leave,
	.class_name = x86_64_class_name,
	.hw_check = x86_64_hw_check,
	.hw_encode = x86_64_hw_encode,
	.hw_decode = x86_64_hw_decode,
	.hw_disable = x86_64_hw_disable,
	.hw_stops_before = false,
	.hw_skip_exec = x86_64_hw_skip_exec,
	.hw_read_is_rw = true,
};
