/* SPDX-License-Identifier: MIT */
/*
 * codegen_aarch64.c - the AArch64 back end.  It owns A64 instruction
 * encoding and the frame layout: stp x29, x30, [sp, #-16]!; mov x29, sp (the
 * 8-byte prologue published as KITJIT_UNWIND_FP), then sub sp, sp, #frame
 * for the slots, slot i living at [x29, #-8(i+1)]; every return is
 * mov sp, x29; ldp x29, x30, [sp], #16; ret.  Code generation is stack based
 * like the x86-64 back end: an expression leaves its value in x0, temporaries
 * are pushed 16 bytes at a time (so sp stays 16-byte aligned, as the
 * architecture requires), binary operators pop their left operand into x1,
 * call arguments are popped into x0..x5.  Absolute addresses (the call table,
 * the C helpers) are built in x16 with movz/movk and called with blr.
 * sdiv does not trap on zero, so division checks its divisor and calls a C
 * helper that raises SIGFPE, keeping x / 0 an error on both architectures.
 */
#include <stddef.h>

#include "codegen.h"

enum { X0 = 0, X1 = 1, X2 = 2, X16 = 16, FP = 29, LR = 30, SP = 31, XZR = 31 };

enum { COND_EQ = 0, COND_NE = 1, COND_GE = 10, COND_LT = 11, COND_GT = 12, COND_LE = 13 };

struct gen {
	const struct kd_genctx *ctx;
	const struct kd_func *fn;
	struct kd_buf *b;
};

static void
ins(struct gen *g, uint32_t w)
{
	kd_emit32(g->b, w);
}

static void
push_x0(struct gen *g)
{
	ins(g, 0xf81f0fe0); /* str x0, [sp, #-16]! */
}

static void
pop_x(struct gen *g, int reg)
{
	ins(g, 0xf84107e0 | (uint32_t)reg); /* ldr xN, [sp], #16 */
}

/* movz/movk REG, V: always 4 instructions when FIXED, else as few as possible */
static void
mov_imm(struct gen *g, int reg, uint64_t v, int fixed)
{
	int first = 1;

	if (!fixed && v <= 0xffff) {
		ins(g, 0xd2800000 | (uint32_t)v << 5 | (uint32_t)reg); /* movz */
		return;
	}
	if (!fixed && (int64_t)v < 0 && ~v <= 0xffff) {
		ins(g, 0x92800000 | (uint32_t)(~v & 0xffff) << 5 | (uint32_t)reg); /* movn */
		return;
	}
	for (uint32_t hw = 0; hw < 4; hw++) {
		uint32_t chunk = (uint32_t)(v >> (16 * hw)) & 0xffff;

		if (!fixed && !chunk)
			continue; /* a zero chunk needs no movk */
		ins(g, (first ? 0xd2800000 : 0xf2800000) | hw << 21 | chunk << 5 | (uint32_t)reg);
		first = 0;
	}
}

static void
call_abs(struct gen *g, uint64_t addr, int indirect)
{
	mov_imm(g, X16, addr, 1);
	if (indirect)
		ins(g, 0xf9400210); /* ldr x16, [x16] */
	ins(g, 0xd63f0200);	    /* blr x16 */
}

/* ldur/stur REG, [x29, #-8(slot+1)], or through x16 when out of simm9 range */
static void
mov_slot(struct gen *g, int reg, int slot, int load)
{
	uint32_t off = 8 * (uint32_t)(slot + 1);

	if (off <= 256) {
		ins(g, (load ? 0xf8400000 : 0xf8000000) | ((uint32_t)-off & 0x1ff) << 12 |
			       (uint32_t)FP << 5 | (uint32_t)reg);
	} else {
		ins(g, 0xd1000000 | off << 10 | (uint32_t)FP << 5 | X16); /* sub x16, x29, #off */
		ins(g, (load ? 0xf9400200 : 0xf9000200) | (uint32_t)reg); /* ldr/str reg, [x16] */
	}
}

/* cset x0, COND */
static void
cset_x0(struct gen *g, int cond)
{
	ins(g, 0x9a9f07e0 | (uint32_t)(cond ^ 1) << 12); /* csinc x0, xzr, xzr, !cond */
}

static void
cmp_x0_zero(struct gen *g)
{
	ins(g, 0xf100001f); /* cmp x0, #0 */
}

/* A branch to patch later: b (OP 0x14000000) or cbz/cbnz x0; returns its offset. */
static size_t
branch(struct gen *g, uint32_t op)
{
	size_t at = g->b->len;

	ins(g, op);
	return at;
}

