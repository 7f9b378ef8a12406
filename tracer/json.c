/* SPDX-License-Identifier: MIT */
/*
 * json.c - the streaming JSON writer (see json.h).
 */
#include "json.h"

#include <string.h>

void
kt_json_init(struct kt_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

/* Length of the valid UTF-8 sequence at P (2..4), or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (n == 0 || p[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xf0 && p[1] < 0x90) ||
	    (p[0] == 0xf4 && p[1] > 0x8f) || (p[0] == 0xed && p[1] > 0x9f))
		return 0; /* overlong, past U+10FFFF, or a surrogate */
	return n;
}

/* S as a JSON string: escaped, and valid UTF-8 even when S is not (bytes
 * that are not part of a valid sequence become U+FFFD). */
static void
escaped(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80) {
			size_t n = utf8_len(p);
			if (n == 0) {
				fputs("\\ufffd", f);
			} else {
				fwrite(p, 1, n, f);
				p += n - 1;
			}
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, indentation and key before a member. */
static void
member(struct kt_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->depth > 0) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	if (key) {
		escaped(j->f, key);
		fputs(": ", j->f);
	}
}

static void
open_(struct kt_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth < 31)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_(struct kt_json *j, char c)
{
	bool empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void
kt_json_obj(struct kt_json *j, const char *key)
{
	open_(j, key, '{');
}

void
kt_json_arr(struct kt_json *j, const char *key)
{
	open_(j, key, '[');
}

void
kt_json_end_obj(struct kt_json *j)
{
	close_(j, '}');
}

void
kt_json_end_arr(struct kt_json *j)
{
	close_(j, ']');
}

void
kt_json_str(struct kt_json *j, const char *key, const char *v)
{
	member(j, key);
	if (v)
		escaped(j->f, v);
	else
		fputs("null", j->f);
}

void
kt_json_int(struct kt_json *j, const char *key, long long v)
{
	member(j, key);
	fprintf(j->f, "%lld", v);
}

void
kt_json_hex(struct kt_json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "\"0x%llx\"", (unsigned long long)v);
}

void
kt_json_bool(struct kt_json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
kt_json_null(struct kt_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}
