/* SPDX-License-Identifier: MIT */
/*
 * gdbjit.c - the reader side of the GDB JIT interface (see gdbjit.h).  The
 * only place that reads __jit_debug_descriptor and jit_code_entry records
 * from the inferior.
 *
 * Each image becomes one object: its code ranges (executable sections with
 * a load address) in an address index, its function symbols sorted by
 * address.  The image itself is not kept: when DWARF is first needed it is
 * read again from the inferior (it stays there while registered).  The
 * registration breakpoint and "info jit" are in gdbjit_hook.c.
 */
#include "gdbjit.h"

#include <stdlib.h>
#include <string.h>

#include "dwarf.h"
#include "gdbjit_int.h"
#include "jit.h"
#include "patch.h"

static struct kt_gdbjit *
state(struct kt_session *s)
{
	if (!s->gdbjit) {
		s->gdbjit = calloc(1, sizeof(*s->gdbjit));
		if (s->gdbjit)
			kt_addrmap_init(&s->gdbjit->index);
	}
	return s->gdbjit;
}

static void
warn(struct kt_session *s, struct kt_gdbjit *g, const char *why)
{
	if (g->warned)
		return;
	g->warned = true;
	fprintf(s->err, "warning: the GDB JIT interface of process %d is %s; "
			"some JIT code may not be named\n",
		(int)s->pid, why);
}

/* ---- the entry-address hash ---- */

static size_t
hslot(const struct kt_gdbjit *g, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (g->hcap - 1);
}

static bool
hput(struct kt_gdbjit *g, uint64_t key, uint32_t idx)
{
	if ((g->live + 1) * 2 > g->hcap) {
		size_t ncap = g->hcap ? g->hcap * 2 : 64;
		uint64_t *ok = g->hkey;
		uint32_t *ov = g->hval;
		size_t ocap = g->hcap;

		g->hkey = calloc(ncap, sizeof(*g->hkey));
		g->hval = calloc(ncap, sizeof(*g->hval));
		if (!g->hkey || !g->hval) {
			free(g->hkey);
			free(g->hval);
			g->hkey = ok;
			g->hval = ov;
			return false;
		}
		g->hcap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (ov[i])
				hput(g, ok[i], ov[i] - 1);
		free(ok);
		free(ov);
	}
	size_t i = hslot(g, key);
	while (g->hval[i] && g->hkey[i] != key)
		i = (i + 1) & (g->hcap - 1);
	g->hkey[i] = key;
	g->hval[i] = idx + 1;
	return true;
}

struct gj_obj *
kt_gj_hget(struct kt_gdbjit *g, uint64_t key)
{
	if (!g->hcap)
		return NULL;
	for (size_t i = hslot(g, key); g->hval[i]; i = (i + 1) & (g->hcap - 1))
		if (g->hkey[i] == key)
			return &g->obj[g->hval[i] - 1];
	return NULL;
}

