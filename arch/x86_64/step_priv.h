/* SPDX-License-Identifier: MIT */
/*
 * step_priv.h - what the x86-64 displaced-stepping planner (step_plan.c)
 * hands its per-hit half (step_exec.c): the decoded form of one instruction
 * kept in kt_plan.priv, the register word indexes it uses, and the slot
 * layout.  Private to arch/x86_64; the contract with the rest of kitrace
 * is step.h.
 */
#ifndef KT_X86_64_STEP_PRIV_H
#define KT_X86_64_STEP_PRIV_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "regs.h"
#include "step.h"

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
extern const uint8_t x86_64_hw_word[16];

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

static inline uint64_t
get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void
put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void
put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline struct x86_priv *
priv_of(struct kt_plan *plan)
{
	return (struct x86_priv *)(void *)plan->priv;
}

static inline const struct x86_priv *
cpriv_of(const struct kt_plan *plan)
{
	return (const struct x86_priv *)(const void *)plan->priv;
}

#endif
