/* SPDX-License-Identifier: MIT */
/*
 * step.h - displaced stepping for AArch64: how the tracer moves a thread
 * over one instruction whose word is covered by our BRK without lifting the
 * patch.  arch/aarch64/step.c owns the decision (emulate, run out of line
 * in a scratch slot, or step in line), the register and memory effects of
 * emulated instructions, the slot layout and the mapping of a thread
 * stopped inside a slot back to the original location.  These functions
 * fill the displaced-stepping slots of kt_arch_aarch64.
 *
 * Every A64 instruction is one aligned 32-bit little-endian word, so the
 * planner decodes by hand from the encoding tables of the Arm ARM (no
 * capstone: capstone 4 cannot decode LSE, PAC or BTI forms, and the plan
 * must be right for them).  emulate and the ool_* functions read only what
 * plan() stored in plan->priv.  The class table and the reasons are in
 * doc/aarch64.md.
 */
#ifndef KT_AARCH64_STEP_H
#define KT_AARCH64_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "status.h"

/* Word indexes of struct user_pt_regs (NT_PRSTATUS) in struct kt_regs. */
#define A64_W_X(n) (n)   /* x0..x30 */
#define A64_W_FP 29
#define A64_W_LR 30
#define A64_W_SP 31
#define A64_W_PC 32
#define A64_W_PSTATE 33
#define A64_PRSTATUS_WORDS 34

/* PSTATE bits the emulator reads or writes. */
#define A64_PSTATE_N (1u << 31)
#define A64_PSTATE_Z (1u << 30)
#define A64_PSTATE_C (1u << 29)
#define A64_PSTATE_V (1u << 28)
#define A64_PSTATE_BTYPE_SHIFT 10
#define A64_PSTATE_BTYPE (3u << A64_PSTATE_BTYPE_SHIFT)

/*
 * Our patch: BRK #0x7cb.  Compilers and runtimes emit brk #0 (hand-written
 * and inline asm, GDB's own breakpoint), #1 (clang __builtin_trap), #0x3e8
 * (gcc __builtin_trap), #0xf000 (clang __builtin_debugtrap); the kernel uses
 * a few small ones of its own (uprobes #0x005) and #0x800 for BUG(), and
 * sanitizer traps use the 0x55xx range.  0x7cb is none of them.
 */
#define A64_PATCH_IMM 0x7cbu
#define A64_BRK(imm) (0xd4200000u | ((uint32_t)(imm) & 0xffffu) << 5)
#define A64_PATCH_WORD A64_BRK(A64_PATCH_IMM)
/* Guard word after the jump back of a slot: never executed. */
#define A64_SLOT_GUARD_IMM 0x7ccu
/* The way home of a slot too far from the code for a b: a breakpoint trap
 * (TRAP_BRKPT) with pc at slot+4, which the tracer maps to ADDR+4. */
#define A64_SLOT_HOME_IMM 0x7cdu

/* Bytes of one scratch slot: the instruction, b back, guard, guard. */
#define A64_SLOT_SIZE 16

/* The classes plan() puts in plan->klass; a64_class_name() names them. */
enum a64_step_class {
	A64_CLS_NOP,             /* nop (hint #0): pc += 4 */
	A64_CLS_B,               /* b imm26 */
	A64_CLS_BL,              /* bl imm26: lr = addr + 4 */
	A64_CLS_BCOND,           /* b.cond / bc.cond imm19, all 16 conditions */
	A64_CLS_CBZ,             /* cbz / cbnz, W and X */
	A64_CLS_TBZ,             /* tbz / tbnz, bit 0..63 */
	A64_CLS_ADR,             /* adr */
	A64_CLS_ADRP,            /* adrp */
	A64_CLS_LDR_LIT,         /* ldr Wt/Xt, ldrsw Xt (literal) */
	A64_CLS_PRFM_LIT,        /* prfm (literal): a no-op for us */
	A64_CLS_BR,              /* br Xn */
	A64_CLS_BLR,             /* blr Xn */
	A64_CLS_RET,             /* ret {Xn} */
	A64_CLS_OOL_PLAIN,       /* position-independent: copy + b back */
	A64_CLS_OOL_SVC,         /* svc: copy + b back (restart: see doc) */
	A64_CLS_INLINE_EXCLUSIVE, /* ldxr/ldaxr/ldxp/ldaxp/stxr/stlxr/stxp/stlxp */
	A64_CLS_INLINE_PAC_BRANCH, /* braa/blraa/retaa... (pointer auth) */
	A64_CLS_INLINE_SIMD_LIT, /* ldr St/Dt/Qt (literal): no SIMD regs via NT_PRSTATUS */
	A64_CLS_INLINE_TRAP,     /* brk, hlt, udf, hvc, smc, dcps, tcancel */
	A64_CLS_INLINE_ERET,     /* eret, eretaa/ab, drps */
	A64_CLS_INLINE_MOPS,     /* FEAT_MOPS cpyp/cpym/cpye, setp/setm/sete */
	A64_CLS_INLINE_UNDECODABLE, /* short or unaligned, unallocated literal */
	A64_CLS_ADDSUB_IMM,      /* add/sub (immediate), no flags; sp as Rd/Rn */
	A64_CLS_COUNT
};

