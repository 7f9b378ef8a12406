/* SPDX-License-Identifier: MIT */
/*
 * dwarf_strings.c - the interned strings (file and function names) of one
 * struct kt_dwarf: each distinct name stored once, found by an open
 * addressing hash (see kt_dw_intern in dwarf.h).
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_STRS (1u << 20) /* distinct names */
#define MAX_STRLEN 4096

static uint32_t
str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static bool
str_grow_hash(struct kt_dwarf *d)
{
	size_t cap = d->hashcap ? d->hashcap * 2 : 1024;
	uint32_t *h = calloc(cap, sizeof *h);

	if (!h)
		return false;
	for (size_t i = 0; i < d->nstr; i++) {
		size_t j = str_hash(d->str[i], strlen(d->str[i])) & (cap - 1);

		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = (uint32_t)i + 1;
	}
	free(d->strhash);
	d->strhash = h;
	d->hashcap = cap;
	return true;
}

uint32_t
kt_dw_intern(struct kt_dwarf *d, const char *s)
{
	size_t len, j;
	char *copy;

	if (!s)
		return KT_DW_NOSTR;
	len = strnlen(s, MAX_STRLEN + 1);
	if (len > MAX_STRLEN)
		return KT_DW_NOSTR;
	if ((d->nstr + 1) * 2 > d->hashcap && !str_grow_hash(d))
		return KT_DW_NOSTR;
	j = str_hash(s, len) & (d->hashcap - 1);
	while (d->strhash[j]) {
		const char *t = d->str[d->strhash[j] - 1];

		if (!strcmp(t, s))
			return d->strhash[j] - 1;
		j = (j + 1) & (d->hashcap - 1);
	}
	if (d->nstr >= MAX_STRS)
		return KT_DW_NOSTR;
	if (d->nstr == d->capstr) {
		size_t cap = d->capstr ? d->capstr * 2 : 256;
		char **v = realloc(d->str, cap * sizeof *v);

		if (!v)
			return KT_DW_NOSTR;
		d->str = v;
		d->capstr = cap;
	}
	copy = strdup(s);
	if (!copy)
		return KT_DW_NOSTR;
	d->str[d->nstr] = copy;
	d->strhash[j] = (uint32_t)d->nstr + 1;
	return (uint32_t)d->nstr++;
}
