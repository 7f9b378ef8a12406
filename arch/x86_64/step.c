/* SPDX-License-Identifier: MIT */
/*
 * step.c - x86-64 displaced stepping: the planner that sorts one instruction
 * into emulate / out of line / in line, the emulator for the first kind,
 * the slot builder and the slot-to-original register mapping for the
 * second.  This file is the only place that rewrites x86 instruction bytes
 * (the RIP-relative ModRM rewrite) and the only place that knows the slot
 * layout.  The classes and their reasons are in doc/displaced-stepping.md.
 */
#include "step.h"

#include <assert.h>
#include <string.h>
#include "regs.h"

#include <capstone/capstone.h>

/* Word indexes of struct kt_x64_user_regs in struct kt_regs. */
#define W(field) ((uint8_t)(offsetof(struct kt_x64_user_regs, field) / 8))
#define W_RIP W(rip)
#define W_RSP W(rsp)
#define W_RCX W(rcx)
#define W_RAX W(rax)
#define W_EFLAGS W(eflags)
#define W_ORIG_RAX W(orig_rax)
#define W_FS_BASE W(fs_base)
#define W_GS_BASE W(gs_base)
#define W_NONE 0xff

/* Hardware register number (ModRM/REX encoding) to word index. */
static const uint8_t hw_word[16] = {
	W(rax), W(rcx), W(rdx), W(rbx), W(rsp), W(rbp), W(rsi), W(rdi),
	W(r8), W(r9), W(r10), W(r11), W(r12), W(r13), W(r14), W(r15),
};

/* eflags bits the add/sub emulation computes. */
#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_OF 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* What emulate / the ool functions do with a plan. */
enum op {
	OP_NOP,
	OP_PUSH_REG,
	OP_PUSH_IMM,
	OP_POP_REG,
	OP_MOV_REG,
	OP_ALU_IMM,
	OP_JMP,
	OP_JCC,
	OP_CALL,
	OP_RET,
	OP_CALL_REG,
	OP_JMP_REG,
	OP_CALL_MEM,
	OP_JMP_MEM,
	OP_LOOP,
	OP_LOOPE,
	OP_LOOPNE,
	OP_JRCXZ,
	OP_JECXZ,
	OP_OOL_PLAIN,
	OP_OOL_SYSCALL,
	OP_OOL_RIPREL,
};

enum seg { SEG_NONE, SEG_FS, SEG_GS };

/* The decoded form kept in plan->priv. */
struct x86_priv {
	uint8_t op;         /* enum op */
	uint8_t reg;        /* word: push/pop/mov/alu destination, branch register */
	uint8_t src;        /* word: mov source */
	uint8_t width;      /* mov: 4 or 8 bytes */
	uint8_t cc;         /* jcc: condition 0..15 as encoded in the opcode */
	uint8_t sub;        /* alu: 1 for sub, 0 for add */
	uint8_t base;       /* memory operand: base word, or W_NONE */
	uint8_t index;      /* memory operand: index word, or W_NONE */
	uint8_t scale;      /* memory operand: 1, 2, 4, 8 */
	uint8_t seg;        /* memory operand: enum seg */
	uint8_t riprel;     /* memory operand is relative to the next insn */
	uint8_t tmp;        /* ool riprel: word of the temp register */
	uint8_t tmp_hw;     /* ool riprel: its hardware number */
	uint16_t ret_pop;   /* ret imm16 */
	int64_t imm;        /* push/alu immediate, memory displacement */
	int64_t rel;        /* direct branch: target - (addr + len) */
	uint8_t code[KT_INSN_MAX]; /* ool riprel: the rewritten instruction */
};
static_assert(sizeof(struct x86_priv) <= KT_PLAN_PRIV, "x86_priv must fit kt_plan.priv");

/*
 * Slot layout.  RIP-relative:
 *    0: mov %tmp, save(%rip)      7 bytes
 *    7: movabs $(addr+len), %tmp  10 bytes
 *   17: the rewritten instruction
 *  +len: mov save(%rip), %tmp     7 bytes
 *   +7: jmp *ret(%rip)            6 bytes
 *   then, 8-aligned: save (.quad), ret (.quad addr+len)
 * Plain: the instruction at 0, jmp *ret(%rip), ret (.quad).
 */
#define RIPREL_INSN_OFF 17

static const char *const class_names[X86_64_CLS_COUNT] = {
	[X86_64_CLS_NOP] = "nop",
	[X86_64_CLS_PUSH] = "push",
	[X86_64_CLS_POP] = "pop",
	[X86_64_CLS_MOV_REG] = "mov-reg",
	[X86_64_CLS_ALU_REG_IMM] = "alu-reg-imm",
	[X86_64_CLS_JMP_REL] = "jmp-rel",
	[X86_64_CLS_JCC] = "jcc",
	[X86_64_CLS_CALL_REL] = "call-rel",
	[X86_64_CLS_CALL_IND] = "call-ind",
	[X86_64_CLS_JMP_IND] = "jmp-ind",
	[X86_64_CLS_RET] = "ret",
	[X86_64_CLS_LOOP] = "loop",
	[X86_64_CLS_OOL_PLAIN] = "ool-plain",
	[X86_64_CLS_OOL_RIPREL] = "ool-riprel",
	[X86_64_CLS_OOL_SYSCALL] = "ool-syscall",
	[X86_64_CLS_INLINE_UNDECODABLE] = "inline-undecodable",
	[X86_64_CLS_INLINE_TRAP] = "inline-trap",
	[X86_64_CLS_INLINE_PRIV] = "inline-privileged",
	[X86_64_CLS_INLINE_FAR] = "inline-far",
	[X86_64_CLS_INLINE_PREFIX] = "inline-prefix",
	[X86_64_CLS_INLINE_SEG_RIPREL] = "inline-seg-riprel",
	[X86_64_CLS_INLINE_EVEX] = "inline-evex-riprel",
	[X86_64_CLS_INLINE_TSX] = "inline-tsx",
	[X86_64_CLS_INLINE_NO_TEMP] = "inline-no-temp",
	[X86_64_CLS_INLINE_OTHER] = "inline-other",
};

