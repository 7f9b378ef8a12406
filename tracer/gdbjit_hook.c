/* SPDX-License-Identifier: MIT */
/*
 * gdbjit_hook.c - the GDB JIT interface while a breakpoint is pending: the
 * internal breakpoint on __jit_debug_register_code (planted only then,
 * invariant 7), what a stop there reads, and "info jit"'s part for GDB JIT
 * objects.
 */
#include <inttypes.h>
#include <string.h>

#include "attr.h"
#include "bp.h"
#include "format.h"
#include "gdbjit_int.h"
#include "location.h"
#include "patch.h"
#include "run.h"

/*
 * At the registration breakpoint every change passes by us one at a time:
 * a registration puts one new entry at the head, in front of the head we
 * saw last; an unregistration names the entry going away.  Handle those
 * in O(1); false when the descriptor says anything else (then walk).
 */
static bool
hook_step(struct kt_session *s, struct kt_gdbjit *g, unsigned di)
{
	struct gj_desc *d = &g->desc[di];
	struct gj_descriptor now;
	struct gj_entry e;
	struct gj_obj *o;
	size_t got = 0;

	if (!d->walked || kt_mem_read(s, d->addr, &now, sizeof(now), &got) != KT_OK ||
	    got != sizeof(now) || now.version != 1)
		return false;
	o = kt_gj_hget(g, now.relevant_entry);
	if (now.action_flag == 1 /* JIT_REGISTER_FN */ && !o &&
	    now.first_entry == now.relevant_entry && now.first_entry &&
	    kt_mem_read(s, now.first_entry, &e, sizeof(e), &got) == KT_OK && got == sizeof(e) &&
	    e.next == d->last.first_entry) {
		if (!(o = kt_gj_obj_add(s, g, di, now.first_entry, &e)))
			return false;
		o->epoch = g->epoch;
	} else if (now.action_flag == 2 /* JIT_UNREGISTER_FN */ && o && o->desc == di &&
		   now.first_entry != now.relevant_entry) {
		kt_gj_obj_drop(s, g, (uint32_t)(o - g->obj));
	} else if (memcmp(&now, &d->last, sizeof(now)) != 0) {
		return false;
	}
	d->last = now;
	return true;
}

/* Does a function of an object added since the last call match a pending
 * breakpoint (or were too many added to tell)? */
static bool
fresh_wanted(struct kt_session *s, struct kt_gdbjit *g)
{
	bool want = g->fresh_overflow;

	for (size_t f = 0; f < g->nfresh && !want; f++) {
		const struct gj_obj *o = &g->obj[g->fresh[f]];
		for (size_t i = 0; i < s->bps.n && !want; i++) {
			const struct kt_bp *bp = s->bps.v[i];
			if (!bp->enabled || bp->naddrs || !kt_location_is_function(bp->spec))
				continue;
			/* FILE:LINE: the new object's lines may hold it */
			want = strchr(bp->spec, ':') != NULL;
			for (size_t k = 0; o->used && k < o->im.nsyms && !want; k++)
				want = strcmp(o->im.syms[k].name, bp->spec) == 0;
		}
	}
	g->nfresh = 0;
	g->fresh_overflow = false;
	return want;
}

static bool
any_pending(struct kt_session *s)
{
	for (size_t i = 0; i < s->bps.n; i++) {
		const struct kt_bp *bp = s->bps.v[i];
		if (bp->enabled && bp->naddrs == 0 && kt_location_is_function(bp->spec))
			return true;
	}
	return false;
}

void
kt_gdbjit_update_hook(struct kt_session *s, pid_t via)
{
	struct kt_gdbjit *g = s->gdbjit;

	if (!g || via <= 0)
		return;
	bool want = any_pending(s);
	if (want && !g->hook_planted) {
		for (size_t i = 0; i < g->ndesc && !g->hook_planted; i++) {
			uint64_t a = kt_gj_register_fn(s, &g->desc[i]);
			if (a && kt_patch_get(s, via, a) == KT_OK) {
				g->hook = a;
				g->hook_planted = true;
			}
		}
		/* what was registered before the breakpoint went in */
		if (g->hook_planted)
			kt_gdbjit_sync(s);
	} else if (!want && g->hook_planted) {
		kt_patch_put(s, via, g->hook);
		g->hook_planted = false;
		g->hook = 0;
	}
}

KT_HOT bool
kt_gdbjit_is_hook(struct kt_session *s, uint64_t addr)
{
	return s->gdbjit && s->gdbjit->hook_planted && s->gdbjit->hook == addr;
}

void
kt_gdbjit_hook(struct kt_session *s, pid_t via)
{
	struct kt_gdbjit *g = s->gdbjit;

	g->hook_hits++;
	g->nfresh = 0;
	g->fresh_overflow = false;
	for (size_t i = 0; i < g->ndesc; i++)
		if (!hook_step(s, g, (unsigned)i))
			kt_gj_walk(s, g, (unsigned)i, true);
	/* Resolve (which then lifts this breakpoint if nothing is pending any
	 * more) only when a new function has a pending breakpoint's name:
	 * resolving looks at every module and object. */
	if (fresh_wanted(s, g))
		kt_run_resolve_pending(s, via);
}

unsigned long
kt_gdbjit_hook_hits(const struct kt_session *s)
{
	return s->gdbjit ? s->gdbjit->hook_hits : 0;
}

size_t
kt_gdbjit_info(struct kt_session *s, FILE *f)
{
	struct kt_gdbjit *g;
	char name[256];

	kt_gdbjit_discover(s);
	g = s->gdbjit;
	if (!g || g->ndesc == 0)
		return 0;
	kt_gdbjit_sync(s);
	for (size_t d = 0; d < g->ndesc; d++) {
		size_t nobj = 0, nfun = 0;
		for (size_t i = 0; i < g->nobj; i++)
			if (g->obj[i].used && g->obj[i].desc == d) {
				nobj++;
				nfun += g->obj[i].im.nsyms;
			}
		fprintf(f,
			"GDB JIT interface at 0x%" PRIx64 ": %zu objects, %zu functions%s\n",
			g->desc[d].addr, nobj, nfun,
			g->hook_planted ? " (breakpoint on registrations: a breakpoint is pending)"
					: "");
		if (nfun == 0)
			continue;
		fprintf(f, "  %-18s %-10s %-18s %s\n", "Address", "Size", "Object", "Name");
		for (size_t i = 0; i < g->nobj; i++) {
			const struct gj_obj *o = &g->obj[i];
			for (size_t k = 0; o->used && o->desc == d && k < o->im.nsyms; k++)
				fprintf(f, "  0x%016" PRIx64 " %-10" PRIu64 " 0x%016" PRIx64 " %s\n",
					o->im.syms[k].addr, o->im.syms[k].size, o->symfile,
					kt_fmt_name(o->im.syms[k].name, name, sizeof(name)));
		}
	}
	return g->ndesc;
}