/* Remove KEY (if it maps to IDX), closing the gap by shifting back. */
static void
hdel(struct kt_gdbjit *g, uint64_t key, uint32_t idx)
{
	size_t i, j, mask = g->hcap - 1;

	if (!g->hcap)
		return;
	for (i = hslot(g, key); g->hval[i]; i = (i + 1) & mask)
		if (g->hkey[i] == key)
			break;
	if (!g->hval[i] || g->hval[i] != idx + 1)
		return;
	g->hval[i] = 0;
	for (j = (i + 1) & mask; g->hval[j]; j = (j + 1) & mask) {
		size_t home = hslot(g, g->hkey[j]);
		/* move j back into the hole at i if its home is not in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			g->hkey[i] = g->hkey[j];
			g->hval[i] = g->hval[j];
			g->hval[j] = 0;
			i = j;
		}
	}
}

/* ---- objects ---- */

/* A copy of O's image from the inferior, or NULL. */
static char *
read_image(struct kt_session *s, const struct gj_obj *o)
{
	size_t got = 0;
	char *img;

	if (o->size == 0 || o->size > MAX_IMAGE || !(img = malloc(o->size)))
		return NULL;
	if (kt_mem_read(s, o->symfile, img, o->size, &got) != KT_OK || got != o->size) {
		free(img);
		return NULL;
	}
	return img;
}

/* Is A in one of O's code ranges?  (O's code is gone: its breakpoint
 * locations are forgotten, kt_jit_forget_locations.) */
static bool
in_object(void *ctx, uint64_t a)
{
	const struct gj_obj *o = ctx;

	for (uint32_t r = 0; r < o->im.nranges; r++)
		if (a >= o->im.lo[r] && a - o->im.lo[r] < o->im.len[r])
			return true;
	return false;
}

void
kt_gj_obj_drop(struct kt_session *s, struct kt_gdbjit *g, uint32_t idx)
{
	struct gj_obj *o = &g->obj[idx];

	kt_jit_forget_locations(s, in_object, o, "unregistered");
	for (uint32_t r = 0; r < o->im.nranges; r++) {
		struct kt_addrmap_range cur;
		/* only the ranges the index holds for this object */
		if (kt_addrmap_lookup(&g->index, o->im.lo[r], &cur) == KT_OK && cur.payload == idx &&
		    cur.start == o->im.lo[r])
			kt_addrmap_remove(&g->index, o->im.lo[r], NULL);
	}
	hdel(g, o->entry, idx);
	kt_dwarf_close(o->dw);
	kt_gdbjit_image_free(&o->im);
	memset(o, 0, sizeof(*o));
	g->freel[g->nfree++] = idx;
	g->live--;
}

/* A new object for entry E at ENTRY_ADDR; NULL when out of memory. */
struct gj_obj *
kt_gj_obj_add(struct kt_session *s, struct kt_gdbjit *g, unsigned desc, uint64_t entry_addr,
	const struct gj_entry *e)
{
	uint32_t idx;

	if (g->nfree) {
		idx = g->freel[--g->nfree];
	} else {
		if (g->nobj == g->capobj) {
			size_t ncap = g->capobj ? g->capobj * 2 : 64;
			struct gj_obj *nv = realloc(g->obj, ncap * sizeof(*nv));
			uint32_t *nf = realloc(g->freel, ncap * sizeof(*nf));
			if (nv)
				g->obj = nv;
			if (nf)
				g->freel = nf;
			if (!nv || !nf)
				return NULL;
			g->capobj = ncap;
		}
		idx = (uint32_t)g->nobj++;
	}
	struct gj_obj *o = &g->obj[idx];
	memset(o, 0, sizeof(*o));
	o->used = true;
	o->entry = entry_addr;
	o->symfile = e->symfile_addr;
	o->size = e->symfile_size;
	o->desc = desc;
	g->live++;
	if (!hput(g, entry_addr, idx)) {
		kt_gj_obj_drop(s, g, idx);
		return NULL;
	}
	if (g->nfresh < sizeof(g->fresh) / sizeof(g->fresh[0]))
		g->fresh[g->nfresh++] = idx;
	else
		g->fresh_overflow = true;
	char *img = read_image(s, o);
	if (img)
		kt_gdbjit_image_index(&o->im, img, (size_t)o->size);
	free(img);
	for (uint32_t r = 0; r < o->im.nranges; r++)
		kt_addrmap_insert(&g->index, o->im.lo[r], o->im.len[r], idx); /* overlap: ignored */
	return o;
}

/* ---- discovery and walking ---- */

/* Runtime address of function NAME among M's symbols, or 0. */
static uint64_t
module_function(struct kt_session *s, struct kt_module *m, const char *name)
{
	kt_module_load(s, m);
	for (size_t i = 0; i < m->nsyms; i++)
		if (strcmp(m->syms[i].name, name) == 0)
			return m->syms[i].addr + m->bias;
	return 0;
}

void
kt_gdbjit_discover(struct kt_session *s)
{
	struct kt_gdbjit *g;

	if (!s->mods || !(g = state(s)))
		return;
	for (size_t i = 0; i < s->mods->n; i++) {
		struct kt_module *m = s->mods->v[i];
		if (m->gdbjit_checked)
			continue;
		m->gdbjit_checked = true;
		uint64_t a = kt_module_data_symbol(s, m, "__jit_debug_descriptor");
		bool known = false;
		for (size_t k = 0; k < g->ndesc; k++)
			known |= g->desc[k].addr == a;
		if (!a || known || g->ndesc >= MAX_DESC)
			continue;
		struct gj_desc *d = &g->desc[g->ndesc++];
		memset(d, 0, sizeof(*d));
		d->addr = a;
	}
}

uint64_t
kt_gj_register_fn(struct kt_session *s, struct gj_desc *d)
{
	/* Looked up only when a breakpoint is pending: it loads the whole
	 * symbol table of the module (libLLVM's is large). */
	if (!d->register_tried) {
		struct kt_module *m = kt_module_for_addr(s, d->addr);
		d->register_tried = true;
		if (m)
			d->register_fn = module_function(s, m, "__jit_debug_register_code");
	}
	return d->register_fn;
}

/* Walk descriptor D's list; FORCE: even if the descriptor looks unchanged. */
void
kt_gj_walk(struct kt_session *s, struct kt_gdbjit *g, unsigned di, bool force)
{
	struct gj_desc *d = &g->desc[di];
	struct gj_descriptor now;
	size_t got = 0;

	if (kt_mem_read(s, d->addr, &now, sizeof(now), &got) != KT_OK || got != sizeof(now) ||
	    now.version != 1)
		return;
	if (!force && d->walked && !memcmp(&now, &d->last, sizeof(now)))
		return;
	d->last = now;
	d->walked = true;
	uint64_t epoch = ++g->epoch, cur = now.first_entry;
	bool complete = false;
	for (uint32_t n = 0;; n++) {
		struct gj_entry e;
		if (cur == 0) {
			complete = true;
			break;
		}
		if (n >= MAX_ENTRIES) {
			warn(s, g, "too long (over a million entries)");
			break;
		}
		if (kt_mem_read(s, cur, &e, sizeof(e), &got) != KT_OK || got != sizeof(e)) {
			warn(s, g, "unreadable (an entry cannot be read)");
			break;
		}
		struct gj_obj *o = kt_gj_hget(g, cur);
		if (o && o->desc == di && o->epoch == epoch) {
			warn(s, g, "corrupt (its list has a cycle)");
			complete = true;
			break;
		}
		if (o && (o->desc != di || o->symfile != e.symfile_addr ||
			  o->size != e.symfile_size)) {
			/* the entry's memory now describes another image */
			kt_gj_obj_drop(s, g, (uint32_t)(o - g->obj));
			o = NULL;
		}
		if (!o && !(o = kt_gj_obj_add(s, g, di, cur, &e)))
			break;
		o->epoch = epoch;
		cur = e.next;
	}
	if (!complete)
		return;
	for (size_t i = 0; i < g->nobj; i++)
		if (g->obj[i].used && g->obj[i].desc == di && g->obj[i].epoch != epoch)
			kt_gj_obj_drop(s, g, (uint32_t)i);
}

void
kt_gdbjit_sync(struct kt_session *s)
{
	struct kt_gdbjit *g = s->gdbjit;

	for (size_t i = 0; g && s->pid && i < g->ndesc; i++)
		kt_gj_walk(s, g, (unsigned)i, false);
}

/* ---- queries ---- */

static struct gj_obj *
obj_at(struct kt_session *s, uint64_t addr)
{
	struct kt_gdbjit *g = s->gdbjit;
	struct kt_addrmap_range r;

	if (!g || g->ndesc == 0)
		return NULL;
	kt_gdbjit_sync(s);
	if (kt_addrmap_lookup(&g->index, addr, &r) != KT_OK || r.payload >= g->nobj ||
	    !g->obj[r.payload].used)
		return NULL;
	return &g->obj[r.payload];
}

static struct kt_dwarf *
obj_dwarf(struct kt_session *s, struct gj_obj *o)
{
	if (!o->dw_tried) {
		o->dw_tried = true;
		char *img = read_image(s, o);
		if (img)
			o->dw = kt_dwarf_open_mem(img, (size_t)o->size);
	}
	return o->dw;
}

bool
kt_gdbjit_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out)
{
	struct gj_obj *o = obj_at(s, addr);
	struct kt_dwarf_loc loc;

	if (!o)
		return false;
	memset(out, 0, sizeof(*out));
	out->source = "gdb-jit";
	/* the symbol at or below ADDR */
	size_t lo = 0, hi = o->im.nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->im.syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct kt_sym *sym = &o->im.syms[lo - 1];
		if (!sym->size || addr - sym->addr < sym->size) {
			out->function = sym->name;
			out->start = sym->addr;
			out->size = sym->size;
			out->offset = addr - sym->addr;
		}
	}
	struct kt_dwarf *dw = obj_dwarf(s, o);
	if (dw && kt_dwarf_addr2line(dw, addr, &loc)) {
		out->file = loc.file;
		out->line = loc.line;
		if (!out->function && loc.function) {
			out->function = loc.function;
			out->start = loc.func_lo;
			out->size = loc.func_hi - loc.func_lo;
			out->offset = addr - loc.func_lo;
		}
	}
	return true;
}

