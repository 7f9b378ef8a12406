/* SPDX-License-Identifier: MIT */
/*
 * step.c - AArch64 displaced stepping: the planner that sorts one A64
 * instruction into emulate / out of line / in line by its encoding, the
 * emulator for the PC-relative and branch classes, the slot builder and the
 * slot-to-original register mapping.  Encodings are decoded by hand (the
 * field layouts of the Arm ARM's A64 encoding index); see doc/aarch64.md
 * for the class table and the reasons.
 */
#include "attr.h"
#include "step.h"

#include <assert.h>
#include <string.h>

/* The decoded form kept in plan->priv. */
struct a64_priv {
	uint32_t word;   /* the instruction */
	uint8_t reg;     /* Rt / Rd / Rn (31 = xzr for every class we emulate) */
	uint8_t cond;    /* b.cond: condition 0..15 */
	uint8_t bit;     /* tbz/tbnz: bit number 0..63 */
	uint8_t sf;      /* cbz/cbnz: 1 for an X register, 0 for W */
	uint8_t neg;     /* cbnz / tbnz: branch if non-zero / set */
	uint8_t size;    /* ldr literal: 4 or 8 bytes */
	uint8_t sign;    /* ldrsw: sign-extend the 4 bytes */
	uint8_t src;     /* add/sub immediate: Rn (31 = sp) */
	int64_t off;     /* branch / literal: target - addr; adr(p): the immediate */
};
static_assert(sizeof(struct a64_priv) <= KT_PLAN_PRIV, "a64_priv must fit kt_plan.priv");

static const char *const class_names[A64_CLS_COUNT] = {
	[A64_CLS_NOP] = "nop",
	[A64_CLS_B] = "b",
	[A64_CLS_BL] = "bl",
	[A64_CLS_BCOND] = "bcond",
	[A64_CLS_CBZ] = "cbz",
	[A64_CLS_TBZ] = "tbz",
	[A64_CLS_ADR] = "adr",
	[A64_CLS_ADRP] = "adrp",
	[A64_CLS_LDR_LIT] = "ldr-literal",
	[A64_CLS_PRFM_LIT] = "prfm-literal",
	[A64_CLS_BR] = "br",
	[A64_CLS_BLR] = "blr",
	[A64_CLS_RET] = "ret",
	[A64_CLS_OOL_PLAIN] = "ool-plain",
	[A64_CLS_OOL_SVC] = "ool-svc",
	[A64_CLS_INLINE_EXCLUSIVE] = "inline-exclusive",
	[A64_CLS_INLINE_PAC_BRANCH] = "inline-pac-branch",
	[A64_CLS_INLINE_SIMD_LIT] = "inline-simd-literal",
	[A64_CLS_INLINE_TRAP] = "inline-trap",
	[A64_CLS_INLINE_ERET] = "inline-eret",
	[A64_CLS_INLINE_MOPS] = "inline-mops",
	[A64_CLS_INLINE_UNDECODABLE] = "inline-undecodable",
	[A64_CLS_ADDSUB_IMM] = "add-sub-imm",
};

const char *
a64_class_name(uint16_t klass)
{
	if (klass >= A64_CLS_COUNT)
		return "?";
	return class_names[klass];
}

/* ---- little helpers ---- */

static uint32_t
get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Sign-extend the low BITS bits of V. */
static int64_t
sext(uint64_t v, unsigned bits)
{
	uint64_t m = (uint64_t)1 << (bits - 1);

	v &= ((uint64_t)1 << bits) - 1;
	return (int64_t)((v ^ m) - m);
}

static struct a64_priv *
priv_of(struct kt_plan *plan)
{
	return (struct a64_priv *)(void *)plan->priv;
}

static const struct a64_priv *
cpriv_of(const struct kt_plan *plan)
{
	return (const struct a64_priv *)(const void *)plan->priv;
}

static void
set_inline(struct kt_plan *plan, uint16_t klass, const char *why)
{
	plan->kind = KT_PLAN_INLINE;
	plan->klass = klass;
	plan->why = why;
}