const char *
x86_64_class_name(uint16_t klass)
{
	if (klass >= X86_64_CLS_COUNT)
		return "?";
	return class_names[klass];
}

/* ---- little helpers ---- */

static uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static struct x86_priv *
priv_of(struct kt_plan *plan)
{
	return (struct x86_priv *)(void *)plan->priv;
}

static const struct x86_priv *
cpriv_of(const struct kt_plan *plan)
{
	return (const struct x86_priv *)(const void *)plan->priv;
}

/*
 * Hardware number (0..15) of a capstone general-purpose register of any
 * width, with its width in bytes in *SIZE; -1 for anything else (rip,
 * segment, vector registers...).  ah..bh count as their full register.
 */
static int
gpr_number(unsigned reg, unsigned *size)
{
	static const uint16_t tab[16][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL, 0 },
		{ X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, 0 },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, 0 },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, 0 },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, 0 },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, 0 },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, 0 },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, 0 },
		{ X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, 0 },
		{ X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, 0 },
		{ X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, 0 },
		{ X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, 0 },
	};
	static const uint8_t sizes[5] = { 8, 4, 2, 1, 1 };

	if (reg == X86_REG_INVALID)
		return -1;
	for (int n = 0; n < 16; n++) {
		for (int k = 0; k < 5; k++) {
			if (tab[n][k] == reg) {
				if (size)
					*size = sizes[k];
				return n;
			}
		}
	}
	return -1;
}

/* Word index of a 64-bit general-purpose register, or W_NONE. */
static uint8_t
gpr64_word(unsigned reg)
{
	unsigned size = 0;
	int n = gpr_number(reg, &size);

	if (n < 0 || size != 8)
		return W_NONE;
	return hw_word[n];
}

static bool
has_group(const cs_insn *insn, uint8_t group)
{
	const cs_detail *d = insn->detail;

	for (unsigned i = 0; i < d->groups_count; i++)
		if (d->groups[i] == group)
			return true;
	return false;
}

static bool
is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0: case 0xf2: case 0xf3:
	case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
	case 0x66: case 0x67:
		return true;
	default:
		return false;
	}
}

/* Legacy prefix bytes, in any order, before the REX/VEX/opcode. */
static bool
has_prefix(const uint8_t *code, size_t len, uint8_t which)
{
	for (size_t i = 0; i < len; i++) {
		if (code[i] == which)
			return true;
		if (!is_legacy_prefix(code[i]) && (code[i] & 0xf0) != 0x40)
			return false;
	}
	return false;
}

static kt_status
set_inline(struct kt_plan *plan, uint16_t klass, const char *why)
{
	plan->kind = KT_PLAN_INLINE;
	plan->klass = klass;
	plan->why = why;
	return KT_OK;
}

static void
set_emulate(struct kt_plan *plan, uint16_t klass, uint8_t op)
{
	plan->kind = KT_PLAN_EMULATE;
	plan->klass = klass;
	priv_of(plan)->op = op;
}

/* ---- the RIP-relative rewrite ---- */

/* Where the prefixes end and what encodes the instruction's register bits. */
struct enc {
	int rex;      /* offset of the REX byte, -1 if none */
	int vex;      /* offset of C4/C5, -1 if none */
	int modrm;    /* offset of ModRM as the opcode map says */
	bool evex;    /* EVEX (62) or XOP (8F) encoded */
};

static bool
parse_encoding(const uint8_t *c, size_t len, struct enc *e)
{
	size_t p = 0;

	e->rex = -1;
	e->vex = -1;
	e->evex = false;
	while (p < len) {
		if (is_legacy_prefix(c[p])) {
			e->rex = -1;    /* a REX before a legacy prefix is ignored */
			p++;
		} else if ((c[p] & 0xf0) == 0x40) {
			e->rex = (int)p;
			p++;
		} else {
			break;
		}
	}
	if (p + 2 >= len)
		return false;
	switch (c[p]) {
	case 0xc5:
		if (e->rex >= 0)
			return false;
		e->vex = (int)p;
		e->modrm = (int)p + 3;
		return true;
	case 0xc4:
		if (e->rex >= 0)
			return false;
		e->vex = (int)p;
		e->modrm = (int)p + 4;
		return true;
	case 0x62:
		e->evex = true;
		e->modrm = (int)p + 5;
		return true;
	case 0x8f:
		if (c[p + 1] & 0x38) {  /* XOP; reg 0 is pop r/m */
			e->evex = true;
			e->modrm = (int)p + 4;
			return true;
		}
		e->modrm = (int)p + 1;
		return true;
	case 0x0f:
		if (c[p + 1] == 0x38 || c[p + 1] == 0x3a)
			e->modrm = (int)p + 3;
		else
			e->modrm = (int)p + 2;
		return true;
	default:
		e->modrm = (int)p + 1;
		return true;
	}
}

