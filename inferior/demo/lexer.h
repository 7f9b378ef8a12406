/* SPDX-License-Identifier: MIT */
/*
 * lexer.h - turns kit source text into an array of tokens (see lexer.c).
 */
#ifndef KD_LEXER_H
#define KD_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"

enum kd_tok_kind {
	KD_T_EOF,
	KD_T_IDENT,
	KD_T_NUM,
	/* keywords */
	KD_T_FN,
	KD_T_VAR,
	KD_T_IF,
	KD_T_ELSE,
	KD_T_WHILE,
	KD_T_RETURN,
	/* punctuation */
	KD_T_LPAREN,
	KD_T_RPAREN,
	KD_T_LBRACE,
	KD_T_RBRACE,
	KD_T_COMMA,
	KD_T_SEMI,
	KD_T_ASSIGN,
	KD_T_PLUS,
	KD_T_MINUS,
	KD_T_STAR,
	KD_T_SLASH,
	KD_T_PERCENT,
	KD_T_LT,
	KD_T_LE,
	KD_T_GT,
	KD_T_GE,
	KD_T_EQ,
	KD_T_NE,
	KD_T_ANDAND,
	KD_T_OROR,
	KD_T_BANG,
};

struct kd_token {
	enum kd_tok_kind kind;
	int line;
	int col;
	const char *text; /* into the source; not NUL-terminated */
	size_t len;
	int64_t num; /* KD_T_NUM */
};

/*
 * Split SRC (LEN bytes) into tokens, the last one KD_T_EOF.  Returns 0 and
 * a malloc'd array in *TOKS (count in *NTOKS), or -1 with DIAG filled in.
 */
int kd_lex(const char *src, size_t len, struct kd_token **toks, size_t *ntoks,
	   struct kd_diag *diag);

/* A short printable name of a token kind, for messages ("';'", "identifier"). */
const char *kd_tok_name(enum kd_tok_kind kind);

#endif
