/* SPDX-License-Identifier: MIT */
/*
 * modules.c - the module list from /proc/PID/maps, ELF symbol tables read
 * with libelf (from the file, or from memory for the vDSO), and the
 * address and name lookups over them.
 */
#include "modules.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dwarf.h"
#include "gdbjit.h"
#include "jit.h"
#include "patch.h"
#include "perfmap.h"
#include "session.h"

#define MAX_SYMS (4u << 20)   /* bound on symbols per object (untrusted input) */
#define MAX_VDSO (64u << 10)

static struct kt_modules *
mods(struct kt_session *s)
{
	if (!s->mods)
		s->mods = calloc(1, sizeof(*s->mods));
	return s->mods;
}

static void
module_free(struct kt_module *m)
{
	if (!m)
		return;
	kt_dwarf_close(m->dw);
	free(m->path);
	free(m->syms);
	free(m->strs);
	free(m->data_name);
	free(m);
}

void
kt_modules_free(struct kt_session *s)
{
	if (!s->mods)
		return;
	for (size_t i = 0; i < s->mods->n; i++)
		module_free(s->mods->v[i]);
	free(s->mods->v);
	free(s->mods);
	s->mods = NULL;
}

static struct kt_module *
find_path(struct kt_modules *ms, const char *path)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i]->path, path) == 0)
			return ms->v[i];
	return NULL;
}