/*
 * Plan an instruction with a RIP-relative memory operand: choose a temp
 * register the instruction does not touch and rewrite ModRM from
 * [rip+disp32] to [tmp+disp32].  Fills plan->priv (tmp, code) or makes the
 * plan INLINE.
 */
static kt_status
plan_riprel(csh h, const cs_insn *insn, const cs_x86_op *mem, struct kt_plan *plan)
{
	const cs_x86 *x = &insn->detail->x86;
	struct x86_priv *pv = priv_of(plan);
	const uint8_t *c = plan->insn;
	struct enc e;
	uint32_t used;
	int modrm, regnum, tmp = -1;
	bool high_ok;

	if (mem->mem.segment == X86_REG_FS || mem->mem.segment == X86_REG_GS)
		return set_inline(plan, X86_64_CLS_INLINE_SEG_RIPREL,
				  "RIP-relative operand with an fs/gs segment override");
	if (!parse_encoding(c, plan->len, &e))
		return set_inline(plan, X86_64_CLS_INLINE_OTHER, "cannot parse the encoding");
	if (e.evex)
		return set_inline(plan, X86_64_CLS_INLINE_EVEX,
				  "EVEX/XOP encoded RIP-relative operand");
	modrm = e.modrm;
	if (modrm != x->encoding.modrm_offset || modrm + 5 > plan->len ||
	    (c[modrm] & 0xc7) != 0x05 || x->encoding.disp_offset != modrm + 1)
		return set_inline(plan, X86_64_CLS_INLINE_OTHER, "cannot locate ModRM");

	/* Always out: rax/rcx/rdx (implicit users), rsp and r12 (rm=100 is SIB). */
	used = 1u << 0 | 1u << 1 | 1u << 2 | 1u << 4 | 1u << 12;
	/* ModRM.reg, whatever register file it names. */
	regnum = (c[modrm] >> 3) & 7;
	if (e.rex >= 0 && (c[e.rex] & 0x04))
		regnum |= 8;
	if (e.vex >= 0 && !(c[e.vex + 1] & 0x80))
		regnum |= 8;
	used |= 1u << regnum;
	/* VEX.vvvv. */
	if (e.vex >= 0) {
		uint8_t b = c[e.vex] == 0xc5 ? c[e.vex + 1] : c[e.vex + 2];

		used |= 1u << (~(b >> 3) & 15);
	}
	/* Every register read or written, explicitly or implicitly. */
	{
		cs_regs rd, wr;
		uint8_t nr = 0, nw = 0;

		if (cs_regs_access(h, insn, rd, &nr, wr, &nw) != CS_ERR_OK)
			return set_inline(plan, X86_64_CLS_INLINE_OTHER,
					  "cannot tell which registers it uses");
		for (unsigned i = 0; i < nr; i++) {
			int n = gpr_number(rd[i], NULL);

			if (n >= 0)
				used |= 1u << n;
		}
		for (unsigned i = 0; i < nw; i++) {
			int n = gpr_number(wr[i], NULL);

			if (n >= 0)
				used |= 1u << n;
		}
	}
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		int n;

		if (op->type == X86_OP_REG) {
			n = gpr_number(op->reg, NULL);
			if (n >= 0)
				used |= 1u << n;
		} else if (op->type == X86_OP_MEM) {
			n = gpr_number(op->mem.index, NULL);
			if (n >= 0)
				used |= 1u << n;
		}
	}
	/* cmpxchg8b/16b use rbx implicitly; do not trust the tables for it. */
	if (insn->id == X86_INS_CMPXCHG8B || insn->id == X86_INS_CMPXCHG16B)
		used |= 1u << 3;

	/*
	 * No instruction with a ModRM operand uses r8..r15 implicitly
	 * (syscall's r11 has none), so they are the safest
	 * temps, but they need REX.B or VEX.B: only when the encoding already
	 * has a REX or a three-byte VEX (adding a REX would turn ah..bh
	 * operands into spl..dil and change the length).  Otherwise rsi, rdi,
	 * rbx, rbp, whose implicit users the exclusions above cover.
	 */
	high_ok = e.rex >= 0 || (e.vex >= 0 && c[e.vex] == 0xc4);
	{
		static const uint8_t order[] = { 11, 10, 9, 8, 15, 14, 13, 6, 7, 3, 5 };

		for (unsigned i = 0; i < sizeof(order); i++) {
			int n = order[i];

			if (used & (1u << n))
				continue;
			if (n >= 8 && !high_ok)
				continue;
			tmp = n;
			break;
		}
	}
	if (tmp < 0)
		return set_inline(plan, X86_64_CLS_INLINE_NO_TEMP,
				  "no free temp register for the RIP-relative rewrite");

	memcpy(pv->code, c, plan->len);
	pv->code[modrm] = (uint8_t)(0x80 | (c[modrm] & 0x38) | (tmp & 7));
	if (e.rex >= 0) {
		pv->code[e.rex] = (uint8_t)((c[e.rex] & ~0x03) | (tmp >= 8 ? 0x01 : 0));
	} else if (e.vex >= 0 && c[e.vex] == 0xc4) {
		/* Inverted X and B: X = 0 (no index), B = tmp's high bit. */
		uint8_t b = (uint8_t)(c[e.vex + 1] | 0x60);

		if (tmp >= 8)
			b &= (uint8_t)~0x20;
		pv->code[e.vex + 1] = b;
	}
	pv->op = OP_OOL_RIPREL;
	pv->tmp = hw_word[tmp];
	pv->tmp_hw = (uint8_t)tmp;
	plan->kind = KT_PLAN_OOL;
	plan->klass = X86_64_CLS_OOL_RIPREL;
	return KT_OK;
}

