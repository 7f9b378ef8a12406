/* SPDX-License-Identifier: MIT */
/*
 * codegen_x86_64.c - the x86-64 back end.  It owns instruction encoding and
 * the frame layout: push %rbp; mov %rsp,%rbp (the 4-byte prologue published
 * as KITJIT_UNWIND_FP), then sub $frame,%rsp for the slots, slot i living at
 * -8(i+1)(%rbp); every return is leave; ret.  Code generation is stack based:
 * an expression leaves its value in %rax, a binary operator saves its left
 * operand with push and gets it back with pop, call arguments are pushed and
 * then popped into %rdi, %rsi, %rdx, %rcx, %r8, %r9.  The number of
 * outstanding pushes is known at every call, so the stack is realigned to 16
 * bytes around calls when it is odd (the C helpers need the SysV alignment).
 * Division is cqo; idiv, so x / 0 raises SIGFPE in JIT code.
 */
#include <stddef.h>

#include "codegen.h"

enum { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7, R8 = 8, R9 = 9 };

static const int arg_regs[KD_MAX_PARAMS] = {RDI, RSI, RDX, RCX, R8, R9};

struct gen {
	const struct kd_genctx *ctx;
	const struct kd_func *fn;
	struct kd_buf *b;
	int depth; /* 8-byte pushes outstanding below the frame */
};

#define EMIT(g, ...)                                                                               \
	do {                                                                                       \
		static const uint8_t bytes_[] = {__VA_ARGS__};                                     \
		kd_emit_bytes((g)->b, bytes_, sizeof(bytes_));                                     \
	} while (0)

static int32_t
slot_disp(int slot)
{
	return -8 * (slot + 1);
}

static void
push_rax(struct gen *g)
{
	EMIT(g, 0x50);
	g->depth++;
}

static void
pop_reg(struct gen *g, int reg)
{
	if (reg >= 8)
		kd_emit8(g->b, 0x41);
	kd_emit8(g->b, (uint8_t)(0x58 + (reg & 7)));
	g->depth--;
}

/* mov %rax, disp32(%rbp) or mov disp32(%rbp), %rax (LOAD), any REG */
static void
mov_slot(struct gen *g, int reg, int slot, int load)
{
	kd_emit8(g->b, (uint8_t)(0x48 | (reg >= 8 ? 4 : 0)));
	kd_emit8(g->b, load ? 0x8b : 0x89);
	kd_emit8(g->b, (uint8_t)(0x80 | (reg & 7) << 3 | RBP));
	kd_emit32(g->b, (uint32_t)slot_disp(slot));
}

static void
mov_rax_imm(struct gen *g, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX) {
		EMIT(g, 0x48, 0xc7, 0xc0); /* mov $imm32, %rax (sign-extended) */
		kd_emit32(g->b, (uint32_t)v);
	} else {
		EMIT(g, 0x48, 0xb8); /* movabs $imm64, %rax */
		kd_emit64(g->b, (uint64_t)v);
	}
}

static void
test_rax(struct gen *g)
{
	EMIT(g, 0x48, 0x85, 0xc0);
}

/* setCC %al; movzbl %al, %eax */
static void
setcc_rax(struct gen *g, uint8_t cc)
{
	kd_emit8(g->b, 0x0f);
	kd_emit8(g->b, cc);
	EMIT(g, 0xc0, 0x0f, 0xb6, 0xc0);
}

/* A jump with a rel32 to patch later: jmp (CC 0) or jCC; returns the offset of the rel32. */
static size_t
jump(struct gen *g, uint8_t cc)
{
	if (cc) {
		kd_emit8(g->b, 0x0f);
		kd_emit8(g->b, cc);
	} else {
		kd_emit8(g->b, 0xe9);
	}
	kd_emit32(g->b, 0);
	return g->b->len - 4;
}

static void
land(struct gen *g, size_t rel)
{
	kd_patch32(g->b, rel, (uint32_t)(int32_t)(g->b->len - (rel + 4)));
}

static void
jump_back(struct gen *g, size_t target)
{
	kd_emit8(g->b, 0xe9);
	kd_emit32(g->b, (uint32_t)(int32_t)((int64_t)target - (int64_t)(g->b->len + 4)));
}