static int
cmp_module(const void *a, const void *b)
{
	const struct kt_module *x = *(struct kt_module *const *)a;
	const struct kt_module *y = *(struct kt_module *const *)b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Is PATH something we can read symbols from? */
static bool
wanted_path(const char *path)
{
	if (strcmp(path, "[vdso]") == 0)
		return true;
	if (path[0] != '/')
		return false;
	if (strncmp(path, "/memfd:", 7) == 0 || strncmp(path, "/dev/", 5) == 0)
		return false;
	return true;
}

/* Note one more mapping of M (called in /proc/PID/maps order, so sorted). */
static void
add_range(struct kt_module *m, uint64_t lo, uint64_t hi, uint64_t off)
{
	if (m->nranges == SIZE_MAX)
		return; /* overflowed: the extent counts */
	struct kt_map_range *last = m->nranges > 0 ? &m->ranges[m->nranges - 1] : NULL;
	if (last && last->hi == lo && last->off + (last->hi - last->lo) == off) {
		last->hi = hi;
		return;
	}
	if (m->nranges == KT_MODULE_MAX_RANGES) {
		m->nranges = SIZE_MAX;
		return;
	}
	m->ranges[m->nranges++] = (struct kt_map_range){lo, hi, off};
}

/*
 * The address ADDR of M has where the file's main mapping holds the same
 * file bytes: ADDR itself, except in a second mapping of the file (V8 maps
 * node's builtins again next to its JIT code), where symbols and lines
 * must be looked up by file offset.
 */
static uint64_t
canonical_addr(const struct kt_module *m, uint64_t addr)
{
	for (size_t i = 0; m->nranges != SIZE_MAX && i < m->nranges; i++) {
		const struct kt_map_range *r = &m->ranges[i];
		if (addr < r->lo || addr >= r->hi)
			continue;
		uint64_t foff = addr - r->lo + r->off;
		for (size_t k = 0; k < m->nloads; k++) {
			const struct kt_load_seg *g = &m->loads[k];
			if (foff >= g->off && foff - g->off < g->filesz)
				return g->vaddr + (foff - g->off) + m->bias;
		}
	}
	return addr;
}

/* Context of a refresh's walk over the process's mappings. */
struct refresh {
	struct kt_modules *ms;
	kt_status st;
};

/* Note mapping MP for the module of its file, creating the module at its
 * first sight (kt_os_ops.mappings callback). */
static bool
note_mapping(void *ctx, const struct kt_mapping *mp)
{
	struct refresh *rf = ctx;
	struct kt_modules *ms = rf->ms;
	const char *p = mp->path;

	if (!*p || !wanted_path(p))
		return true;
	struct kt_module *m = find_path(ms, p);
	if (!m) {
		if (ms->n == ms->cap) {
			size_t cap = ms->cap ? 2 * ms->cap : 32;
			struct kt_module **v = realloc(ms->v, cap * sizeof(*v));
			if (!v)
				goto nomem;
			ms->v = v;
			ms->cap = cap;
		}
		if (!(m = calloc(1, sizeof(*m))) || !(m->path = strdup(p))) {
			free(m);
			goto nomem;
		}
		const char *slash = strrchr(m->path, '/');
		m->name = slash ? slash + 1 : m->path;
		m->lo = mp->lo;
		m->hi = mp->hi;
		m->map_lo0 = mp->off == 0 ? mp->lo : 0;
		m->fresh = true;
		ms->v[ms->n++] = m;
	}
	if (!m->seen) {
		/* First mapping of a refresh: reset the extent. */
		m->lo = mp->lo;
		m->hi = mp->hi;
		m->seen = true;
		m->exec = false;
		m->nranges = 0;
	}
	add_range(m, mp->lo, mp->hi, mp->off);
	if (mp->exec)
		m->exec = true;
	if (mp->lo < m->lo)
		m->lo = mp->lo;
	if (mp->hi > m->hi)
		m->hi = mp->hi;
	if (mp->off == 0 && (m->map_lo0 == 0 || mp->lo < m->map_lo0))
		m->map_lo0 = mp->lo;
	return true;
nomem:
	rf->st = KT_ERR_NOMEM;
	return false;
}

kt_status
kt_modules_refresh(struct kt_session *s, size_t *added)
{
	struct kt_modules *ms = mods(s);
	char path[64];
	size_t nadded = 0;

	if (added)
		*added = 0;
	if (!ms)
		return KT_ERR_NOMEM;
	if (!s->os->ops->mappings)
		return KT_ERR_UNSUPPORTED;
	for (size_t i = 0; i < ms->n; i++)
		ms->v[i]->seen = false;
	struct refresh rf = {ms, KT_OK};
	kt_status st = s->os->ops->mappings(s->os, s->pid, note_mapping, &rf);
	if (st != KT_OK)
		return st;
	/* Drop what is no longer mapped (dlclose), and files mapped only for
	 * reading (ld.so.cache, locale archives): code lives in executable
	 * mappings. */
	size_t k = 0;
	for (size_t i = 0; i < ms->n; i++) {
		struct kt_module *m = ms->v[i];
		if (m->seen && m->exec) {
			nadded += m->fresh;
			m->fresh = false;
			ms->v[k++] = m;
		} else {
			module_free(m);
		}
	}
	ms->n = k;
	qsort(ms->v, ms->n, sizeof(ms->v[0]), cmp_module);
	/* The executable: the module /proc/PID/exe names. */
	char exe[4096];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)s->pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *del = strstr(exe, " (deleted)");
		if (del)
			*del = '\0';
		for (size_t i = 0; i < ms->n; i++)
			ms->v[i]->is_main = strcmp(ms->v[i]->path, exe) == 0;
	}
	if (added)
		*added = nadded;
	return rf.st;
}

struct kt_module *
kt_module_for_addr(struct kt_session *s, uint64_t addr)
{
	struct kt_modules *ms = s->mods;

	for (size_t i = 0; ms && i < ms->n; i++) {
		struct kt_module *m = ms->v[i];
		if (addr < m->lo || addr >= m->hi)
			continue;
		if (m->nranges == SIZE_MAX)
			return m;
		for (size_t k = 0; k < m->nranges; k++)
			if (addr >= m->ranges[k].lo && addr < m->ranges[k].hi)
				return m;
	}
	return NULL;
}

struct kt_module *
kt_module_main(struct kt_session *s)
{
	for (size_t i = 0; s->mods && i < s->mods->n; i++)
		if (s->mods->v[i]->is_main)
			return s->mods->v[i];
	return NULL;
}

struct kt_module *
kt_module_by_name(struct kt_session *s, const char *suffix)
{
	size_t ls = strlen(suffix);

	for (size_t i = 0; s->mods && i < s->mods->n; i++) {
		struct kt_module *m = s->mods->v[i];
		size_t lp = strlen(m->path);
		if (lp >= ls && strcmp(m->path + lp - ls, suffix) == 0)
			return m;
	}
	return NULL;
}

