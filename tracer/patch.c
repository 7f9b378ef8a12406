/* SPDX-License-Identifier: MIT */
/*
 * patch.c - patch sites and the patch-hiding memory view (see patch.h).
 */
#include "attr.h"
#include "patch.h"

#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "session.h"
#include "slots.h"
#include "stepper.h"

static struct kt_patches *
table(struct kt_session *s)
{
	if (!s->patches)
		s->patches = calloc(1, sizeof(*s->patches));
	return s->patches;
}

/* Index of the first site with addr >= ADDR. */
static size_t
lower_bound(const struct kt_patches *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

KT_HOT struct kt_patch *
kt_patch_find(struct kt_session *s, uint64_t addr)
{
	struct kt_patches *t = s->patches;

	if (!t || t->n == 0)
		return NULL;
	/* A hit looks its site up several times: try the last one found.  An
	 * index moved by an insertion or removal just fails the test. */
	if (t->last < t->n && t->v[t->last].addr == addr)
		return &t->v[t->last];
	size_t i = lower_bound(t, addr);
	if (i >= t->n || t->v[i].addr != addr)
		return NULL;
	t->last = i;
	return &t->v[i];
}

/* Write LEN bytes at ADDR by read-modify-write of whole words via PEEK/POKE. */
static kt_status
poke_bytes(struct kt_session *s, pid_t via, uint64_t addr, const uint8_t *bytes, size_t len)
{
	const struct kt_os_ops *os = s->os->ops;

	while (len > 0) {
		uint64_t base = addr & ~(uint64_t)7, word;
		size_t off = addr - base, n = 8 - off < len ? 8 - off : len;
		kt_status st = os->peek(s->os, via, base, &word);
		if (st != KT_OK)
			return st;
		memcpy((uint8_t *)&word + off, bytes, n);
		if ((st = os->poke(s->os, via, base, word)) != KT_OK)
			return st;
		addr += n;
		bytes += n;
		len -= n;
	}
	return KT_OK;
}

static kt_status
peek_bytes(struct kt_session *s, pid_t via, uint64_t addr, uint8_t *out, size_t len)
{
	while (len > 0) {
		uint64_t base = addr & ~(uint64_t)7, word;
		size_t off = addr - base, n = 8 - off < len ? 8 - off : len;
		kt_status st = s->os->ops->peek(s->os, via, base, &word);
		if (st != KT_OK)
			return st;
		memcpy(out, (uint8_t *)&word + off, n);
		addr += n;
		out += n;
		len -= n;
	}
	return KT_OK;
}

static kt_status
plant(struct kt_session *s, pid_t via, struct kt_patch *p)
{
	/* Journal first: if kitrace dies after the poke, libkitjit can heal it. */
	if (!p->journal)
		p->journal = kt_jit_journal_add(s, p->addr, p->orig, s->arch->patch,
						s->arch->patch_len);
	kt_status st = poke_bytes(s, via, p->addr, s->arch->patch, s->arch->patch_len);

	if (st == KT_OK)
		p->planted = true;
	return st;
}

static void
moribund_add(struct kt_session *s, uint64_t addr)
{
	size_t cap = sizeof(s->moribund) / sizeof(s->moribund[0]);

	if (s->nmoribund == cap) /* oldest out: a far older trap is long gone */
		memmove(s->moribund, s->moribund + 1, --s->nmoribund * sizeof(s->moribund[0]));
	s->moribund[s->nmoribund++] = addr;
}

bool
kt_patch_moribund(struct kt_session *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nmoribund; i++)
		if (s->moribund[i] == addr)
			return true;
	return false;
}

void
kt_patch_moribund_clear(struct kt_session *s)
{
	s->nmoribund = 0;
}

static void
unjournal(struct kt_session *s, struct kt_patch *p)
{
	if (p->journal)
		kt_jit_journal_clear(s, p->journal);
	p->journal = 0;
}