/* Call the absolute address in %rax (INDIRECT: the address stored at %rax), aligned. */
static void
call_rax(struct gen *g, int indirect)
{
	int pad = g->depth & 1;

	if (pad)
		EMIT(g, 0x48, 0x83, 0xec, 0x08); /* sub $8, %rsp */
	if (indirect)
		EMIT(g, 0xff, 0x10); /* call *(%rax) */
	else
		EMIT(g, 0xff, 0xd0); /* call *%rax */
	if (pad)
		EMIT(g, 0x48, 0x83, 0xc4, 0x08); /* add $8, %rsp */
}

static void gen_expr(struct gen *g, const struct kd_node *n);

static void
gen_binop(struct gen *g, const struct kd_node *n)
{
	static const uint8_t setcc[] = {
		[KD_OP_LT] = 0x9c, [KD_OP_LE] = 0x9e, [KD_OP_GT] = 0x9f,
		[KD_OP_GE] = 0x9d, [KD_OP_EQ] = 0x94, [KD_OP_NE] = 0x95,
	};

	gen_expr(g, n->a);
	push_rax(g);
	gen_expr(g, n->b);
	EMIT(g, 0x48, 0x89, 0xc1); /* mov %rax, %rcx */
	pop_reg(g, RAX);
	switch (n->op) {
	case KD_OP_ADD:
		EMIT(g, 0x48, 0x01, 0xc8); /* add %rcx, %rax */
		break;
	case KD_OP_SUB:
		EMIT(g, 0x48, 0x29, 0xc8); /* sub %rcx, %rax */
		break;
	case KD_OP_MUL:
		EMIT(g, 0x48, 0x0f, 0xaf, 0xc1); /* imul %rcx, %rax */
		break;
	case KD_OP_DIV:
		EMIT(g, 0x48, 0x99, 0x48, 0xf7, 0xf9); /* cqo; idiv %rcx */
		break;
	case KD_OP_MOD:
		EMIT(g, 0x48, 0x99, 0x48, 0xf7, 0xf9, /* cqo; idiv %rcx */
		     0x48, 0x89, 0xd0);		      /* mov %rdx, %rax */
		break;
	default:
		EMIT(g, 0x48, 0x39, 0xc8); /* cmp %rcx, %rax */
		setcc_rax(g, setcc[n->op]);
		break;
	}
}

static void
gen_logic(struct gen *g, const struct kd_node *n)
{
	int is_and = n->kind == KD_N_AND;
	size_t shortcut, end;

	gen_expr(g, n->a);
	test_rax(g);
	shortcut = jump(g, is_and ? 0x84 : 0x85); /* je / jne */
	gen_expr(g, n->b);
	test_rax(g);
	setcc_rax(g, 0x95); /* setne */
	end = jump(g, 0);
	land(g, shortcut);
	if (is_and)
		EMIT(g, 0x31, 0xc0); /* xor %eax, %eax */
	else
		EMIT(g, 0xb8, 0x01, 0x00, 0x00, 0x00); /* mov $1, %eax */
	land(g, end);
}

static void
gen_call(struct gen *g, const struct kd_node *n)
{
	for (int i = 0; i < n->n; i++) {
		gen_expr(g, n->list[i]);
		push_rax(g);
	}
	for (int i = n->n - 1; i >= 0; i--)
		pop_reg(g, arg_regs[i]);
	EMIT(g, 0x48, 0xb8); /* movabs $entry, %rax */
	kd_emit64(g->b, g->ctx->table + 8 * (uint64_t)n->callee);
	call_rax(g, 1);
}

static void
gen_builtin(struct gen *g, const struct kd_node *n)
{
	switch (n->builtin) {
	case KD_BI_PRINT:
		gen_expr(g, n->list[0]);
		EMIT(g, 0x48, 0x89, 0xc7); /* mov %rax, %rdi */
		EMIT(g, 0x48, 0xb8);
		kd_emit64(g->b, g->ctx->print_fn);
		call_rax(g, 0);
		EMIT(g, 0x31, 0xc0);
		break;
	case KD_BI_LOAD:
		gen_expr(g, n->list[0]);
		EMIT(g, 0x48, 0x8b, 0x00); /* mov (%rax), %rax */
		break;
	case KD_BI_TRAP:
		EMIT(g, 0xcc, 0x31, 0xc0); /* int3; xor %eax, %eax */
		break;
	}
}