static struct a64_priv *
set_emulate(struct kt_plan *plan, uint16_t klass)
{
	plan->kind = KT_PLAN_EMULATE;
	plan->klass = klass;
	plan->why = NULL;
	return priv_of(plan);
}

static void
set_ool(struct kt_plan *plan, uint16_t klass)
{
	plan->kind = KT_PLAN_OOL;
	plan->klass = klass;
	plan->why = NULL;
}

bool
a64_condition_holds(unsigned cond, uint64_t pstate)
{
	bool n = (pstate & A64_PSTATE_N) != 0, z = (pstate & A64_PSTATE_Z) != 0;
	bool c = (pstate & A64_PSTATE_C) != 0, v = (pstate & A64_PSTATE_V) != 0;
	bool r;

	switch ((cond >> 1) & 7) {
	case 0: /* eq / ne */
		r = z;
		break;
	case 1: /* cs / cc */
		r = c;
		break;
	case 2: /* mi / pl */
		r = n;
		break;
	case 3: /* vs / vc */
		r = v;
		break;
	case 4: /* hi / ls */
		r = c && !z;
		break;
	case 5: /* ge / lt */
		r = n == v;
		break;
	case 6: /* gt / le */
		r = !z && n == v;
		break;
	default: /* al, nv: both always */
		return true;
	}
	return (cond & 1) ? !r : r;
}

/* ---- planning ---- */

/* Unconditional branch (register): 1101011 opc op2=11111 op3 Rn op4. */
static bool
plan_branch_reg(uint32_t w, struct kt_plan *plan)
{
	unsigned opc = (w >> 21) & 0xf, op2 = (w >> 16) & 0x1f, op3 = (w >> 10) & 0x3f;
	unsigned rn = (w >> 5) & 0x1f, op4 = w & 0x1f;
	struct a64_priv *pv;

	if ((w & 0xfe000000u) != 0xd6000000u || op2 != 0x1f)
		return false;
	if (op3 == 0 && op4 == 0 && opc <= 2) {
		static const uint16_t k[3] = {A64_CLS_BR, A64_CLS_BLR, A64_CLS_RET};
		pv = set_emulate(plan, k[opc]);
		pv->reg = (uint8_t)rn;
		return true;
	}
	if (opc == 4 || opc == 5) {
		set_inline(plan, A64_CLS_INLINE_ERET, "exception return");
		return true;
	}
	if ((op3 >> 1) == 1) {
		/* braaz/brabz, blraaz/blrabz, retaa/retab, braa/brab, blraa/blrab:
		 * the authentication uses keys the tracer cannot use. */
		set_inline(plan, A64_CLS_INLINE_PAC_BRANCH,
			   "pointer-authenticated branch: the tracer cannot authenticate");
		return true;
	}
	return false;
}

/* Exception generation: 11010100 opc imm16 op2 LL. */
static bool
plan_exception(uint32_t w, struct kt_plan *plan)
{
	if ((w & 0xff000000u) != 0xd4000000u)
		return false;
	if ((w & 0xffe0001fu) == 0xd4000001u) {
		set_ool(plan, A64_CLS_OOL_SVC);
		return true;
	}
	set_inline(plan, A64_CLS_INLINE_TRAP, "exception-generating instruction");
	return true;
}

/* Loads and stores that must not move: exclusives, MOPS. */
static bool
plan_ldst_special(uint32_t w, struct kt_plan *plan)
{
	/* Load/store exclusive class: size 001000 o2 L o1 Rs o0 Rt2 Rn Rt. */
	if ((w & 0x3f000000u) == 0x08000000u) {
		unsigned o2 = (w >> 23) & 1, o1 = (w >> 21) & 1, size = w >> 30;
		/* o2=0, o1=0: ldxr/ldaxr/stxr/stlxr (b, h, w, x);
		 * o2=0, o1=1, size 1x: ldxp/ldaxp/stxp/stlxp.
		 * o2=0, o1=1, size 0x is casp; o2=1 is ldar/stlr/cas: moveable. */
		if (o2 == 0 && (o1 == 0 || size >= 2)) {
			set_inline(plan, A64_CLS_INLINE_EXCLUSIVE,
				   "exclusive sequence: step the whole sequence");
			return true;
		}
		return false;
	}
	/* FEAT_MOPS cpy and set: sz 011 o0 01 op1 0 ... 01 Rn Rd. */
	if ((w & 0x3b200c00u) == 0x19000400u) {
		set_inline(plan, A64_CLS_INLINE_MOPS, "memory-copy sequence (FEAT_MOPS)");
		return true;
	}
	return false;
}

