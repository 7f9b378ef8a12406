/* SPDX-License-Identifier: MIT */
/*
 * registry_read.c - the validating reader of the registry, used by the
 * tracer (and by the library to re-check a registry it did not format).
 * Nothing read is trusted: every offset, length and count is bounded by
 * the byte range and the layout before it is used, records are copied out
 * of the mapping before they are checked (so a writer changing them under
 * us cannot make a checked value unchecked), and corruption yields
 * KT_ERR_CORRUPT, never a crash, a loop or an allocation.
 */
#include "registry.h"

#include <string.h>

#include "registry_int.h"

/* Copy the fields of the header at BASE we need, with the atomic loads
 * the concurrently written ones need. */
static void
header_copy(const uint8_t *base, struct kt_jreg_header *h)
{
	memcpy(h, base, offsetof(struct kt_jreg_header, entries_reserved));
}

static bool
is_pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

kt_status
kt_jreg_open(const void *base, size_t len, struct kt_jreg_view *v)
{
	struct kt_jreg_header h;
	uint64_t total, end;

	if (!base || !v || ((uintptr_t)base & 7))
		return KT_ERR_INVAL;
	if (len < sizeof(struct kt_jreg_header))
		return len >= 8 && memcmp(base, KT_JREG_MAGIC, 8) == 0 ? KT_ERR_CORRUPT
								       : KT_ERR_NOTFOUND;
	header_copy(base, &h);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (memcmp(h.magic, KT_JREG_MAGIC, 8) != 0)
		return KT_ERR_NOTFOUND;
	if (h.version != KT_JREG_VERSION)
		return KT_ERR_UNSUPPORTED;
	if (h.header_size < sizeof(struct kt_jreg_header) || h.header_size > KT_JREG_HEADER_AREA ||
	    (h.header_size & 7) || h.entry_size < sizeof(struct kt_jreg_entry) ||
	    h.entry_size > 4096 || (h.entry_size & 7) ||
	    h.patch_size < sizeof(struct kt_jreg_patch) || h.patch_size > 4096 ||
	    (h.patch_size & 7))
		return KT_ERR_CORRUPT;
	total = h.total_size;
	if (total > len || total < h.header_size)
		return KT_ERR_CORRUPT;

	/* The regions, in this order, each within the registry and 8-byte
	 * aligned: filter, journal, entries, log, heap. */
	end = h.header_size;
	if ((h.filter_off & 7) || !is_pow2(h.filter_bytes) || h.filter_bytes < 8 ||
	    h.filter_hashes < 1 || h.filter_hashes > 16 ||
	    !kt_jreg_in(h.filter_off, h.filter_bytes, end, total))
		return KT_ERR_CORRUPT;
	end = h.filter_off + h.filter_bytes;
	if ((h.journal_off & 7) || h.journal_max > 65536 ||
	    !kt_jreg_in(h.journal_off, (uint64_t)h.journal_max * h.patch_size, end, total))
		return KT_ERR_CORRUPT;
	end = h.journal_off + (uint64_t)h.journal_max * h.patch_size;
	if ((h.entries_off & 7) || h.entries_max > UINT32_MAX - 1 ||
	    h.entries_max > total / h.entry_size ||
	    !kt_jreg_in(h.entries_off, h.entries_max * h.entry_size, end, total))
		return KT_ERR_CORRUPT;
	end = h.entries_off + h.entries_max * h.entry_size;
	if ((h.log_off & 7) || h.log_max > total / 8 ||
	    !kt_jreg_in(h.log_off, h.log_max * 8, end, total))
		return KT_ERR_CORRUPT;
	end = h.log_off + h.log_max * 8;
	if ((h.heap_off & 7) || h.heap_off < end || h.heap_end < h.heap_off || h.heap_end > total)
		return KT_ERR_CORRUPT;
	if (h.scratch_addr && (h.scratch_slot_size == 0 || h.scratch_slots == 0))
		return KT_ERR_CORRUPT;

	memset(v, 0, sizeof(*v));
	v->base = base;
	v->len = total;
	v->version = h.version;
	v->header_size = h.header_size;
	v->entry_size = h.entry_size;
	v->patch_size = h.patch_size;
	v->pid = h.pid;
	v->total_size = total;
	v->filter_off = h.filter_off;
	v->filter_bytes = h.filter_bytes;
	v->filter_hashes = h.filter_hashes;
	v->journal_off = h.journal_off;
	v->journal_max = h.journal_max;
	v->entries_off = h.entries_off;
	v->entries_max = h.entries_max;
	v->log_off = h.log_off;
	v->log_max = h.log_max;
	v->heap_off = h.heap_off;
	v->heap_end = h.heap_end;
	v->scratch_addr = h.scratch_addr;
	v->scratch_slot_size = h.scratch_slot_size;
	v->scratch_slots = h.scratch_slots;
	return KT_OK;
}