static void
land_at(struct gen *g, size_t at, size_t target)
{
	uint32_t w = kd_peek32(g->b, at);
	int64_t delta = ((int64_t)target - (int64_t)at) / 4;

	if ((w & 0xfc000000) == 0x14000000)
		w |= (uint32_t)delta & 0x3ffffff;
	else
		w |= ((uint32_t)delta & 0x7ffff) << 5;
	kd_patch32(g->b, at, w);
}

static void
land(struct gen *g, size_t at)
{
	land_at(g, at, g->b->len);
}

static void gen_expr(struct gen *g, const struct kd_node *n);

static void
check_divisor(struct gen *g)
{
	ins(g, 0xb5000000 | (1 + 6) << 5);  /* cbnz x0, past the next 6 instructions */
	call_abs(g, g->ctx->divzero_fn, 0); /* 5 instructions */
	ins(g, 0xd43e0000);		    /* brk #0xf000: not reached */
}

static void
gen_binop(struct gen *g, const struct kd_node *n)
{
	static const int cond[] = {
		[KD_OP_LT] = COND_LT, [KD_OP_LE] = COND_LE, [KD_OP_GT] = COND_GT,
		[KD_OP_GE] = COND_GE, [KD_OP_EQ] = COND_EQ, [KD_OP_NE] = COND_NE,
	};

	gen_expr(g, n->a);
	push_x0(g);
	gen_expr(g, n->b);
	pop_x(g, X1);
	switch (n->op) {
	case KD_OP_ADD:
		ins(g, 0x8b000020); /* add x0, x1, x0 */
		break;
	case KD_OP_SUB:
		ins(g, 0xcb000020); /* sub x0, x1, x0 */
		break;
	case KD_OP_MUL:
		ins(g, 0x9b007c20); /* mul x0, x1, x0 */
		break;
	case KD_OP_DIV:
		check_divisor(g);
		ins(g, 0x9ac00c20); /* sdiv x0, x1, x0 */
		break;
	case KD_OP_MOD:
		check_divisor(g);
		ins(g, 0x9ac00c22); /* sdiv x2, x1, x0 */
		ins(g, 0x9b008440); /* msub x0, x2, x0, x1 */
		break;
	default:
		ins(g, 0xeb00003f); /* cmp x1, x0 */
		cset_x0(g, cond[n->op]);
		break;
	}
}

static void
gen_logic(struct gen *g, const struct kd_node *n)
{
	int is_and = n->kind == KD_N_AND;
	size_t shortcut, end;

	gen_expr(g, n->a);
	shortcut = branch(g, is_and ? 0xb4000000 : 0xb5000000); /* cbz / cbnz x0 */
	gen_expr(g, n->b);
	cmp_x0_zero(g);
	cset_x0(g, COND_NE);
	end = branch(g, 0x14000000);
	land(g, shortcut);
	ins(g, is_and ? 0xd2800000 : 0xd2800020); /* mov x0, #0 / #1 */
	land(g, end);
}

static void
gen_expr(struct gen *g, const struct kd_node *n)
{
	switch (n->kind) {
	case KD_N_NUM:
		mov_imm(g, X0, (uint64_t)n->num, 0);
		break;
	case KD_N_VAR:
		mov_slot(g, X0, n->slot, 1);
		break;
	case KD_N_BIN:
		gen_binop(g, n);
		break;
	case KD_N_NEG:
		gen_expr(g, n->a);
		ins(g, 0xcb0003e0); /* neg x0, x0 */
		break;
	case KD_N_NOT:
		gen_expr(g, n->a);
		cmp_x0_zero(g);
		cset_x0(g, COND_EQ);
		break;
	case KD_N_AND:
	case KD_N_OR:
		gen_logic(g, n);
		break;
	case KD_N_CALL:
		for (int i = 0; i < n->n; i++) {
			gen_expr(g, n->list[i]);
			push_x0(g);
		}
		for (int i = n->n - 1; i >= 0; i--)
			pop_x(g, i);
		call_abs(g, g->ctx->table + 8 * (uint64_t)n->callee, 1);
		break;
	case KD_N_BUILTIN:
		switch (n->builtin) {
		case KD_BI_PRINT:
			gen_expr(g, n->list[0]);
			call_abs(g, g->ctx->print_fn, 0);
			ins(g, 0xd2800000); /* mov x0, #0 */
			break;
		case KD_BI_LOAD:
			gen_expr(g, n->list[0]);
			ins(g, 0xf9400000); /* ldr x0, [x0] */
			break;
		case KD_BI_TRAP:
			ins(g, 0xd43e0000); /* brk #0xf000 */
			ins(g, 0xd2800000);
			break;
		}
		break;
	default:
		break;
	}
}

