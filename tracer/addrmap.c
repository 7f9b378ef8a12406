/* SPDX-License-Identifier: MIT */
/*
 * addrmap.c - the code-range index of addrmap.h: sorted levels merged
 * upwards on insert, tombstones on remove, compaction when the dead
 * outnumber the live.
 */
#include "addrmap.h"

#include <stdlib.h>
#include <string.h>

void
kt_addrmap_init(struct kt_addrmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
kt_addrmap_free(struct kt_addrmap *m)
{
	for (int i = 0; i < KT_ADDRMAP_LEVELS; i++)
		free(m->level[i]);
	kt_addrmap_init(m);
}

uint64_t
kt_addrmap_count(const struct kt_addrmap *m)
{
	return m->live;
}

/* Index of the last live range in L[0..N) whose start <= KEY, or -1. */
static int64_t
last_live_le(const struct kt_addrmap_range *l, uint64_t n, uint64_t key)
{
	uint64_t lo = 0, hi = n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (l[mid].start <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo > 0 && l[lo - 1].dead)
		lo--;
	return (int64_t)lo - 1;
}

/* The live range containing ADDR, or NULL; its level in *LEVEL. */
static struct kt_addrmap_range *
find(const struct kt_addrmap *m, uint64_t addr, int *level)
{
	for (int i = 0; i < KT_ADDRMAP_LEVELS; i++) {
		int64_t j;

		if (!m->n[i])
			continue;
		j = last_live_le(m->level[i], m->n[i], addr);
		if (j >= 0 && addr - m->level[i][j].start < m->level[i][j].size) {
			*level = i;
			return &m->level[i][j];
		}
	}
	return NULL;
}

/* True when [START, LAST] overlaps a live range. */
static int
overlaps(const struct kt_addrmap *m, uint64_t start, uint64_t last)
{
	for (int i = 0; i < KT_ADDRMAP_LEVELS; i++) {
		const struct kt_addrmap_range *r;
		int64_t j;

		if (!m->n[i])
			continue;
		j = last_live_le(m->level[i], m->n[i], last);
		if (j < 0)
			continue;
		r = &m->level[i][j];
		if (r->start + (r->size - 1) >= start)
			return 1;
	}
	return 0;
}

/* Merge the live ranges of A[0..NA) and B[0..NB) into OUT; their count. */
static uint64_t
merge(struct kt_addrmap_range *out, const struct kt_addrmap_range *a, uint64_t na,
      const struct kt_addrmap_range *b, uint64_t nb)
{
	uint64_t i = 0, j = 0, k = 0;

	while (i < na || j < nb) {
		const struct kt_addrmap_range *r;

		if (j >= nb || (i < na && a[i].start <= b[j].start))
			r = &a[i++];
		else
			r = &b[j++];
		if (!r->dead)
			out[k++] = *r;
	}
	return k;
}

/* Rebuild M without dead ranges, as one level.  KT_OK or KT_ERR_NOMEM. */
static kt_status
compact(struct kt_addrmap *m)
{
	struct kt_addrmap_range *all = NULL, *tmp;
	uint64_t n = 0;
	int lv = 0;

	if (m->live) {
		all = malloc(m->live * sizeof(*all));
		tmp = malloc(m->live * sizeof(*tmp));
		if (!all || !tmp) {
			free(all);
			free(tmp);
			return KT_ERR_NOMEM;
		}
		for (int i = 0; i < KT_ADDRMAP_LEVELS; i++) {
			uint64_t k;

			if (!m->n[i])
				continue;
			k = merge(tmp, all, n, m->level[i], m->n[i]);
			memcpy(all, tmp, k * sizeof(*all));
			n = k;
		}
		free(tmp);
	}
	for (int i = 0; i < KT_ADDRMAP_LEVELS; i++) {
		free(m->level[i]);
		m->level[i] = NULL;
		m->n[i] = 0;
		m->ndead[i] = 0;
	}
	while (lv < KT_ADDRMAP_LEVELS - 1 && (1ull << lv) < n)
		lv++;
	m->level[lv] = all;
	m->n[lv] = n;
	m->dead = 0;
	return KT_OK;
}

kt_status
kt_addrmap_insert(struct kt_addrmap *m, uint64_t start, uint64_t size, uint32_t payload)
{
	struct kt_addrmap_range one = {start, size, payload, 0};
	struct kt_addrmap_range *carry, *next;
	uint64_t cn = 1, total = 1;
	int i, top;

	if (size == 0 || start + (size - 1) < start)
		return KT_ERR_INVAL;
	if (overlaps(m, start, start + (size - 1)))
		return KT_ERR_EXISTS;
	/* The first empty level, and how much lands there. */
	for (top = 0; top < KT_ADDRMAP_LEVELS && m->n[top]; top++)
		total += m->n[top];
	if (top == KT_ADDRMAP_LEVELS)
		return KT_ERR_NOMEM;
	carry = malloc(total * sizeof(*carry));
	next = top ? malloc(total * sizeof(*next)) : NULL;
	if (!carry || (top && !next)) {
		free(carry);
		free(next);
		return KT_ERR_NOMEM;
	}
	carry[0] = one;
	for (i = 0; i < top; i++) {
		struct kt_addrmap_range *t;

		cn = merge(next, carry, cn, m->level[i], m->n[i]);
		t = carry;
		carry = next;
		next = t;
	}
	free(next);
	for (i = 0; i < top; i++) {
		free(m->level[i]);
		m->level[i] = NULL;
		m->n[i] = 0;
		m->dead -= m->ndead[i]; /* dropped by the merge */
		m->ndead[i] = 0;
	}
	if (cn < total) {
		struct kt_addrmap_range *t = realloc(carry, cn * sizeof(*carry));

		if (t)
			carry = t;
	}
	m->level[top] = carry;
	m->n[top] = cn;
	m->live++;
	return KT_OK;
}

kt_status
kt_addrmap_remove(struct kt_addrmap *m, uint64_t start, uint32_t *payload)
{
	int lv = 0;
	struct kt_addrmap_range *r = find(m, start, &lv);

	if (!r || r->start != start)
		return KT_ERR_NOTFOUND;
	if (payload)
		*payload = r->payload;
	r->dead = 1;
	m->ndead[lv]++;
	m->live--;
	m->dead++;
	if (m->dead > m->live && m->dead > 32)
		compact(m); /* on KT_ERR_NOMEM we just stay uncompacted */
	return KT_OK;
}

kt_status
kt_addrmap_lookup(const struct kt_addrmap *m, uint64_t addr, struct kt_addrmap_range *out)
{
	int lv;
	const struct kt_addrmap_range *r = find(m, addr, &lv);

	if (!r)
		return KT_ERR_NOTFOUND;
	if (out)
		*out = *r;
	return KT_OK;
}
