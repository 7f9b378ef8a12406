/* SPDX-License-Identifier: MIT */
/*
 * expr.c - the expression language: lexer, recursive-descent parser into a
 * flat node array, the evaluator (a bounded tree walk that never
 * allocates), and the rendering of values.
 *
 * A parsed expression is one malloc'ed block: struct kt_expr, its nodes
 * (children are indices into the array) and a buffer of the register and
 * symbol names, each NUL-terminated so callbacks get C strings.  All
 * arithmetic is done on uint64_t, where wrapping is defined; signed views
 * are taken only for comparisons and division, after the cases C leaves
 * undefined have been refused.
 */
#include "attr.h"
#include "expr.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op {
	OP_NUM,
	OP_REG,
	OP_HIST,
	OP_SYM,
	OP_NEG,
	OP_POS,
	OP_NOT,
	OP_BITNOT,
	OP_DEREF,
	OP_CAST,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_ADD,
	OP_SUB,
	OP_SHL,
	OP_SHR,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_EQ,
	OP_NE,
	OP_BAND,
	OP_BXOR,
	OP_BOR,
	OP_LAND,
	OP_LOR,
	OP_COND,
	OP_ASSIGN,
};

/* A type: SIZE bytes (0: void), LEVELS stars (0: not a pointer). */
struct ty {
	uint8_t size;
	bool is_signed;
	uint8_t levels;
};

#define NO_KID UINT32_MAX
#define MAX_LEVELS 16

struct node {
	uint8_t op;
	uint16_t height;
	uint32_t pos;
	uint32_t kid[3];
	union {
		struct kt_value val; /* OP_NUM */
		struct ty ty;	     /* OP_CAST */
		struct {
			uint32_t off;
			uint32_t len;
		} name;	   /* OP_REG, OP_SYM */
		long hist; /* OP_HIST */
	} u;
};

struct kt_expr {
	uint32_t root;
	uint32_t nnodes;
	bool writes;
	const char *names;
	struct node nodes[];
};

/* Multi-character punctuators; single ones are their character. */
enum {
	P_SHL = 256,
	P_SHR,
	P_LE,
	P_GE,
	P_EQ,
	P_NE,
	P_LAND,
	P_LOR,
};

enum tok_kind { T_EOF, T_NUM, T_IDENT, T_REG, T_HIST, T_PUNCT };

struct tok {
	enum tok_kind kind;
	size_t pos;	     /* first byte */
	size_t end;	     /* one past the last byte */
	int punct;	     /* T_PUNCT */
	struct kt_value val; /* T_NUM */
	long hist;	     /* T_HIST */
};

struct parser {
	const char *s;
	size_t len;
	struct tok cur;
	struct kt_expr *e;
	uint32_t cap;
	char *names;
	size_t names_used;
	size_t names_cap;
	unsigned depth;
	struct kt_expr_err *err;
};

static const struct kt_expr_env no_env;

static kt_status fail(struct kt_expr_err *err, size_t pos, kt_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static kt_status
fail(struct kt_expr_err *err, size_t pos, kt_status st, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return st;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

/* ---- values ---------------------------------------------------------- */

static bool
valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t
low_mask(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * size)) - 1;
}

/* BITS truncated to SIZE bytes, then sign- or zero-extended. */
static uint64_t
extend(uint64_t bits, unsigned size, bool is_signed)
{
	uint64_t mask = low_mask(size);

	if (size >= 8)
		return bits;
	bits &= mask;
	if (is_signed && (bits >> (8 * size - 1)) & 1)
		bits |= ~mask;
	return bits;
}

static int64_t
s64(uint64_t bits)
{
	int64_t v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

static struct kt_value
make_int(uint64_t bits, unsigned size, bool is_signed)
{
	struct kt_value v = {
		.bits = extend(bits, size, is_signed),
		.size = (uint8_t)size,
		.is_signed = is_signed,
	};
	return v;
}

static struct kt_value
make_of_type(uint64_t bits, struct ty t)
{
	struct kt_value v;

	if (!t.levels)
		return make_int(bits, t.size, t.is_signed);
	v = (struct kt_value){
		.bits = bits,
		.size = 8,
		.is_pointer = true,
		.pointee_size = t.size,
		.pointee_signed = t.is_signed,
		.ptr_levels = t.levels,
	};
	return v;
}

static struct ty
type_of(const struct kt_value *v)
{
	struct ty t;

	if (v->is_pointer) {
		t.size = v->pointee_size;
		t.is_signed = v->pointee_signed;
		t.levels = v->ptr_levels ? v->ptr_levels : 1;
	} else {
		t.size = v->size;
		t.is_signed = v->is_signed;
		t.levels = 0;
	}
	return t;
}

/* Make a value from a callback well-formed (see struct kt_value). */
static void
normalize(struct kt_value *v)
{
	if (v->is_pointer) {
		v->size = 8;
		v->is_signed = false;
		if (!valid_size(v->pointee_size))
			v->pointee_size = 0;
		if (!v->ptr_levels)
			v->ptr_levels = 1;
		else if (v->ptr_levels > MAX_LEVELS)
			v->ptr_levels = MAX_LEVELS;
		return;
	}
	if (!valid_size(v->size))
		v->size = 8;
	v->bits = extend(v->bits, v->size, v->is_signed);
	v->pointee_size = 0;
	v->pointee_signed = false;
	v->ptr_levels = 0;
}

static bool
is_u64(const struct kt_value *v)
{
	return v->is_pointer || (v->size == 8 && !v->is_signed);
}

/* Bytes one step of pointer arithmetic moves. */
static uint64_t
stride(const struct kt_value *v)
{
	if (v->ptr_levels > 1)
		return 8;
	return v->pointee_size ? v->pointee_size : 1;
}

/* -A: 64 bits, unsigned if A is an unsigned 64-bit value or a pointer. */
static struct kt_value
negate(const struct kt_value *a)
{
	return make_int(-a->bits, 8, !is_u64(a));
}

static struct kt_value
make_bool(bool b)
{
	return make_int(b, 4, true);
}

/* ---- lexer ------------------------------------------------------------- */

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int
digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return -1;
}

static unsigned char
byte_at(const struct parser *p, size_t i)
{
	return i < p->len ? (unsigned char)p->s[i] : 0;
}