/* Restore the original bytes, but only if our patch is still there. */
static kt_status
unplant(struct kt_session *s, pid_t via, struct kt_patch *p)
{
	uint8_t now[KT_INSN_MAX];
	size_t len = s->arch->patch_len;
	kt_status st;

	if (!p->planted)
		return KT_OK;
	/* Stays planted until the original is back: a failed read or write
	 * must not leave a patch the table no longer knows of. */
	if ((st = peek_bytes(s, via, p->addr, now, len)) != KT_OK)
		return st;
	if (memcmp(now, s->arch->patch, len) != 0) {
		p->planted = false;
		fprintf(s->err, "warning: code at 0x%llx was rewritten by the program; "
				"not restoring the breakpoint's saved bytes there\n",
			(unsigned long long)p->addr);
		unjournal(s, p);
		return KT_OK;
	}
	st = poke_bytes(s, via, p->addr, p->orig, len);
	if (st == KT_OK) {
		p->planted = false;
		unjournal(s, p);
		moribund_add(s, p->addr);
	}
	return st;
}

kt_status
kt_patch_get(struct kt_session *s, pid_t via, uint64_t addr)
{
	struct kt_patches *t = table(s);
	struct kt_patch *p;
	kt_status st;

	if (!t)
		return KT_ERR_NOMEM;
	if ((p = kt_patch_find(s, addr)) != NULL) {
		uint8_t now[KT_INSN_MAX];
		size_t len = s->arch->patch_len;
		/* Code may have been rewritten under a planted patch (a JIT reusing
		 * memory): then the saved bytes are stale; take the new ones. */
		if (p->planted && via > 0 && peek_bytes(s, via, addr, now, len) == KT_OK &&
		    memcmp(now, s->arch->patch, len) != 0) {
			unjournal(s, p);
			memcpy(p->orig, now, len);
			p->planted = false;
			p->plan_ready = false;
			kt_slots_forget_addr(s, addr);
			if ((st = plant(s, via, p)) != KT_OK)
				return st;
		}
		p->users++;
		return KT_OK;
	}
	if (addr % s->arch->insn_align)
		return KT_ERR_INVAL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		struct kt_patch *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return KT_ERR_NOMEM;
		t->v = v;
		t->cap = cap;
	}
	struct kt_patch np = {.addr = addr, .users = 1};
	if ((st = peek_bytes(s, via, addr, np.orig, s->arch->patch_len)) != KT_OK)
		return st;
	size_t i = lower_bound(t, addr);
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(t->v[0]));
	t->v[i] = np;
	t->n++;
	if ((st = plant(s, via, &t->v[i])) != KT_OK) {
		memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
		t->n--;
	}
	return st;
}

kt_status
kt_patch_put(struct kt_session *s, pid_t via, uint64_t addr)
{
	struct kt_patches *t = s->patches;
	struct kt_patch *p = kt_patch_find(s, addr);
	kt_status st = KT_OK;

	if (!p)
		return KT_ERR_NOTFOUND;
	if (--p->users > 0)
		return KT_OK;
	if (via > 0)
		st = unplant(s, via, p);
	kt_slots_forget_addr(s, addr);
	size_t i = (size_t)(p - t->v);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
	return st;
}

kt_status
kt_patch_lift(struct kt_session *s, pid_t via, struct kt_patch *p)
{
	return unplant(s, via, p);
}

kt_status
kt_patch_replant(struct kt_session *s, pid_t via, struct kt_patch *p)
{
	return p->planted ? KT_OK : plant(s, via, p);
}

kt_status
kt_patches_lift_all(struct kt_session *s, pid_t via)
{
	kt_status first = KT_OK;

	for (size_t i = 0; s->patches && i < s->patches->n; i++) {
		kt_status st = unplant(s, via, &s->patches->v[i]);
		if (st != KT_OK && first == KT_OK)
			first = st;
	}
	return first;
}

kt_status
kt_patches_replant_all(struct kt_session *s, pid_t via)
{
	kt_status first = KT_OK;

	for (size_t i = 0; s->patches && i < s->patches->n; i++) {
		kt_status st = kt_patch_replant(s, via, &s->patches->v[i]);
		if (st != KT_OK && first == KT_OK)
			first = st;
	}
	return first;
}