static void
classify(uint32_t w, uint64_t addr, struct kt_plan *plan)
{
	struct a64_priv *pv;

	/* udf #imm16 (the whole 0x0000xxxx space) */
	if ((w & 0xffff0000u) == 0) {
		set_inline(plan, A64_CLS_INLINE_TRAP, "permanently undefined (udf)");
		return;
	}
	/* nop only; other hints (yield, wfe, sev, pac*, aut*, bti) run out of
	 * line: they do not depend on pc, and some change lr or wake cores. */
	if (w == 0xd503201fu) {
		set_emulate(plan, A64_CLS_NOP);
		return;
	}
	/* b / bl imm26 */
	if ((w & 0x7c000000u) == 0x14000000u) {
		pv = set_emulate(plan, (w >> 31) ? A64_CLS_BL : A64_CLS_B);
		pv->off = sext(w, 26) * 4;
		return;
	}
	/* b.cond / bc.cond imm19 (bit 4: the FEAT_HBC hint, same semantics) */
	if ((w & 0xff000000u) == 0x54000000u) {
		pv = set_emulate(plan, A64_CLS_BCOND);
		pv->cond = (uint8_t)(w & 0xf);
		pv->off = sext(w >> 5, 19) * 4;
		return;
	}
	/* cbz / cbnz: sf 011010 op imm19 Rt */
	if ((w & 0x7e000000u) == 0x34000000u) {
		pv = set_emulate(plan, A64_CLS_CBZ);
		pv->sf = (uint8_t)(w >> 31);
		pv->neg = (uint8_t)((w >> 24) & 1);
		pv->reg = (uint8_t)(w & 0x1f);
		pv->off = sext(w >> 5, 19) * 4;
		return;
	}
	/* tbz / tbnz: b5 011011 op b40 imm14 Rt */
	if ((w & 0x7e000000u) == 0x36000000u) {
		pv = set_emulate(plan, A64_CLS_TBZ);
		pv->bit = (uint8_t)((w >> 31) << 5 | ((w >> 19) & 0x1f));
		pv->neg = (uint8_t)((w >> 24) & 1);
		pv->reg = (uint8_t)(w & 0x1f);
		pv->off = sext(w >> 5, 14) * 4;
		return;
	}
	/* adr / adrp: op immlo 10000 immhi Rd */
	if ((w & 0x1f000000u) == 0x10000000u) {
		int64_t imm = sext(((w >> 5) & 0x7ffff) << 2 | ((w >> 29) & 3), 21);
		if (w >> 31) {
			pv = set_emulate(plan, A64_CLS_ADRP);
			pv->off = (int64_t)((uint64_t)imm << 12);
		} else {
			pv = set_emulate(plan, A64_CLS_ADR);
			pv->off = imm;
		}
		pv->reg = (uint8_t)(w & 0x1f);
		return;
	}
	/* load register (literal): opc 011 V 00 imm19 Rt */
	if ((w & 0x3b000000u) == 0x18000000u) {
		unsigned opc = w >> 30, v = (w >> 26) & 1;
		if (v) {
			if (opc == 3)
				set_inline(plan, A64_CLS_INLINE_UNDECODABLE,
					   "unallocated literal load");
			else
				set_inline(plan, A64_CLS_INLINE_SIMD_LIT,
					   "SIMD&FP literal load: vector registers are not in "
					   "NT_PRSTATUS");
			return;
		}
		if (opc == 3) {
			pv = set_emulate(plan, A64_CLS_PRFM_LIT);
		} else {
			pv = set_emulate(plan, A64_CLS_LDR_LIT);
			pv->size = opc == 1 ? 8 : 4;
			pv->sign = opc == 2;
		}
		pv->reg = (uint8_t)(w & 0x1f);
		pv->off = sext(w >> 5, 19) * 4;
		return;
	}
	/* add / sub (immediate) without flags: sf op 0 100010 sh imm12 Rn Rd.
	 * The first word of most functions (sub sp, sp, #N; mov x29, sp):
	 * emulated, a hit there takes one stop instead of a slot's two. */
	if ((w & 0x3f800000u) == 0x11000000u) {
		pv = set_emulate(plan, A64_CLS_ADDSUB_IMM);
		pv->sf = (uint8_t)(w >> 31);
		pv->neg = (uint8_t)((w >> 30) & 1);
		pv->reg = (uint8_t)(w & 0x1f);
		pv->src = (uint8_t)((w >> 5) & 0x1f);
		pv->off = (int64_t)(((w >> 10) & 0xfff) << ((w >> 22) & 1 ? 12 : 0));
		return;
	}
	if (plan_branch_reg(w, plan) || plan_exception(w, plan) || plan_ldst_special(w, plan))
		return;
	/*
	 * Everything else reads no pc: data processing, loads and stores of
	 * every other kind (ldar/stlr, LSE atomics, casp), SIMD, system
	 * instructions and the remaining hints.  An unallocated encoding also
	 * lands here: it raises SIGILL in the slot, which ool_leave maps back
	 * to ADDR, so the program sees the fault where it would have.
	 */
	(void)addr;
	set_ool(plan, A64_CLS_OOL_PLAIN);
}