kt_status
kt_jreg_anchor_parse(const void *buf, size_t len, struct kt_jreg_anchor *out)
{
	if (!buf || !out)
		return KT_ERR_INVAL;
	if (len < 12 || memcmp(buf, KT_ANCHOR_MAGIC, 8) != 0)
		return KT_ERR_NOTFOUND;
	memset(out, 0, sizeof(*out));
	memcpy(out, buf, len < sizeof(*out) ? len : sizeof(*out));
	if (out->version != KT_ANCHOR_VERSION)
		return KT_ERR_UNSUPPORTED;
	if (len < sizeof(*out) || out->anchor_size < sizeof(*out))
		return KT_ERR_CORRUPT;
	if (out->state != KT_ANCHOR_READY)
		return out->state <= KT_ANCHOR_FAILED ? KT_ERR_STATE : KT_ERR_CORRUPT;
	if (out->registry_addr == 0 || (out->registry_addr & 7) ||
	    out->registry_size < sizeof(struct kt_jreg_header) ||
	    out->registry_size > (1ull << 46) ||
	    out->registry_addr + out->registry_size < out->registry_addr || out->memfd < -1)
		return KT_ERR_CORRUPT;
	return KT_OK;
}

uint64_t
kt_jreg_generation(const struct kt_jreg_view *v)
{
	uint64_t n = KT_LOAD_ACQ(&kt_jreg_hdr(v->base)->log_reserved);

	return n < v->log_max ? n : v->log_max;
}

/* Validate that a blob of at least MIN bytes starts at OFF in the heap. */
static bool
blob_ok(const struct kt_jreg_view *v, uint64_t off, uint64_t min)
{
	return off == 0 || (!(off & 7) && kt_jreg_in(off, min, v->heap_off, v->heap_end));
}

/* Read and validate entry IDX into C (kind and generation left to the caller). */
static kt_status
entry_read(const struct kt_jreg_view *v, uint64_t idx, struct kt_jreg_change *c,
	   struct kt_jreg_entry *e, uint32_t *state)
{
	const uint8_t *ep;
	const char *name;

	if (idx >= v->entries_max)
		return KT_ERR_RANGE;
	ep = v->base + v->entries_off + idx * v->entry_size;
	memcpy(e, ep, sizeof(*e));
	*state = KT_LOAD_ACQ((const uint32_t *)(ep + offsetof(struct kt_jreg_entry, state)));
	if (*state != KT_JREG_ENTRY_LIVE && *state != KT_JREG_ENTRY_DEAD)
		return KT_ERR_CORRUPT;
	if (e->size == 0 || e->start + e->size < e->start)
		return KT_ERR_CORRUPT;
	if (e->name_len > KT_JREG_NAME_MAX ||
	    !kt_jreg_in(e->name_off, (uint64_t)e->name_len + 1, v->heap_off, v->heap_end))
		return KT_ERR_CORRUPT;
	name = (const char *)v->base + e->name_off;
	if (name[e->name_len] != 0 || memchr(name, 0, e->name_len) != NULL)
		return KT_ERR_CORRUPT;
	if (!blob_ok(v, e->lines_off, sizeof(struct kt_jreg_lines_blob)) ||
	    !blob_ok(v, e->unwind_off, sizeof(struct kt_jreg_unwind_blob)))
		return KT_ERR_CORRUPT;
	memset(c, 0, sizeof(*c));
	c->entry_generation = e->generation;
	c->index = (uint32_t)idx;
	c->live = *state == KT_JREG_ENTRY_LIVE;
	c->start = e->start;
	c->size = e->size;
	c->name = name;
	c->name_len = e->name_len;
	c->lines_off = e->lines_off;
	c->unwind_off = e->unwind_off;
	return KT_OK;
}

kt_status
kt_jreg_entry_get(const struct kt_jreg_view *v, uint32_t index, struct kt_jreg_change *c)
{
	struct kt_jreg_entry e;
	uint32_t state;
	kt_status st = entry_read(v, index, c, &e, &state);

	if (st != KT_OK)
		return st;
	if (e.generation == 0)
		return KT_ERR_CORRUPT;
	c->kind = state == KT_JREG_ENTRY_LIVE ? KT_JREG_ADDED : KT_JREG_REMOVED;
	c->generation = e.generation;
	return KT_OK;
}

kt_status
kt_jreg_next_change(const struct kt_jreg_view *v, uint64_t *cursor, struct kt_jreg_change *c)
{
	struct kt_jreg_entry e;
	uint64_t i = *cursor, word, kind, idx;
	uint32_t state;
	kt_status st;

	for (;;) {
		if (i >= kt_jreg_generation(v))
			return KT_ERR_NOTFOUND;
		word = KT_LOAD_ACQ((const uint64_t *)(v->base + v->log_off + i * 8));
		if (word == 0)
			return KT_ERR_NOTFOUND;
		if (word != KT_JREG_LOG_NOP)
			break;
		*cursor = ++i; /* bounded by log_max */
	}
	kind = word >> KT_JREG_LOG_KIND_SHIFT;
	idx = word & KT_JREG_LOG_INDEX_MASK;
	if ((kind != KT_JREG_LOG_ADD && kind != KT_JREG_LOG_REMOVE) || idx == 0 ||
	    idx > v->entries_max)
		return KT_ERR_CORRUPT;
	if ((st = entry_read(v, idx - 1, c, &e, &state)) != KT_OK)
		return st == KT_ERR_RANGE ? KT_ERR_CORRUPT : st;
	if (kind == KT_JREG_LOG_ADD
		    ? e.generation != i + 1
		    : (e.generation == 0 || e.generation > i || state != KT_JREG_ENTRY_DEAD))
		return KT_ERR_CORRUPT;
	c->kind = kind == KT_JREG_LOG_ADD ? KT_JREG_ADDED : KT_JREG_REMOVED;
	c->generation = i + 1;
	*cursor = i + 1;
	return KT_OK;
}