/* ---- classification ---- */

static int
jcc_condition(unsigned id)
{
	switch (id) {
	case X86_INS_JO: return 0;
	case X86_INS_JNO: return 1;
	case X86_INS_JB: return 2;
	case X86_INS_JAE: return 3;
	case X86_INS_JE: return 4;
	case X86_INS_JNE: return 5;
	case X86_INS_JBE: return 6;
	case X86_INS_JA: return 7;
	case X86_INS_JS: return 8;
	case X86_INS_JNS: return 9;
	case X86_INS_JP: return 10;
	case X86_INS_JNP: return 11;
	case X86_INS_JL: return 12;
	case X86_INS_JGE: return 13;
	case X86_INS_JLE: return 14;
	case X86_INS_JG: return 15;
	default: return -1;
	}
}

/* Instructions that cannot run out of line, by id. */
static bool
inline_by_id(unsigned id, struct kt_plan *plan)
{
	switch (id) {
	case X86_INS_INT3: case X86_INS_INT: case X86_INS_INT1: case X86_INS_INTO:
	case X86_INS_UD2: case X86_INS_UD2B: case X86_INS_UD0: case X86_INS_HLT:
		set_inline(plan, X86_64_CLS_INLINE_TRAP, "traps wherever it runs");
		return true;
	case X86_INS_RETF: case X86_INS_RETFQ: case X86_INS_IRET: case X86_INS_IRETD:
	case X86_INS_IRETQ: case X86_INS_LJMP: case X86_INS_LCALL:
	case X86_INS_SYSRET: case X86_INS_SYSEXIT: case X86_INS_SYSENTER:
		set_inline(plan, X86_64_CLS_INLINE_FAR, "far control transfer");
		return true;
	case X86_INS_XBEGIN: case X86_INS_XABORT:
		set_inline(plan, X86_64_CLS_INLINE_TSX, "transactional memory control");
		return true;
	case X86_INS_CLI: case X86_INS_STI: case X86_INS_IN: case X86_INS_OUT:
	case X86_INS_INSB: case X86_INS_INSW: case X86_INS_INSD:
	case X86_INS_OUTSB: case X86_INS_OUTSW: case X86_INS_OUTSD:
	case X86_INS_WRMSR: case X86_INS_RDMSR: case X86_INS_SWAPGS:
	case X86_INS_LGDT: case X86_INS_LIDT: case X86_INS_LLDT: case X86_INS_LTR:
	case X86_INS_INVD: case X86_INS_WBINVD: case X86_INS_INVLPG: case X86_INS_CLTS:
		set_inline(plan, X86_64_CLS_INLINE_PRIV, "privileged or I/O instruction");
		return true;
	default:
		return false;
	}
}

/* Memory operand of an indirect call/jmp into priv; false if unsupported. */
static bool
take_mem(const cs_insn *insn, const cs_x86_op *op, struct x86_priv *pv)
{
	const cs_x86 *x = &insn->detail->x86;

	if (x->addr_size != 8)
		return false;
	switch (op->mem.segment) {
	case X86_REG_INVALID: case X86_REG_CS: case X86_REG_DS:
	case X86_REG_ES: case X86_REG_SS:
		pv->seg = SEG_NONE;  /* base 0 in 64-bit mode */
		break;
	case X86_REG_FS:
		pv->seg = SEG_FS;
		break;
	case X86_REG_GS:
		pv->seg = SEG_GS;
		break;
	default:
		return false;
	}
	pv->base = W_NONE;
	pv->index = W_NONE;
	pv->riprel = 0;
	if (op->mem.base == X86_REG_RIP) {
		pv->riprel = 1;
	} else if (op->mem.base != X86_REG_INVALID) {
		pv->base = gpr64_word(op->mem.base);
		if (pv->base == W_NONE)
			return false;
	}
	if (op->mem.index != X86_REG_INVALID) {
		pv->index = gpr64_word(op->mem.index);
		if (pv->index == W_NONE)
			return false;
	}
	pv->scale = (uint8_t)op->mem.scale;
	pv->imm = op->mem.disp;
	return true;
}

