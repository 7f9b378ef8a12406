/* SPDX-License-Identifier: MIT */
/*
 * lexer.c - the kit lexer.  It owns the token set and the lexical rules:
 * `#` starts a comment to the end of the line; identifiers are
 * [A-Za-z_][A-Za-z0-9_]*; numbers are decimal or 0x-hexadecimal and must fit
 * in a signed 64-bit integer; whitespace separates tokens.  Line and column
 * (both from 1, a tab counting as one column) are tracked for every token so
 * that errors can be reported as FILE:LINE:COL.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

static const struct {
	const char *word;
	enum kd_tok_kind kind;
} keywords[] = {
	{"fn", KD_T_FN},     {"var", KD_T_VAR},	    {"if", KD_T_IF},
	{"else", KD_T_ELSE}, {"while", KD_T_WHILE}, {"return", KD_T_RETURN},
};

const char *
kd_tok_name(enum kd_tok_kind kind)
{
	static const char *const names[] = {
		[KD_T_EOF] = "end of file", [KD_T_IDENT] = "identifier", [KD_T_NUM] = "number",
		[KD_T_FN] = "'fn'",	    [KD_T_VAR] = "'var'",	 [KD_T_IF] = "'if'",
		[KD_T_ELSE] = "'else'",	    [KD_T_WHILE] = "'while'",	 [KD_T_RETURN] = "'return'",
		[KD_T_LPAREN] = "'('",	    [KD_T_RPAREN] = "')'",	 [KD_T_LBRACE] = "'{'",
		[KD_T_RBRACE] = "'}'",	    [KD_T_COMMA] = "','",	 [KD_T_SEMI] = "';'",
		[KD_T_ASSIGN] = "'='",	    [KD_T_PLUS] = "'+'",	 [KD_T_MINUS] = "'-'",
		[KD_T_STAR] = "'*'",	    [KD_T_SLASH] = "'/'",	 [KD_T_PERCENT] = "'%'",
		[KD_T_LT] = "'<'",	    [KD_T_LE] = "'<='",		 [KD_T_GT] = "'>'",
		[KD_T_GE] = "'>='",	    [KD_T_EQ] = "'=='",		 [KD_T_NE] = "'!='",
		[KD_T_ANDAND] = "'&&'",	    [KD_T_OROR] = "'||'",	 [KD_T_BANG] = "'!'",
	};

	if ((size_t)kind < sizeof(names) / sizeof(names[0]) && names[kind])
		return names[kind];
	return "token";
}

static int
set_diag(struct kd_diag *diag, int line, int col, const char *msg, int c)
{
	diag->line = line;
	diag->col = col;
	if (isprint(c))
		snprintf(diag->msg, sizeof(diag->msg), "%s '%c'", msg, c);
	else if (c >= 0)
		snprintf(diag->msg, sizeof(diag->msg), "%s (byte 0x%02x)", msg, c);
	else
		snprintf(diag->msg, sizeof(diag->msg), "%s", msg);
	return -1;
}

/* Parse the number at S (N bytes long); 0 on success, -1 if it overflows. */
static int
parse_number(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < n; i++) {
		unsigned d;

		if (isdigit((unsigned char)s[i]))
			d = (unsigned)(s[i] - '0');
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
		else
			return -1;
		if (v > ((uint64_t)INT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = (int64_t)v;
	return 0;
}

static int
push_token(struct kd_token **toks, size_t *n, size_t *cap, const struct kd_token *t)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct kd_token *p = realloc(*toks, ncap * sizeof(*p));

		if (!p)
			return -1;
		*toks = p;
		*cap = ncap;
	}
	(*toks)[(*n)++] = *t;
	return 0;
}

/* The punctuation token at S (with LEFT bytes left), or KD_T_EOF; sets *LEN. */
static enum kd_tok_kind
punct(const char *s, size_t left, size_t *len)
{
	char c = s[0], d = left > 1 ? s[1] : '\0';

	*len = 2;
	if (c == '<' && d == '=')
		return KD_T_LE;
	if (c == '>' && d == '=')
		return KD_T_GE;
	if (c == '=' && d == '=')
		return KD_T_EQ;
	if (c == '!' && d == '=')
		return KD_T_NE;
	if (c == '&' && d == '&')
		return KD_T_ANDAND;
	if (c == '|' && d == '|')
		return KD_T_OROR;
	*len = 1;
	switch (c) {
	case '(':
		return KD_T_LPAREN;
	case ')':
		return KD_T_RPAREN;
	case '{':
		return KD_T_LBRACE;
	case '}':
		return KD_T_RBRACE;
	case ',':
		return KD_T_COMMA;
	case ';':
		return KD_T_SEMI;
	case '=':
		return KD_T_ASSIGN;
	case '+':
		return KD_T_PLUS;
	case '-':
		return KD_T_MINUS;
	case '*':
		return KD_T_STAR;
	case '/':
		return KD_T_SLASH;
	case '%':
		return KD_T_PERCENT;
	case '<':
		return KD_T_LT;
	case '>':
		return KD_T_GT;
	case '!':
		return KD_T_BANG;
	default:
		return KD_T_EOF;
	}
}

int
kd_lex(const char *src, size_t len, struct kd_token **toks, size_t *ntoks, struct kd_diag *diag)
{
	struct kd_token *out = NULL;
	size_t n = 0, cap = 0, i = 0;
	int line = 1, col = 1;

	while (i <= len) {
		struct kd_token t = {.line = line, .col = col, .text = src + i};
		unsigned char c = i < len ? (unsigned char)src[i] : 0;
		size_t tl = 1;

		if (i == len) {
			t.kind = KD_T_EOF;
			t.len = 0;
			if (push_token(&out, &n, &cap, &t))
				goto nomem;
			break;
		}
		if (c == '\n') {
			line++;
			col = 1;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			col++;
			i++;
			continue;
		}
		if (c == '#') {
			while (i < len && src[i] != '\n')
				i++;
			continue;
		}
		if (isalpha(c) || c == '_') {
			while (i + tl < len &&
			       (isalnum((unsigned char)src[i + tl]) || src[i + tl] == '_'))
				tl++;
			t.kind = KD_T_IDENT;
			for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
				if (strlen(keywords[k].word) == tl &&
				    !memcmp(keywords[k].word, t.text, tl))
					t.kind = keywords[k].kind;
		} else if (isdigit(c)) {
			while (i + tl < len && isalnum((unsigned char)src[i + tl]))
				tl++;
			t.kind = KD_T_NUM;
			if (parse_number(t.text, tl, &t.num)) {
				free(out);
				return set_diag(diag, line, col,
						"bad number or number out of range", -1);
			}
		} else {
			t.kind = punct(src + i, len - i, &tl);
			if (t.kind == KD_T_EOF) {
				free(out);
				return set_diag(diag, line, col, "unexpected character", c);
			}
		}
		t.len = tl;
		if (push_token(&out, &n, &cap, &t))
			goto nomem;
		i += tl;
		col += (int)tl;
	}
	*toks = out;
	*ntoks = n;
	return 0;
nomem:
	free(out);
	return set_diag(diag, line, col, "out of memory", -1);
}