kt_status
a64_plan(uint64_t addr, const uint8_t *code, size_t len, struct kt_plan *plan)
{
	if (!code || !plan || len == 0)
		return KT_ERR_INVAL;
	memset(plan, 0, sizeof(*plan));
	if (len < 4 || (addr & 3) != 0) {
		set_inline(plan, A64_CLS_INLINE_UNDECODABLE,
			   len < 4 ? "truncated instruction" : "unaligned address");
		return KT_OK;
	}
	uint32_t w = get_le32(code);
	plan->len = 4;
	memcpy(plan->insn, code, 4);
	priv_of(plan)->word = w;
	classify(w, addr, plan);
	return KT_OK;
}

/* ---- emulation (per hit) ---- */

static uint64_t
xreg(const struct kt_regs *r, unsigned n)
{
	return n == 31 ? 0 : r->w[n];
}

kt_status
a64_emulate(const struct kt_plan *plan, uint64_t addr, struct kt_regs *regs,
	    const struct kt_arch_mem *mem)
{
	const struct a64_priv *pv = cpriv_of(plan);
	uint64_t *w = regs->w;
	uint64_t next = addr + 4, pc = next, target = addr + (uint64_t)pv->off, v;
	unsigned btype = 0;
	int dst = -1;         /* register written, -1 if none */
	uint64_t dval = 0;
	bool taken;

	if (plan->kind != KT_PLAN_EMULATE || plan->len != 4)
		return KT_ERR_INVAL;
	switch (plan->klass) {
	case A64_CLS_NOP:
	case A64_CLS_PRFM_LIT:
		break;
	case A64_CLS_B:
		pc = target;
		break;
	case A64_CLS_BL:
		dst = A64_W_LR;
		dval = next;
		pc = target;
		break;
	case A64_CLS_BCOND:
		if (a64_condition_holds(pv->cond, w[A64_W_PSTATE]))
			pc = target;
		break;
	case A64_CLS_CBZ:
		v = xreg(regs, pv->reg);
		if (!pv->sf)
			v &= 0xffffffffu;
		taken = pv->neg ? v != 0 : v == 0;
		if (taken)
			pc = target;
		break;
	case A64_CLS_TBZ:
		v = (xreg(regs, pv->reg) >> pv->bit) & 1;
		taken = pv->neg ? v != 0 : v == 0;
		if (taken)
			pc = target;
		break;
	case A64_CLS_ADR:
		dst = pv->reg;
		dval = target;
		break;
	case A64_CLS_ADRP:
		dst = pv->reg;
		dval = (addr & ~(uint64_t)0xfff) + (uint64_t)pv->off;
		break;
	case A64_CLS_LDR_LIT: {
		uint8_t b[8] = {0};
		kt_status st;
		if (!mem || !mem->read)
			return KT_ERR_INVAL;
		if ((st = mem->read(mem->ctx, target, b, pv->size)) != KT_OK)
			return st == KT_ERR_INVAL ? KT_ERR_INVAL : KT_ERR_MEM;
		v = 0;
		for (int i = pv->size - 1; i >= 0; i--)
			v = v << 8 | b[i];
		if (pv->sign)
			v = (uint64_t)sext(v, 32);
		dst = pv->reg;
		dval = v;
		break;
	}
	case A64_CLS_BR:
		pc = xreg(regs, pv->reg);
		/* 01 is compatible with every landing pad a br may reach: a
		 * guarded target the hardware would accept is never refused. */
		btype = 1;
		break;
	case A64_CLS_BLR:
		pc = xreg(regs, pv->reg); /* read before lr is written: blr x30 */
		dst = A64_W_LR;
		dval = next;
		btype = 2;
		break;
	case A64_CLS_RET:
		pc = xreg(regs, pv->reg);
		break;
	case A64_CLS_ADDSUB_IMM:
		/* register 31 is sp here, for Rd and Rn alike */
		v = pv->neg ? w[pv->src] - (uint64_t)pv->off : w[pv->src] + (uint64_t)pv->off;
		if (!pv->sf)
			v &= 0xffffffffu;
		w[pv->reg] = v;
		break;
	default:
		return KT_ERR_INVAL;
	}
	if (dst >= 0 && dst != 31)
		w[dst] = dval;
	w[A64_W_PC] = pc;
	w[A64_W_PSTATE] = (w[A64_W_PSTATE] & ~(uint64_t)A64_PSTATE_BTYPE) |
			  (uint64_t)btype << A64_PSTATE_BTYPE_SHIFT;
	return KT_OK;
}