static kt_status
lex_number(struct parser *p, size_t start, struct tok *t)
{
	size_t i = start, digits, sfx;
	unsigned base = 10, nu = 0, nl = 0;
	uint64_t v = 0;
	const char *what = "decimal";

	if (byte_at(p, i) == '0' && (byte_at(p, i + 1) == 'x' || byte_at(p, i + 1) == 'X')) {
		base = 16;
		what = "hexadecimal";
		i += 2;
	} else if (byte_at(p, i) == '0' && (byte_at(p, i + 1) == 'b' || byte_at(p, i + 1) == 'B')) {
		base = 2;
		what = "binary";
		i += 2;
	} else if (byte_at(p, i) == '0') {
		base = 8;
		what = "octal";
	}
	digits = i;
	for (;; i++) {
		int c = byte_at(p, i);
		int d = digit_value(c);

		if (base == 16 ? (d < 0 || d >= 16) : !is_digit(c))
			break;
		if ((unsigned)d >= base)
			return fail(p->err, i, KT_ERR_SYNTAX, "invalid digit '%c' in %s literal", c,
				    what);
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return fail(p->err, start, KT_ERR_SYNTAX, "integer literal too large");
		v = v * base + (unsigned)d;
	}
	if (i == digits && base != 8)
		return fail(p->err, start, KT_ERR_SYNTAX, "%s literal has no digits", what);
	if (byte_at(p, i) == '.')
		return fail(p->err, i, KT_ERR_SYNTAX, "floating-point literals are not supported");
	sfx = i;
	for (;; i++) {
		int c = byte_at(p, i);

		if (c == 'u' || c == 'U')
			nu++;
		else if (c == 'l' || c == 'L')
			nl++;
		else
			break;
	}
	if (nu > 1 || nl > 2 || is_alpha(byte_at(p, i)) || is_digit(byte_at(p, i)) ||
	    byte_at(p, i) == '.') {
		size_t end = i;

		while (is_alpha(byte_at(p, end)) || is_digit(byte_at(p, end)) ||
		       byte_at(p, end) == '.')
			end++;
		return fail(p->err, sfx, KT_ERR_SYNTAX,
			    "invalid suffix \"%.*s\" on integer literal",
			    (int)(end - sfx > 32 ? 32 : end - sfx), p->s + sfx);
	}
	t->kind = T_NUM;
	t->end = i;
	if (nu && nl)
		t->val = make_int(v, 8, false);
	else if (nu)
		t->val = make_int(v, v <= UINT32_MAX ? 4 : 8, false);
	else if (nl)
		t->val = make_int(v, 8, v > INT64_MAX ? false : true);
	else if (v <= INT32_MAX)
		t->val = make_int(v, 4, true);
	else if (base != 10 && v <= UINT32_MAX)
		t->val = make_int(v, 4, false);
	else if (v <= INT64_MAX)
		t->val = make_int(v, 8, true);
	else
		t->val = make_int(v, 8, false);
	return KT_OK;
}

static kt_status
lex_char(struct parser *p, size_t start, struct tok *t)
{
	size_t i = start + 1;
	unsigned c = byte_at(p, i);

	if (i >= p->len)
		return fail(p->err, start, KT_ERR_SYNTAX, "unterminated character literal");
	if (c == '\'')
		return fail(p->err, start, KT_ERR_SYNTAX, "empty character literal");
	i++;
	if (c == '\\') {
		unsigned e = byte_at(p, i++);

		switch (e) {
		case 'n':
			c = '\n';
			break;
		case 't':
			c = '\t';
			break;
		case 'r':
			c = '\r';
			break;
		case 'a':
			c = '\a';
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'v':
			c = '\v';
			break;
		case 'e':
			c = 0x1b;
			break;
		case '\\':
		case '\'':
		case '"':
		case '?':
			c = e;
			break;
		case 'x': {
			unsigned n = 0;

			c = 0;
			while (digit_value(byte_at(p, i)) >= 0 && digit_value(byte_at(p, i)) < 16) {
				c = c * 16 + (unsigned)digit_value(byte_at(p, i));
				i++;
				if (++n > 2 || c > 0xff)
					return fail(p->err, start, KT_ERR_SYNTAX,
						    "hex escape out of range");
			}
			if (!n)
				return fail(p->err, i - 1, KT_ERR_SYNTAX,
					    "\\x used with no hex digits");
			break;
		}
		default:
			if (e >= '0' && e <= '7') {
				unsigned n = 1;

				c = e - '0';
				while (n < 3 && byte_at(p, i) >= '0' && byte_at(p, i) <= '7') {
					c = c * 8 + (byte_at(p, i) - '0');
					i++;
					n++;
				}
				if (c > 0xff)
					return fail(p->err, start, KT_ERR_SYNTAX,
						    "octal escape out of range");
				break;
			}
			if (i > p->len)
				return fail(p->err, start, KT_ERR_SYNTAX,
					    "unterminated character literal");
			return fail(p->err, i - 2, KT_ERR_SYNTAX, "unknown escape sequence");
		}
	}
	if (i >= p->len)
		return fail(p->err, start, KT_ERR_SYNTAX, "unterminated character literal");
	if (byte_at(p, i) != '\'')
		return fail(p->err, start, KT_ERR_SYNTAX,
			    "character literal has more than one character");
	t->kind = T_NUM;
	t->end = i + 1;
	t->val = make_int(c, 1, CHAR_MIN < 0);
	return KT_OK;
}

static kt_status
lex_dollar(struct parser *p, size_t start, struct tok *t)
{
	size_t i = start + 1;
	bool twice = false;
	long n = 0;

	if (is_alpha(byte_at(p, i))) {
		while (is_alpha(byte_at(p, i)) || is_digit(byte_at(p, i)))
			i++;
		t->kind = T_REG;
		t->end = i;
		return KT_OK;
	}
	if (byte_at(p, i) == '$') {
		twice = true;
		i++;
	}
	if (is_digit(byte_at(p, i))) {
		size_t d0 = i;

		while (is_digit(byte_at(p, i))) {
			if (i - d0 >= 9)
				return fail(p->err, start, KT_ERR_SYNTAX,
					    "history index too large");
			n = n * 10 + (byte_at(p, i) - '0');
			i++;
		}
		t->hist = twice ? -n : n;
	} else {
		t->hist = twice ? -1 : 0;
	}
	if (is_alpha(byte_at(p, i)))
		return fail(p->err, i, KT_ERR_SYNTAX,
			    "unexpected character '%c' after history reference", byte_at(p, i));
	t->kind = T_HIST;
	t->end = i;
	return KT_OK;
}

