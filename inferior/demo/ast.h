/* SPDX-License-Identifier: MIT */
/*
 * ast.h - the syntax tree of a kit program, shared by the parser (which
 * builds and resolves it) and the code generators (which only read it).
 *
 * A program is an array of functions; a function is a parameter count, a
 * slot count and a body block.  Every variable has been resolved to a slot
 * (parameters first, then locals in declaration order) and every call to a
 * function index or a builtin, so a code generator never looks up a name.
 * All nodes live in the program's arena and die with kd_program_free().
 * struct kd_diag is the one way the front end reports an error: the first
 * error wins, with the line and column (both from 1) where it was found.
 */
#ifndef KD_AST_H
#define KD_AST_H

#include <stddef.h>
#include <stdint.h>

#define KD_MAX_PARAMS 6
#define KD_MAX_SLOTS 400

struct kd_diag {
	int line;
	int col;
	char msg[160];
};

enum kd_node_kind {
	/* expressions */
	KD_N_NUM,     /* num */
	KD_N_VAR,     /* slot */
	KD_N_BIN,     /* op, a, b */
	KD_N_NEG,     /* a */
	KD_N_NOT,     /* a */
	KD_N_AND,     /* a, b (short-circuit) */
	KD_N_OR,      /* a, b (short-circuit) */
	KD_N_CALL,    /* callee (function index), list/n = arguments */
	KD_N_BUILTIN, /* builtin, list/n = arguments */
	/* statements */
	KD_N_ASSIGN, /* slot = a (also `var x = a;`) */
	KD_N_IF,     /* if (a) b else c (c may be NULL) */
	KD_N_WHILE,  /* while (a) b */
	KD_N_RETURN, /* return a (a may be NULL: returns 0) */
	KD_N_EXPR,   /* a; */
	KD_N_BLOCK,  /* list/n = statements */
};

enum kd_binop {
	KD_OP_ADD,
	KD_OP_SUB,
	KD_OP_MUL,
	KD_OP_DIV,
	KD_OP_MOD,
	KD_OP_LT,
	KD_OP_LE,
	KD_OP_GT,
	KD_OP_GE,
	KD_OP_EQ,
	KD_OP_NE,
};

enum kd_builtin {
	KD_BI_PRINT, /* print(x): decimal and a newline on stdout; value 0 */
	KD_BI_LOAD,  /* load(addr): the 8 bytes at addr */
	KD_BI_TRAP,  /* trap(): a debug trap (int3 / brk #0xf000); value 0 */
};

struct kd_node {
	enum kd_node_kind kind;
	int line;
	int col;
	int64_t num;
	enum kd_binop op;
	int slot;
	int callee;
	enum kd_builtin builtin;
	struct kd_node *a, *b, *c;
	struct kd_node **list;
	int n;
	const char *name; /* KD_N_CALL: the callee's name, until resolved */
	int height;	  /* expressions: 1 + the height of the tallest operand */
};

struct kd_func {
	const char *name;
	int line; /* of the `fn` keyword */
	int col;
	int end_line; /* of the closing brace */
	int nparams;
	int nslots; /* parameters + locals */
	struct kd_node *body;
};

struct kd_arena;

struct kd_program {
	struct kd_func *funcs;
	int nfuncs;
	struct kd_arena *arena;
};

/* The index of function NAME in PROG, or -1. */
int kd_program_find(const struct kd_program *prog, const char *name);

#endif