/* ---- out of line (per hit) ---- */

kt_status
a64_ool_build(const struct kt_plan *plan, uint64_t addr, uint64_t slot, uint8_t *code,
	      size_t *len)
{
	if (plan->kind != KT_PLAN_OOL || plan->len != 4 || ((addr | slot) & 3) != 0)
		return KT_ERR_INVAL;
	/* b addr+4, placed at slot+4: the offset is addr - slot. */
	int64_t off = (int64_t)(addr - slot);
	memcpy(code, plan->insn, 4);
	if (off < -((int64_t)1 << 27) || off >= ((int64_t)1 << 27))
		put_le32(code + 4, A64_BRK(A64_SLOT_HOME_IMM));
	else
		put_le32(code + 4, 0x14000000u | ((uint32_t)(off >> 2) & 0x03ffffffu));
	put_le32(code + 8, A64_BRK(A64_SLOT_GUARD_IMM));
	put_le32(code + 12, A64_BRK(A64_SLOT_GUARD_IMM));
	*len = A64_SLOT_SIZE;
	return KT_OK;
}

KT_HOT void
a64_ool_enter(const struct kt_plan *plan, uint64_t addr, uint64_t slot, struct kt_regs *regs)
{
	regs->w[A64_W_PC] = slot;
}

kt_status
a64_ool_leave(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
	      const struct kt_regs *at_hit, struct kt_regs *regs, bool *done)
{
	uint64_t pc = regs->w[A64_W_PC];

	if (plan->kind != KT_PLAN_OOL || plan->len != 4)
		return KT_ERR_INVAL;
	if (pc == slot) {
		*done = false;
		regs->w[A64_W_PC] = addr;
	} else if (pc == slot + 4) {
		*done = true;
		regs->w[A64_W_PC] = addr + 4;
	} else {
		return KT_ERR_INVAL;
	}
	return KT_OK;
}
