/* SPDX-License-Identifier: MIT */
/*
 * bp.c - the breakpoint table (see bp.h).  GDB's counting rules: a hit
 * whose condition is false is not a hit at all; a hit that an ignore count
 * swallows is counted; the breakpoint stops only when both let it.
 */
#include "attr.h"
#include "bp.h"

#include <stdlib.h>
#include <string.h>

#include "expr.h"

void
kt_bptab_init(struct kt_bptab *t)
{
	memset(t, 0, sizeof(*t));
	t->next_num = 1;
}

static void
bp_free(struct kt_bp *bp)
{
	if (!bp)
		return;
	free(bp->spec);
	free(bp->cond_text);
	kt_expr_free(bp->cond);
	free(bp->addrs);
	for (size_t i = 0; i < bp->ncommands; i++)
		free(bp->commands[i]);
	free(bp->commands);
	free(bp);
}

void
kt_bptab_fini(struct kt_bptab *t)
{
	for (size_t i = 0; i < t->n; i++)
		bp_free(t->v[i]);
	free(t->v);
	kt_bptab_init(t);
}

struct kt_bp *
kt_bp_new(struct kt_bptab *t, enum kt_bp_type type, const char *spec)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct kt_bp **v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct kt_bp *bp = calloc(1, sizeof(*bp));
	if (!bp || !(bp->spec = strdup(spec))) {
		free(bp);
		return NULL;
	}
	bp->num = t->next_num++;
	bp->type = type;
	bp->enabled = true;
	bp->hw_slot = -1;
	t->v[t->n++] = bp;
	return bp;
}

struct kt_bp *
kt_bp_find(const struct kt_bptab *t, int num)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->num == num)
			return t->v[i];
	return NULL;
}

kt_status
kt_bp_delete(struct kt_bptab *t, int num)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i]->num != num)
			continue;
		bp_free(t->v[i]);
		memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(t->v[0]));
		t->n--;
		return KT_OK;
	}
	return KT_ERR_NOTFOUND;
}

kt_status
kt_bp_set_cond(struct kt_bp *bp, const char *text, struct kt_expr *cond)
{
	char *copy = NULL;

	if (text && *text && !(copy = strdup(text)))
		return KT_ERR_NOMEM;
	free(bp->cond_text);
	kt_expr_free(bp->cond);
	bp->cond_text = copy;
	bp->cond = copy ? cond : NULL;
	bp->cond_form = 0;
	if (!copy)
		kt_expr_free(cond);
	return KT_OK;
}

KT_HOT bool
kt_bp_has_addr(const struct kt_bp *bp, uint64_t addr)
{
	for (size_t i = 0; i < bp->naddrs; i++)
		if (bp->addrs[i] == addr)
			return true;
	return false;
}

kt_status
kt_bp_add_addr(struct kt_bp *bp, uint64_t addr)
{
	if (kt_bp_has_addr(bp, addr))
		return KT_OK;
	uint64_t *a = realloc(bp->addrs, (bp->naddrs + 1) * sizeof(*a));
	if (!a)
		return KT_ERR_NOMEM;
	a[bp->naddrs++] = addr;
	bp->addrs = a;
	return KT_OK;
}

void
kt_bp_clear_addrs(struct kt_bp *bp)
{
	free(bp->addrs);
	bp->addrs = NULL;
	bp->naddrs = 0;
}

void
kt_bp_set_commands(struct kt_bp *bp, char **lines, size_t n)
{
	for (size_t i = 0; i < bp->ncommands; i++)
		free(bp->commands[i]);
	free(bp->commands);
	bp->commands = lines;
	bp->ncommands = n;
}

KT_HOT enum kt_hit
kt_bp_hit(struct kt_bp *bp, bool cond_true)
{
	if (!cond_true)
		return KT_HIT_IGNORE;
	bp->hits++;
	if (bp->ignore > 0) {
		bp->ignore--;
		return KT_HIT_COUNTED;
	}
	return KT_HIT_STOP;
}

bool
kt_bptab_wants(const struct kt_bptab *t, uint64_t addr)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->enabled && kt_bp_has_addr(t->v[i], addr))
			return true;
	return false;
}

bool
kt_bp_is_hw(const struct kt_bp *bp)
{
	return bp->type == KT_BP_HBREAK || bp->type == KT_BP_THBREAK || kt_bp_is_watch(bp);
}

bool
kt_bp_is_watch(const struct kt_bp *bp)
{
	return bp->type == KT_BP_WATCH || bp->type == KT_BP_RWATCH || bp->type == KT_BP_AWATCH;
}

bool
kt_bp_is_temp(const struct kt_bp *bp)
{
	return bp->type == KT_BP_TBREAK || bp->type == KT_BP_THBREAK;
}
