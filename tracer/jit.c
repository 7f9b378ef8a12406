/* SPDX-License-Identifier: MIT */
/*
 * jit.c - the tracer side of the libkitjit registry (see jit.h and
 * doc/registry.md).
 */
#include "attr.h"
#include "jit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "addrmap.h"
#include "jit_mirror.h"
#include "bp.h"
#include "gdbjit.h"
#include "location.h"
#include "patch.h"
#include "registry.h"
#include "run.h"
#include "format.h"

#define MAX_REGISTRIES 16

struct jit_reg {
	uint64_t anchor_addr;    /* kitjit_anchor in the inferior */
	uint64_t remote_addr;    /* the registry in the inferior */
	uint8_t *map;            /* our shared mapping of it, or the mirror's copy */
	size_t len;
	struct kt_jmirror mirror; /* when no mapping could be opened */
	bool copied;             /* map is mirror.map: refresh and push */
	const char *how;         /* how it is reached, for info jit */
	struct kt_jreg_view view;
	uint64_t cursor;         /* generation read so far */
	uint64_t planted_upto;   /* generation checked for breakpoint names */
	struct kt_addrmap index; /* live ranges -> entry index */
	uint64_t hook;           /* kitjit_debug_hook */
	bool hook_planted;
	bool ready;              /* mapped and validated */
	bool dead;               /* corrupt: ignored from now on */
};

struct kt_jit {
	struct jit_reg reg[MAX_REGISTRIES];
	size_t n;
};

static struct kt_jit *
jit(struct kt_session *s)
{
	if (!s->jit)
		s->jit = calloc(1, sizeof(*s->jit));
	return s->jit;
}

static void
unmap(struct jit_reg *r)
{
	if (r->copied)
		kt_jmirror_close(&r->mirror);
	else if (r->map)
		munmap(r->map, r->len);
	r->map = NULL;
	r->copied = false;
}

static void
drop(struct kt_session *s, struct jit_reg *r, const char *why)
{
	if (r->dead)
		return;
	fprintf(s->err,
		"warning: the JIT registry of process %d is %s; JIT code will not be named\n",
		(int)s->pid, why);
	r->dead = true;
	r->ready = false;
	unmap(r);
	kt_addrmap_free(&r->index);
	kt_addrmap_init(&r->index);
}

static void journal_existing(struct kt_session *s);

/* Map PATH (a file naming the registry's memory) shared; NULL if it fails. */
static void *
map_path(const char *path, size_t len)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/*
 * Reach the registry A describes, the cheapest way that works: share its
 * memfd through /proc/PID/fd/N; else share its mapping through
 * /proc/PID/map_files/ (needs CAP_SYS_ADMIN; works after the process
 * closed the memfd); else keep a copy through process memory (jit_mirror.h).
 * KITRACE_REGISTRY_ACCESS=fd|map_files|copy allows only that way (tests).
 */
static bool
reach(struct kt_session *s, struct jit_reg *r, const struct kt_jreg_anchor *a)
{
	const char *only = getenv("KITRACE_REGISTRY_ACCESS");
	char path[96];

	if ((!only || !strcmp(only, "fd")) && a->memfd >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)s->pid, a->memfd);
		r->map = map_path(path, a->registry_size);
		r->how = "shared memfd";
	}
	if (!r->map && (!only || !strcmp(only, "map_files"))) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)s->pid,
			 a->registry_addr, a->registry_addr + a->registry_size);
		r->map = map_path(path, a->registry_size);
		r->how = "shared mapping (map_files)";
	}
	if (!r->map && (!only || !strcmp(only, "copy")) &&
	    kt_jmirror_open(s, &r->mirror, a->registry_addr, a->registry_size) == KT_OK) {
		r->map = r->mirror.map;
		r->copied = true;
		r->how = "copy through process memory";
	}
	return r->map != NULL;
}

