/* SPDX-License-Identifier: MIT */
/*
 * parser.c - the kit parser: a recursive-descent parser from tokens to the
 * tree of ast.h, and the resolver that binds names.  It owns the grammar
 * (documented in README.md), operator precedence, variable scoping (a `var`
 * lives to the end of its block; a block may shadow an outer name but not
 * redeclare one of its own), slot assignment, and the checks that make a
 * tree safe to compile: every name declared, every call to a known function
 * with the right number of arguments, at most 6 parameters, no duplicate
 * function.  Calls may name functions defined later: they are collected while
 * parsing and resolved once the whole file has been read.  The tree is
 * allocated from an arena owned by the program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "parser.h"

struct kd_arena {
	struct kd_arena *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct scope_var {
	const char *name;
	int slot;
	int depth;
};

struct parser {
	const struct kd_token *toks;
	size_t pos;
	struct kd_program *prog;
	struct kd_diag *diag;
	jmp_buf fail;
	/* variables of the function being parsed, innermost last */
	struct scope_var vars[KD_MAX_SLOTS];
	int nvars;
	int depth;
	int nesting; /* of expressions and blocks, bounded to bound recursion */
	int nslots;
	/* calls to resolve at the end */
	struct kd_node **calls;
	size_t ncalls, capcalls;
	int nfuncs_cap;
	/* function name -> index + 1 (0: empty), open addressing, power-of-2 size */
	int *fhash;
	size_t fhcap;
};

static const char *const builtin_names[] = {
	[KD_BI_PRINT] = "print",
	[KD_BI_LOAD] = "load",
	[KD_BI_TRAP] = "trap",
};
static const int builtin_arity[] = {
	[KD_BI_PRINT] = 1,
	[KD_BI_LOAD] = 1,
	[KD_BI_TRAP] = 0,
};

