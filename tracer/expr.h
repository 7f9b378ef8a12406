/* SPDX-License-Identifier: MIT */
/*
 * expr.h - the expression language of `print EXPR`, `x ADDR`, breakpoint
 * conditions (`break f if COND`), `set $REG = EXPR` and
 * `set *(TYPE *)ADDR = EXPR`.
 *
 * This module owns the grammar, the parser, the evaluator, the typed 64-bit
 * value (struct kt_value) and its rendering.  It knows nothing of processes:
 * registers, symbols, memory and the value history are reached only through
 * the callbacks of struct kt_expr_env, so the whole language is unit-tested
 * without a tracee.
 *
 * Grammar (C precedence and associativity, lowest first):
 *
 *   assign  := ternary [ '=' assign ]            lvalue: $reg, *EXPR
 *   ternary := binary [ '?' assign ':' ternary ]
 *   binary  := || && | ^ & (== !=) (< <= > >=) (<< >>) (+ -) (* / %)
 *   unary   := ('-' | '+' | '!' | '~' | '*') unary | '&' SYMBOL
 *            | '(' TYPE ')' unary | primary
 *   primary := NUMBER | 'c' | $reg | $ | $N | $$ | $$N | SYMBOL | '(' assign ')'
 *   TYPE    := char | signed char | unsigned char | [unsigned] short [int]
 *            | [unsigned] int | unsigned | [unsigned] long [int]
 *            | [unsigned] long long [int] | int8_t .. int64_t
 *            | uint8_t .. uint64_t | size_t | ssize_t | intptr_t
 *            | uintptr_t | ptrdiff_t | void (pointers only), then '*'s
 *
 * Semantics, in short: every value is 64 bits wide with a C type; values
 * narrower than 8 bytes are kept sign- or zero-extended.  Arithmetic (and
 * unary - and ~) yields a 64-bit result, unsigned if an operand is an
 * unsigned 64-bit value or a pointer, signed otherwise (for << and >> only
 * the left operand counts); comparisons, !, && and || yield int
 * 0 or 1.  Pointer +/- integer scales by the pointee size (void * by 1);
 * pointer - pointer of the same type gives the element count.  Other
 * operators treat a pointer as an unsigned 64-bit integer.  *P reads the
 * pointee (little endian); *N of a plain integer reads an int, as in GDB.
 * Division or modulo by zero, INT64_MIN / -1 and shifts by a negative count
 * or by 64 or more are errors (KT_ERR_RANGE), never undefined behaviour.
 * Integer literals take C's type (int, unsigned int, long, unsigned long,
 * chosen by value, base and the u / l suffixes); a character literal is a
 * char.  `char` is signed or unsigned as on the host.
 */
#ifndef KT_EXPR_H
#define KT_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Longest expression text kt_expr_parse() accepts, in bytes. */
#define KT_EXPR_MAX_LEN 4096

/*
 * Deepest nesting kt_expr_parse() accepts: parentheses, unary operators,
 * casts, ?: branches and assignments each open one level, and no parsed
 * tree is taller than this (a chain like 1+1+...+1 counts one level per
 * operator).  Evaluation recursion is bounded by the same number.
 */
#define KT_EXPR_MAX_DEPTH 256

/*
 * A typed value.  BITS holds the value sign- or zero-extended to 64 bits
 * from SIZE bytes (1, 2, 4 or 8) according to IS_SIGNED.  A pointer has
 * IS_POINTER set, SIZE 8 and IS_SIGNED false; POINTEE_SIZE and
 * POINTEE_SIGNED describe the type at the end of the chain of stars
 * (POINTEE_SIZE 0 means void), and PTR_LEVELS counts the stars (0 is read
 * as 1, so a zeroed field means `T *`).  Values handed in by callbacks are
 * normalised (an invalid size is read as 8, bits are re-extended).
 */
struct kt_value {
	uint64_t bits;
	uint8_t size;
	bool is_signed;
	bool is_pointer;
	uint8_t pointee_size;
	bool pointee_signed;
	uint8_t ptr_levels;
};

/*
 * Where and why parsing or evaluation failed: POS is the 0-based byte
 * offset in the expression text of the offending token (or operator), MSG
 * a NUL-terminated sentence without the position, e.g. "expected ')'".
 * Callers print it as "%s at %zu".
 */
struct kt_expr_err {
	size_t pos;
	char msg[128];
};

/*
 * The world an expression is evaluated in.  Every callback may be NULL: an
 * expression that needs it then fails with KT_ERR_UNSUPPORTED ("... not
 * available").  Names are passed without the '$', as NAME and LEN; NAME is
 * also NUL-terminated.  A callback returns KT_OK, KT_ERR_NOTFOUND for an
 * unknown name (or a history index out of range), KT_ERR_MEM for memory it
 * cannot access, or any other status, which evaluation passes on.
 *
 * get_reg   - the value of register (or convenience variable) NAME, with its
 *             own type: general registers signed 64-bit, pc/sp/fp unsigned
 *             pointers.  $pc, $sp and $fp are just names.
 * set_reg   - store VALUE into NAME.  When get_reg knows NAME, VALUE has
 *             been converted to the register's type first (truncated to
 *             its size, then sign- or zero-extended to 64 bits).
 * symbol    - the address of symbol NAME.
 * read_mem  - read LEN (1..8) bytes at ADDR into BUF.
 * write_mem - write LEN (1..8) bytes from BUF at ADDR (little endian).
 * history   - value history: INDEX > 0 is $INDEX, 0 is $ (the last value),
 *             -1 is $$ (the one before), -N is $$N.
 */