static int
cmp_sym(const void *a, const void *b)
{
	const struct kt_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Rank a name for choosing among aliases at one address: lower is better. */
static int
alias_rank(const char *name)
{
	int r = 0;

	while (name[r] == '_')
		r++;
	return r;
}

/* Symbol I of D if it is a defined function with a name, else NULL. */
static const char *
func_symbol(Elf *elf, Elf_Data *d, size_t strtab, size_t i, GElf_Sym *sym)
{
	if (!gelf_getsym(d, (int)i, sym))
		return NULL;
	int type = GELF_ST_TYPE(sym->st_info);
	if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym->st_shndx == SHN_UNDEF ||
	    sym->st_value == 0)
		return NULL;
	const char *name = elf_strptr(elf, strtab, sym->st_name);
	return name && *name ? name : NULL;
}

/* M's bias and segments from its program headers (once). */
static void
read_layout(struct kt_module *m, Elf *elf)
{
	GElf_Ehdr eh;
	size_t phnum;

	if (m->layout_read || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return;
	m->layout_read = true;
	/* Bias from the first PT_LOAD (its page-aligned vaddr maps at map_lo0). */
	if (elf_getphdrnum(elf, &phnum) == 0) {
		bool first = true;
		for (size_t i = 0; i < phnum; i++) {
			GElf_Phdr ph;
			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (first) {
				uint64_t va = ph.p_vaddr & ~(uint64_t)0xfff;
				m->bias = (m->map_lo0 ? m->map_lo0 : m->lo) - va;
				first = false;
			}
			if (m->nloads < KT_MODULE_MAX_LOADS)
				m->loads[m->nloads++] =
					(struct kt_load_seg){ph.p_offset, ph.p_vaddr, ph.p_filesz};
		}
	}
}

/* Read STT_FUNC symbols of one ELF image into M; also its layout. */
static void
load_elf(struct kt_module *m, Elf *elf)
{
	size_t shstr;

	read_layout(m, elf);
	if (!m->layout_read || elf_getshdrstrndx(elf, &shstr) != 0)
		return;
	/* Prefer .symtab; fall back to .dynsym. */
	Elf_Scn *pick = NULL, *scn = NULL;
	GElf_Shdr pick_sh = {0};
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !pick)) {
			pick = scn;
			pick_sh = sh;
		}
	}
	if (!pick || pick_sh.sh_entsize == 0)
		return;
	Elf_Data *d = elf_getdata(pick, NULL);
	if (!d)
		return;
	size_t count = pick_sh.sh_size / pick_sh.sh_entsize;
	if (count > MAX_SYMS)
		count = MAX_SYMS;
	struct kt_sym *syms = calloc(count ? count : 1, sizeof(*syms));
	size_t pool_len = 0, n = 0;
	if (!syms)
		return;
	/* First pass: pick symbols and measure names; second: copy the names
	 * into one pool (the Elf goes away). */
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name = func_symbol(elf, d, pick_sh.sh_link, i, &sym);
		if (!name)
			continue;
		syms[n].addr = sym.st_value;
		syms[n].size = sym.st_size;
		pool_len += strnlen(name, 1024) + 1;
		n++;
	}
	char *pool = malloc(pool_len ? pool_len : 1);
	if (!pool) {
		free(syms);
		return;
	}
	size_t k = 0, pos = 0;
	for (size_t i = 0; i < count && k < n; i++) {
		GElf_Sym sym;
		const char *name = func_symbol(elf, d, pick_sh.sh_link, i, &sym);
		if (!name)
			continue;
		size_t len = strnlen(name, 1024);
		memcpy(pool + pos, name, len);
		pool[pos + len] = '\0';
		syms[k++].name = pool + pos;
		pos += len + 1;
	}
	n = k;
	qsort(syms, n, sizeof(*syms), cmp_sym);
	/* One name per address: the best-ranked alias, the largest size. */
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && syms[out - 1].addr == syms[i].addr) {
			struct kt_sym *prev = &syms[out - 1];
			if (alias_rank(syms[i].name) < alias_rank(prev->name))
				prev->name = syms[i].name;
			if (syms[i].size > prev->size)
				prev->size = syms[i].size;
			continue;
		}
		syms[out++] = syms[i];
	}
	m->syms = syms;
	m->nsyms = out;
	m->strs = pool;
}