/* Lex the token starting at or after POS into *T. */
static kt_status
lex(struct parser *p, size_t pos, struct tok *t)
{
	size_t i = pos;
	int c, c1;

	while (i < p->len && is_space(byte_at(p, i)))
		i++;
	memset(t, 0, sizeof(*t));
	t->pos = i;
	if (i >= p->len) {
		t->kind = T_EOF;
		t->end = i;
		return KT_OK;
	}
	c = byte_at(p, i);
	c1 = byte_at(p, i + 1);
	if (is_digit(c))
		return lex_number(p, i, t);
	if (c == '\'')
		return lex_char(p, i, t);
	if (c == '$')
		return lex_dollar(p, i, t);
	if (is_alpha(c)) {
		while (is_alpha(byte_at(p, i)) || is_digit(byte_at(p, i)) || byte_at(p, i) == '.')
			i++;
		t->kind = T_IDENT;
		t->end = i;
		return KT_OK;
	}
	t->kind = T_PUNCT;
	t->end = i + 1;
	t->punct = c;
	switch (c) {
	case '<':
		if (c1 == '<')
			t->punct = P_SHL;
		else if (c1 == '=')
			t->punct = P_LE;
		break;
	case '>':
		if (c1 == '>')
			t->punct = P_SHR;
		else if (c1 == '=')
			t->punct = P_GE;
		break;
	case '=':
		if (c1 == '=')
			t->punct = P_EQ;
		break;
	case '!':
		if (c1 == '=')
			t->punct = P_NE;
		break;
	case '&':
		if (c1 == '&')
			t->punct = P_LAND;
		break;
	case '|':
		if (c1 == '|')
			t->punct = P_LOR;
		break;
	case '+':
	case '-':
	case '*':
	case '/':
	case '%':
	case '^':
	case '~':
	case '?':
	case ':':
	case '(':
	case ')':
		break;
	default:
		if (c > 0x20 && c < 0x7f)
			return fail(p->err, i, KT_ERR_SYNTAX, "unexpected character '%c'", c);
		return fail(p->err, i, KT_ERR_SYNTAX, "unexpected byte 0x%02x", (unsigned)c);
	}
	if (t->punct >= 256)
		t->end = i + 2;
	return KT_OK;
}

static kt_status
advance(struct parser *p)
{
	return lex(p, p->cur.end, &p->cur);
}

static bool
is_punct(const struct parser *p, int punct)
{
	return p->cur.kind == T_PUNCT && p->cur.punct == punct;
}

/* Describe the current token for "unexpected ..." messages. */
static kt_status
unexpected(struct parser *p, const char *expected)
{
	const struct tok *t = &p->cur;
	size_t n = t->end - t->pos;

	if (t->kind == T_EOF)
		return fail(p->err, t->pos, KT_ERR_SYNTAX, "expected %s, found end of expression",
			    expected);
	return fail(p->err, t->pos, KT_ERR_SYNTAX, "expected %s, found '%.*s'", expected,
		    (int)(n > 32 ? 32 : n), p->s + t->pos);
}

/* ---- types ------------------------------------------------------------- */

enum kw {
	KW_NONE,
	KW_VOID,
	KW_CHAR,
	KW_SHORT,
	KW_INT,
	KW_LONG,
	KW_SIGNED,
	KW_UNSIGNED,
	KW_TYPEDEF
};

static const struct {
	const char *name;
	uint8_t size;
	bool is_signed;
} typedefs[] = {
	{"int8_t", 1, true},	{"uint8_t", 1, false},	{"int16_t", 2, true},
	{"uint16_t", 2, false}, {"int32_t", 4, true},	{"uint32_t", 4, false},
	{"int64_t", 8, true},	{"uint64_t", 8, false}, {"size_t", 8, false},
	{"ssize_t", 8, true},	{"intptr_t", 8, true},	{"uintptr_t", 8, false},
	{"ptrdiff_t", 8, true},
};

static const struct {
	const char *name;
	enum kw kw;
} keywords[] = {
	{"void", KW_VOID}, {"char", KW_CHAR},	  {"short", KW_SHORT},	     {"int", KW_INT},
	{"long", KW_LONG}, {"signed", KW_SIGNED}, {"unsigned", KW_UNSIGNED},
};

static bool
word_is(const struct parser *p, const struct tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->end - t->pos == n && memcmp(p->s + t->pos, w, n) == 0;
}

/* The keyword token T is; *TD gets the typedefs[] index for KW_TYPEDEF. */
static enum kw
keyword(const struct parser *p, const struct tok *t, size_t *td)
{
	size_t k;

	if (t->kind != T_IDENT)
		return KW_NONE;
	for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (word_is(p, t, keywords[k].name))
			return keywords[k].kw;
	for (k = 0; k < sizeof(typedefs) / sizeof(typedefs[0]); k++) {
		if (word_is(p, t, typedefs[k].name)) {
			*td = k;
			return KW_TYPEDEF;
		}
	}
	return KW_NONE;
}