/* Branches, calls and returns; true if the plan is decided. */
static bool
plan_branch(const cs_insn *insn, uint64_t addr, struct kt_plan *plan)
{
	const cs_x86 *x = &insn->detail->x86;
	struct x86_priv *pv = priv_of(plan);
	const cs_x86_op *op0 = x->op_count ? &x->operands[0] : NULL;
	uint64_t next = addr + insn->size;
	bool is_call = insn->id == X86_INS_CALL;
	int cc = jcc_condition(insn->id);

	switch (insn->id) {
	case X86_INS_JMP: case X86_INS_CALL: case X86_INS_RET:
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
	case X86_INS_JRCXZ: case X86_INS_JECXZ:
		break;
	default:
		if (cc < 0)
			return false;
	}
	/* 16-bit operand size truncates the new rip, differently on Intel and AMD. */
	if (has_prefix(plan->insn, plan->len, 0x66)) {
		set_inline(plan, X86_64_CLS_INLINE_PREFIX, "branch with a 0x66 prefix");
		return true;
	}
	if (cc >= 0) {
		if (!op0 || op0->type != X86_OP_IMM)
			return false;
		pv->cc = (uint8_t)cc;
		pv->rel = (int64_t)((uint64_t)op0->imm - next);
		set_emulate(plan, X86_64_CLS_JCC, OP_JCC);
		return true;
	}
	switch (insn->id) {
	case X86_INS_RET:
		pv->ret_pop = op0 && op0->type == X86_OP_IMM ? (uint16_t)op0->imm : 0;
		set_emulate(plan, X86_64_CLS_RET, OP_RET);
		return true;
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE: case X86_INS_JRCXZ:
		if (x->addr_size != 8) {
			set_inline(plan, X86_64_CLS_INLINE_PREFIX,
				   "loop with a 0x67 prefix (counts in ecx)");
			return true;
		}
		/* fall through */
	case X86_INS_JECXZ:
		if (!op0 || op0->type != X86_OP_IMM)
			return false;
		pv->rel = (int64_t)((uint64_t)op0->imm - next);
		set_emulate(plan, X86_64_CLS_LOOP,
			    insn->id == X86_INS_LOOP ? OP_LOOP :
			    insn->id == X86_INS_LOOPE ? OP_LOOPE :
			    insn->id == X86_INS_LOOPNE ? OP_LOOPNE :
			    insn->id == X86_INS_JRCXZ ? OP_JRCXZ : OP_JECXZ);
		return true;
	default:
		break;
	}
	/* jmp or call */
	if (!op0 || x->op_count != 1)
		return false;
	switch (op0->type) {
	case X86_OP_IMM:
		pv->rel = (int64_t)((uint64_t)op0->imm - next);
		if (is_call)
			set_emulate(plan, X86_64_CLS_CALL_REL, OP_CALL);
		else
			set_emulate(plan, X86_64_CLS_JMP_REL, OP_JMP);
		return true;
	case X86_OP_REG:
		pv->reg = gpr64_word(op0->reg);
		if (pv->reg == W_NONE)
			return false;
		set_emulate(plan, is_call ? X86_64_CLS_CALL_IND : X86_64_CLS_JMP_IND,
			    is_call ? OP_CALL_REG : OP_JMP_REG);
		return true;
	case X86_OP_MEM:
		if (op0->size != 8 || !take_mem(insn, op0, pv)) {
			set_inline(plan, X86_64_CLS_INLINE_PREFIX,
				   "indirect branch with an unusual memory operand");
			return true;
		}
		set_emulate(plan, is_call ? X86_64_CLS_CALL_IND : X86_64_CLS_JMP_IND,
			    is_call ? OP_CALL_MEM : OP_JMP_MEM);
		return true;
	default:
		return false;
	}
}

/* Simple register and stack instructions worth emulating; true if decided. */
static bool
plan_simple(const cs_insn *insn, struct kt_plan *plan)
{
	const cs_x86 *x = &insn->detail->x86;
	struct x86_priv *pv = priv_of(plan);
	const cs_x86_op *o = x->operands;
	unsigned s0 = 0, s1 = 0;
	int n0, n1;

	switch (insn->id) {
	case X86_INS_NOP: case X86_INS_ENDBR64: case X86_INS_ENDBR32: case X86_INS_PAUSE:
		/* 0x90 with REX.B is xchg r8,rax; capstone names that xchg. */
		set_emulate(plan, X86_64_CLS_NOP, OP_NOP);
		return true;
	case X86_INS_PUSH:
		if (x->op_count != 1 || o[0].size != 8)
			return false;
		if (o[0].type == X86_OP_REG) {
			pv->reg = gpr64_word(o[0].reg);
			if (pv->reg == W_NONE)
				return false;
			set_emulate(plan, X86_64_CLS_PUSH, OP_PUSH_REG);
			return true;
		}
		if (o[0].type == X86_OP_IMM) {
			pv->imm = o[0].imm;
			set_emulate(plan, X86_64_CLS_PUSH, OP_PUSH_IMM);
			return true;
		}
		return false;
	case X86_INS_POP:
		if (x->op_count != 1 || o[0].type != X86_OP_REG)
			return false;
		pv->reg = gpr64_word(o[0].reg);
		if (pv->reg == W_NONE)
			return false;
		set_emulate(plan, X86_64_CLS_POP, OP_POP_REG);
		return true;
	case X86_INS_MOV:
		if (x->op_count != 2 || o[0].type != X86_OP_REG || o[1].type != X86_OP_REG)
			return false;
		n0 = gpr_number(o[0].reg, &s0);
		n1 = gpr_number(o[1].reg, &s1);
		if (n0 < 0 || n1 < 0 || s0 != s1 || (s0 != 8 && s0 != 4))
			return false;
		pv->reg = hw_word[n0];
		pv->src = hw_word[n1];
		pv->width = (uint8_t)s0;
		set_emulate(plan, X86_64_CLS_MOV_REG, OP_MOV_REG);
		return true;
	case X86_INS_ADD: case X86_INS_SUB:
		if (x->op_count != 2 || o[0].type != X86_OP_REG || o[1].type != X86_OP_IMM)
			return false;
		pv->reg = gpr64_word(o[0].reg);
		if (pv->reg == W_NONE || has_prefix(plan->insn, plan->len, 0xf0))
			return false;
		pv->imm = o[1].imm;
		pv->sub = insn->id == X86_INS_SUB;
		set_emulate(plan, X86_64_CLS_ALU_REG_IMM, OP_ALU_IMM);
		return true;
	default:
		return false;
	}
}

