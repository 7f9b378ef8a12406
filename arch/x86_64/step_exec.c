/* SPDX-License-Identifier: MIT */
/*
 * step_exec.c - x86-64 displaced stepping, the per-hit half: the emulator
 * for instructions planned KT_PLAN_EMULATE, the slot builder for those run
 * out of line, and the mapping of a thread stopped inside a slot back to
 * the original location.  Never calls the disassembler: it reads only what
 * step_plan.c stored in plan->priv (layouts in step_priv.h).
 */
#include "attr.h"
#include "step_priv.h"

#include <string.h>

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

KT_HOT void
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