/* Parse TYPE '*'* ')' with the current token the first word of TYPE. */
static kt_status
parse_type(struct parser *p, struct ty *out)
{
	unsigned n[KW_TYPEDEF + 1] = {0};
	size_t td = 0, first = p->cur.pos;
	kt_status st;
	enum kw kw;
	size_t tmp;

	while ((kw = keyword(p, &p->cur, &tmp)) != KW_NONE) {
		size_t pos = p->cur.pos;
		bool bad;

		if (kw == KW_TYPEDEF)
			td = tmp;
		n[kw]++;
		bad = (kw == KW_LONG ? n[kw] > 2 : n[kw] > 1) || (n[KW_SIGNED] && n[KW_UNSIGNED]) ||
		      ((n[KW_VOID] || n[KW_TYPEDEF]) &&
		       n[KW_VOID] + n[KW_TYPEDEF] + n[KW_CHAR] + n[KW_SHORT] + n[KW_INT] +
				       n[KW_LONG] + n[KW_SIGNED] + n[KW_UNSIGNED] >
			       1) ||
		      (n[KW_CHAR] && (n[KW_SHORT] || n[KW_INT] || n[KW_LONG])) ||
		      (n[KW_SHORT] && n[KW_LONG]);
		if (bad)
			return fail(p->err, pos, KT_ERR_SYNTAX, "invalid type: unexpected '%.*s'",
				    (int)(p->cur.end - p->cur.pos), p->s + p->cur.pos);
		if ((st = advance(p)))
			return st;
	}
	out->levels = 0;
	if (n[KW_TYPEDEF]) {
		out->size = typedefs[td].size;
		out->is_signed = typedefs[td].is_signed;
	} else if (n[KW_VOID]) {
		out->size = 0;
		out->is_signed = false;
	} else {
		if (n[KW_CHAR])
			out->size = 1;
		else if (n[KW_SHORT])
			out->size = 2;
		else if (n[KW_LONG])
			out->size = 8;
		else
			out->size = 4;
		out->is_signed = n[KW_UNSIGNED] ? false
				 : n[KW_SIGNED] ? true
				 : n[KW_CHAR]	? CHAR_MIN < 0
						: true;
	}
	while (is_punct(p, '*')) {
		if (++out->levels > MAX_LEVELS)
			return fail(p->err, p->cur.pos, KT_ERR_SYNTAX, "too many '*' in type");
		if ((st = advance(p)))
			return st;
	}
	if (!is_punct(p, ')'))
		return p->cur.kind == T_IDENT
			       ? fail(p->err, p->cur.pos, KT_ERR_SYNTAX, "unknown type name '%.*s'",
				      (int)(p->cur.end - p->cur.pos > 32 ? 32
									 : p->cur.end - p->cur.pos),
				      p->s + p->cur.pos)
			       : unexpected(p, "')'");
	if (out->size == 0 && out->levels == 0)
		return fail(p->err, first, KT_ERR_SYNTAX, "cannot cast to void");
	return advance(p);
}

/* ---- parser ------------------------------------------------------------ */

static kt_status
new_node(struct parser *p, enum op op, size_t pos, uint32_t a, uint32_t b, uint32_t c,
	 uint32_t *out)
{
	const uint32_t kids[3] = {a, b, c};
	unsigned height = 1, k;
	struct node *n;

	for (k = 0; k < 3; k++)
		if (kids[k] != NO_KID && p->e->nodes[kids[k]].height + 1u > height)
			height = p->e->nodes[kids[k]].height + 1u;
	if (height > KT_EXPR_MAX_DEPTH)
		return fail(p->err, pos, KT_ERR_SYNTAX, "expression nested too deeply");
	if (p->e->nnodes >= p->cap)
		return fail(p->err, pos, KT_ERR_SYNTAX, "expression too complex");
	n = &p->e->nodes[p->e->nnodes];
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->height = (uint16_t)height;
	n->pos = (uint32_t)pos;
	n->kid[0] = a;
	n->kid[1] = b;
	n->kid[2] = c;
	*out = p->e->nnodes++;
	return KT_OK;
}

/* A node for the name token [BEGIN, END) of kind OP. */
static kt_status
name_node(struct parser *p, enum op op, size_t pos, size_t begin, size_t end, uint32_t *out)
{
	size_t n = end - begin;
	kt_status st;

	if (p->names_used + n + 1 > p->names_cap)
		return fail(p->err, pos, KT_ERR_SYNTAX, "expression too complex");
	if ((st = new_node(p, op, pos, NO_KID, NO_KID, NO_KID, out)))
		return st;
	memcpy(p->names + p->names_used, p->s + begin, n);
	p->names[p->names_used + n] = '\0';
	p->e->nodes[*out].u.name.off = (uint32_t)p->names_used;
	p->e->nodes[*out].u.name.len = (uint32_t)n;
	p->names_used += n + 1;
	return KT_OK;
}

static kt_status
enter(struct parser *p)
{
	if (++p->depth > KT_EXPR_MAX_DEPTH)
		return fail(p->err, p->cur.pos, KT_ERR_SYNTAX, "expression nested too deeply");
	return KT_OK;
}

static kt_status parse_assign(struct parser *p, uint32_t *out);

static kt_status
parse_primary(struct parser *p, uint32_t *out)
{
	struct tok t = p->cur;
	kt_status st;
	size_t td;

	switch (t.kind) {
	case T_NUM:
		if ((st = new_node(p, OP_NUM, t.pos, NO_KID, NO_KID, NO_KID, out)))
			return st;
		p->e->nodes[*out].u.val = t.val;
		return advance(p);
	case T_HIST:
		if ((st = new_node(p, OP_HIST, t.pos, NO_KID, NO_KID, NO_KID, out)))
			return st;
		p->e->nodes[*out].u.hist = t.hist;
		return advance(p);
	case T_REG:
		if ((st = name_node(p, OP_REG, t.pos, t.pos + 1, t.end, out)))
			return st;
		return advance(p);
	case T_IDENT:
		if (keyword(p, &t, &td) != KW_NONE)
			return fail(p->err, t.pos, KT_ERR_SYNTAX, "unexpected type name '%.*s'",
				    (int)(t.end - t.pos), p->s + t.pos);
		if ((st = name_node(p, OP_SYM, t.pos, t.pos, t.end, out)))
			return st;
		return advance(p);
	case T_PUNCT:
		if (t.punct != '(')
			break;
		if ((st = advance(p)) || (st = parse_assign(p, out)))
			return st;
		if (!is_punct(p, ')'))
			return unexpected(p, "')'");
		return advance(p);
	case T_EOF:
		break;
	}
	return unexpected(p, "expression");
}