static kt_status
classify(csh h, const cs_insn *insn, uint64_t addr, struct kt_plan *plan)
{
	const cs_x86 *x = &insn->detail->x86;
	const cs_x86_op *rip_op = NULL;

	if (inline_by_id(insn->id, plan))
		return KT_OK;
	if (plan_branch(insn, addr, plan))
		return KT_OK;
	/* Anything else capstone calls a control transfer: do not guess. */
	if (has_group(insn, X86_GRP_JUMP) || has_group(insn, X86_GRP_CALL) ||
	    has_group(insn, X86_GRP_RET) || has_group(insn, X86_GRP_IRET) ||
	    has_group(insn, X86_GRP_BRANCH_RELATIVE))
		return set_inline(plan, X86_64_CLS_INLINE_OTHER, "unrecognised control transfer");
	if (plan_simple(insn, plan))
		return KT_OK;
	if (insn->id == X86_INS_SYSCALL) {
		priv_of(plan)->op = OP_OOL_SYSCALL;
		plan->kind = KT_PLAN_OOL;
		plan->klass = X86_64_CLS_OOL_SYSCALL;
		return KT_OK;
	}
	/* Hints, not proof: rdtsc(p) is in PRIVILEGE but runs anywhere. */
	if ((has_group(insn, X86_GRP_PRIVILEGE) && insn->id != X86_INS_RDTSCP &&
	     insn->id != X86_INS_RDTSC) || has_group(insn, X86_GRP_INT))
		return set_inline(plan, X86_64_CLS_INLINE_PRIV, "privileged or interrupt instruction");

	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (op->type != X86_OP_MEM)
			continue;
		if (op->mem.base == X86_REG_EIP)
			return set_inline(plan, X86_64_CLS_INLINE_PREFIX,
					  "EIP-relative operand (0x67 prefix)");
		if (op->mem.base == X86_REG_RIP)
			rip_op = op;
	}
	if (rip_op)
		return plan_riprel(h, insn, rip_op, plan);
	{
		/* A plain copy must not depend on where it runs. */
		cs_regs rd, wr;
		uint8_t nr = 0, nw = 0;

		if (cs_regs_access(h, insn, rd, &nr, wr, &nw) == CS_ERR_OK) {
			for (unsigned i = 0; i < nr; i++)
				if (rd[i] == X86_REG_RIP || rd[i] == X86_REG_EIP)
					return set_inline(plan, X86_64_CLS_INLINE_OTHER,
							  "uses rip in a way not understood");
			for (unsigned i = 0; i < nw; i++)
				if (wr[i] == X86_REG_RIP || wr[i] == X86_REG_EIP)
					return set_inline(plan, X86_64_CLS_INLINE_OTHER,
							  "writes rip in a way not understood");
		}
	}
	priv_of(plan)->op = OP_OOL_PLAIN;
	plan->kind = KT_PLAN_OOL;
	plan->klass = X86_64_CLS_OOL_PLAIN;
	return KT_OK;
}

kt_status
x86_64_plan(uint64_t addr, const uint8_t *code, size_t len, struct kt_plan *plan)
{
	csh h;
	cs_insn *insn = NULL;
	size_t n;
	kt_status st;

	if (!code || !plan || len == 0)
		return KT_ERR_INVAL;
	memset(plan, 0, sizeof(*plan));
	if (len > KT_INSN_MAX)
		len = KT_INSN_MAX;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return set_inline(plan, X86_64_CLS_INLINE_UNDECODABLE,
				  "the disassembler is not available");
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(h, code, len, addr, 1, &insn);
	if (n == 0 || !insn->detail || insn->size == 0 || insn->size > KT_INSN_MAX) {
		if (n)
			cs_free(insn, n);
		cs_close(&h);
		return set_inline(plan, X86_64_CLS_INLINE_UNDECODABLE,
				  "cannot decode the instruction");
	}
	plan->len = (uint8_t)insn->size;
	memcpy(plan->insn, code, insn->size);
	st = classify(h, insn, addr, plan);
	cs_free(insn, n);
	cs_close(&h);
	if (plan->kind != KT_PLAN_INLINE)
		plan->why = NULL;
	return st;
}

/* ---- emulation (per hit: no capstone here) ---- */

static bool
parity_even(uint64_t v)
{
	return !__builtin_parity((unsigned)(v & 0xff));
}

/* eflags after a 64-bit add or sub of A and B giving R, as the CPU sets them. */
static uint64_t
alu_flags(uint64_t flags, uint64_t a, uint64_t b, uint64_t r, bool sub)
{
	uint64_t f = flags & ~(uint64_t)FL_ARITH;
	bool cf, of;

	if (sub) {
		cf = a < b;
		of = (((a ^ b) & (a ^ r)) >> 63) != 0;
	} else {
		cf = r < a;
		of = ((~(a ^ b) & (a ^ r)) >> 63) != 0;
	}
	if (cf)
		f |= FL_CF;
	if (parity_even(r))
		f |= FL_PF;
	if ((a ^ b ^ r) & 0x10)
		f |= FL_AF;
	if (r == 0)
		f |= FL_ZF;
	if (r >> 63)
		f |= FL_SF;
	if (of)
		f |= FL_OF;
	return f;
}