static void
gen_expr(struct gen *g, const struct kd_node *n)
{
	switch (n->kind) {
	case KD_N_NUM:
		mov_rax_imm(g, n->num);
		break;
	case KD_N_VAR:
		mov_slot(g, RAX, n->slot, 1);
		break;
	case KD_N_BIN:
		gen_binop(g, n);
		break;
	case KD_N_NEG:
		gen_expr(g, n->a);
		EMIT(g, 0x48, 0xf7, 0xd8); /* neg %rax */
		break;
	case KD_N_NOT:
		gen_expr(g, n->a);
		test_rax(g);
		setcc_rax(g, 0x94); /* sete */
		break;
	case KD_N_AND:
	case KD_N_OR:
		gen_logic(g, n);
		break;
	case KD_N_CALL:
		gen_call(g, n);
		break;
	case KD_N_BUILTIN:
		gen_builtin(g, n);
		break;
	default:
		break;
	}
}

static void
epilogue(struct gen *g)
{
	EMIT(g, 0xc9, 0xc3); /* leave; ret */
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
		mov_slot(g, RAX, n->slot, 0);
		break;
	case KD_N_IF:
		gen_expr(g, n->a);
		test_rax(g);
		skip = jump(g, 0x84); /* je */
		gen_stmt(g, n->b);
		if (n->c) {
			end = jump(g, 0);
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
		test_rax(g);
		end = jump(g, 0x84);
		gen_stmt(g, n->b);
		kd_mark_line(g->b, n->line);
		jump_back(g, top);
		land(g, end);
		break;
	case KD_N_RETURN:
		if (n->a)
			gen_expr(g, n->a);
		else
			EMIT(g, 0x31, 0xc0);
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
kd_gen_x86_64(const struct kd_genctx *ctx, int fn, struct kd_buf *out, uint32_t *prologue_len)
{
	const struct kd_func *f = &ctx->prog->funcs[fn];
	struct gen g = {.ctx = ctx, .fn = f, .b = out};
	uint32_t frame = ((uint32_t)f->nslots * 8 + 15) & ~15u;
	size_t start = out->len;

	kd_mark_line(out, f->line);
	EMIT(&g, 0x55, 0x48, 0x89, 0xe5); /* push %rbp; mov %rsp, %rbp */
	*prologue_len = (uint32_t)(out->len - start);
	if (frame) {
		EMIT(&g, 0x48, 0x81, 0xec); /* sub $frame, %rsp */
		kd_emit32(out, frame);
	}
	for (int i = 0; i < f->nparams; i++)
		mov_slot(&g, arg_regs[i], i, 0);
	gen_stmt(&g, f->body);
	kd_mark_line(out, f->end_line);
	EMIT(&g, 0x31, 0xc0); /* falling off the end returns 0 */
	epilogue(&g);
	return out->oom ? -1 : 0;
}

int
kd_gen_stub_x86_64(struct kd_buf *out, uint64_t resolver, uint64_t arg, uint64_t index)
{
	static const uint8_t pre[] = {
		0x55, 0x48, 0x89, 0xe5,		    /* push %rbp; mov %rsp, %rbp */
		0x57, 0x56, 0x52, 0x51, 0x41, 0x50, /* push %rdi, %rsi, %rdx, %rcx, %r8 */
		0x41, 0x51,			    /* push %r9 */
	};
	static const uint8_t post[] = {
		0xff, 0xd0,			    /* call *%rax */
		0x49, 0x89, 0xc3,		    /* mov %rax, %r11 */
		0x41, 0x59, 0x41, 0x58, 0x59, 0x5a, /* pop %r9, %r8, %rcx, %rdx */
		0x5e, 0x5f, 0x5d,		    /* pop %rsi, %rdi, %rbp */
		0x41, 0xff, 0xe3,		    /* jmp *%r11 */
	};

	kd_emit_bytes(out, pre, sizeof(pre));
	kd_emit8(out, 0x48); /* movabs $arg, %rdi */
	kd_emit8(out, 0xbf);
	kd_emit64(out, arg);
	kd_emit8(out, 0x48); /* movabs $index, %rsi */
	kd_emit8(out, 0xbe);
	kd_emit64(out, index);
	kd_emit8(out, 0x48); /* movabs $resolver, %rax */
	kd_emit8(out, 0xb8);
	kd_emit64(out, resolver);
	kd_emit_bytes(out, post, sizeof(post));
	return out->oom ? -1 : 0;
}