/* Map the registry the anchor at R describes; true when ready. */
static bool
map_registry(struct kt_session *s, struct jit_reg *r)
{
	uint8_t buf[sizeof(struct kt_jreg_anchor)];
	struct kt_jreg_anchor a;
	size_t got = 0;

	if (kt_mem_read(s, r->anchor_addr, buf, sizeof(buf), &got) != KT_OK &&
	    got < offsetof(struct kt_jreg_anchor, tracer_flags))
		return false;
	kt_status st = kt_jreg_anchor_parse(buf, got, &a);
	if (st == KT_ERR_STATE)
		return false; /* not created yet: look again later */
	if (st != KT_OK) {
		drop(s, r, "unreadable (bad anchor)");
		return false;
	}
	r->len = a.registry_size;
	if (!reach(s, r, &a)) {
		drop(s, r, "not reachable (neither its memory file, its mapping nor its memory "
			   "could be read)");
		return false;
	}
	if (kt_jreg_open(r->map, r->len, &r->view) != KT_OK) {
		drop(s, r, "corrupt");
		return false;
	}
	r->remote_addr = a.registry_addr;
	if (r->hook_planted && r->hook != a.hook_addr) {
		kt_patch_put(s, s->cur ? s->cur->tid : 0, r->hook);
		r->hook_planted = false;
	}
	r->hook = a.hook_addr;
	r->ready = true;
	journal_existing(s);
	return true;
}

void
kt_jit_discover(struct kt_session *s)
{
	struct kt_jit *j = jit(s);

	if (!j || !s->mods)
		return;
	kt_gdbjit_discover(s); /* the other JIT protocol, in the same pass */
	for (size_t i = 0; i < s->mods->n; i++) {
		struct kt_module *m = s->mods->v[i];
		if (m->jit_checked)
			continue;
		m->jit_checked = true;
		uint64_t a = kt_module_data_symbol(s, m, "kitjit_anchor");
		if (!a || j->n >= MAX_REGISTRIES)
			continue;
		struct jit_reg *r = &j->reg[j->n++];
		memset(r, 0, sizeof(*r));
		r->anchor_addr = a;
		kt_addrmap_init(&r->index);
	}
	for (size_t i = 0; i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		if (r->ready || r->dead || map_registry(s, r) || r->dead || r->hook_planted)
			continue;
		/* Not created yet: ask the library to call its hook when it is,
		 * and catch that call, so nothing registered is missed. */
		uint32_t notify = KT_ANCHOR_NOTIFY;
		uint64_t *hooks = NULL;
		struct kt_thread *via = s->cur;
		if (kt_mem_write(s, r->anchor_addr + offsetof(struct kt_jreg_anchor, tracer_flags),
				 &notify, sizeof(notify)) == KT_OK &&
		    kt_lookup_function(s, "kitjit_debug_hook", &hooks) > 0 && via &&
		    kt_patch_get(s, via->tid, hooks[0]) == KT_OK) {
			r->hook = hooks[0];
			r->hook_planted = true;
		}
		free(hooks);
	}
}

/*
 * Is ADDR in a live entry published after generation GEN (code that reused
 * the memory of a retracted range)?  Scans the log from GEN on: the
 * changes since that entry was published.
 */
static bool
reused(struct jit_reg *r, uint64_t gen, uint64_t addr)
{
	uint64_t cursor = gen;
	struct kt_jreg_change c;

	while (kt_jreg_next_change(&r->view, &cursor, &c) == KT_OK)
		if (c.kind == KT_JREG_ADDED && c.live && addr >= c.start && addr - c.start < c.size)
			return true;
	return false;
}

void
kt_jit_forget_locations(struct kt_session *s, bool (*gone)(void *ctx, uint64_t addr), void *ctx,
			const char *why)
{
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		size_t k = 0;
		for (size_t n = 0; n < bp->naddrs; n++) {
			uint64_t a = bp->addrs[n];
			if (gone(ctx, a)) {
				if (bp->enabled)
					kt_patch_forget(s, a);
				continue;
			}
			bp->addrs[k++] = a;
		}
		if (k != bp->naddrs) {
			bp->naddrs = k;
			fprintf(s->err, "Breakpoint %d: its JIT code was %s%s\n", bp->num, why,
				k ? "" : "; pending again");
		}
	}
}

struct retracted {
	struct jit_reg *r;
	uint64_t gen, start, size;
};

/* In the retracted range, and not in code published there since (that
 * one's breakpoints stay). */
static bool
in_retracted(void *ctx, uint64_t a)
{
	const struct retracted *x = ctx;

	return a >= x->start && a - x->start < x->size && !reused(x->r, x->gen, a);
}