static bool
condition_holds(unsigned cc, uint64_t fl)
{
	bool cf = fl & FL_CF, pf = fl & FL_PF, zf = fl & FL_ZF;
	bool sf = fl & FL_SF, of = fl & FL_OF;
	bool r;

	switch (cc >> 1) {
	case 0: r = of; break;
	case 1: r = cf; break;
	case 2: r = zf; break;
	case 3: r = cf || zf; break;
	case 4: r = sf; break;
	case 5: r = pf; break;
	case 6: r = sf != of; break;
	default: r = zf || sf != of; break;
	}
	return (cc & 1) ? !r : r;
}

static kt_status
mem_read64(const struct kt_arch_mem *mem, uint64_t a, uint64_t *v)
{
	uint8_t b[8];

	if (!mem || !mem->read || mem->read(mem->ctx, a, b, 8) != KT_OK)
		return KT_ERR_MEM;
	*v = get_le64(b);
	return KT_OK;
}

static kt_status
mem_write64(const struct kt_arch_mem *mem, uint64_t a, uint64_t v)
{
	uint8_t b[8];

	put_le64(b, v);
	if (!mem || !mem->write || mem->write(mem->ctx, a, b, 8) != KT_OK)
		return KT_ERR_MEM;
	return KT_OK;
}

static uint64_t
mem_address(const struct x86_priv *pv, uint64_t next, const struct kt_regs *r)
{
	uint64_t ea = (uint64_t)pv->imm;

	if (pv->riprel)
		ea += next;
	if (pv->base != W_NONE)
		ea += r->w[pv->base];
	if (pv->index != W_NONE)
		ea += r->w[pv->index] * pv->scale;
	if (pv->seg == SEG_FS)
		ea += r->w[W_FS_BASE];
	else if (pv->seg == SEG_GS)
		ea += r->w[W_GS_BASE];
	return ea;
}

kt_status
x86_64_emulate(const struct kt_plan *plan, uint64_t addr, struct kt_regs *regs,
	       const struct kt_arch_mem *mem)
{
	const struct x86_priv *pv = cpriv_of(plan);
	uint64_t *w = regs->w;
	uint64_t next = addr + plan->len;
	uint64_t pc = next, sp = w[W_RSP], v, t;
	kt_status st;

	if (plan->kind != KT_PLAN_EMULATE)
		return KT_ERR_INVAL;
	switch (pv->op) {
	case OP_NOP:
		break;
	case OP_PUSH_REG:
	case OP_PUSH_IMM:
		/* push %rsp stores the value before the decrement. */
		v = pv->op == OP_PUSH_REG ? w[pv->reg] : (uint64_t)pv->imm;
		st = mem_write64(mem, sp - 8, v);
		if (st)
			return st;
		w[W_RSP] = sp - 8;
		break;
	case OP_POP_REG:
		st = mem_read64(mem, sp, &v);
		if (st)
			return st;
		/* pop %rsp: the loaded value wins over the increment. */
		w[W_RSP] = sp + 8;
		w[pv->reg] = v;
		break;
	case OP_MOV_REG:
		v = w[pv->src];
		w[pv->reg] = pv->width == 8 ? v : (v & 0xffffffffu);
		break;
	case OP_ALU_IMM:
		v = w[pv->reg];
		t = pv->sub ? v - (uint64_t)pv->imm : v + (uint64_t)pv->imm;
		w[W_EFLAGS] = alu_flags(w[W_EFLAGS], v, (uint64_t)pv->imm, t, pv->sub);
		w[pv->reg] = t;
		break;
	case OP_JMP:
		pc = next + (uint64_t)pv->rel;
		break;
	case OP_JCC:
		if (condition_holds(pv->cc, w[W_EFLAGS]))
			pc = next + (uint64_t)pv->rel;
		break;
	case OP_CALL:
		st = mem_write64(mem, sp - 8, next);
		if (st)
			return st;
		w[W_RSP] = sp - 8;
		pc = next + (uint64_t)pv->rel;
		break;
	case OP_RET:
		st = mem_read64(mem, sp, &pc);
		if (st)
			return st;
		w[W_RSP] = sp + 8 + pv->ret_pop;
		break;
	case OP_CALL_REG:
		t = w[pv->reg];    /* read before the push: call *%rsp */
		st = mem_write64(mem, sp - 8, next);
		if (st)
			return st;
		w[W_RSP] = sp - 8;
		pc = t;
		break;
	case OP_JMP_REG:
		pc = w[pv->reg];
		break;
	case OP_CALL_MEM:
	case OP_JMP_MEM:
		st = mem_read64(mem, mem_address(pv, next, regs), &t);
		if (st)
			return st;
		if (pv->op == OP_CALL_MEM) {
			st = mem_write64(mem, sp - 8, next);
			if (st)
				return st;
			w[W_RSP] = sp - 8;
		}
		pc = t;
		break;
	case OP_LOOP:
	case OP_LOOPE:
	case OP_LOOPNE:
		v = w[W_RCX] - 1;
		w[W_RCX] = v;
		if (v != 0 && (pv->op == OP_LOOP ||
			       (pv->op == OP_LOOPE && (w[W_EFLAGS] & FL_ZF)) ||
			       (pv->op == OP_LOOPNE && !(w[W_EFLAGS] & FL_ZF))))
			pc = next + (uint64_t)pv->rel;
		break;
	case OP_JRCXZ:
		if (w[W_RCX] == 0)
			pc = next + (uint64_t)pv->rel;
		break;
	case OP_JECXZ:
		if ((w[W_RCX] & 0xffffffffu) == 0)
			pc = next + (uint64_t)pv->rel;
		break;
	default:
		return KT_ERR_INVAL;
	}
	w[W_RIP] = pc;
	w[W_ORIG_RAX] = (uint64_t)-1;
	return KT_OK;
}