static kt_status
parse_unary(struct parser *p, uint32_t *out)
{
	size_t pos = p->cur.pos, td;
	enum op op;
	uint32_t kid;
	kt_status st;
	struct tok next;
	struct ty ty;

	if (p->cur.kind != T_PUNCT)
		return parse_primary(p, out);
	switch (p->cur.punct) {
	case '-':
		op = OP_NEG;
		break;
	case '+':
		op = OP_POS;
		break;
	case '!':
		op = OP_NOT;
		break;
	case '~':
		op = OP_BITNOT;
		break;
	case '*':
		op = OP_DEREF;
		break;
	case '&':
		if ((st = advance(p)))
			return st;
		if (p->cur.kind != T_IDENT || keyword(p, &p->cur, &td) != KW_NONE)
			return fail(p->err, p->cur.pos, KT_ERR_SYNTAX,
				    "'&' can only take the address of a "
				    "symbol");
		return parse_primary(p, out);
	case '(':
		if ((st = lex(p, p->cur.end, &next)))
			return st;
		if (keyword(p, &next, &td) == KW_NONE)
			return parse_primary(p, out);
		p->cur = next;
		if ((st = parse_type(p, &ty)) || (st = enter(p)) || (st = parse_unary(p, &kid)))
			return st;
		p->depth--;
		if ((st = new_node(p, OP_CAST, pos, kid, NO_KID, NO_KID, out)))
			return st;
		p->e->nodes[*out].u.ty = ty;
		return KT_OK;
	default:
		return parse_primary(p, out);
	}
	if ((st = advance(p)) || (st = enter(p)) || (st = parse_unary(p, &kid)))
		return st;
	p->depth--;
	if (op == OP_NEG && p->e->nodes[kid].op == OP_NUM) {
		/* A negative literal is a constant, not an operation on one. */
		p->e->nodes[kid].u.val = negate(&p->e->nodes[kid].u.val);
		*out = kid;
		return KT_OK;
	}
	return new_node(p, op, pos, kid, NO_KID, NO_KID, out);
}

/* Binary operator of the current token and its precedence, or 0. */
static int
binop(const struct parser *p, enum op *op)
{
	static const struct {
		int punct;
		enum op op;
		int prec;
	} table[] = {
		{'*', OP_MUL, 10},    {'/', OP_DIV, 10},  {'%', OP_MOD, 10},  {'+', OP_ADD, 9},
		{'-', OP_SUB, 9},     {P_SHL, OP_SHL, 8}, {P_SHR, OP_SHR, 8}, {'<', OP_LT, 7},
		{P_LE, OP_LE, 7},     {'>', OP_GT, 7},	  {P_GE, OP_GE, 7},   {P_EQ, OP_EQ, 6},
		{P_NE, OP_NE, 6},     {'&', OP_BAND, 5},  {'^', OP_BXOR, 4},  {'|', OP_BOR, 3},
		{P_LAND, OP_LAND, 2}, {P_LOR, OP_LOR, 1},
	};
	size_t k;

	if (p->cur.kind != T_PUNCT)
		return 0;
	for (k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
		if (table[k].punct == p->cur.punct) {
			*op = table[k].op;
			return table[k].prec;
		}
	}
	return 0;
}

/* Precedence climbing; recursion is bounded by the number of levels. */
static kt_status
parse_binary(struct parser *p, int min_prec, uint32_t *out)
{
	uint32_t lhs, rhs;
	kt_status st;
	enum op op;
	int prec;

	if ((st = parse_unary(p, &lhs)))
		return st;
	while ((prec = binop(p, &op)) >= min_prec && prec > 0) {
		size_t pos = p->cur.pos;

		if ((st = advance(p)) || (st = parse_binary(p, prec + 1, &rhs)))
			return st;
		if ((st = new_node(p, op, pos, lhs, rhs, NO_KID, &lhs)))
			return st;
	}
	*out = lhs;
	return KT_OK;
}

static kt_status
parse_ternary(struct parser *p, uint32_t *out)
{
	uint32_t c, a, b;
	kt_status st;
	size_t pos;

	if ((st = parse_binary(p, 1, &c)))
		return st;
	if (!is_punct(p, '?')) {
		*out = c;
		return KT_OK;
	}
	pos = p->cur.pos;
	if ((st = advance(p)) || (st = enter(p)) || (st = parse_assign(p, &a)))
		return st;
	if (!is_punct(p, ':'))
		return unexpected(p, "':'");
	if ((st = advance(p)) || (st = parse_ternary(p, &b)))
		return st;
	p->depth--;
	return new_node(p, OP_COND, pos, c, a, b, out);
}

static kt_status
parse_assign(struct parser *p, uint32_t *out)
{
	uint32_t lhs, rhs;
	kt_status st;
	size_t pos;
	uint8_t op;

	if ((st = enter(p)) || (st = parse_ternary(p, &lhs)))
		return st;
	if (!is_punct(p, '=')) {
		p->depth--;
		*out = lhs;
		return KT_OK;
	}
	pos = p->cur.pos;
	op = p->e->nodes[lhs].op;
	if (op != OP_REG && op != OP_DEREF)
		return fail(p->err, pos, KT_ERR_SYNTAX,
			    "left operand of '=' is not a register or a "
			    "dereference");
	if ((st = advance(p)) || (st = parse_assign(p, &rhs)))
		return st;
	p->depth--;
	p->e->writes = true;
	return new_node(p, OP_ASSIGN, pos, lhs, rhs, NO_KID, out);
}

kt_status
kt_expr_parse(const char *text, struct kt_expr **out, struct kt_expr_err *err)
{
	struct parser p;
	size_t len, nodes_size;
	kt_status st;
	uint32_t root;

	if (err) {
		err->pos = 0;
		err->msg[0] = '\0';
	}
	if (!out)
		return fail(err, 0, KT_ERR_INVAL, "no place for the result");
	*out = NULL;
	if (!text)
		return fail(err, 0, KT_ERR_INVAL, "no expression text");
	len = strnlen(text, KT_EXPR_MAX_LEN + 1);
	if (len > KT_EXPR_MAX_LEN)
		return fail(err, KT_EXPR_MAX_LEN, KT_ERR_SYNTAX, "expression longer than %d bytes",
			    KT_EXPR_MAX_LEN);

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.err = err;
	/* Every node consumes at least one byte of text but the first. */
	p.cap = (uint32_t)len + 1;
	p.names_cap = 2 * len + 2;
	nodes_size = sizeof(struct kt_expr) + p.cap * sizeof(struct node);
	p.e = malloc(nodes_size + p.names_cap);
	if (!p.e)
		return fail(err, 0, KT_ERR_NOMEM, "out of memory");
	p.e->nnodes = 0;
	p.e->writes = false;
	p.names = (char *)p.e + nodes_size;
	p.e->names = p.names;

	if ((st = lex(&p, 0, &p.cur)) || (st = parse_assign(&p, &root)))
		goto out_free;
	if (p.cur.kind != T_EOF) {
		st = unexpected(&p, "end of expression");
		goto out_free;
	}
	p.e->root = root;
	*out = p.e;
	return KT_OK;

out_free:
	free(p.e);
	return st;
}

bool
kt_expr_is_assignment(const struct kt_expr *e)
{
	return e && e->writes;
}