struct kt_expr_env {
	void *ctx;
	kt_status (*get_reg)(void *ctx, const char *name, size_t len, struct kt_value *out);
	kt_status (*set_reg)(void *ctx, const char *name, size_t len, uint64_t value);
	kt_status (*symbol)(void *ctx, const char *name, size_t len, uint64_t *addr);
	kt_status (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t len);
	kt_status (*write_mem)(void *ctx, uint64_t addr, const void *buf, size_t len);
	kt_status (*history)(void *ctx, long index, struct kt_value *out);
};

/* A parsed expression: immutable, so evaluation is reentrant. */
struct kt_expr;

/*
 * Parse the NUL-terminated TEXT into *OUT.  Returns KT_OK, KT_ERR_SYNTAX
 * for any malformed, too long (KT_EXPR_MAX_LEN) or too deeply nested
 * (KT_EXPR_MAX_DEPTH) text, KT_ERR_NOMEM, or KT_ERR_INVAL for a NULL TEXT or
 * OUT.  On failure *OUT is NULL and, when ERR is not NULL, ERR says where
 * and why.  Never reads past the NUL.  The only allocation is the one block
 * kt_expr_free() releases.
 */
kt_status kt_expr_parse(const char *text, struct kt_expr **out, struct kt_expr_err *err);

/*
 * Evaluate E in ENV into *OUT.  Does not allocate and touches nothing but
 * its arguments and the callbacks, so any number of threads may evaluate
 * one expression at once; recursion is at most KT_EXPR_MAX_DEPTH deep.  On
 * failure returns the status (KT_ERR_RANGE for division by zero, division
 * overflow or a bad shift count, KT_ERR_INVAL for a type error such as
 * dereferencing a void pointer or adding two pointers, KT_ERR_MEM,
 * KT_ERR_NOTFOUND, KT_ERR_UNSUPPORTED for a missing callback, or whatever
 * a callback returned), leaves *OUT unspecified and, when ERR is not NULL,
 * fills it.  A non-lvalue on the left of '=' is already a parse error.
 * Operands of &&, || and the branch of ?: not taken are not evaluated; in
 * an assignment the address is evaluated before the right-hand side.
 */
kt_status kt_expr_eval(const struct kt_expr *e, const struct kt_expr_env *env, struct kt_value *out,
		       struct kt_expr_err *err);

/*
 * True if E contains an assignment anywhere, so evaluating it may write
 * registers or memory (a condition that does is usually a mistake).
 */
bool kt_expr_is_assignment(const struct kt_expr *e);

/* The comparison operators, in the order of the grammar's. */
enum kt_cmp { KT_CMP_LT, KT_CMP_LE, KT_CMP_GT, KT_CMP_GE, KT_CMP_EQ, KT_CMP_NE };

/*
 * A OP B as kt_expr_eval compares (unsigned if either is an unsigned 64-bit
 * value or a pointer, signed otherwise), for normalised A and B.
 */
bool kt_expr_compare(enum kt_cmp op, const struct kt_value *a, const struct kt_value *b);

/*
 * The shape of a comparison of one register with a constant ("$rdi < 0",
 * "5 == $eax"): the register's name (LEN bytes, NUL-terminated, owned by
 * the expression), the operator, the constant K and which side the
 * register is on.  kt_expr_regcmp fills *OUT and returns true when E has
 * that shape and nothing else; then evaluating E in any environment is
 * kt_expr_compare of the register's normalised value (from get_reg) and K,
 * in that order when REG_LEFT, with the result as an int 0 or 1.
 */
struct kt_expr_regcmp {
	const char *reg;
	size_t len;
	enum kt_cmp op;
	struct kt_value k;
	bool reg_left;
};
bool kt_expr_regcmp(const struct kt_expr *e, struct kt_expr_regcmp *out);

/* Release E; NULL is allowed. */
void kt_expr_free(struct kt_expr *e);

/*
 * Render V like GDB's print into BUF (LEN bytes, always NUL-terminated when
 * LEN > 0; BUF may be NULL when LEN is 0) and return the length the full
 * text has, like snprintf.  FMT 0 is the natural form: pointers as 0x hex,
 * 1-byte values as a number and a character (97 'a'), others in signed or
 * unsigned decimal.  Format letters, applied to the low SIZE bytes:
 * x hex, d signed decimal, u unsigned decimal, o octal (leading 0),
 * t binary, c number and character of the low byte, a address (0x hex of
 * the value extended to 64 bits; naming the symbol is the caller's
 * business), z zero-padded hex.  An unknown letter writes "" and returns 0
 * (every valid format writes at least one character).
 */
size_t kt_value_format(const struct kt_value *v, char fmt, char *buf, size_t len);

/* Truthiness for conditions: the low SIZE bytes of V are not all zero. */
bool kt_value_true(const struct kt_value *v);

#endif
