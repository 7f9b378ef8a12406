/* SPDX-License-Identifier: MIT */
/*
 * step.h - displaced stepping for x86-64: how the tracer moves a thread over
 * one instruction whose first byte is covered by our INT3 without lifting
 * the patch.  arch/x86_64/step_plan.c (the decision: emulate, run out of
 * line in a scratch slot, or step in line) and step_exec.c (the register
 * and memory effects of emulated instructions, the layout of a slot and the
 * mapping of a thread stopped inside a slot back to the original location)
 * own it.  These
 * functions fill the displaced-stepping slots of kt_arch_x86_64; nothing
 * else in kitrace knows about x86 instruction encodings for this purpose.
 *
 * Planning decodes with capstone and is done once, when a patch is planted.
 * emulate and the ool_* functions run on every hit: they never call the
 * disassembler and read only what plan() stored in plan->priv.
 * See doc/displaced-stepping.md for the classes and why each is handled the
 * way it is.
 */
#ifndef KT_X86_64_STEP_H
#define KT_X86_64_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "status.h"

/* Bytes of one scratch slot: 32 slots per 4 KiB page. */
#define X86_64_SLOT_SIZE 128

/* The classes plan() puts in plan->klass; x86_64_class_name() names them. */
enum x86_64_step_class {
	X86_64_CLS_NOP,            /* nop, multi-byte nop, endbr64, pause */
	X86_64_CLS_PUSH,           /* push r64, push imm */
	X86_64_CLS_POP,            /* pop r64 */
	X86_64_CLS_MOV_REG,        /* mov r64,r64 / mov r32,r32 */
	X86_64_CLS_ALU_REG_IMM,    /* add/sub r64,imm (sub $n,%rsp) */
	X86_64_CLS_JMP_REL,        /* jmp rel8/rel32 */
	X86_64_CLS_JCC,            /* jcc rel8/rel32, all 16 conditions */
	X86_64_CLS_CALL_REL,       /* call rel32 */
	X86_64_CLS_CALL_IND,       /* call *reg, call *mem */
	X86_64_CLS_JMP_IND,        /* jmp *reg, jmp *mem */
	X86_64_CLS_RET,            /* ret, ret imm16, repz ret */
	X86_64_CLS_LOOP,           /* loop, loope, loopne, jrcxz, jecxz */
	X86_64_CLS_OOL_PLAIN,      /* position-independent: copy + jump back */
	X86_64_CLS_OOL_RIPREL,     /* RIP-relative operand through a temp */
	X86_64_CLS_OOL_SYSCALL,    /* syscall, copy + jump back */
	X86_64_CLS_INLINE_UNDECODABLE,
	X86_64_CLS_INLINE_TRAP,    /* int3, int n, int1, ud0/ud2, hlt */
	X86_64_CLS_INLINE_PRIV,    /* privileged or I/O instructions */
	X86_64_CLS_INLINE_FAR,     /* far jmp/call/ret, iret, sysret... */
	X86_64_CLS_INLINE_PREFIX,  /* 0x66/0x67 on a branch, eip-relative */
	X86_64_CLS_INLINE_SEG_RIPREL, /* fs:/gs: with a RIP-relative operand */
	X86_64_CLS_INLINE_EVEX,    /* EVEX/XOP with a RIP-relative operand */
	X86_64_CLS_INLINE_TSX,     /* xbegin, xabort */
	X86_64_CLS_INLINE_NO_TEMP, /* no free temp register for the rewrite */
	X86_64_CLS_INLINE_OTHER,   /* anything else the planner cannot move */
	X86_64_CLS_COUNT
};

/*
 * Plan the step over the instruction at ADDR whose original bytes are CODE
 * (LEN bytes available, at most KT_INSN_MAX are looked at).  Fills the whole
 * of *PLAN.  Returns KT_ERR_INVAL if CODE or PLAN is NULL or LEN is 0; otherwise
 * KT_OK, and plan->kind says what to do.  An instruction the planner does
 * not understand or cannot move (including one capstone cannot decode, in
 * which case plan->len is 0) gets KT_PLAN_INLINE with plan->why set to a
 * short reason; plan->why is NULL for the other kinds.
 */
kt_status x86_64_plan(uint64_t addr, const uint8_t *code, size_t len, struct kt_plan *plan);

/*
 * Apply a KT_PLAN_EMULATE plan for the instruction at ADDR to REGS (a
 * struct user_regs_struct word by word) and to memory through MEM (stack
 * pushes and pops, indirect branch targets).  The pc always changes, so
 * orig_rax becomes -1.  Returns KT_ERR_INVAL for a plan of another kind and
 * KT_ERR_MEM if a memory access fails; in both cases REGS and memory are
 * left unchanged, and the tracer should step the instruction in line so
 * that the program takes the real fault.
 */
kt_status x86_64_emulate(const struct kt_plan *plan, uint64_t addr, struct kt_regs *regs,
			 const struct kt_arch_mem *mem);

/*
 * Write into CODE the slot contents for a KT_PLAN_OOL plan of the
 * instruction at ADDR, to be placed at address SLOT, and store their size
 * in *LEN (never more than X86_64_SLOT_SIZE; CODE must have room for that
 * many bytes).  The slot runs the instruction and jumps back to ADDR + len
 * by itself.  A RIP-relative slot saves its temp register inside the slot,
 * so the slot's page must be writable by the inferior (RWX) and each thread
 * needs its own slot.  Returns KT_ERR_INVAL for a plan of another kind.
 */
kt_status x86_64_ool_build(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			   uint8_t *code, size_t *len);

/*
 * Turn REGS, the registers of a thread stopped on its patch at ADDR (pc
 * already rewound to ADDR), into the registers that enter the slot at SLOT:
 * pc = SLOT, orig_rax = -1.  Nothing else changes; the slot sets up its own
 * temp register.
 */
void x86_64_ool_enter(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
		      struct kt_regs *regs);

/*
 * A thread that entered SLOT for the instruction at ADDR stopped with its pc
 * inside the slot (a signal, a fault of the relocated instruction, an
 * interrupted rep string instruction, a new thread or child created by a
 * relocated syscall).  Rewrite REGS to the same state at the original
 * place, given AT_HIT, the registers when the step began:
 *  - pc at or before the relocated instruction: it has not completed; pc
 *    becomes ADDR, the temp register gets its AT_HIT value, every other
 *    register keeps its current value (a rep movs interrupted half way keeps
 *    its progress in rcx/rsi/rdi); *DONE = false.
 *  - pc after it: it has completed; pc becomes ADDR + len, the temp register
 *    gets its AT_HIT value; *DONE = true.
 * orig_rax becomes -1, except after a relocated syscall, where it is left
 * alone: the kernel may still restart the call by moving pc back by 2,
 * which from ADDR + 2 lands on the original syscall at ADDR (the patch is
 * hit again and the call re-executed, as if the tracer were not there).
 * Returns KT_ERR_INVAL, REGS unchanged, if the pc is not in the slot's code
 * or the plan is not KT_PLAN_OOL.
 */
kt_status x86_64_ool_leave(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			   const struct kt_regs *at_hit, struct kt_regs *regs, bool *done);

/* Name of class KLASS ("push", "ool-riprel", ...); "?" if out of range. */
const char *x86_64_class_name(uint16_t klass);

#endif