void
kt_expr_free(struct kt_expr *e)
{
	free(e);
}

/* ---- evaluator --------------------------------------------------------- */

struct eval {
	const struct kt_expr *e;
	const struct kt_expr_env *env;
	struct kt_expr_err *err;
};

static kt_status eval(const struct eval *x, uint32_t i, struct kt_value *out);

static const char *
name_of(const struct eval *x, const struct node *n)
{
	return x->e->names + n->u.name.off;
}

/* Name length clipped so messages fit. */
static int
name_len(const struct node *n)
{
	return n->u.name.len > 48 ? 48 : (int)n->u.name.len;
}

static kt_status
load_reg(const struct eval *x, const struct node *n, struct kt_value *out)
{
	kt_status st;

	if (!x->env->get_reg)
		return fail(x->err, n->pos, KT_ERR_UNSUPPORTED, "registers are not available");
	memset(out, 0, sizeof(*out));
	st = x->env->get_reg(x->env->ctx, name_of(x, n), n->u.name.len, out);
	if (st == KT_ERR_NOTFOUND)
		return fail(x->err, n->pos, st, "unknown register $%.*s", name_len(n),
			    name_of(x, n));
	if (st)
		return fail(x->err, n->pos, st, "cannot read $%.*s: %s", name_len(n), name_of(x, n),
			    kt_strerror(st));
	normalize(out);
	return KT_OK;
}

static kt_status
load_hist(const struct eval *x, const struct node *n, struct kt_value *out)
{
	kt_status st;
	char ref[32];

	if (n->u.hist > 0)
		snprintf(ref, sizeof(ref), "$%ld", n->u.hist);
	else if (n->u.hist == 0)
		snprintf(ref, sizeof(ref), "$");
	else if (n->u.hist == -1)
		snprintf(ref, sizeof(ref), "$$");
	else
		snprintf(ref, sizeof(ref), "$$%ld", -n->u.hist);
	if (!x->env->history)
		return fail(x->err, n->pos, KT_ERR_UNSUPPORTED, "value history is not available");
	memset(out, 0, sizeof(*out));
	st = x->env->history(x->env->ctx, n->u.hist, out);
	if (st == KT_ERR_NOTFOUND || st == KT_ERR_RANGE)
		return fail(x->err, n->pos, st, "history has not yet reached %s", ref);
	if (st)
		return fail(x->err, n->pos, st, "cannot read %s: %s", ref, kt_strerror(st));
	normalize(out);
	return KT_OK;
}

static kt_status
load_sym(const struct eval *x, const struct node *n, struct kt_value *out)
{
	uint64_t addr = 0;
	kt_status st;

	if (!x->env->symbol)
		return fail(x->err, n->pos, KT_ERR_UNSUPPORTED, "symbols are not available");
	st = x->env->symbol(x->env->ctx, name_of(x, n), n->u.name.len, &addr);
	if (st == KT_ERR_NOTFOUND)
		return fail(x->err, n->pos, st, "no symbol \"%.*s\" in current context",
			    name_len(n), name_of(x, n));
	if (st)
		return fail(x->err, n->pos, st, "cannot look up \"%.*s\": %s", name_len(n),
			    name_of(x, n), kt_strerror(st));
	*out = make_of_type(addr, (struct ty){.size = 0, .levels = 1});
	return KT_OK;
}

/* The type *V has, for reading or writing through V. */
static kt_status
target_type(const struct eval *x, const struct node *n, const struct kt_value *v, struct ty *t)
{
	if (!v->is_pointer) {
		*t = (struct ty){.size = 4, .is_signed = true};
		return KT_OK;
	}
	*t = type_of(v);
	t->levels--;
	if (!t->levels && !t->size)
		return fail(x->err, n->pos, KT_ERR_INVAL, "cannot dereference a void pointer");
	return KT_OK;
}

static unsigned
type_bytes(struct ty t)
{
	return t.levels ? 8 : t.size;
}

static kt_status
deref(const struct eval *x, const struct node *n, const struct kt_value *p, struct kt_value *out)
{
	uint8_t buf[8] = {0};
	uint64_t bits = 0;
	unsigned size, k;
	kt_status st;
	struct ty t;

	if ((st = target_type(x, n, p, &t)))
		return st;
	size = type_bytes(t);
	if (!x->env->read_mem)
		return fail(x->err, n->pos, KT_ERR_UNSUPPORTED, "memory is not available");
	st = x->env->read_mem(x->env->ctx, p->bits, buf, size);
	if (st == KT_ERR_MEM)
		return fail(x->err, n->pos, st, "cannot access memory at address 0x%" PRIx64,
			    p->bits);
	if (st)
		return fail(x->err, n->pos, st, "cannot read memory at address 0x%" PRIx64 ": %s",
			    p->bits, kt_strerror(st));
	for (k = size; k-- > 0;)
		bits = bits << 8 | buf[k];
	*out = make_of_type(bits, t);
	return KT_OK;
}

static kt_status
assign(const struct eval *x, const struct node *n, struct kt_value *out)
{
	const struct node *lhs = &x->e->nodes[n->kid[0]];
	struct kt_value addr, rhs, reg;
	uint8_t buf[8];
	unsigned size, k;
	kt_status st;
	struct ty t;

	if (lhs->op == OP_REG) {
		if ((st = eval(x, n->kid[1], &rhs)))
			return st;
		if (!x->env->set_reg)
			return fail(x->err, n->pos, KT_ERR_UNSUPPORTED,
				    "cannot write registers here");
		st = KT_ERR_NOTFOUND;
		if (x->env->get_reg) {
			memset(&reg, 0, sizeof(reg));
			st = x->env->get_reg(x->env->ctx, name_of(x, lhs), lhs->u.name.len, &reg);
			if (st && st != KT_ERR_NOTFOUND)
				return fail(x->err, lhs->pos, st, "cannot read $%.*s: %s",
					    name_len(lhs), name_of(x, lhs), kt_strerror(st));
		}
		if (!st) {
			normalize(&reg);
			rhs = make_of_type(rhs.bits, type_of(&reg));
		}
		st = x->env->set_reg(x->env->ctx, name_of(x, lhs), lhs->u.name.len, rhs.bits);
		if (st == KT_ERR_NOTFOUND)
			return fail(x->err, lhs->pos, st, "unknown register $%.*s", name_len(lhs),
				    name_of(x, lhs));
		if (st)
			return fail(x->err, n->pos, st, "cannot write $%.*s: %s", name_len(lhs),
				    name_of(x, lhs), kt_strerror(st));
		*out = rhs;
		return KT_OK;
	}
	/* The parser only lets OP_REG and OP_DEREF through. */
	if ((st = eval(x, lhs->kid[0], &addr)) || (st = target_type(x, lhs, &addr, &t)) ||
	    (st = eval(x, n->kid[1], &rhs)))
		return st;
	rhs = make_of_type(rhs.bits, t);
	size = type_bytes(t);
	for (k = 0; k < size; k++)
		buf[k] = (uint8_t)(rhs.bits >> (8 * k));
	if (!x->env->write_mem)
		return fail(x->err, n->pos, KT_ERR_UNSUPPORTED, "cannot write memory here");
	st = x->env->write_mem(x->env->ctx, addr.bits, buf, size);
	if (st == KT_ERR_MEM)
		return fail(x->err, lhs->pos, st, "cannot access memory at address 0x%" PRIx64,
			    addr.bits);
	if (st)
		return fail(x->err, lhs->pos, st,
			    "cannot write memory at address 0x%" PRIx64 ": %s", addr.bits,
			    kt_strerror(st));
	*out = rhs;
	return KT_OK;
}

