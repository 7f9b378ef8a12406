/* SPDX-License-Identifier: MIT */
/*
 * emit.c - the code buffer both back ends write into.  It owns growth (an
 * allocation failure sets a sticky flag the caller checks once at the end,
 * so emitters need no error paths), little-endian encoding, back-patching of
 * branch displacements and the line table: rows of (code offset, source
 * line), kept sorted and minimal as code is appended.
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

void
kd_buf_init(struct kd_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
kd_buf_free(struct kd_buf *b)
{
	free(b->code);
	free(b->lines);
	kd_buf_init(b);
}

static int
reserve(struct kd_buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		uint8_t *c;

		while (cap < b->len + n)
			cap *= 2;
		c = realloc(b->code, cap);
		if (!c) {
			b->oom = 1;
			return -1;
		}
		b->code = c;
		b->cap = cap;
	}
	return 0;
}

void
kd_emit_bytes(struct kd_buf *b, const void *p, size_t n)
{
	if (reserve(b, n))
		return;
	memcpy(b->code + b->len, p, n);
	b->len += n;
}

void
kd_emit8(struct kd_buf *b, uint8_t v)
{
	kd_emit_bytes(b, &v, 1);
}

void
kd_emit32(struct kd_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	kd_emit_bytes(b, x, sizeof(x));
}

void
kd_emit64(struct kd_buf *b, uint64_t v)
{
	kd_emit32(b, (uint32_t)v);
	kd_emit32(b, (uint32_t)(v >> 32));
}

void
kd_patch32(struct kd_buf *b, size_t off, uint32_t v)
{
	if (b->oom || off + 4 > b->len)
		return;
	b->code[off] = (uint8_t)v;
	b->code[off + 1] = (uint8_t)(v >> 8);
	b->code[off + 2] = (uint8_t)(v >> 16);
	b->code[off + 3] = (uint8_t)(v >> 24);
}

uint32_t
kd_peek32(const struct kd_buf *b, size_t off)
{
	if (b->oom || off + 4 > b->len)
		return 0;
	return (uint32_t)b->code[off] | (uint32_t)b->code[off + 1] << 8 |
	       (uint32_t)b->code[off + 2] << 16 | (uint32_t)b->code[off + 3] << 24;
}

void
kd_mark_line(struct kd_buf *b, int line)
{
	struct kitjit_line *last = b->nlines ? &b->lines[b->nlines - 1] : NULL;

	if (b->oom || line <= 0)
		return;
	if (last && last->offset == b->len) {
		last->line = (uint32_t)line;
		/* the row may now repeat the one before it */
		if (b->nlines > 1 && b->lines[b->nlines - 2].line == (uint32_t)line)
			b->nlines--;
		return;
	}
	if (last && last->line == (uint32_t)line)
		return;
	if (b->nlines == b->caplines) {
		size_t cap = b->caplines ? b->caplines * 2 : 32;
		struct kitjit_line *l = realloc(b->lines, cap * sizeof(*l));

		if (!l) {
			b->oom = 1;
			return;
		}
		b->lines = l;
		b->caplines = cap;
	}
	b->lines[b->nlines].offset = (uint32_t)b->len;
	b->lines[b->nlines].line = (uint32_t)line;
	b->nlines++;
}