static void
epilogue(struct gen *g)
{
	ins(g, 0x910003bf); /* mov sp, x29 */
	ins(g, 0xa8c17bfd); /* ldp x29, x30, [sp], #16 */
	ins(g, 0xd65f03c0); /* ret */
}

static void
gen_stmt(struct gen *g, const struct kd_node *n)
{
	size_t skip, end, top;

	if (n->kind != KD_N_BLOCK)
		kd_mark_line(g->b, n->line);
	switch (n->kind) {
	case KD_N_ASSIGN:
		gen_expr(g, n->a);
		mov_slot(g, X0, n->slot, 0);
		break;
	case KD_N_IF:
		gen_expr(g, n->a);
		skip = branch(g, 0xb4000000); /* cbz x0 */
		gen_stmt(g, n->b);
		if (n->c) {
			end = branch(g, 0x14000000);
			land(g, skip);
			gen_stmt(g, n->c);
			land(g, end);
		} else {
			land(g, skip);
		}
		break;
	case KD_N_WHILE:
		top = g->b->len;
		gen_expr(g, n->a);
		end = branch(g, 0xb4000000);
		gen_stmt(g, n->b);
		kd_mark_line(g->b, n->line);
		land_at(g, branch(g, 0x14000000), top);
		land(g, end);
		break;
	case KD_N_RETURN:
		if (n->a)
			gen_expr(g, n->a);
		else
			ins(g, 0xd2800000);
		epilogue(g);
		break;
	case KD_N_EXPR:
		gen_expr(g, n->a);
		break;
	case KD_N_BLOCK:
		for (int i = 0; i < n->n; i++)
			gen_stmt(g, n->list[i]);
		break;
	default:
		break;
	}
}

int
kd_gen_aarch64(const struct kd_genctx *ctx, int fn, struct kd_buf *out, uint32_t *prologue_len)
{
	const struct kd_func *f = &ctx->prog->funcs[fn];
	struct gen g = {.ctx = ctx, .fn = f, .b = out};
	uint32_t frame = ((uint32_t)f->nslots * 8 + 15) & ~15u;
	size_t start = out->len;

	kd_mark_line(out, f->line);
	ins(&g, 0xa9bf7bfd); /* stp x29, x30, [sp, #-16]! */
	ins(&g, 0x910003fd); /* mov x29, sp */
	*prologue_len = (uint32_t)(out->len - start);
	if (frame > 0xfff)
		return -1; /* cannot happen: KD_MAX_SLOTS keeps it below */
	if (frame)
		ins(&g, 0xd10003ff | frame << 10); /* sub sp, sp, #frame */
	for (int i = 0; i < f->nparams; i++)
		mov_slot(&g, i, i, 0);
	gen_stmt(&g, f->body);
	kd_mark_line(out, f->end_line);
	ins(&g, 0xd2800000); /* falling off the end returns 0 */
	epilogue(&g);
	return out->oom ? -1 : 0;
}

int
kd_gen_stub_aarch64(struct kd_buf *out, uint64_t resolver, uint64_t arg, uint64_t index)
{
	struct gen g = {.b = out};

	ins(&g, 0xa9bf7bfd); /* stp x29, x30, [sp, #-16]! */
	ins(&g, 0x910003fd); /* mov x29, sp */
	ins(&g, 0xa9bf07e0); /* stp x0, x1, [sp, #-16]! */
	ins(&g, 0xa9bf0fe2); /* stp x2, x3, [sp, #-16]! */
	ins(&g, 0xa9bf17e4); /* stp x4, x5, [sp, #-16]! */
	mov_imm(&g, X0, arg, 1);
	mov_imm(&g, X1, index, 1);
	call_abs(&g, resolver, 0);
	ins(&g, 0xaa0003f0); /* mov x16, x0 */
	ins(&g, 0xa8c117e4); /* ldp x4, x5, [sp], #16 */
	ins(&g, 0xa8c10fe2); /* ldp x2, x3, [sp], #16 */
	ins(&g, 0xa8c107e0); /* ldp x0, x1, [sp], #16 */
	ins(&g, 0xa8c17bfd); /* ldp x29, x30, [sp], #16 */
	ins(&g, 0xd61f0200); /* br x16 */
	return out->oom ? -1 : 0;
}
