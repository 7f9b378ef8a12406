/* SPDX-License-Identifier: MIT */
/*
 * jit_mirror.c - a private copy of a libkitjit registry, kept current
 * through process memory (see jit_mirror.h).
 */
#include "jit_mirror.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "patch.h"
#include "registry.h"

/* Log words copied per read. */
#define LOG_CHUNK 4096u

/* [OFF, OFF + LEN) inside the copy, without overflow. */
static bool
inside(const struct kt_jmirror *m, uint64_t off, uint64_t len)
{
	return off <= m->len && len <= m->len - off;
}

/* Copy bytes [OFF, OFF + LEN) of the registry; false if out of bounds or
 * unreadable. */
static bool
copy_in(struct kt_session *s, struct kt_jmirror *m, uint64_t off, uint64_t len)
{
	if (!inside(m, off, len))
		return false;
	return len == 0 || kt_mem_read(s, m->remote + off, m->map + off, len, NULL) == KT_OK;
}

static uint64_t
round8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* Copy the heap blobs of entry E: its name, line table and unwind rule.
 * Bad offsets are left uncopied; the reader then finds them corrupt. */
static void
copy_blobs(struct kt_session *s, struct kt_jmirror *m, const struct kt_jreg_entry *e)
{
	if (e->name_len <= KT_JREG_NAME_MAX)
		copy_in(s, m, e->name_off, (uint64_t)e->name_len + 1);
	if (e->lines_off && copy_in(s, m, e->lines_off, sizeof(struct kt_jreg_lines_blob))) {
		struct kt_jreg_lines_blob b;
		memcpy(&b, m->map + e->lines_off, sizeof(b));
		if (b.nrows <= KT_JREG_LINES_MAX && b.file_len <= KT_JREG_FILE_MAX)
			copy_in(s, m, e->lines_off + sizeof(b),
				round8((uint64_t)b.file_len + 1) + (uint64_t)b.nrows * 8);
	}
	if (e->unwind_off && copy_in(s, m, e->unwind_off, sizeof(struct kt_jreg_unwind_blob))) {
		struct kt_jreg_unwind_blob b;
		memcpy(&b, m->map + e->unwind_off, sizeof(b));
		if (b.cfi_len <= KT_JREG_CFI_MAX)
			copy_in(s, m, e->unwind_off + sizeof(b), b.cfi_len);
	}
}

/* Copy the entry a change-log word names (and, when added, its blobs). */
static void
copy_record(struct kt_session *s, struct kt_jmirror *m, const struct kt_jreg_view *v,
	    uint64_t word)
{
	uint64_t kind = word >> KT_JREG_LOG_KIND_SHIFT, idx = word & KT_JREG_LOG_INDEX_MASK;

	if (word == KT_JREG_LOG_NOP || idx == 0 || idx - 1 >= v->entries_max)
		return;
	uint64_t off = v->entries_off + (idx - 1) * v->entry_size;
	if (!copy_in(s, m, off, v->entry_size) || kind != KT_JREG_LOG_ADD)
		return;
	struct kt_jreg_entry e;
	memcpy(&e, m->map + off, sizeof(e));
	copy_blobs(s, m, &e);
}

kt_status
kt_jmirror_refresh(struct kt_session *s, struct kt_jmirror *m)
{
	struct kt_jreg_view v;
	const struct kt_jreg_header *h = (const struct kt_jreg_header *)(void *)m->map;

	if (!copy_in(s, m, 0, KT_JREG_HEADER_AREA))
		return KT_ERR_MEM;
	if (kt_jreg_open(m->map, m->len, &v) != KT_OK)
		return KT_ERR_CORRUPT;
	/* The journal: the library frees records it healed. */
	copy_in(s, m, v.journal_off, v.journal_max * v.patch_size);
	uint64_t end = atomic_load_explicit((_Atomic uint64_t *)&h->log_reserved,
					    memory_order_relaxed);
	if (end > v.log_max)
		end = v.log_max;
	uint64_t first_zero = UINT64_MAX;
	for (uint64_t i = m->log_read; i < end;) {
		uint64_t n = end - i < LOG_CHUNK ? end - i : LOG_CHUNK;
		uint64_t off = v.log_off + i * 8;
		if (!copy_in(s, m, off, n * 8))
			return KT_ERR_MEM;
		for (uint64_t k = 0; k < n; k++) {
			uint64_t word;
			memcpy(&word, m->map + off + k * 8, 8);
			if (word == 0) {
				/* Reserved, not published yet: read again next time. */
				if (first_zero == UINT64_MAX)
					first_zero = i + k;
				continue;
			}
			copy_record(s, m, &v, word);
		}
		i += n;
	}
	m->log_read = first_zero != UINT64_MAX ? first_zero : end;
	return KT_OK;
}

kt_status
kt_jmirror_open(struct kt_session *s, struct kt_jmirror *m, uint64_t remote, size_t len)
{
	struct kt_jreg_view v;

	memset(m, 0, sizeof(*m));
	if (len < KT_JREG_MIN_SIZE)
		return KT_ERR_CORRUPT;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return KT_ERR_NOMEM;
	m->map = p;
	m->len = len;
	m->remote = remote;
	kt_status st = kt_jmirror_refresh(s, m);
	/* The tracer-owned filter: only read once, then only written by us. */
	if (st == KT_OK && kt_jreg_open(m->map, m->len, &v) == KT_OK)
		copy_in(s, m, v.filter_off, v.filter_bytes);
	if (st != KT_OK)
		kt_jmirror_close(m);
	return st;
}

kt_status
kt_jmirror_push(struct kt_session *s, const struct kt_jmirror *m, uint64_t off, size_t len)
{
	if (!m->map || !inside(m, off, len))
		return KT_ERR_RANGE;
	return s->os->ops->write(s->os, s->pid, m->remote + off, m->map + off, len);
}

kt_status
kt_jmirror_push_filter(struct kt_session *s, const struct kt_jmirror *m)
{
	struct kt_jreg_view v;
	const struct kt_jreg_header *h = (const struct kt_jreg_header *)(void *)m->map;
	const uint64_t seq_off = offsetof(struct kt_jreg_header, filter_seq);
	const uint64_t mode_off = offsetof(struct kt_jreg_header, filter_active);
	kt_status st;

	if (!m->map || kt_jreg_open(m->map, m->len, &v) != KT_OK)
		return KT_ERR_STATE;
	/* The copy's sequence is even again; the process must see it odd
	 * while the bits change, as with a shared mapping. */
	uint32_t seq = h->filter_seq, odd = seq - 1;
	if ((st = s->os->ops->write(s->os, s->pid, m->remote + seq_off, &odd, sizeof(odd))) !=
		    KT_OK ||
	    (st = kt_jmirror_push(s, m, v.filter_off, v.filter_bytes)) != KT_OK ||
	    (st = kt_jmirror_push(s, m, mode_off, sizeof(h->filter_active))) != KT_OK)
		return st;
	return kt_jmirror_push(s, m, seq_off, sizeof(h->filter_seq));
}

void
kt_jmirror_close(struct kt_jmirror *m)
{
	if (m->map)
		munmap(m->map, m->len);
	memset(m, 0, sizeof(*m));
}
