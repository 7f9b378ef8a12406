/* SPDX-License-Identifier: MIT */
/*
 * emit.h - a growable buffer of machine code with its line table (emit.c).
 */
#ifndef KD_EMIT_H
#define KD_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "kitjit.h"

struct kd_buf {
	uint8_t *code;
	size_t len, cap;
	struct kitjit_line *lines; /* strictly increasing offsets */
	size_t nlines, caplines;
	int oom; /* an allocation failed: the contents are garbage */
};

void kd_buf_init(struct kd_buf *b);
void kd_buf_free(struct kd_buf *b);

void kd_emit8(struct kd_buf *b, uint8_t v);
void kd_emit32(struct kd_buf *b, uint32_t v); /* little-endian */
void kd_emit64(struct kd_buf *b, uint64_t v);
void kd_emit_bytes(struct kd_buf *b, const void *p, size_t n);

/* Overwrite the 4 bytes at OFF (a previously emitted position). */
void kd_patch32(struct kd_buf *b, size_t off, uint32_t v);
uint32_t kd_peek32(const struct kd_buf *b, size_t off);

/*
 * Code emitted from here on comes from source line LINE.  A row at the same
 * offset as the last one replaces it; a row with the same line as the last
 * one is dropped, so offsets stay strictly increasing and rows minimal.
 */
void kd_mark_line(struct kd_buf *b, int line);

#endif
