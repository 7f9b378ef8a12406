/* SPDX-License-Identifier: MIT */
/*
 * registry_write.c - the writer side of the registry, used by libkitjit:
 * formatting an empty registry, publishing and retracting entries
 * lock-free, the filter test that decides whether a registration calls the
 * debug hook, and the journal lookups of the self-healing signal handler.
 * The only place that writes the library-owned part of the registry.
 */
#include "registry.h"

#include <string.h>

#include "registry_int.h"

_Static_assert(sizeof(struct kt_jreg_entry) == 64, "entry is 64 bytes");
_Static_assert(sizeof(struct kt_jreg_patch) == 64, "patch record is 64 bytes");
_Static_assert(offsetof(struct kt_jreg_header, entries_reserved) == 192,
	       "writer counters start at byte 192");
_Static_assert(sizeof(struct kt_jreg_header) <= KT_JREG_HEADER_AREA, "header fits its area");
_Static_assert(sizeof(struct kt_jreg_lines_blob) == 8, "lines blob header");
_Static_assert(sizeof(struct kt_jreg_unwind_blob) == 16, "unwind blob header");

uint64_t
kt_jreg_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

bool
kt_jreg_bloom_test(const uint8_t *bits, uint64_t nbytes, uint64_t hashes, const uint32_t *mode,
		   const uint32_t *seq, uint64_t h)
{
	uint32_t m = KT_LOAD_ACQ(mode);
	uint32_t s1, s2;
	bool all = true;

	if (m == KT_JREG_FILTER_OFF)
		return false;
	if (m != KT_JREG_FILTER_BLOOM)
		return true; /* ALL, or a mode from a newer tracer */
	s1 = KT_LOAD_ACQ(seq);
	if (s1 & 1)
		return true;
	for (unsigned i = 0; i < hashes; i++) {
		uint64_t bit = kt_jreg_bloom_bit(h, i, nbytes * 8);
		uint8_t byte = KT_LOAD_RLX(&bits[bit / 8]);

		if (!(byte & (1u << (bit % 8))))
			all = false;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	s2 = KT_LOAD_RLX(seq);
	if (s1 != s2)
		return true;
	return all;
}

static struct kt_jreg_entry *
writer_entry(const struct kt_jreg_writer *w, uint64_t index)
{
	return (struct kt_jreg_entry *)(w->base + w->entries_off +
					index * sizeof(struct kt_jreg_entry));
}

/* Copy the layout of view V into W. */
static void
writer_fill(struct kt_jreg_writer *w, void *base, uint64_t len, const struct kt_jreg_view *v)
{
	w->base = base;
	w->len = len;
	w->filter_off = v->filter_off;
	w->filter_bytes = v->filter_bytes;
	w->filter_hashes = v->filter_hashes;
	w->journal_off = v->journal_off;
	w->journal_max = v->journal_max;
	w->entries_off = v->entries_off;
	w->entries_max = v->entries_max;
	w->log_off = v->log_off;
	w->log_max = v->log_max;
	w->heap_off = v->heap_off;
	w->heap_end = v->heap_end;
}

kt_status
kt_jreg_writer_format(struct kt_jreg_writer *w, void *base, uint64_t len, uint32_t pid)
{
	struct kt_jreg_header *h = kt_jreg_hdr(base);
	struct kt_jreg_view v;
	uint64_t fixed, rest, n;
	kt_status st;

	if (!w || !base || ((uintptr_t)base & 7) || len < KT_JREG_MIN_SIZE || len > (1ull << 46))
		return KT_ERR_INVAL;
	fixed = KT_JREG_HEADER_AREA + KT_JREG_FILTER_BYTES +
		KT_JREG_JOURNAL_MAX * sizeof(struct kt_jreg_patch);
	rest = len - fixed;
	/* A quarter of the rest for entries and their log, the remainder
	 * for names, line tables and CFI. */
	n = rest / 4 / (sizeof(struct kt_jreg_entry) + 2 * sizeof(uint64_t));
	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1;

	memset(h, 0, sizeof(*h));
	h->version = KT_JREG_VERSION;
	h->header_size = sizeof(*h);
	h->entry_size = sizeof(struct kt_jreg_entry);
	h->patch_size = sizeof(struct kt_jreg_patch);
	h->total_size = len;
	h->pid = pid;
	h->filter_off = KT_JREG_HEADER_AREA;
	h->filter_bytes = KT_JREG_FILTER_BYTES;
	h->filter_hashes = KT_JREG_FILTER_HASHES;
	h->journal_off = h->filter_off + h->filter_bytes;
	h->journal_max = KT_JREG_JOURNAL_MAX;
	h->entries_off = h->journal_off + KT_JREG_JOURNAL_MAX * sizeof(struct kt_jreg_patch);
	h->entries_max = n;
	h->log_off = h->entries_off + n * sizeof(struct kt_jreg_entry);
	h->log_max = 2 * n;
	h->heap_off = (h->log_off + h->log_max * sizeof(uint64_t) + 63) & ~63ull;
	h->heap_end = len;
	h->heap_next = h->heap_off;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(h->magic, KT_JREG_MAGIC, 8);

	st = kt_jreg_open(base, len, &v);
	if (st != KT_OK)
		return st;
	writer_fill(w, base, len, &v);
	return KT_OK;
}

kt_status
kt_jreg_writer_attach(struct kt_jreg_writer *w, void *base, uint64_t len)
{
	struct kt_jreg_view v;
	kt_status st;

	if (!w)
		return KT_ERR_INVAL;
	st = kt_jreg_open(base, len, &v);
	if (st != KT_OK)
		return st;
	if (v.total_size != len || v.entry_size != sizeof(struct kt_jreg_entry) ||
	    v.patch_size != sizeof(struct kt_jreg_patch))
		return KT_ERR_UNSUPPORTED;
	writer_fill(w, base, len, &v);
	return KT_OK;
}

kt_status
kt_jreg_writer_clone(struct kt_jreg_writer *dst, const struct kt_jreg_writer *src)
{
	const struct kt_jreg_header *sh = kt_jreg_hdr(src->base);
	struct kt_jreg_header *dh = kt_jreg_hdr(dst->base);
	uint64_t l, e, hp, *dlog = (uint64_t *)(dst->base + dst->log_off);
	const uint64_t *slog = (const uint64_t *)(src->base + src->log_off);

	if (src->len != dst->len || src->entries_off != dst->entries_off ||
	    src->entries_max != dst->entries_max || src->log_off != dst->log_off ||
	    src->heap_off != dst->heap_off || src->heap_end != dst->heap_end ||
	    src->filter_off != dst->filter_off || src->journal_off != dst->journal_off)
		return KT_ERR_INVAL;

	/* The log first: every published word makes its entry's bytes (read
	 * after it) complete. */
	l = KT_LOAD_ACQ(&sh->log_reserved);
	if (l > src->log_max)
		l = src->log_max;
	for (uint64_t i = 0; i < l; i++)
		dlog[i] = KT_LOAD_ACQ(&slog[i]);
	e = KT_LOAD_ACQ(&sh->entries_reserved);
	if (e > src->entries_max)
		e = src->entries_max;
	memcpy(dst->base + src->entries_off, src->base + src->entries_off,
	       e * sizeof(struct kt_jreg_entry));
	hp = KT_LOAD_ACQ(&sh->heap_next);
	if (hp > src->heap_end)
		hp = src->heap_end;
	if (hp > src->heap_off)
		memcpy(dst->base + src->heap_off, src->base + src->heap_off, hp - src->heap_off);
	memcpy(dst->base + src->filter_off, src->base + src->filter_off, src->filter_bytes);
	memcpy(dst->base + src->journal_off, src->base + src->journal_off,
	       src->journal_max * sizeof(struct kt_jreg_patch));
	dh->filter_active = KT_LOAD_RLX(&sh->filter_active);
	/* Odd (mid-rewrite in the parent) stays odd: "may match". */
	dh->filter_seq = KT_LOAD_RLX(&sh->filter_seq);
	dh->tracer_pid = KT_LOAD_RLX(&sh->tracer_pid);
	dh->entries_reserved = e;
	dh->heap_next = hp > src->heap_off ? hp : src->heap_off;
	dh->adds_failed = KT_LOAD_RLX(&sh->adds_failed);
	dh->scratch_slot_size = sh->scratch_slot_size;
	dh->scratch_slots = sh->scratch_slots;
	dh->scratch_addr = sh->scratch_addr;

	/* Repair: holes and incomplete entries become NOPs; removals whose
	 * record was not published yet get one.  entry.reserved marks the
	 * entries with a REMOVE record meanwhile. */
	for (uint64_t i = 0; i < l; i++) {
		uint64_t w = dlog[i], idx = (w & KT_JREG_LOG_INDEX_MASK) - 1;

		if (w == 0 || w == KT_JREG_LOG_NOP || idx >= e) {
			dlog[i] = KT_JREG_LOG_NOP;
			continue;
		}
		if ((w >> KT_JREG_LOG_KIND_SHIFT) == KT_JREG_LOG_REMOVE)
			writer_entry(dst, idx)->reserved = 1;
	}
	for (uint64_t i = 0; i < l; i++) {
		uint64_t w = dlog[i], idx = (w & KT_JREG_LOG_INDEX_MASK) - 1;
		struct kt_jreg_entry *en;

		if (w == KT_JREG_LOG_NOP || (w >> KT_JREG_LOG_KIND_SHIFT) != KT_JREG_LOG_ADD)
			continue;
		en = writer_entry(dst, idx);
		if (en->state == KT_JREG_ENTRY_FREE || en->generation != i + 1) {
			dlog[i] = KT_JREG_LOG_NOP;
			continue;
		}
		if (en->state == KT_JREG_ENTRY_DEAD && !en->reserved && l < dst->log_max)
			dlog[l++] = (KT_JREG_LOG_REMOVE << KT_JREG_LOG_KIND_SHIFT) | (idx + 1);
	}
	for (uint64_t i = 0; i < e; i++)
		writer_entry(dst, i)->reserved = 0;
	dh->log_reserved = l;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return KT_OK;
}

void
kt_jreg_writer_set_scratch(struct kt_jreg_writer *w, uint64_t addr, uint32_t slot_size,
			   uint32_t slots)
{
	struct kt_jreg_header *h = kt_jreg_hdr(w->base);

	KT_STORE_RLX(&h->scratch_slot_size, addr ? slot_size : 0);
	KT_STORE_RLX(&h->scratch_slots, addr ? slots : 0);
	KT_STORE_REL(&h->scratch_addr, addr);
}

static uint64_t *
writer_log(const struct kt_jreg_writer *w, uint64_t i)
{
	return (uint64_t *)(w->base + w->log_off + i * sizeof(uint64_t));
}

/* Bytes of heap the extras need; UINT64_MAX when they are invalid. */
static uint64_t
extra_bytes(const struct kt_jreg_extra *x, size_t *file_len)
{
	uint64_t n = 0;

	*file_len = 0;
	if (!x)
		return 0;
	if (x->lines && x->nlines) {
		if (x->nlines > KT_JREG_LINES_MAX)
			return UINT64_MAX;
		if (x->file)
			*file_len = strnlen(x->file, KT_JREG_FILE_MAX);
		n += sizeof(struct kt_jreg_lines_blob) + kt_jreg_round8(*file_len + 1) +
		     kt_jreg_round8((uint64_t)x->nlines * 8);
	}
	switch (x->unwind_kind) {
	case 0:
		break;
	case 1:
		n += sizeof(struct kt_jreg_unwind_blob);
		break;
	case 2:
		if (!x->cfi || !x->cfi_len || x->cfi_len > KT_JREG_CFI_MAX)
			return UINT64_MAX;
		n += sizeof(struct kt_jreg_unwind_blob) + kt_jreg_round8(x->cfi_len);
		break;
	default:
		return UINT64_MAX;
	}
	return n;
}

kt_status
kt_jreg_writer_add(struct kt_jreg_writer *w, const char *name, uint64_t start, uint64_t size,
		   const struct kt_jreg_extra *x, uint32_t *index, uint64_t *gen)
{
	struct kt_jreg_header *h = kt_jreg_hdr(w->base);
	struct kt_jreg_entry *e;
	uint64_t idx, off, total, name_bytes, extra, l, p;
	size_t name_len, file_len;

	if (!name || !size || start + size < start)
		return KT_ERR_INVAL;
	name_len = strnlen(name, KT_JREG_NAME_MAX);
	name_bytes = kt_jreg_round8(name_len + 1);
	extra = extra_bytes(x, &file_len);
	if (extra == UINT64_MAX)
		return KT_ERR_INVAL;
	total = name_bytes + extra;

	idx = __atomic_fetch_add(&h->entries_reserved, 1, __ATOMIC_RELAXED);
	if (idx >= w->entries_max)
		goto full;
	off = __atomic_fetch_add(&h->heap_next, total, __ATOMIC_RELAXED);
	if (!kt_jreg_in(off, total, w->heap_off, w->heap_end))
		goto full;

	/* The payload: name, then line table, then unwind rule. */
	p = off;
	memcpy(w->base + p, name, name_len);
	w->base[p + name_len] = 0;
	p += name_bytes;
	e = writer_entry(w, idx);
	e->lines_off = 0;
	e->unwind_off = 0;
	if (x && x->lines && x->nlines) {
		struct kt_jreg_lines_blob b = {(uint32_t)x->nlines, (uint32_t)file_len};

		e->lines_off = p;
		memcpy(w->base + p, &b, sizeof(b));
		p += sizeof(b);
		if (file_len)
			memcpy(w->base + p, x->file, file_len);
		w->base[p + file_len] = 0;
		p += kt_jreg_round8(file_len + 1);
		memcpy(w->base + p, x->lines, x->nlines * 8);
		p += kt_jreg_round8((uint64_t)x->nlines * 8);
	}
	if (x && x->unwind_kind) {
		struct kt_jreg_unwind_blob b = {x->unwind_kind, x->prologue_len,
						x->unwind_kind == 2 ? x->cfi_len : 0};

		e->unwind_off = p;
		memcpy(w->base + p, &b, sizeof(b));
		p += sizeof(b);
		if (b.cfi_len)
			memcpy(w->base + p, x->cfi, b.cfi_len);
	}

	l = __atomic_fetch_add(&h->log_reserved, 1, __ATOMIC_RELAXED);
	if (l >= w->log_max)
		goto full; /* cannot happen: two records per entry at most */
	e->start = start;
	e->size = size;
	e->generation = l + 1;
	e->name_len = (uint32_t)name_len;
	e->name_off = off;
	e->reserved = 0;
	KT_STORE_RLX(&e->state, (uint32_t)KT_JREG_ENTRY_LIVE);
	KT_STORE_REL(writer_log(w, l), (KT_JREG_LOG_ADD << KT_JREG_LOG_KIND_SHIFT) | (idx + 1));
	if (index)
		*index = (uint32_t)idx;
	if (gen)
		*gen = l + 1;
	return KT_OK;
full:
	__atomic_fetch_add(&h->adds_failed, 1, __ATOMIC_RELAXED);
	return KT_ERR_NOMEM;
}

kt_status
kt_jreg_writer_remove(struct kt_jreg_writer *w, uint32_t index, uint64_t *gen)
{
	struct kt_jreg_header *h = kt_jreg_hdr(w->base);
	struct kt_jreg_entry *e;
	uint32_t live = KT_JREG_ENTRY_LIVE;
	uint64_t l;

	if (index >= w->entries_max)
		return KT_ERR_INVAL;
	e = writer_entry(w, index);
	if (!__atomic_compare_exchange_n(&e->state, &live, (uint32_t)KT_JREG_ENTRY_DEAD, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return KT_ERR_STATE;
	l = __atomic_fetch_add(&h->log_reserved, 1, __ATOMIC_RELAXED);
	if (l >= w->log_max)
		return KT_ERR_CORRUPT; /* cannot happen, see kt_jreg_writer_add */
	KT_STORE_REL(writer_log(w, l),
		     (KT_JREG_LOG_REMOVE << KT_JREG_LOG_KIND_SHIFT) | ((uint64_t)index + 1));
	if (gen)
		*gen = l + 1;
	return KT_OK;
}

bool
kt_jreg_writer_filter_may_match(const struct kt_jreg_writer *w, const char *name, size_t len)
{
	const struct kt_jreg_header *h = kt_jreg_hdr(w->base);

	return kt_jreg_bloom_test(w->base + w->filter_off, w->filter_bytes, w->filter_hashes,
				  &h->filter_active, &h->filter_seq, kt_jreg_hash(name, len));
}

size_t
kt_jreg_writer_journal_find(const struct kt_jreg_writer *w, uint64_t addr, uint8_t *orig,
			    uint8_t *patch, uint32_t *slot)
{
	for (uint64_t i = 0; i < w->journal_max; i++) {
		struct kt_jreg_patch *r =
			(struct kt_jreg_patch *)(w->base + w->journal_off +
						 i * sizeof(struct kt_jreg_patch));
		uint8_t len;

		if (KT_LOAD_ACQ(&r->state) != KT_JREG_PATCH_ARMED)
			continue;
		if (KT_LOAD_RLX(&r->addr) != addr)
			continue;
		len = KT_LOAD_RLX(&r->len);
		if (len == 0 || len > KT_JREG_PATCH_MAX)
			continue;
		for (unsigned k = 0; k < len; k++) {
			orig[k] = KT_LOAD_RLX(&r->orig[k]);
			if (patch)
				patch[k] = KT_LOAD_RLX(&r->patch[k]);
		}
		if (slot)
			*slot = (uint32_t)i;
		return len;
	}
	return 0;
}

void
kt_jreg_writer_journal_release(const struct kt_jreg_writer *w, uint32_t slot)
{
	struct kt_jreg_patch *r;

	if (slot >= w->journal_max)
		return;
	r = (struct kt_jreg_patch *)(w->base + w->journal_off +
				     (uint64_t)slot * sizeof(struct kt_jreg_patch));
	KT_STORE_REL(&r->state, (uint32_t)KT_JREG_PATCH_FREE);
}
