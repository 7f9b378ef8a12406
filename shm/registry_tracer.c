/* SPDX-License-Identifier: MIT */
/*
 * registry_tracer.c - the writers of the tracer-owned part of the registry:
 * the filter of pending breakpoint names (a Bloom bitmap under a seqlock)
 * and the journal of planted patches.  Used by the tracer over its mapping
 * of the registry (or a buffer it writes back); every access is bounded by
 * a validated view, so a corrupt header makes them fail, not scribble.
 * The only place that writes the tracer-owned words.
 */
#include "registry.h"

#include <string.h>

#include "registry_int.h"

static kt_status
open_rw(void *base, size_t len, struct kt_jreg_view *v)
{
	kt_status st = kt_jreg_open(base, len, v);

	return st == KT_ERR_NOTFOUND ? KT_ERR_CORRUPT : st;
}

static void
bloom_set(uint8_t *bits, const struct kt_jreg_view *v, const char *name)
{
	uint64_t h = kt_jreg_hash(name, strlen(name));

	for (unsigned i = 0; i < v->filter_hashes; i++) {
		uint64_t bit = kt_jreg_bloom_bit(h, i, v->filter_bytes * 8);

		__atomic_fetch_or(&bits[bit / 8], (uint8_t)(1u << (bit % 8)), __ATOMIC_RELAXED);
	}
}

/* Seqlock write side: make the sequence odd, and order what follows. */
static void
seq_begin(struct kt_jreg_header *h)
{
	uint32_t s = KT_LOAD_RLX(&h->filter_seq);

	KT_STORE_RLX(&h->filter_seq, s | 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void
seq_end(struct kt_jreg_header *h)
{
	uint32_t s = KT_LOAD_RLX(&h->filter_seq);

	KT_STORE_REL(&h->filter_seq, (s | 1) + 1);
}

kt_status
kt_jreg_filter_set(void *base, size_t len, const char *const *names, size_t n, bool match_all)
{
	struct kt_jreg_header *h = kt_jreg_hdr(base);
	struct kt_jreg_view v;
	uint8_t *bits;
	kt_status st;

	if ((st = open_rw(base, len, &v)) != KT_OK)
		return st;
	if (n && !names)
		return KT_ERR_INVAL;
	bits = (uint8_t *)base + v.filter_off;
	seq_begin(h);
	for (uint64_t i = 0; i < v.filter_bytes; i++)
		KT_STORE_RLX(&bits[i], 0);
	for (size_t i = 0; i < n; i++)
		if (names[i])
			bloom_set(bits, &v, names[i]);
	KT_STORE_REL(&h->filter_active, (uint32_t)(match_all ? KT_JREG_FILTER_ALL
						   : n	     ? KT_JREG_FILTER_BLOOM
							     : KT_JREG_FILTER_OFF));
	seq_end(h);
	return KT_OK;
}

kt_status
kt_jreg_filter_add(void *base, size_t len, const char *name)
{
	struct kt_jreg_header *h = kt_jreg_hdr(base);
	struct kt_jreg_view v;
	kt_status st;

	if (!name)
		return KT_ERR_INVAL;
	if ((st = open_rw(base, len, &v)) != KT_OK)
		return st;
	/* Setting bits only widens the filter: no seqlock needed. */
	bloom_set((uint8_t *)base + v.filter_off, &v, name);
	if (KT_LOAD_RLX(&h->filter_active) == KT_JREG_FILTER_OFF)
		KT_STORE_REL(&h->filter_active, (uint32_t)KT_JREG_FILTER_BLOOM);
	return KT_OK;
}

kt_status
kt_jreg_filter_clear(void *base, size_t len)
{
	return kt_jreg_filter_set(base, len, NULL, 0, false);
}

bool
kt_jreg_filter_may_match(const void *base, size_t len, const char *name, size_t name_len)
{
	const struct kt_jreg_header *h = kt_jreg_hdr(base);
	struct kt_jreg_view v;

	if (kt_jreg_open(base, len, &v) != KT_OK)
		return false;
	return kt_jreg_bloom_test(v.base + v.filter_off, v.filter_bytes, v.filter_hashes,
				  &h->filter_active, &h->filter_seq, kt_jreg_hash(name, name_len));
}

kt_status
kt_jreg_journal_add(void *base, size_t len, uint64_t addr, const void *orig, const void *patch,
		    size_t plen, uint64_t entry_gen, uint32_t *slot)
{
	struct kt_jreg_view v;
	kt_status st;

	if (!orig || !patch || plen == 0 || plen > KT_JREG_PATCH_MAX)
		return KT_ERR_INVAL;
	if ((st = open_rw(base, len, &v)) != KT_OK)
		return st;
	for (uint64_t i = 0; i < v.journal_max; i++) {
		struct kt_jreg_patch *r = (struct kt_jreg_patch *)((uint8_t *)base + v.journal_off +
								   i * v.patch_size);
		uint32_t expect = KT_JREG_PATCH_FREE;

		if (KT_LOAD_RLX(&r->state) != KT_JREG_PATCH_FREE)
			continue;
		/* Claim with a non-armed marker so the healer ignores it
		 * while the fields are written. */
		if (!__atomic_compare_exchange_n(&r->state, &expect, 0xffffffffu, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		r->len = (uint8_t)plen;
		memset(r->pad, 0, sizeof(r->pad));
		r->addr = addr;
		memset(r->orig, 0, sizeof(r->orig));
		memset(r->patch, 0, sizeof(r->patch));
		memcpy(r->orig, orig, plen);
		memcpy(r->patch, patch, plen);
		r->entry_generation = entry_gen;
		r->reserved = 0;
		KT_STORE_REL(&r->state, (uint32_t)KT_JREG_PATCH_ARMED);
		if (slot)
			*slot = (uint32_t)i;
		return KT_OK;
	}
	return KT_ERR_BUSY;
}

kt_status
kt_jreg_journal_clear(void *base, size_t len, uint32_t slot)
{
	struct kt_jreg_view v;
	struct kt_jreg_patch *r;
	kt_status st;

	if ((st = open_rw(base, len, &v)) != KT_OK)
		return st;
	if (slot >= v.journal_max)
		return KT_ERR_RANGE;
	r = (struct kt_jreg_patch *)((uint8_t *)base + v.journal_off +
				     (uint64_t)slot * v.patch_size);
	KT_STORE_REL(&r->state, (uint32_t)KT_JREG_PATCH_FREE);
	return KT_OK;
}