static kt_status
add_sub(const struct eval *x, const struct node *n, const struct kt_value *a,
	const struct kt_value *b, struct kt_value *out)
{
	bool sub = n->op == OP_SUB;

	if (a->is_pointer && b->is_pointer) {
		uint64_t s = stride(a);

		if (!sub)
			return fail(x->err, n->pos, KT_ERR_INVAL, "cannot add two pointers");
		if (s != stride(b) || a->ptr_levels != b->ptr_levels ||
		    (a->ptr_levels == 1 && a->pointee_size &&
		     a->pointee_signed != b->pointee_signed))
			return fail(x->err, n->pos, KT_ERR_INVAL,
				    "cannot subtract pointers to different "
				    "types");
		*out = make_int((uint64_t)(s64(a->bits - b->bits) / (int64_t)s), 8, true);
		return KT_OK;
	}
	if (a->is_pointer) {
		uint64_t d = b->bits * stride(a);

		*out = *a;
		out->bits = sub ? a->bits - d : a->bits + d;
		return KT_OK;
	}
	if (b->is_pointer) {
		if (sub)
			return fail(x->err, n->pos, KT_ERR_INVAL,
				    "cannot subtract a pointer from an "
				    "integer");
		*out = *b;
		out->bits = b->bits + a->bits * stride(b);
		return KT_OK;
	}
	*out = make_int(sub ? a->bits - b->bits : a->bits + b->bits, 8, !(is_u64(a) || is_u64(b)));
	return KT_OK;
}

_Static_assert(OP_LE - OP_LT == KT_CMP_LE && OP_GT - OP_LT == KT_CMP_GT &&
		       OP_GE - OP_LT == KT_CMP_GE && OP_EQ - OP_LT == KT_CMP_EQ &&
		       OP_NE - OP_LT == KT_CMP_NE,
	       "enum kt_cmp follows enum op");

KT_HOT bool
kt_expr_compare(enum kt_cmp op, const struct kt_value *a, const struct kt_value *b)
{
	bool uns = is_u64(a) || is_u64(b);
	uint64_t p = a->bits, q = b->bits;
	int64_t sp = s64(p), sq = s64(q);

	switch (op) {
	case KT_CMP_LT:
		return uns ? p < q : sp < sq;
	case KT_CMP_LE:
		return uns ? p <= q : sp <= sq;
	case KT_CMP_GT:
		return uns ? p > q : sp > sq;
	case KT_CMP_GE:
		return uns ? p >= q : sp >= sq;
	case KT_CMP_EQ:
		return p == q;
	default:
		return p != q;
	}
}

bool
kt_expr_regcmp(const struct kt_expr *e, struct kt_expr_regcmp *out)
{
	if (!e)
		return false;
	const struct node *n = &e->nodes[e->root];
	if (n->op < OP_LT || n->op > OP_NE)
		return false;
	const struct node *l = &e->nodes[n->kid[0]], *r = &e->nodes[n->kid[1]];
	if (l->op == OP_REG && r->op == OP_NUM)
		out->reg_left = true;
	else if (l->op == OP_NUM && r->op == OP_REG)
		out->reg_left = false;
	else
		return false;
	const struct node *reg = out->reg_left ? l : r;
	out->reg = e->names + reg->u.name.off;
	out->len = reg->u.name.len;
	out->op = (enum kt_cmp)(n->op - OP_LT);
	out->k = (out->reg_left ? r : l)->u.val;
	return true;
}

static kt_status
binary(const struct eval *x, const struct node *n, const struct kt_value *a,
       const struct kt_value *b, struct kt_value *out)
{
	bool uns = is_u64(a) || is_u64(b);
	uint64_t p = a->bits, q = b->bits, r = 0;
	int64_t sp = s64(p), sq = s64(q);

	switch ((enum op)n->op) {
	case OP_ADD:
	case OP_SUB:
		return add_sub(x, n, a, b, out);
	case OP_MUL:
		r = p * q;
		break;
	case OP_DIV:
	case OP_MOD:
		if (q == 0)
			return fail(x->err, n->pos, KT_ERR_RANGE, "division by zero");
		if (uns) {
			r = n->op == OP_DIV ? p / q : p % q;
		} else {
			if (sp == INT64_MIN && sq == -1)
				return fail(x->err, n->pos, KT_ERR_RANGE, "division overflow");
			r = (uint64_t)(n->op == OP_DIV ? sp / sq : sp % sq);
		}
		break;
	case OP_SHL:
	case OP_SHR:
		if (is_u64(b) ? q >= 64 : (sq < 0 || sq >= 64))
			return fail(x->err, n->pos, KT_ERR_RANGE, "shift count out of range");
		uns = is_u64(a);
		if (n->op == OP_SHL)
			r = p << q;
		else if (uns || sp >= 0)
			r = p >> q;
		else
			r = ~(~p >> q);
		break;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
	case OP_EQ:
	case OP_NE:
		*out = make_bool(kt_expr_compare((enum kt_cmp)(n->op - OP_LT), a, b));
		return KT_OK;
	case OP_BAND:
		r = p & q;
		break;
	case OP_BXOR:
		r = p ^ q;
		break;
	case OP_BOR:
		r = p | q;
		break;
	default:
		return fail(x->err, n->pos, KT_ERR_CORRUPT, "internal error: bad operator %u",
			    n->op);
	}
	*out = make_int(r, 8, !uns);
	return KT_OK;
}

