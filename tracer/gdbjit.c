/* SPDX-License-Identifier: MIT */
/*
 * gdbjit.c - the reader side of the GDB JIT interface (see gdbjit.h).  The
 * only place that reads __jit_debug_descriptor and jit_code_entry records
 * from the inferior.
 *
 * Each image becomes one object: its code ranges (executable sections with
 * a load address) in an address index, its function symbols sorted by
 * address.  The image itself is not kept: when DWARF is first needed it is
 * read again from the inferior (it stays there while registered).
 */
#include "gdbjit.h"

#include <elf.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"
#include "bp.h"
#include "dwarf.h"
#include "format.h"
#include "location.h"
#include "patch.h"
#include "run.h"

#define MAX_DESC 4
#define MAX_ENTRIES (1u << 20)
#define MAX_IMAGE (64u << 20)
#define MAX_RANGES 8
#define MAX_OBJ_SYMS 65536

/* The GDB manual's layout, version 1, for a 64-bit inferior. */
struct gj_descriptor {
	uint32_t version;
	uint32_t action_flag;
	uint64_t relevant_entry;
	uint64_t first_entry;
};

struct gj_entry {
	uint64_t next, prev;
	uint64_t symfile_addr, symfile_size;
};

struct gj_desc {
	uint64_t addr;      /* __jit_debug_descriptor */
	uint64_t register_fn; /* __jit_debug_register_code of the same module, 0 unknown */
	struct gj_descriptor last;
	bool walked;
};

struct gj_obj {
	uint64_t entry, symfile, size;
	uint64_t epoch;     /* walk that last saw it */
	unsigned desc;
	bool used;          /* slot in use */
	bool dw_tried;
	uint32_t nranges;
	uint64_t lo[MAX_RANGES], len[MAX_RANGES];
	struct kt_sym *syms;
	size_t nsyms;
	char *strs;
	struct kt_dwarf *dw;
};

struct kt_gdbjit {
	struct gj_desc desc[MAX_DESC];
	size_t ndesc;
	struct gj_obj *obj;
	size_t nobj, capobj, live;
	uint32_t *freel;
	size_t nfree;
	uint64_t *hkey;     /* entry address -> slot + 1 (open addressing) */
	uint32_t *hval;
	size_t hcap;
	struct kt_addrmap index;
	uint64_t epoch;
	uint64_t hook;
	bool hook_planted;
	bool warned;
	unsigned long hook_hits;
};

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

static struct gj_obj *
hget(struct kt_gdbjit *g, uint64_t key)
{
	if (!g->hcap)
		return NULL;
	for (size_t i = hslot(g, key); g->hval[i]; i = (i + 1) & (g->hcap - 1))
		if (g->hkey[i] == key)
			return &g->obj[g->hval[i] - 1];
	return NULL;
}

/* Rebuild the hash from the live objects (after removals). */
static void
rehash(struct kt_gdbjit *g)
{
	if (g->hcap) {
		memset(g->hval, 0, g->hcap * sizeof(*g->hval));
	}
	for (size_t i = 0; i < g->nobj; i++)
		if (g->obj[i].used)
			hput(g, g->obj[i].entry, (uint32_t)i);
}

/* ---- objects ---- */

static int
sym_cmp(const void *a, const void *b)
{
	const struct kt_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Symbols and code ranges of the image IMG[0, LEN), through libelf. */
static void
index_image(struct gj_obj *o, char *img, size_t len)
{
	Elf *e;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t nsec = 0, cap = 0, strused = 0, strcap = 0;

	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_memory(img, len)))
		return;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || elf_getshdrnum(e, &nsec) != 0 ||
	    nsec > 4096)
		goto out;
	/* code ranges: executable sections with a load address */
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
		    !(sh.sh_flags & SHF_ALLOC) || sh.sh_addr == 0 || sh.sh_size == 0 ||
		    sh.sh_addr + sh.sh_size < sh.sh_addr || o->nranges >= MAX_RANGES)
			continue;
		o->lo[o->nranges] = sh.sh_addr;
		o->len[o->nranges++] = sh.sh_size;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0 ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n && o->nsyms < MAX_OBJ_SYMS; i++) {
			GElf_Sym sym;
			GElf_Shdr ts;
			Elf_Scn *tscn;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_shndx >= nsec)
				continue;
			uint64_t addr = sym.st_value;
			if (eh.e_type == ET_REL) {
				if (!(tscn = elf_getscn(e, sym.st_shndx)) || !gelf_getshdr(tscn, &ts) ||
				    ts.sh_addr == 0)
					continue; /* not loaded */
				addr += ts.sh_addr;
			}
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			size_t nl = strnlen(name, 4096) + 1;
			if (nl > 4096)
				continue;
			if (o->nsyms == cap) {
				size_t ncap = cap ? cap * 2 : 4;
				struct kt_sym *nv = realloc(o->syms, ncap * sizeof(*nv));
				if (!nv)
					break;
				o->syms = nv;
				cap = ncap;
			}
			if (strused + nl > strcap) {
				size_t ncap = strcap ? strcap * 2 : 256;
				while (ncap < strused + nl)
					ncap *= 2;
				char *ns = realloc(o->strs, ncap);
				if (!ns)
					break;
				o->strs = ns;
				strcap = ncap;
			}
			memcpy(o->strs + strused, name, nl);
			o->syms[o->nsyms].addr = addr;
			o->syms[o->nsyms].size = sym.st_size;
			o->syms[o->nsyms].name = (const char *)(uintptr_t)strused; /* fixed below */
			o->nsyms++;
			strused += nl;
		}
		break;
	}
	for (size_t i = 0; i < o->nsyms; i++)
		o->syms[i].name = o->strs + (uintptr_t)o->syms[i].name;
	if (o->nsyms > 1)
		qsort(o->syms, o->nsyms, sizeof(*o->syms), sym_cmp);