size_t
kt_gdbjit_lookup(struct kt_session *s, const char *name, uint64_t **out)
{
	struct kt_gdbjit *g = s->gdbjit;
	size_t n = 0;
	uint64_t *v = NULL;

	*out = NULL;
	if (!g)
		return 0;
	kt_gdbjit_sync(s);
	for (size_t i = 0; i < g->nobj; i++) {
		const struct gj_obj *o = &g->obj[i];
		for (size_t k = 0; o->used && k < o->im.nsyms; k++) {
			if (strcmp(o->im.syms[k].name, name) != 0)
				continue;
			uint64_t *nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			v[n++] = o->im.syms[k].addr;
		}
	}
	*out = v;
	return n;
}

void
kt_gdbjit_line2addrs(struct kt_session *s, const char *file, int line, uint64_t **out,
		     size_t *n)
{
	struct kt_gdbjit *g = s->gdbjit;

	if (!g)
		return;
	kt_gdbjit_sync(s);
	for (size_t i = 0; i < g->nobj; i++) {
		struct kt_dwarf *dw = g->obj[i].used ? obj_dwarf(s, &g->obj[i]) : NULL;
		uint64_t *a = NULL;
		size_t k = dw ? kt_dwarf_line2addrs(dw, file, line, &a) : 0;
		uint64_t *v = k ? realloc(*out, (*n + k) * sizeof(*v)) : NULL;
		for (size_t j = 0; v && j < k; j++)
			v[(*n)++] = a[j]; /* runtime addresses already */
		if (v)
			*out = v;
		free(a);
	}
}