/* ---- out of line (per hit: no capstone here) ---- */

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Size of the code part of the slot (up to and including the jump back). */
static size_t
slot_code_end(const struct kt_plan *plan)
{
	if (cpriv_of(plan)->op == OP_OOL_RIPREL)
		return RIPREL_INSN_OFF + plan->len + 7 + 6;
	return plan->len + 6u;
}

/* mov %reg,disp(%rip) (store) or mov disp(%rip),%reg (load): 7 bytes at P. */
static void
emit_mov_riprel(uint8_t *p, unsigned hw, bool load, uint64_t at, uint64_t target)
{
	p[0] = (uint8_t)(0x48 | (hw >= 8 ? 0x04 : 0));
	p[1] = load ? 0x8b : 0x89;
	p[2] = (uint8_t)(0x05 | (hw & 7) << 3);
	put_le32(p + 3, (uint32_t)(target - (at + 7)));
}

/* jmp *disp(%rip): 6 bytes at P (located at AT) through the quad at TARGET. */
static void
emit_jmp_riprel(uint8_t *p, uint64_t at, uint64_t target)
{
	p[0] = 0xff;
	p[1] = 0x25;
	put_le32(p + 2, (uint32_t)(target - (at + 6)));
}

kt_status
x86_64_ool_build(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
		 uint8_t *code, size_t *len)
{
	const struct x86_priv *pv = cpriv_of(plan);
	uint64_t next = addr + plan->len;
	size_t p = 0, data;

	if (plan->kind != KT_PLAN_OOL || plan->len == 0 || plan->len > KT_INSN_MAX)
		return KT_ERR_INVAL;
	data = align8(slot_code_end(plan));
	if (pv->op == OP_OOL_RIPREL) {
		uint64_t save = slot + data, ret = save + 8;

		emit_mov_riprel(code, pv->tmp_hw, false, slot, save);
		p = 7;
		code[p++] = (uint8_t)(0x48 | (pv->tmp_hw >= 8 ? 0x01 : 0));
		code[p++] = (uint8_t)(0xb8 | (pv->tmp_hw & 7));
		put_le64(code + p, next);
		p += 8;
		memcpy(code + p, pv->code, plan->len);
		p += plan->len;
		emit_mov_riprel(code + p, pv->tmp_hw, true, slot + p, save);
		p += 7;
		emit_jmp_riprel(code + p, slot + p, ret);
		p += 6;
		memset(code + p, 0xcc, data - p);
		put_le64(code + data, 0);
		put_le64(code + data + 8, next);
		*len = data + 16;
	} else if (pv->op == OP_OOL_PLAIN || pv->op == OP_OOL_SYSCALL) {
		memcpy(code, plan->insn, plan->len);
		p = plan->len;
		emit_jmp_riprel(code + p, slot + p, slot + data);
		p += 6;
		memset(code + p, 0xcc, data - p);
		put_le64(code + data, next);
		*len = data + 8;
	} else {
		return KT_ERR_INVAL;
	}
	return KT_OK;
}

void
x86_64_ool_enter(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
		 struct kt_regs *regs)
{
	regs->w[W_RIP] = slot;
	regs->w[W_ORIG_RAX] = (uint64_t)-1;
}

kt_status
x86_64_ool_leave(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
		 const struct kt_regs *at_hit, struct kt_regs *regs, bool *done)
{
	const struct x86_priv *pv = cpriv_of(plan);
	uint64_t pc = regs->w[W_RIP], off, insn_off;

	if (plan->kind != KT_PLAN_OOL || pc < slot || pc - slot >= slot_code_end(plan))
		return KT_ERR_INVAL;
	off = pc - slot;
	insn_off = pv->op == OP_OOL_RIPREL ? RIPREL_INSN_OFF : 0;
	/* Nothing stops inside an instruction's bytes. */
	if (off > insn_off && off < insn_off + plan->len)
		return KT_ERR_INVAL;
	if (pv->op == OP_OOL_RIPREL)
		regs->w[pv->tmp] = at_hit->w[pv->tmp];
	if (off <= insn_off) {
		*done = false;
		regs->w[W_RIP] = addr;
		regs->w[W_ORIG_RAX] = (uint64_t)-1;
		return KT_OK;
	}
	*done = true;
	regs->w[W_RIP] = addr + plan->len;
	/* After a syscall leave orig_rax: a restart moves pc back onto ADDR. */
	if (pv->op != OP_OOL_SYSCALL)
		regs->w[W_ORIG_RAX] = (uint64_t)-1;
	return KT_OK;
}