void
kt_patches_clean_child(struct kt_session *s, pid_t child)
{
	for (size_t i = 0; s->patches && i < s->patches->n; i++) {
		struct kt_patch *p = &s->patches->v[i];
		uint8_t now[KT_INSN_MAX];
		if (!p->planted || peek_bytes(s, child, p->addr, now, s->arch->patch_len) != KT_OK)
			continue;
		if (memcmp(now, s->arch->patch, s->arch->patch_len) == 0)
			poke_bytes(s, child, p->addr, p->orig, s->arch->patch_len);
	}
}

void
kt_patch_forget(struct kt_session *s, uint64_t addr)
{
	struct kt_patches *t = s->patches;
	struct kt_patch *p = kt_patch_find(s, addr);

	if (!p)
		return;
	unjournal(s, p);
	moribund_add(s, addr);
	kt_slots_forget_addr(s, addr);
	size_t i = (size_t)(p - t->v);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
	t->n--;
}

void
kt_patches_forget(struct kt_session *s)
{
	if (s->patches)
		s->patches->n = 0;
}

void
kt_patches_free(struct kt_session *s)
{
	if (s->patches)
		free(s->patches->v);
	free(s->patches);
	s->patches = NULL;
}

KT_HOT kt_status
kt_patch_plan(struct kt_session *s, struct kt_patch *p)
{
	uint8_t code[KT_INSN_MAX];
	kt_status st;

	if (p->plan_ready)
		return KT_OK;
	if (!s->arch->plan)
		return KT_ERR_UNSUPPORTED;
	if ((st = kt_mem_read(s, p->addr, code, sizeof(code), NULL)) != KT_OK)
		return st;
	if ((st = s->arch->plan(p->addr, code, sizeof(code), &p->plan)) != KT_OK)
		return st;
	p->plan_ready = true;
	return KT_OK;
}

kt_status
kt_mem_read_raw(struct kt_session *s, uint64_t addr, void *buf, size_t len, size_t *got)
{
	size_t dummy;

	if (!s->pid)
		return KT_ERR_STATE;
	return s->os->ops->read(s->os, s->pid, addr, buf, len, got ? got : &dummy);
}

kt_status
kt_mem_read(struct kt_session *s, uint64_t addr, void *buf, size_t len, size_t *got)
{
	size_t n = 0;
	kt_status st = kt_mem_read_raw(s, addr, buf, len, &n);

	if (got)
		*got = n;
	/* Hide our patches in whatever was read. */
	struct kt_patches *t = s->patches;
	size_t plen = s->arch->patch_len;
	if (t && n > 0) {
		uint64_t lo = addr >= plen ? addr - plen + 1 : 0;
		for (size_t i = lower_bound(t, lo); i < t->n && t->v[i].addr < addr + n; i++) {
			struct kt_patch *p = &t->v[i];
			if (!p->planted)
				continue;
			for (size_t k = 0; k < plen; k++) {
				uint64_t a = p->addr + k;
				if (a >= addr && a < addr + n)
					((uint8_t *)buf)[a - addr] = p->orig[k];
			}
		}
	}
	return st;
}

kt_status
kt_mem_write(struct kt_session *s, uint64_t addr, const void *buf, size_t len)
{
	struct kt_patches *t = s->patches;
	size_t plen = s->arch->patch_len;
	uint8_t *copy = malloc(len ? len : 1);
	kt_status st;

	if (!copy)
		return KT_ERR_NOMEM;
	memcpy(copy, buf, len);
	/* Bytes under a planted patch become its new original; the patch stays. */
	if (t) {
		uint64_t lo = addr >= plen ? addr - plen + 1 : 0;
		for (size_t i = lower_bound(t, lo); i < t->n && t->v[i].addr < addr + len; i++) {
			struct kt_patch *p = &t->v[i];
			for (size_t k = 0; k < plen; k++) {
				uint64_t a = p->addr + k;
				if (a < addr || a >= addr + len)
					continue;
				p->orig[k] = copy[a - addr];
				if (p->planted)
					copy[a - addr] = s->arch->patch[k];
			}
			p->plan_ready = false;
		}
	}
	st = s->os->ops->write(s->os, s->pid, addr, copy, len);
	free(copy);
	return st;
}