static kt_status
eval(const struct eval *x, uint32_t i, struct kt_value *out)
{
	const struct node *n = &x->e->nodes[i];
	struct kt_value a, b;
	kt_status st;

	switch ((enum op)n->op) {
	case OP_NUM:
		*out = n->u.val;
		return KT_OK;
	case OP_REG:
		return load_reg(x, n, out);
	case OP_HIST:
		return load_hist(x, n, out);
	case OP_SYM:
		return load_sym(x, n, out);
	case OP_ASSIGN:
		return assign(x, n, out);
	case OP_LAND:
	case OP_LOR:
		if ((st = eval(x, n->kid[0], &a)))
			return st;
		if (kt_value_true(&a) == (n->op == OP_LOR)) {
			*out = make_bool(n->op == OP_LOR);
			return KT_OK;
		}
		if ((st = eval(x, n->kid[1], &b)))
			return st;
		*out = make_bool(kt_value_true(&b));
		return KT_OK;
	case OP_COND:
		if ((st = eval(x, n->kid[0], &a)))
			return st;
		return eval(x, n->kid[kt_value_true(&a) ? 1 : 2], out);
	default:
		break;
	}
	if ((st = eval(x, n->kid[0], &a)))
		return st;
	switch ((enum op)n->op) {
	case OP_NEG:
		*out = negate(&a);
		return KT_OK;
	case OP_POS:
		*out = a;
		return KT_OK;
	case OP_NOT:
		*out = make_bool(!kt_value_true(&a));
		return KT_OK;
	case OP_BITNOT:
		*out = make_int(~a.bits, 8, !is_u64(&a));
		return KT_OK;
	case OP_DEREF:
		return deref(x, n, &a, out);
	case OP_CAST:
		*out = make_of_type(a.bits, n->u.ty);
		return KT_OK;
	default:
		break;
	}
	if ((st = eval(x, n->kid[1], &b)))
		return st;
	return binary(x, n, &a, &b, out);
}

kt_status
kt_expr_eval(const struct kt_expr *e, const struct kt_expr_env *env, struct kt_value *out,
	     struct kt_expr_err *err)
{
	struct eval x = {.e = e, .env = env ? env : &no_env, .err = err};

	if (err) {
		err->pos = 0;
		err->msg[0] = '\0';
	}
	if (!e || !out)
		return fail(err, 0, KT_ERR_INVAL, "no expression or no result");
	return eval(&x, e->root, out);
}

/* ---- rendering --------------------------------------------------------- */

/* "97 'a'" for the byte C, GDB style; NUM is the number shown. */
static int
format_char(char *tmp, size_t n, long long num, unsigned char c)
{
	static const char esc[] = "\a\b\t\n\v\f\r";
	static const char letters[] = "abtnvfr";
	const char *hit = c ? strchr(esc, c) : NULL;

	if (hit)
		return snprintf(tmp, n, "%lld '\\%c'", num, letters[hit - esc]);
	if (c == '\\' || c == '\'')
		return snprintf(tmp, n, "%lld '\\%c'", num, c);
	if (c >= 0x20 && c < 0x7f)
		return snprintf(tmp, n, "%lld '%c'", num, c);
	return snprintf(tmp, n, "%lld '\\%03o'", num, c);
}

size_t
kt_value_format(const struct kt_value *v, char fmt, char *buf, size_t len)
{
	char tmp[80];
	unsigned size, k;
	uint64_t raw;
	int n = 0;

	if (buf && len)
		buf[0] = '\0';
	if (!v)
		return 0;
	size = v->is_pointer ? 8 : valid_size(v->size) ? v->size : 8;
	raw = v->bits & low_mask(size);
	switch (fmt) {
	case 0:
		if (v->is_pointer)
			n = snprintf(tmp, sizeof(tmp), "0x%" PRIx64, raw);
		else if (size == 1)
			n = format_char(tmp, sizeof(tmp), s64(extend(raw, 1, v->is_signed)),
					(unsigned char)raw);
		else if (v->is_signed)
			n = snprintf(tmp, sizeof(tmp), "%" PRId64, s64(extend(raw, size, true)));
		else
			n = snprintf(tmp, sizeof(tmp), "%" PRIu64, raw);
		break;
	case 'x':
		n = snprintf(tmp, sizeof(tmp), "0x%" PRIx64, raw);
		break;
	case 'a':
		/* An address is 64 bits wide: -1 is 0xffffffffffffffff. */
		n = snprintf(tmp, sizeof(tmp), "0x%" PRIx64, extend(raw, size, v->is_signed));
		break;
	case 'z':
		n = snprintf(tmp, sizeof(tmp), "0x%0*" PRIx64, (int)(2 * size), raw);
		break;
	case 'd':
		n = snprintf(tmp, sizeof(tmp), "%" PRId64, s64(extend(raw, size, true)));
		break;
	case 'u':
		n = snprintf(tmp, sizeof(tmp), "%" PRIu64, raw);
		break;
	case 'o':
		n = snprintf(tmp, sizeof(tmp), raw ? "0%" PRIo64 : "%" PRIo64, raw);
		break;
	case 't':
		k = 64;
		while (k > 1 && !((raw >> (k - 1)) & 1))
			k--;
		for (n = 0; k-- > 0; n++)
			tmp[n] = (char)('0' + ((raw >> k) & 1));
		tmp[n] = '\0';
		break;
	case 'c':
		n = format_char(tmp, sizeof(tmp), s64(extend(raw, 1, CHAR_MIN < 0)),
				(unsigned char)raw);
		break;
	default:
		return 0;
	}
	if (n < 0)
		return 0;
	if (buf && len)
		snprintf(buf, len, "%s", tmp);
	return (size_t)n;
}

bool
kt_value_true(const struct kt_value *v)
{
	unsigned size;

	if (!v)
		return false;
	size = v->is_pointer ? 8 : valid_size(v->size) ? v->size : 8;
	return (v->bits & low_mask(size)) != 0;
}