/* Open M's file (also through /proc/PID/root when not visible from here). */
static int
open_module(struct kt_session *s, const struct kt_module *m)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && strlen(m->path) < 4000) {
		char alt[4096 + 64];
		snprintf(alt, sizeof(alt), "/proc/%d/root%s", (int)s->pid, m->path);
		fd = open(alt, O_RDONLY | O_CLOEXEC);
	}
	return fd;
}

void
kt_module_load(struct kt_session *s, struct kt_module *m)
{
	if (m->loaded)
		return;
	m->loaded = true;
	elf_version(EV_CURRENT);
	if (strcmp(m->path, "[vdso]") == 0) {
		size_t len = m->hi - m->lo > MAX_VDSO ? MAX_VDSO : m->hi - m->lo;
		char *img = malloc(len);
		size_t got = 0;
		if (img && kt_mem_read(s, m->lo, img, len, &got) == KT_OK) {
			Elf *elf = elf_memory(img, got);
			if (elf) {
				m->map_lo0 = m->lo;
				load_elf(m, elf);
				elf_end(elf);
			}
		}
		free(img);
		return;
	}
	int fd = open_module(s, m);
	if (fd < 0)
		return;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf) {
		load_elf(m, elf);
		elf_end(elf);
	}
	close(fd);
}

struct kt_dwarf *
kt_module_dwarf(struct kt_session *s, struct kt_module *m)
{
	if (!m->dw_tried) {
		m->dw_tried = true;
		kt_module_load(s, m); /* the bias */
		if (m->path[0] == '/')
			m->dw = kt_dwarf_open(m->path);
	}
	return m->dw;
}

uint64_t
kt_module_data_symbol(struct kt_session *s, struct kt_module *m, const char *name)
{
	return kt_module_data_symbol_size(s, m, name, NULL);
}

bool
kt_lookup_data(struct kt_session *s, const char *name, uint64_t *addr, uint64_t *size)
{
	struct kt_modules *ms = s->mods;

	for (size_t i = 0; ms && i < ms->n; i++) {
		struct kt_module *m = ms->v[i];
		if (!m->is_main)
			continue;
		if ((*addr = kt_module_data_symbol_size(s, m, name, size)) != 0)
			return true;
	}
	for (size_t i = 0; ms && i < ms->n; i++) {
		struct kt_module *m = ms->v[i];
		if (!m->is_main && m->exec && (*addr = kt_module_data_symbol_size(s, m, name, size)))
			return true;
	}
	return false;
}

uint64_t
kt_module_data_symbol_size(struct kt_session *s, struct kt_module *m, const char *name,
			   uint64_t *size)
{
	uint64_t found = 0, found_size = 0;

	if (m->path[0] != '/')
		return 0;
	if (m->data_name && strcmp(m->data_name, name) == 0) {
		if (size && m->data_addr)
			*size = m->data_size;
		return m->data_addr;
	}
	int fd = open_module(s, m);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	if (elf)
		read_layout(m, elf); /* the bias: no need to read every function */
	while (elf && !found && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_entsize == 0 ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; d && i < count && i < MAX_SYMS; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT || sym.st_shndx == SHN_UNDEF)
				continue;
			const char *n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && strcmp(n, name) == 0) {
				found = sym.st_value + m->bias;
				found_size = sym.st_size;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	free(m->data_name);
	if ((m->data_name = strdup(name)) != NULL) {
		m->data_addr = found;
		m->data_size = found_size;
	}
	if (size && found)
		*size = found_size;
	return found;
}

/* The symbol containing runtime address ADDR in M, or NULL. */
static const struct kt_sym *
module_sym(struct kt_module *m, uint64_t addr)
{
	uint64_t a = addr - m->bias;
	size_t lo = 0, hi = m->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct kt_sym *sym = &m->syms[lo - 1];
	if (sym->size ? a < sym->addr + sym->size
		      : (lo == m->nsyms || a < m->syms[lo].addr))
		return sym;
	return NULL;
}