/* Does an enabled breakpoint name the function of C? */
static bool
wanted(struct kt_session *s, const struct kt_jreg_change *c)
{
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (bp->enabled && !kt_bp_is_hw(bp) && kt_location_is_function(bp->spec) &&
		    strlen(bp->spec) == c->name_len && memcmp(bp->spec, c->name, c->name_len) == 0)
			return true;
	}
	return false;
}

/*
 * A function named like a breakpoint's location was published: give the
 * breakpoint a location in it (every instance of a name, as GDB gives a
 * breakpoint every function of that name).  Only while no thread can be
 * retracting that code: every thread stopped, or the publishing thread
 * stopped in kitjit_debug_hook.  The entry must still be live.
 */
static void
plant_instance(struct kt_session *s, struct jit_reg *r, const struct kt_jreg_change *c, pid_t via)
{
	struct kt_jreg_change now;

	if (kt_jreg_entry_get(&r->view, c->index, &now) != KT_OK || now.kind != KT_JREG_ADDED)
		return; /* retracted meanwhile */
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (!bp->enabled || kt_bp_is_hw(bp) || !kt_location_is_function(bp->spec) ||
		    strlen(bp->spec) != c->name_len || memcmp(bp->spec, c->name, c->name_len) != 0)
			continue;
		uint8_t code[32];
		size_t got = 0;
		kt_mem_read(s, c->start, code, sizeof(code) < c->size ? sizeof(code) : c->size, &got);
		uint64_t a = c->start + (got ? s->arch->skip_prologue(code, got, c->start) : 0);
		if (kt_bp_has_addr(bp, a))
			continue;
		bool was_pending = bp->naddrs == 0;
		if (kt_patch_get(s, via, a) != KT_OK)
			continue;
		if (kt_bp_add_addr(bp, a) != KT_OK) {
			kt_patch_put(s, via, a);
			continue;
		}
		if (was_pending)
			fprintf(s->err, "Breakpoint %d resolved: %s\n", bp->num, bp->spec);
	}
}

void
kt_jit_plant_new(struct kt_session *s, pid_t via)
{
	struct kt_jit *j = s->jit;

	/* GDB JIT objects: read what changed now (unregistered code forgets
	 * its breakpoints), and catch registrations if a breakpoint became
	 * pending again. */
	kt_gdbjit_sync(s);
	kt_gdbjit_update_hook(s, via);
	if (!j || via <= 0)
		return;
	kt_jit_sync(s);
	for (size_t i = 0; i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		struct kt_jreg_change c;
		if (!r->ready)
			continue;
		while (r->planted_upto < r->cursor &&
		       kt_jreg_next_change(&r->view, &r->planted_upto, &c) == KT_OK)
			if (c.kind == KT_JREG_ADDED && s->bps.n && wanted(s, &c))
				plant_instance(s, r, &c, via);
		r->planted_upto = r->cursor;
	}
}

void
kt_jit_hook(struct kt_session *s, pid_t via, uint64_t registry, uint64_t gen)
{
	struct kt_jit *j = s->jit;

	kt_jit_discover(s);
	kt_jit_sync(s);
	for (size_t i = 0; j && i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		struct kt_jreg_change c;
		uint64_t cursor = gen ? gen - 1 : 0;
		if (!r->ready || r->remote_addr != registry || gen == 0)
			continue;
		/* The entry this call announces: its thread is stopped here. */
		if (kt_jreg_next_change(&r->view, &cursor, &c) == KT_OK && cursor == gen &&
		    c.kind == KT_JREG_ADDED && wanted(s, &c))
			plant_instance(s, r, &c, via);
	}
}

void
kt_jit_sync(struct kt_session *s)
{
	struct kt_jit *j = s->jit;

	for (size_t i = 0; j && i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		if (!r->ready)
			continue;
		if (r->copied && kt_jmirror_refresh(s, &r->mirror) != KT_OK) {
			drop(s, r, "corrupt or unreadable");
			continue;
		}
		/* The process can scribble over the header at any time. */
		if (kt_jreg_open(r->map, r->len, &r->view) != KT_OK) {
			drop(s, r, "corrupt");
			continue;
		}
		struct kt_jreg_change c;
		kt_status st;
		while ((st = kt_jreg_next_change(&r->view, &r->cursor, &c)) == KT_OK) {
			if (c.kind == KT_JREG_ADDED) {
				if (kt_addrmap_insert(&r->index, c.start, c.size, c.index) != KT_OK)
					continue; /* overlaps a live range: ignore the newcomer */
			} else {
				uint32_t idx;
				struct retracted x = {r, c.entry_generation, c.start, c.size};
				if (kt_addrmap_remove(&r->index, c.start, &idx) == KT_OK)
					kt_jit_forget_locations(s, in_retracted, &x, "retracted");
			}
		}
		if (st == KT_ERR_CORRUPT)
			drop(s, r, "corrupt");
	}
}