/*
 * Plan the step over the instruction at ADDR whose original bytes are CODE
 * (LEN bytes available; 4 are looked at).  Fills the whole of *PLAN.
 * Returns KT_ERR_INVAL if CODE or PLAN is NULL or LEN is 0; otherwise KT_OK,
 * and plan->kind says what to do.  Fewer than 4 bytes, or an ADDR that is
 * not 4-aligned, give KT_PLAN_INLINE with plan->len 0.  plan->why is set
 * for KT_PLAN_INLINE only.
 */
kt_status a64_plan(uint64_t addr, const uint8_t *code, size_t len, struct kt_plan *plan);

/*
 * Apply a KT_PLAN_EMULATE plan for the instruction at ADDR to REGS (struct
 * user_pt_regs word by word) and, for literal loads, memory read through
 * MEM.  PSTATE.BTYPE becomes what the instruction would leave (0, or 01 for
 * br, 10 for blr).  Returns KT_ERR_INVAL for a plan of another kind and
 * KT_ERR_MEM if the literal cannot be read; in both cases REGS is left
 * unchanged and the tracer should step the instruction in line so that
 * the program takes the real fault.
 */
kt_status a64_emulate(const struct kt_plan *plan, uint64_t addr, struct kt_regs *regs,
		      const struct kt_arch_mem *mem);

/*
 * Write into CODE the slot contents for a KT_PLAN_OOL plan of the
 * instruction at ADDR, to be placed at SLOT, and store their size in *LEN
 * (A64_SLOT_SIZE; CODE must have room for that many bytes):
 *    +0  the instruction (copied unchanged: OOL classes are PC-independent)
 *    +4  b ADDR+4, or brk #0x7cd when SLOT is out of b's reach
 *    +8  brk #0x7cc, brk #0x7cc (guards, never reached)
 * A64 has no memory-indirect branch and no free register, so the jump back
 * is a direct B when SLOT lies within +-128 MiB of ADDR.  Farther away (a
 * slot page near the libraries serving the executable), it is a BRK: the
 * thread stops with TRAP_BRKPT at slot+4, which ool_leave maps to ADDR+4
 * like a completed step and the tracer resumes, one stop more per hit.
 * KT_ERR_INVAL for a plan of another kind or unaligned addresses.
 */
kt_status a64_ool_build(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			uint8_t *code, size_t *len);

/* Registers entering the slot: pc = SLOT; nothing else changes. */
void a64_ool_enter(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
		   struct kt_regs *regs);

/*
 * A thread that entered SLOT for the instruction at ADDR stopped with its pc
 * inside the slot.  pc == SLOT: the instruction has not completed (a signal
 * before it, a fault it raised, a system call the kernel rewound for
 * restart): pc = ADDR, *DONE = false.  pc == SLOT + 4: it completed:
 * pc = ADDR + 4, *DONE = true.  Other registers keep their current values
 * (no slot uses a temp register).  KT_ERR_INVAL, REGS unchanged, for any
 * other pc or a plan that is not KT_PLAN_OOL.
 */
kt_status a64_ool_leave(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			const struct kt_regs *at_hit, struct kt_regs *regs, bool *done);

/*
 * If the word at CODE (LEN bytes of code at ADDR) is a load-exclusive that
 * opens a sequence closed by a store-exclusive within 16 instructions, with
 * no other branch than one conditional one and no return or trap in
 * between: store in ENDS the places the sequence is left (after the
 * store-exclusive; the conditional branch's target if it lies outside) and
 * return their count (1 or 2).  0 otherwise: the caller steps as usual.
 */
size_t a64_exclusive_sequence(const uint8_t *code, size_t len, uint64_t addr,
			      uint64_t ends[2]);

/*
 * BEFORE holds the N bytes of code that end at ADDR.  If ADDR lies inside an
 * exclusive window (after a load-exclusive, up to and including the
 * store-exclusive that closes it, within 16 instructions and no branch,
 * return or trap between), return the load-exclusive's address; else 0.
 */
uint64_t a64_exclusive_window(const uint8_t *before, size_t n, uint64_t addr);

/* Name of class KLASS ("bcond", "inline-exclusive", ...); "?" if out of range. */
const char *a64_class_name(uint16_t klass);

/*
 * True if condition COND (0..15, as encoded in b.cond) holds for the NZCV
 * flags in PSTATE.  Shared with tests.
 */
bool a64_condition_holds(unsigned cond, uint64_t pstate);

#endif