struct kt_dwarf *
kt_gdbjit_dwarf(struct kt_session *s, uint64_t pc)
{
	struct gj_obj *o = obj_at(s, pc);

	return o ? obj_dwarf(s, o) : NULL;
}

bool
kt_gdbjit_after_prologue(struct kt_session *s, uint64_t entry, uint64_t *after)
{
	struct kt_dwarf *dw = kt_gdbjit_dwarf(s, entry);
	struct kt_dwarf_loc loc;
	uint64_t e, ap;

	if (!dw || !kt_dwarf_addr2line(dw, entry, &loc) || !loc.function ||
	    !kt_dwarf_function(dw, loc.function, &e, &ap) || e != entry)
		return false;
	*after = ap;
	return true;
}

void
kt_gdbjit_free(struct kt_session *s)
{
	struct kt_gdbjit *g = s->gdbjit;

	if (!g)
		return;
	for (size_t i = 0; i < g->nobj; i++)
		if (g->obj[i].used) {
			kt_dwarf_close(g->obj[i].dw);
			kt_gdbjit_image_free(&g->obj[i].im);
		}
	free(g->obj);
	free(g->freel);
	free(g->hkey);
	free(g->hval);
	kt_addrmap_free(&g->index);
	free(g);
	s->gdbjit = NULL;
}