/* The live entry holding ADDR, in some registry. */
static struct jit_reg *
find(struct kt_session *s, uint64_t addr, struct kt_jreg_change *c)
{
	struct kt_jit *j = s->jit;
	struct kt_addrmap_range range;

	if (!j || j->n == 0)
		return NULL;
	kt_jit_sync(s);
	for (size_t i = 0; i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		if (!r->ready || kt_addrmap_lookup(&r->index, addr, &range) != KT_OK)
			continue;
		kt_status st = kt_jreg_entry_get(&r->view, range.payload, c);
		if (st == KT_OK && c->start == range.start)
			return r;
		drop(s, r, "corrupt (an entry changed after it was published)");
	}
	return NULL;
}

bool
kt_jit_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out)
{
	struct kt_jreg_change c;
	struct kt_jreg_lines lines;
	struct jit_reg *r = find(s, addr, &c);
	uint32_t line, row, row_off;

	if (!r)
		return false;
	out->function = c.name;
	out->start = c.start;
	out->size = c.size;
	out->offset = addr - c.start;
	out->source = "registry";
	out->module = NULL;
	out->module_path = NULL;
	if (kt_jreg_lines(&r->view, &c, &lines) == KT_OK &&
	    out->offset <= UINT32_MAX &&
	    kt_jreg_line_index(&lines, (uint32_t)out->offset, &row) == KT_OK) {
		kt_jreg_line_row(&lines, row, &row_off, &line);
		out->file = lines.file;
		out->line = (int)line;
		out->line_addr = c.start + row_off;
		out->line_stmt = true;
	}
	return true;
}

size_t
kt_jit_lookup(struct kt_session *s, const char *name, uint64_t **out)
{
	struct kt_jit *j = s->jit;
	size_t n = 0, len = strlen(name);
	uint64_t *v = NULL;

	*out = NULL;
	if (!j)
		return 0;
	kt_jit_sync(s);
	for (size_t i = 0; i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		uint64_t cursor = 0;
		struct kt_jreg_change c;
		if (!r->ready)
			continue;
		/* Replay: the live set is what was added and not yet removed. */
		kt_status st;
		while ((st = kt_jreg_next_change(&r->view, &cursor, &c)) == KT_OK) {
			if (c.kind != KT_JREG_ADDED || !c.live || c.name_len != len ||
			    memcmp(c.name, name, len) != 0)
				continue;
			uint64_t *nv = realloc(v, (n + 1) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
			v[n++] = c.start;
		}
		if (st == KT_ERR_CORRUPT)
			drop(s, r, "corrupt");
	}
	*out = v;
	return n;
}

bool
kt_jit_unwind_rule(struct kt_session *s, uint64_t pc, uint64_t *start, uint32_t *kind,
		   uint32_t *prologue_len)
{
	struct kt_jreg_change c;
	struct kt_jreg_unwind u;
	struct jit_reg *r = find(s, pc, &c);

	if (!r || kt_jreg_unwind(&r->view, &c, &u) != KT_OK)
		return false;
	*start = c.start;
	*kind = u.kind;
	*prologue_len = u.prologue_len;
	return true;
}

KT_HOT bool
kt_jit_is_hook(struct kt_session *s, uint64_t addr)
{
	struct kt_jit *j = s->jit;

	for (size_t i = 0; j && i < j->n; i++)
		if (j->reg[i].hook_planted && j->reg[i].hook == addr)
			return true;
	return false;
}

void
kt_jit_update_filter(struct kt_session *s, pid_t via)
{
	struct kt_jit *j = s->jit;
	const char **names;
	size_t n = 0;

	kt_gdbjit_update_hook(s, via);
	if (!j || j->n == 0)
		return;
	if (!(names = calloc(s->bps.n + 1, sizeof(*names))))
		return;
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		/* Every function name, resolved or not: a JIT may publish another
		 * function of that name at any time. */
		if (bp->enabled && !kt_bp_is_hw(bp) && kt_location_is_function(bp->spec))
			names[n++] = bp->spec;
	}
	for (size_t i = 0; i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		if (!r->ready)
			continue;
		kt_jreg_filter_set(r->map, r->len, names, n, false);
		if (r->copied)
			kt_jmirror_push_filter(s, &r->mirror);
		if (n > 0 && !r->hook_planted && r->hook && via > 0 &&
		    kt_patch_get(s, via, r->hook) == KT_OK)
			r->hook_planted = true;
		else if (n == 0 && r->hook_planted) {
			kt_patch_put(s, via, r->hook);
			r->hook_planted = false;
		}
	}
	free(names);
}