static _Noreturn void fail_at(struct parser *p, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static _Noreturn void
fail_at(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	p->diag->line = line;
	p->diag->col = col;
	va_start(ap, fmt);
	vsnprintf(p->diag->msg, sizeof(p->diag->msg), fmt, ap);
	va_end(ap);
	longjmp(p->fail, 1);
}

static void *
arena_alloc(struct parser *p, size_t size)
{
	struct kd_arena *a = p->prog->arena;

	size = (size + 15) & ~(size_t)15;
	if (!a || a->used + size > a->cap) {
		size_t cap = size > 65536 ? size : 65536;

		a = malloc(sizeof(*a) + cap);
		if (!a)
			fail_at(p, p->toks[p->pos].line, p->toks[p->pos].col, "out of memory");
		a->next = p->prog->arena;
		a->used = 0;
		a->cap = cap;
		p->prog->arena = a;
	}
	a->used += size;
	return memset(a->data + a->used - size, 0, size);
}

static char *
arena_strndup(struct parser *p, const char *s, size_t n)
{
	char *d = arena_alloc(p, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static const struct kd_token *
peek(struct parser *p)
{
	return &p->toks[p->pos];
}

static const struct kd_token *
peek2(struct parser *p)
{
	return p->toks[p->pos].kind == KD_T_EOF ? &p->toks[p->pos] : &p->toks[p->pos + 1];
}

static const struct kd_token *
next(struct parser *p)
{
	const struct kd_token *t = &p->toks[p->pos];

	if (t->kind != KD_T_EOF)
		p->pos++;
	return t;
}

static int
accept(struct parser *p, enum kd_tok_kind kind)
{
	if (peek(p)->kind != kind)
		return 0;
	next(p);
	return 1;
}

static const struct kd_token *
expect(struct parser *p, enum kd_tok_kind kind)
{
	const struct kd_token *t = peek(p);

	if (t->kind != kind) {
		if (t->kind == KD_T_EOF)
			fail_at(p, t->line, t->col, "expected %s before end of file",
				kd_tok_name(kind));
		fail_at(p, t->line, t->col, "expected %s, found '%.*s'", kd_tok_name(kind),
			(int)t->len, t->text);
	}
	return next(p);
}

static struct kd_node *
new_node(struct parser *p, enum kd_node_kind kind, const struct kd_token *at)
{
	struct kd_node *n = arena_alloc(p, sizeof(*n));

	n->kind = kind;
	n->height = 1;
	n->line = at->line;
	n->col = at->col;
	return n;
}

static int
tok_is(const struct kd_token *t, const char *s)
{
	return strlen(s) == t->len && !memcmp(s, t->text, t->len);
}

static int
find_builtin(const struct kd_token *t)
{
	for (size_t i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (tok_is(t, builtin_names[i]))
			return (int)i;
	return -1;
}

static int
lookup_var(struct parser *p, const struct kd_token *t)
{
	for (int i = p->nvars - 1; i >= 0; i--)
		if (tok_is(t, p->vars[i].name))
			return p->vars[i].slot;
	return -1;
}

static int
declare_var(struct parser *p, const struct kd_token *t)
{
	for (int i = p->nvars - 1; i >= 0 && p->vars[i].depth == p->depth; i--)
		if (tok_is(t, p->vars[i].name))
			fail_at(p, t->line, t->col, "'%.*s' is already declared in this block",
				(int)t->len, t->text);
	if (p->nslots >= KD_MAX_SLOTS)
		fail_at(p, t->line, t->col, "too many variables in one function (max %d)",
			KD_MAX_SLOTS);
	p->vars[p->nvars].name = arena_strndup(p, t->text, t->len);
	p->vars[p->nvars].slot = p->nslots++;
	p->vars[p->nvars].depth = p->depth;
	return p->vars[p->nvars++].slot;
}

#define KD_MAX_NESTING 200

/* Go one level deeper into the tree (bounded: the parser and code generators recurse). */
static void
enter(struct parser *p)
{
	if (++p->nesting > KD_MAX_NESTING)
		fail_at(p, peek(p)->line, peek(p)->col, "nested too deeply (max %d levels)",
			KD_MAX_NESTING);
}

static void
leave(struct parser *p)
{
	p->nesting--;
}

#define KD_MAX_HEIGHT 1000

/* Set the height of expression N from its operands: code generation recurses that deep. */
static struct kd_node *
measure(struct parser *p, struct kd_node *n)
{
	int h = 0;

	if (n->a && n->a->height > h)
		h = n->a->height;
	if (n->b && n->b->height > h)
		h = n->b->height;
	for (int i = 0; i < n->n; i++)
		if (n->list[i]->height > h)
			h = n->list[i]->height;
	n->height = h + 1;
	if (n->height > KD_MAX_HEIGHT)
		fail_at(p, n->line, n->col, "expression too complex (max %d levels)",
			KD_MAX_HEIGHT);
	return n;
}

static struct kd_node *parse_expr(struct parser *p);
static struct kd_node *parse_block(struct parser *p);

/* Arguments after the '(' of a call, up to and including the ')'. */
static void
parse_args(struct parser *p, struct kd_node *call)
{
	struct kd_node *args[KD_MAX_PARAMS + 1];

	if (!accept(p, KD_T_RPAREN)) {
		do {
			const struct kd_token *at = peek(p);

			if (call->n > KD_MAX_PARAMS)
				fail_at(p, at->line, at->col, "too many arguments (max %d)",
					KD_MAX_PARAMS);
			args[call->n++] = parse_expr(p);
		} while (accept(p, KD_T_COMMA));
		expect(p, KD_T_RPAREN);
	}
	call->list = arena_alloc(p, sizeof(*call->list) * (size_t)(call->n + 1));
	memcpy(call->list, args, sizeof(*args) * (size_t)call->n);
}

static struct kd_node *
parse_primary(struct parser *p)
{
	const struct kd_token *t = next(p);
	struct kd_node *n;

	switch (t->kind) {
	case KD_T_NUM:
		n = new_node(p, KD_N_NUM, t);
		n->num = t->num;
		return n;
	case KD_T_LPAREN:
		n = parse_expr(p);
		expect(p, KD_T_RPAREN);
		return n;
	case KD_T_IDENT:
		if (accept(p, KD_T_LPAREN)) {
			int bi = find_builtin(t);

			n = new_node(p, bi >= 0 ? KD_N_BUILTIN : KD_N_CALL, t);
			n->name = arena_strndup(p, t->text, t->len);
			parse_args(p, n);
			if (bi >= 0) {
				n->builtin = (enum kd_builtin)bi;
				if (n->n != builtin_arity[bi])
					fail_at(p, t->line, t->col,
						"builtin '%s' takes %d argument%s, %d given",
						builtin_names[bi], builtin_arity[bi],
						builtin_arity[bi] == 1 ? "" : "s", n->n);
				return measure(p, n);
			}
			if (p->ncalls == p->capcalls) {
				size_t cap = p->capcalls ? p->capcalls * 2 : 32;
				struct kd_node **c = realloc(p->calls, cap * sizeof(*c));

				if (!c)
					fail_at(p, t->line, t->col, "out of memory");
				p->calls = c;
				p->capcalls = cap;
			}
			p->calls[p->ncalls++] = n;
			return measure(p, n);
		}
		n = new_node(p, KD_N_VAR, t);
		n->slot = lookup_var(p, t);
		if (n->slot < 0)
			fail_at(p, t->line, t->col, "undeclared variable '%.*s'", (int)t->len,
				t->text);
		return n;
	case KD_T_EOF:
		fail_at(p, t->line, t->col, "expected an expression before end of file");
	default:
		fail_at(p, t->line, t->col, "expected an expression, found '%.*s'", (int)t->len,
			t->text);
	}
}

static struct kd_node *
parse_unary(struct parser *p)
{
	const struct kd_token *t = peek(p);
	struct kd_node *n;

	if (t->kind != KD_T_MINUS && t->kind != KD_T_BANG)
		return parse_primary(p);
	next(p);
	enter(p);
	n = new_node(p, t->kind == KD_T_MINUS ? KD_N_NEG : KD_N_NOT, t);
	n->a = parse_unary(p);
	leave(p);
	return measure(p, n);
}

/* Binary operator levels, loosest first. */
static const struct {
	enum kd_tok_kind tok;
	enum kd_node_kind kind;
	enum kd_binop op;
	int level;
} binops[] = {
	{KD_T_OROR, KD_N_OR, 0, 0},
	{KD_T_ANDAND, KD_N_AND, 0, 1},
	{KD_T_EQ, KD_N_BIN, KD_OP_EQ, 2},
	{KD_T_NE, KD_N_BIN, KD_OP_NE, 2},
	{KD_T_LT, KD_N_BIN, KD_OP_LT, 3},
	{KD_T_LE, KD_N_BIN, KD_OP_LE, 3},
	{KD_T_GT, KD_N_BIN, KD_OP_GT, 3},
	{KD_T_GE, KD_N_BIN, KD_OP_GE, 3},
	{KD_T_PLUS, KD_N_BIN, KD_OP_ADD, 4},
	{KD_T_MINUS, KD_N_BIN, KD_OP_SUB, 4},
	{KD_T_STAR, KD_N_BIN, KD_OP_MUL, 5},
	{KD_T_SLASH, KD_N_BIN, KD_OP_DIV, 5},
	{KD_T_PERCENT, KD_N_BIN, KD_OP_MOD, 5},
};
#define KD_UNARY_LEVEL 6

static struct kd_node *
parse_level(struct parser *p, int level)
{
	struct kd_node *lhs;

	if (level == KD_UNARY_LEVEL)
		return parse_unary(p);
	lhs = parse_level(p, level + 1);
	for (;;) {
		const struct kd_token *t = peek(p);
		size_t i;
		struct kd_node *n;

		for (i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
			if (binops[i].tok == t->kind && binops[i].level == level)
				break;
		if (i == sizeof(binops) / sizeof(binops[0]))
			return lhs;
		next(p);
		n = new_node(p, binops[i].kind, t);
		n->op = binops[i].op;
		n->a = lhs;
		n->b = parse_level(p, level + 1);
		lhs = measure(p, n);
	}
}

static struct kd_node *
parse_expr(struct parser *p)
{
	struct kd_node *n;

	enter(p);
	n = parse_level(p, 0);
	leave(p);
	return n;
}

static struct kd_node *
parse_cond(struct parser *p)
{
	struct kd_node *n;

	expect(p, KD_T_LPAREN);
	n = parse_expr(p);
	expect(p, KD_T_RPAREN);
	return n;
}

static struct kd_node *
parse_stmt(struct parser *p)
{
	const struct kd_token *t = peek(p);
	struct kd_node *n;

	switch (t->kind) {
	case KD_T_LBRACE:
		return parse_block(p);
	case KD_T_VAR: {
		const struct kd_token *name;

		next(p);
		name = expect(p, KD_T_IDENT);
		if (find_builtin(name) >= 0)
			fail_at(p, name->line, name->col, "'%.*s' is a builtin", (int)name->len,
				name->text);
		n = new_node(p, KD_N_ASSIGN, t);
		if (accept(p, KD_T_ASSIGN)) {
			n->a = parse_expr(p); /* before the name is in scope */
		} else {
			n->a = new_node(p, KD_N_NUM, name);
		}
		n->slot = declare_var(p, name);
		expect(p, KD_T_SEMI);
		return n;
	}
	case KD_T_IF:
		next(p);
		n = new_node(p, KD_N_IF, t);
		n->a = parse_cond(p);
		n->b = parse_block(p);
		if (accept(p, KD_T_ELSE)) {
			enter(p); /* else if ... recurses */
			n->c = peek(p)->kind == KD_T_IF ? parse_stmt(p) : parse_block(p);
			leave(p);
		}
		return n;
	case KD_T_WHILE:
		next(p);
		n = new_node(p, KD_N_WHILE, t);
		n->a = parse_cond(p);
		n->b = parse_block(p);
		return n;
	case KD_T_RETURN:
		next(p);
		n = new_node(p, KD_N_RETURN, t);
		if (!accept(p, KD_T_SEMI)) {
			n->a = parse_expr(p);
			expect(p, KD_T_SEMI);
		}
		return n;
	case KD_T_IDENT:
		if (peek2(p)->kind == KD_T_ASSIGN) {
			next(p);
			next(p);
			n = new_node(p, KD_N_ASSIGN, t);
			n->slot = lookup_var(p, t);
			if (n->slot < 0)
				fail_at(p, t->line, t->col, "undeclared variable '%.*s'",
					(int)t->len, t->text);
			n->a = parse_expr(p);
			expect(p, KD_T_SEMI);
			return n;
		}
		/* fall through */
	default:
		n = new_node(p, KD_N_EXPR, t);
		n->a = parse_expr(p);
		expect(p, KD_T_SEMI);
		return n;
	}
}

static struct kd_node *
parse_block(struct parser *p)
{
	const struct kd_token *t = expect(p, KD_T_LBRACE);
	struct kd_node *n = new_node(p, KD_N_BLOCK, t);
	struct kd_node **list = NULL;
	int cap = 0, nvars = p->nvars;

	enter(p);
	p->depth++;
	while (!accept(p, KD_T_RBRACE)) {
		if (peek(p)->kind == KD_T_EOF)
			fail_at(p, t->line, t->col, "unclosed '{'");
		if (n->n == cap) {
			struct kd_node **l;

			cap = cap ? cap * 2 : 8;
			l = arena_alloc(p, sizeof(*l) * (size_t)cap);
			if (n->n)
				memcpy(l, list, sizeof(*l) * (size_t)n->n);
			list = l;
		}
		list[n->n++] = parse_stmt(p);
	}
	p->depth--;
	leave(p);
	p->nvars = nvars;
	n->list = list;
	return n;
}

static size_t
name_hash(const char *s, size_t n)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * (1099511628211ULL & SIZE_MAX);
	return h;
}

/* The index of the function called S (N bytes), or -1. */
static int
find_func(const struct parser *p, const char *s, size_t n)
{
	if (!p->fhcap)
		return -1;
	for (size_t h = name_hash(s, n) & (p->fhcap - 1);; h = (h + 1) & (p->fhcap - 1)) {
		int f = p->fhash[h] - 1;

		if (f < 0)
			return -1;
		if (strlen(p->prog->funcs[f].name) == n && !memcmp(p->prog->funcs[f].name, s, n))
			return f;
	}
}

/* Index function F by name, growing the table to stay at most half full. */
static void
index_func(struct parser *p, int f, const struct kd_token *at)
{
	if ((size_t)(f + 1) * 2 > p->fhcap) {
		size_t cap = p->fhcap ? p->fhcap * 2 : 64;
		int *t = calloc(cap, sizeof(*t));

		if (!t)
			fail_at(p, at->line, at->col, "out of memory");
		free(p->fhash);
		p->fhash = t;
		p->fhcap = cap;
		for (int i = 0; i < f; i++)
			index_func(p, i, at);
	}
	for (size_t h = name_hash(p->prog->funcs[f].name, strlen(p->prog->funcs[f].name)) &
			(p->fhcap - 1);
	     ; h = (h + 1) & (p->fhcap - 1)) {
		if (!p->fhash[h]) {
			p->fhash[h] = f + 1;
			return;
		}
	}
}

static void
parse_function(struct parser *p)
{
	const struct kd_token *fn = expect(p, KD_T_FN);
	const struct kd_token *name = expect(p, KD_T_IDENT);
	struct kd_program *prog = p->prog;
	struct kd_func *f;

	if (find_builtin(name) >= 0)
		fail_at(p, name->line, name->col, "'%.*s' is a builtin", (int)name->len,
			name->text);
	if (find_func(p, name->text, name->len) >= 0) {
		const struct kd_func *old = &prog->funcs[find_func(p, name->text, name->len)];

		fail_at(p, name->line, name->col, "function '%s' is already defined at line %d",
			old->name, old->line);
	}
	if (prog->nfuncs == p->nfuncs_cap) {
		int cap = p->nfuncs_cap ? p->nfuncs_cap * 2 : 16;
		struct kd_func *fs = arena_alloc(p, sizeof(*fs) * (size_t)cap);

		if (prog->nfuncs)
			memcpy(fs, prog->funcs, sizeof(*fs) * (size_t)prog->nfuncs);
		prog->funcs = fs;
		p->nfuncs_cap = cap;
	}
	f = &prog->funcs[prog->nfuncs];
	memset(f, 0, sizeof(*f));
	f->name = arena_strndup(p, name->text, name->len);
	f->line = fn->line;
	f->col = fn->col;
	p->nvars = 0;
	p->nslots = 0;
	p->depth = 0;
	expect(p, KD_T_LPAREN);
	if (!accept(p, KD_T_RPAREN)) {
		do {
			const struct kd_token *param = expect(p, KD_T_IDENT);

			if (f->nparams == KD_MAX_PARAMS)
				fail_at(p, param->line, param->col, "too many parameters (max %d)",
					KD_MAX_PARAMS);
			declare_var(p, param);
			f->nparams++;
		} while (accept(p, KD_T_COMMA));
		expect(p, KD_T_RPAREN);
	}
	f->body = parse_block(p);
	f->end_line = p->toks[p->pos - 1].line;
	f->nslots = p->nslots;
	index_func(p, prog->nfuncs, fn);
	prog->nfuncs++;
}

int
kd_program_find(const struct kd_program *prog, const char *name)
{
	for (int i = 0; i < prog->nfuncs; i++)
		if (!strcmp(prog->funcs[i].name, name))
			return i;
	return -1;
}

static void
resolve(struct parser *p, int need_main)
{
	int m;

	for (size_t i = 0; i < p->ncalls; i++) {
		struct kd_node *c = p->calls[i];
		int f = find_func(p, c->name, strlen(c->name));

		if (f < 0)
			fail_at(p, c->line, c->col, "call to undefined function '%s'", c->name);
		if (p->prog->funcs[f].nparams != c->n)
			fail_at(p, c->line, c->col, "'%s' takes %d argument%s, %d given", c->name,
				p->prog->funcs[f].nparams,
				p->prog->funcs[f].nparams == 1 ? "" : "s", c->n);
		c->callee = f;
	}
	if (!need_main)
		return;
	m = kd_program_find(p->prog, "main");
	if (m < 0)
		fail_at(p, p->toks[p->pos].line, p->toks[p->pos].col, "no function 'main'");
	if (p->prog->funcs[m].nparams)
		fail_at(p, p->prog->funcs[m].line, p->prog->funcs[m].col,
			"'main' must take no parameters");
}

static struct kd_program *
parse(const char *src, size_t len, struct kd_diag *diag, int need_main)
{
	struct kd_token *toks;
	size_t ntoks;
	struct parser *p;
	struct kd_program *prog;

	if (kd_lex(src, len, &toks, &ntoks, diag))
		return NULL;
	p = calloc(1, sizeof(*p));
	prog = calloc(1, sizeof(*prog));
	if (!p || !prog) {
		free(p);
		free(prog);
		free(toks);
		diag->line = diag->col = 1;
		snprintf(diag->msg, sizeof(diag->msg), "out of memory");
		return NULL;
	}
	p->toks = toks;
	p->prog = prog;
	p->diag = diag;
	if (setjmp(p->fail)) {
		kd_program_free(prog);
		prog = NULL;
		goto out;
	}
	while (peek(p)->kind != KD_T_EOF)
		parse_function(p);
	resolve(p, need_main);
out:
	free(p->calls);
	free(p->fhash);
	free(p);
	free(toks);
	return prog;
}

struct kd_program *
kd_parse(const char *src, size_t len, struct kd_diag *diag)
{
	return parse(src, len, diag, 1);
}

struct kd_program *
kd_parse_lib(const char *src, size_t len, struct kd_diag *diag)
{
	return parse(src, len, diag, 0);
}

void
kd_program_free(struct kd_program *prog)
{
	struct kd_arena *a, *n;

	if (!prog)
		return;
	for (a = prog->arena; a; a = n) {
		n = a->next;
		free(a);
	}
	free(prog);
}
