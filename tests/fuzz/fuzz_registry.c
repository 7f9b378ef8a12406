/* SPDX-License-Identifier: MIT */
/*
 * fuzz_registry.c - libFuzzer target for the registry reader: the input
 * is taken as a whole registry (as the tracer would map it from an
 * untrusted process), and as an anchor; it is opened, every change walked with its line
 * table and unwind rule, the journal read, and the tracer-side writers run
 * over it.  Any crash, hang, sanitizer report or unbounded allocation is a
 * bug in shm/.  Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(uint8_t *buf, size_t size)
{
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	struct kt_jreg_lines l;
	struct kt_jreg_unwind u;
	struct kt_jreg_patch rec;
	uint64_t cur = 0, steps = 0;
	uint32_t off, line, slot;
	const char *names[2] = {"a", "main"};

	if (kt_jreg_open(buf, size, &v) != KT_OK)
		return;
	(void)kt_jreg_generation(&v);
	while (kt_jreg_next_change(&v, &cur, &c) == KT_OK) {
		if (strlen(c.name) != c.name_len)
			abort();
		if (kt_jreg_lines(&v, &c, &l) == KT_OK) {
			for (uint32_t i = 0; i < l.nrows && i < 64; i++)
				kt_jreg_line_row(&l, i, &off, &line);
			kt_jreg_line_at(&l, 17, &line);
			if (l.file && strlen(l.file) != l.file_len)
				abort();
		}
		if (kt_jreg_unwind(&v, &c, &u) == KT_OK && u.cfi) {
			volatile uint8_t sink = u.cfi[u.cfi_len - 1];

			(void)sink;
		}
		if (++steps > v.log_max)
			abort(); /* the cursor must always advance */
	}
	for (uint32_t i = 0; i < v.journal_max; i++)
		kt_jreg_journal_get(&v, i, &rec);
	kt_jreg_filter_may_match(buf, size, "main", 4);
	kt_jreg_filter_add(buf, size, "main");
	kt_jreg_filter_set(buf, size, names, 2, false);
	if (kt_jreg_journal_add(buf, size, 0x1000, "ab", "cd", 2, 1, &slot) == KT_OK)
		kt_jreg_journal_clear(buf, size, slot);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t *buf;

	if (size > (16u << 20))
		return 0;
	/* The reader wants 8-byte alignment; give it that, and exact bounds. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	{
		struct kt_jreg_anchor a;

		kt_jreg_anchor_parse(buf, size, &a);
	}
	walk((uint8_t *)buf, size);
	free(buf);
	return 0;
}