out:
	elf_end(e);
}

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

static void
obj_drop(struct kt_gdbjit *g, uint32_t idx)
{
	struct gj_obj *o = &g->obj[idx];

	for (uint32_t r = 0; r < o->nranges; r++) {
		struct kt_addrmap_range cur;
		/* only the ranges the index holds for this object */
		if (kt_addrmap_lookup(&g->index, o->lo[r], &cur) == KT_OK && cur.payload == idx &&
		    cur.start == o->lo[r])
			kt_addrmap_remove(&g->index, o->lo[r], NULL);
	}
	kt_dwarf_close(o->dw);
	free(o->syms);
	free(o->strs);
	memset(o, 0, sizeof(*o));
	g->freel[g->nfree++] = idx;
	g->live--;
}

/* A new object for entry E at ENTRY_ADDR; NULL when out of memory. */
static struct gj_obj *
obj_add(struct kt_session *s, struct kt_gdbjit *g, unsigned desc, uint64_t entry_addr,
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
		obj_drop(g, idx);
		return NULL;
	}
	char *img = read_image(s, o);
	if (img)
		index_image(o, img, (size_t)o->size);
	free(img);
	for (uint32_t r = 0; r < o->nranges; r++)
		kt_addrmap_insert(&g->index, o->lo[r], o->len[r], idx); /* overlap: ignored */
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
		d->register_fn = module_function(s, m, "__jit_debug_register_code");
	}
}

/* Walk descriptor D's list; FORCE: even if the descriptor looks unchanged. */
static void
walk(struct kt_session *s, struct kt_gdbjit *g, unsigned di, bool force)
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
		struct gj_obj *o = hget(g, cur);
		if (o && o->desc == di && o->epoch == epoch) {
			warn(s, g, "corrupt (its list has a cycle)");
			complete = true;
			break;
		}
		if (o && (o->desc != di || o->symfile != e.symfile_addr ||
			  o->size != e.symfile_size)) {
			/* the entry's memory now describes another image */
			obj_drop(g, (uint32_t)(o - g->obj));
			rehash(g);
			o = NULL;
		}
		if (!o && !(o = obj_add(s, g, di, cur, &e)))
			break;
		o->epoch = epoch;
		cur = e.next;
	}
	if (!complete)
		return;
	bool dropped = false;
	for (size_t i = 0; i < g->nobj; i++)
		if (g->obj[i].used && g->obj[i].desc == di && g->obj[i].epoch != epoch) {
			obj_drop(g, (uint32_t)i);
			dropped = true;
		}
	if (dropped)
		rehash(g);
}

void
kt_gdbjit_sync(struct kt_session *s)
{
	struct kt_gdbjit *g = s->gdbjit;

	for (size_t i = 0; g && s->pid && i < g->ndesc; i++)
		walk(s, g, (unsigned)i, false);
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
	size_t lo = 0, hi = o->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0) {
		const struct kt_sym *sym = &o->syms[lo - 1];
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
		for (size_t k = 0; o->used && k < o->nsyms; k++) {
			if (strcmp(o->syms[k].name, name) != 0)
				continue;
			uint64_t *nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			v[n++] = o->syms[k].addr;
		}
	}
	*out = v;
	return n;
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

/* ---- the registration breakpoint ---- */

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
			uint64_t a = g->desc[i].register_fn;
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

bool
kt_gdbjit_is_hook(struct kt_session *s, uint64_t addr)
{
	return s->gdbjit && s->gdbjit->hook_planted && s->gdbjit->hook == addr;
}

void
kt_gdbjit_hook(struct kt_session *s, pid_t via)
{
	struct kt_gdbjit *g = s->gdbjit;

	g->hook_hits++;
	for (size_t i = 0; i < g->ndesc; i++)
		walk(s, g, (unsigned)i, true);
	/* resolves what it can, then kt_gdbjit_update_hook lifts the
	   breakpoint if nothing is pending any more */
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
				nfun += g->obj[i].nsyms;
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
			for (size_t k = 0; o->used && o->desc == d && k < o->nsyms; k++)
				fprintf(f, "  0x%016" PRIx64 " %-10" PRIu64 " 0x%016" PRIx64 " %s\n",
					o->syms[k].addr, o->syms[k].size, o->symfile,
					kt_fmt_name(o->syms[k].name, name, sizeof(name)));
		}
	}
	return g->ndesc;
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
			free(g->obj[i].syms);
			free(g->obj[i].strs);
		}
	free(g->obj);
	free(g->freel);
	free(g->hkey);
	free(g->hval);
	kt_addrmap_free(&g->index);
	free(g);
	s->gdbjit = NULL;
}