/* kt_symbolize() from every source but the perf map. */
static void
symbolize_sources(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out)
{
	/* Registered JIT code first: it may reuse memory a module left. */
	if (kt_jit_symbolize(s, addr, out))
		return;
	/* Then images announced through the GDB JIT interface. */
	if (kt_gdbjit_symbolize(s, addr, out))
		return;
	struct kt_module *m = kt_module_for_addr(s, addr);
	/* Maybe it was mapped since the last refresh: look once per stop
	 * (a backtrace through JIT code misses at every frame). */
	unsigned long stop = s->os ? s->os->resumes + 1 : 0;
	if (!m && s->pid && (!stop || !s->mods || s->mods->missed_at != stop)) {
		size_t added = 0;
		if (kt_modules_refresh(s, &added) == KT_OK && added)
			m = kt_module_for_addr(s, addr);
		if (s->mods)
			s->mods->missed_at = stop;
	}
	if (!m)
		return;
	out->module = m->name;
	out->module_path = m->path;
	kt_module_load(s, m);
	uint64_t a = canonical_addr(m, addr), shift = addr - a;
	const struct kt_sym *sym = module_sym(m, a);
	if (sym) {
		out->function = sym->name;
		out->start = sym->addr + m->bias + shift;
		out->size = sym->size;
		out->offset = addr - out->start;
		out->source = "elf";
	}
	/* Source lines, and functions the symbol table lacks, from DWARF. */
	struct kt_dwarf *dw = kt_module_dwarf(s, m);
	struct kt_dwarf_loc loc;
	if (!dw || !kt_dwarf_addr2line(dw, a - m->bias, &loc))
		return;
	out->file = loc.file;
	out->line = loc.line;
	if (loc.file && loc.row_addr) {
		out->line_addr = loc.row_addr + m->bias;
		out->line_stmt = loc.row_stmt;
	}
	if (!out->function && loc.function) {
		out->function = loc.function;
		out->start = loc.func_lo + m->bias + shift;
		out->size = loc.func_hi - loc.func_lo;
		out->offset = addr - out->start;
		out->source = "dwarf";
	}
}

void
kt_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out)
{
	memset(out, 0, sizeof(*out));
	symbolize_sources(s, addr, out);
	/* The perf map last: only where no other source named a function. */
	if (!out->function)
		kt_perfmap_symbolize(s, addr, out);
}

size_t
kt_lookup_function(struct kt_session *s, const char *name, uint64_t **out)
{
	size_t n = 0, cap = 0;
	uint64_t *v = NULL;

	*out = NULL;
	for (size_t i = 0; s->mods && i < s->mods->n; i++) {
		struct kt_module *m = s->mods->v[i];
		kt_module_load(s, m);
		for (size_t k = 0; k < m->nsyms; k++) {
			if (strcmp(m->syms[k].name, name) != 0)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 4;
				uint64_t *nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					break;
				v = nv;
			}
			v[n++] = m->syms[k].addr + m->bias;
		}
	}
	/* And JIT functions of that name. */
	uint64_t *jit = NULL;
	size_t nj = kt_jit_lookup(s, name, &jit);
	if (nj > 0) {
		uint64_t *nv = realloc(v, (n + nj) * sizeof(*v));
		if (nv) {
			memcpy(nv + n, jit, nj * sizeof(*jit));
			v = nv;
			n += nj;
		}
	}
	free(jit);
	/* And functions of GDB JIT images not already found (libkitjit may
	 * announce its functions both ways). */
	nj = kt_gdbjit_lookup(s, name, &jit);
	for (size_t i = 0; i < nj; i++) {
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = v[k] == jit[i];
		uint64_t *nv = dup ? NULL : realloc(v, (n + 1) * sizeof(*v));
		if (nv) {
			v = nv;
			v[n++] = jit[i];
		}
	}
	free(jit);
	*out = v;
	return n;
}

unsigned
kt_elf_machine(const char *path)
{
	unsigned char hdr[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr, "\177ELF", 4) != 0)
		return 0;
	return hdr[5] == 1 ? (unsigned)(hdr[18] | hdr[19] << 8) : (unsigned)(hdr[19] | hdr[18] << 8);
}