static struct jit_reg *
first_ready(struct kt_session *s)
{
	struct kt_jit *j = s->jit;

	for (size_t i = 0; j && i < j->n; i++)
		if (j->reg[i].ready)
			return &j->reg[i];
	return NULL;
}

/* A copied registry: write journal record SLOT to the process. */
static void
push_record(struct kt_session *s, struct jit_reg *r, uint32_t slot)
{
	struct kt_jreg_view v;

	if (kt_jreg_open(r->map, r->len, &v) == KT_OK && slot < v.journal_max)
		kt_jmirror_push(s, &r->mirror, v.journal_off + (uint64_t)slot * v.patch_size,
				v.patch_size);
}

uint32_t
kt_jit_journal_add(struct kt_session *s, uint64_t addr, const uint8_t *orig,
		   const uint8_t *patch, size_t len)
{
	struct jit_reg *r = first_ready(s);
	uint32_t slot;

	if (!r || kt_jreg_journal_add(r->map, r->len, addr, orig, patch, len, 0, &slot) != KT_OK)
		return 0;
	if (r->copied)
		push_record(s, r, slot);
	return slot + 1;
}

void
kt_jit_journal_clear(struct kt_session *s, uint32_t rec)
{
	struct jit_reg *r = first_ready(s);

	if (r && rec && kt_jreg_journal_clear(r->map, r->len, rec - 1) == KT_OK && r->copied)
		push_record(s, r, rec - 1);
}

/* Journal the patches planted before the first registry was ready. */
static void
journal_existing(struct kt_session *s)
{
	for (size_t i = 0; s->patches && i < s->patches->n; i++) {
		struct kt_patch *p = &s->patches->v[i];
		if (p->planted && !p->journal)
			p->journal = kt_jit_journal_add(s, p->addr, p->orig, s->arch->patch,
							s->arch->patch_len);
	}
}

void
kt_jit_info(struct kt_session *s, FILE *f)
{
	struct kt_jit *j = s->jit;
	size_t shown = 0;

	kt_jit_discover(s);
	kt_jit_sync(s);
	for (size_t i = 0; j && i < j->n; i++) {
		struct jit_reg *r = &j->reg[i];
		if (!r->ready)
			continue;
		fprintf(f, "Registry %zu at 0x%" PRIx64 ": %" PRIu64 " live ranges, generation %" PRIu64
			   ", read as a %s\n",
			i + 1, r->remote_addr, kt_addrmap_count(&r->index), r->cursor, r->how);
		fprintf(f, "  %-18s %-10s %-6s %s\n", "Address", "Size", "Gen", "Name");
		uint64_t cursor = 0;
		struct kt_jreg_change c;
		kt_status st;
		char name[256];
		while ((st = kt_jreg_next_change(&r->view, &cursor, &c)) == KT_OK) {
			if (c.kind != KT_JREG_ADDED || !c.live)
				continue;
			fprintf(f, "  0x%016" PRIx64 " %-10" PRIu64 " %-6" PRIu64 " %s\n", c.start,
				c.size, c.generation, kt_fmt_name(c.name, name, sizeof(name)));
			shown++;
		}
		if (st == KT_ERR_CORRUPT)
			drop(s, r, "corrupt");
	}
	if (kt_gdbjit_info(s, f) == 0 && shown == 0)
		fputs("No JIT code registered (no libkitjit registry, or nothing published).\n", f);
}

void
kt_jit_free(struct kt_session *s)
{
	struct kt_jit *j = s->jit;

	for (size_t i = 0; j && i < j->n; i++) {
		unmap(&j->reg[i]);
		kt_addrmap_free(&j->reg[i].index);
	}
	free(j);
	s->jit = NULL;
	kt_gdbjit_free(s);
}