kt_status
kt_jreg_lines(const struct kt_jreg_view *v, const struct kt_jreg_change *c,
	      struct kt_jreg_lines *out)
{
	struct kt_jreg_lines_blob b;
	uint64_t off = c->lines_off, p;

	if (off == 0)
		return KT_ERR_NOTFOUND;
	if (!blob_ok(v, off, sizeof(b)))
		return KT_ERR_CORRUPT;
	memcpy(&b, v->base + off, sizeof(b));
	if (b.nrows == 0 || b.nrows > KT_JREG_LINES_MAX || b.file_len > KT_JREG_FILE_MAX)
		return KT_ERR_CORRUPT;
	p = off + sizeof(b);
	if (!kt_jreg_in(p, kt_jreg_round8((uint64_t)b.file_len + 1), v->heap_off, v->heap_end))
		return KT_ERR_CORRUPT;
	out->file = NULL;
	out->file_len = 0;
	if (b.file_len) {
		const char *f = (const char *)v->base + p;

		if (f[b.file_len] != 0 || memchr(f, 0, b.file_len))
			return KT_ERR_CORRUPT;
		out->file = f;
		out->file_len = b.file_len;
	}
	p += kt_jreg_round8((uint64_t)b.file_len + 1);
	if (!kt_jreg_in(p, (uint64_t)b.nrows * 8, v->heap_off, v->heap_end))
		return KT_ERR_CORRUPT;
	out->rows = v->base + p;
	out->nrows = b.nrows;
	return KT_OK;
}

void
kt_jreg_line_row(const struct kt_jreg_lines *l, uint32_t i, uint32_t *offset, uint32_t *line)
{
	uint32_t r[2];

	memcpy(r, l->rows + (uint64_t)i * 8, 8);
	*offset = r[0];
	*line = r[1];
}

kt_status
kt_jreg_line_index(const struct kt_jreg_lines *l, uint32_t off, uint32_t *index)
{
	uint32_t lo = 0, hi = l->nrows, o, ln;

	/* Find the first row with offset > OFF; the answer is the one before. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		kt_jreg_line_row(l, mid, &o, &ln);
		if (o <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return KT_ERR_NOTFOUND;
	*index = lo - 1;
	return KT_OK;
}

kt_status
kt_jreg_line_at(const struct kt_jreg_lines *l, uint32_t off, uint32_t *line)
{
	uint32_t i, o;
	kt_status st = kt_jreg_line_index(l, off, &i);

	if (st == KT_OK)
		kt_jreg_line_row(l, i, &o, line);
	return st;
}

kt_status
kt_jreg_unwind(const struct kt_jreg_view *v, const struct kt_jreg_change *c,
	       struct kt_jreg_unwind *out)
{
	struct kt_jreg_unwind_blob b;
	uint64_t off = c->unwind_off;

	if (off == 0)
		return KT_ERR_NOTFOUND;
	if (!blob_ok(v, off, sizeof(b)))
		return KT_ERR_CORRUPT;
	memcpy(&b, v->base + off, sizeof(b));
	memset(out, 0, sizeof(*out));
	out->kind = b.kind;
	out->prologue_len = b.prologue_len;
	switch (b.kind) {
	case 1:
		if (b.cfi_len != 0 || b.prologue_len > c->size)
			return KT_ERR_CORRUPT;
		return KT_OK;
	case 2:
		if (b.cfi_len == 0 || b.cfi_len > KT_JREG_CFI_MAX ||
		    !kt_jreg_in(off + sizeof(b), b.cfi_len, v->heap_off, v->heap_end))
			return KT_ERR_CORRUPT;
		out->cfi = v->base + off + sizeof(b);
		out->cfi_len = b.cfi_len;
		return KT_OK;
	default:
		return KT_ERR_CORRUPT;
	}
}

kt_status
kt_jreg_journal_get(const struct kt_jreg_view *v, uint32_t slot, struct kt_jreg_patch *out)
{
	const uint8_t *r;

	if (slot >= v->journal_max)
		return KT_ERR_RANGE;
	r = v->base + v->journal_off + (uint64_t)slot * v->patch_size;
	if (KT_LOAD_ACQ((const uint32_t *)r) != KT_JREG_PATCH_ARMED)
		return KT_ERR_NOTFOUND;
	memcpy(out, r, sizeof(*out));
	if (out->len == 0 || out->len > KT_JREG_PATCH_MAX)
		return KT_ERR_CORRUPT;
	return KT_OK;
}
