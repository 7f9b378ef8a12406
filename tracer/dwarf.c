/* SPDX-License-Identifier: MIT */
/*
 * dwarf.c - opening an ELF file's DWARF (the file itself, or its separate
 * debug file found by build-id or .gnu_debuglink), and the line and
 * function queries over the index dwarf_lines.c builds.  CFI is in
 * dwarf_cfi.c.
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

void
kt_dw_err(Dwarf_Debug dbg, Dwarf_Error *err)
{
	if (*err) {
		dwarf_dealloc(dbg, *err, DW_DLA_ERROR);
		*err = NULL;
	}
}

struct kt_dwarf *
kt_dwarf_open(const char *path)
{
	unsigned char magic[4];
	struct stat st;
	int fd;
	ssize_t n;
	struct kt_dwarf *d;

	if (!path)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	n = pread(fd, magic, sizeof magic, 0);
	close(fd);
	if (n != (ssize_t)sizeof magic || memcmp(magic, ELFMAG, SELFMAG) != 0)
		return NULL;
	d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->path = strdup(path);
	if (!d->path) {
		free(d);
		return NULL;
	}
	d->main.fd = -1;
	d->debug.fd = -1;
	return d;
}

struct kt_dwarf *
kt_dwarf_open_mem(void *buf, size_t len)
{
	struct kt_dwarf *d;

	if (!buf)
		return NULL;
	if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0 || !(d = calloc(1, sizeof *d))) {
		free(buf);
		return NULL;
	}
	/* libdwarf is not always careful at the end of a section: what it
	   reads past the image's last one is zeros, not heap left-overs. */
	unsigned char *padded = realloc(buf, len + KT_DW_MEM_PAD);
	if (!padded) {
		free(buf);
		free(d);
		return NULL;
	}
	memset(padded + len, 0, KT_DW_MEM_PAD);
	buf = padded;
	d->mem = buf;
	d->memlen = len;
	d->main.fd = -1;
	d->debug.fd = -1;
	return d;
}

/* What the ELF headers say: type, .debug_info, build-id, debuglink. */
struct elf_facts {
	int type;
	bool has_info;
	bool lists_bad;
	bool lines_bad;
	unsigned char build_id[64];
	size_t build_id_len;
	char debuglink[256];
};

/*
 * libdwarf 20210528 frees memory twice when a .debug_rnglists or
 * .debug_loclists table header is bad (internal_load_rnglists_contexts
 * lacks a return after its error path), and loads both whenever it loads
 * .debug_info.  So the headers are checked here first, as strictly as it
 * checks them (and a little more): a file that fails is used for CFI only.
 */
bool
kt_dw_lists_ok(const unsigned char *p, size_t size)
{
	size_t off = 0;

	for (unsigned n = 0; off < size; n++) {
		uint64_t len;
		size_t lsize = 4;

		if (n > (1u << 20) || size - off < 4)
			return false;
		len = (uint64_t)p[off] | (uint64_t)p[off + 1] << 8 | (uint64_t)p[off + 2] << 16 |
		      (uint64_t)p[off + 3] << 24;
		if (len >= 0xfffffff0u) {
			if (len != 0xffffffffu || size - off < 12)
				return false;
			len = 0;
			for (int i = 7; i >= 0; i--)
				len = len << 8 | p[off + 4 + (size_t)i];
			lsize = 12;
		}
		/* version (2), address size (1), segment selector size (1),
		   offset entry count (4) */
		if (len < 8 || len > size - off - lsize)
			return false;
		if ((p[off + lsize] | p[off + lsize + 1] << 8) != 5)
			return false;
		if (p[off + lsize + 2] != 2 && p[off + lsize + 2] != 4 && p[off + lsize + 2] != 8)
			return false;
		off += lsize + (size_t)len;
	}
	return true;
}

bool
kt_dw_lists_name(const char *name)
{
	/* Also ".debug_rnglists.dwo": libdwarf loads that as the same section
	 * (fuzz_elfmem found its double free through one). */
	static const char *const lists[] = {".debug_rnglists", ".debug_loclists",
					    ".zdebug_rnglists", ".zdebug_loclists"};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (!strncmp(name, lists[i], strlen(lists[i])))
			return true;
	return false;
}

bool
kt_dw_sec_name(const char *name, const char *what)
{
	size_t n = strlen(what);

	if (!strncmp(name, ".debug_", 7))
		name += 7;
	else if (!strncmp(name, ".zdebug_", 8))
		name += 8;
	else
		return false;
	return !strncmp(name, what, n) && (!name[n] || !strcmp(name + n, ".dwo"));
}

bool
kt_dw_line_name(const char *name)
{
	return kt_dw_sec_name(name, "line");
}

static void
scan_elf(int fd, struct elf_facts *f)
{
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;
	unsigned nscn = 0;

	memset(f, 0, sizeof *f);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    elf_getshdrstrndx(e, &shstrndx) != 0)
		goto out;
	f->type = eh.e_type;
	while ((scn = elf_nextscn(e, scn)) != NULL && nscn++ < 65536) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".debug_info") && sh.sh_type != SHT_NOBITS && sh.sh_size > 0)
			f->has_info = true;
		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (kt_dw_lists_name(name)) {
			if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0) {
				f->lists_bad = true;
				continue;
			}
			if (name[1] == 'z') { /* old GNU compression: not checked */
				f->lists_bad = true;
				continue;
			}
			data = elf_getdata(scn, NULL);
			if (sh.sh_size > 0 &&
			    (!data || !data->d_buf || !kt_dw_lists_ok(data->d_buf, data->d_size)))
				f->lists_bad = true;
			continue;
		}
		if (kt_dw_line_name(name)) {
			if (name[1] == 'z' ||
			    ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)) {
				f->lines_bad = true;
				continue;
			}
			data = elf_getdata(scn, NULL);
			if (sh.sh_size > 0 &&
			    (!data || !data->d_buf || !kt_dw_lines_ok(data->d_buf, data->d_size, UINT64_MAX, UINT64_MAX)))
				f->lines_bad = true;
			continue;
		}
		if (!strcmp(name, ".gnu_debuglink")) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf && data->d_size > 0) {
				const char *s = data->d_buf;
				size_t len = strnlen(s, data->d_size);

				if (len > 0 && len < data->d_size && len < sizeof f->debuglink &&
				    !memchr(s, '/', len))
					memcpy(f->debuglink, s, len + 1);
			}
		} else if (sh.sh_type == SHT_NOTE && f->build_id_len == 0) {
			GElf_Nhdr nh;
			size_t off = 0, noff, doff;

			data = elf_getdata(scn, NULL);
			if (!data)
				continue;
			while ((off = gelf_getnote(data, off, &nh, &noff, &doff)) > 0) {
				if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
				    !memcmp((const char *)data->d_buf + noff, "GNU", 4) &&
				    nh.n_descsz > 0 && nh.n_descsz <= sizeof f->build_id) {
					memcpy(f->build_id, (const char *)data->d_buf + doff,
					       nh.n_descsz);
					f->build_id_len = nh.n_descsz;
					break;
				}
			}
		}
	}
out:
	elf_end(e);
}

static void
open_dwarf(struct kt_dw_file *f, int fd, const struct elf_facts *facts)
{
	Dwarf_Error err = NULL;
	int rc;

	f->fd = fd;
	f->elf_type = facts->type;
	f->has_info = facts->has_info;
	f->lists_bad = facts->lists_bad;
	f->lines_bad = facts->lines_bad;
	rc = dwarf_init_b(fd, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &f->dbg, &err);
	if (rc != DW_DLV_OK) {
		kt_dw_err(NULL, &err);
		f->dbg = NULL;
		return;
	}
	kt_dw_file_setup(f);
}

void
kt_dw_file_setup(struct kt_dw_file *f)
{
	dwarf_set_frame_rule_table_size(f->dbg, KT_DW_RULES);
	/* Registers without a rule keep their value (callee-saved registers
	   of a leaf, x30 on AArch64); "undefined" then means DW_CFA_undefined. */
	dwarf_set_frame_rule_initial_value(f->dbg, DW_FRAME_SAME_VAL);
}

/* Try one debug file candidate; true if it was taken. */
static bool
try_debug(struct kt_dwarf *d, const char *cand, const struct stat *self)
{
	struct elf_facts facts;
	struct stat st;
	int fd = open(cand, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_dev == self->st_dev && st.st_ino == self->st_ino)) {
		close(fd);
		return false;
	}
	scan_elf(fd, &facts);
	if (!facts.has_info || facts.lists_bad) {
		close(fd);
		return false;
	}
	open_dwarf(&d->debug, fd, &facts);
	if (!d->debug.dbg) {
		close(fd);
		d->debug.fd = -1;
		return false;
	}
	return true;
}

static void
find_debug_file(struct kt_dwarf *d, const struct elf_facts *facts, const struct stat *self)
{
	char cand[4096], dir[3072];
	const char *slash;

	if (facts->build_id_len >= 2) {
		int len = snprintf(cand, sizeof cand, "/usr/lib/debug/.build-id/%02x/",
				   facts->build_id[0]);

		for (size_t i = 1; i < facts->build_id_len && len > 0 &&
				   (size_t)len + 3 < sizeof cand; i++)
			len += snprintf(cand + len, sizeof cand - (size_t)len, "%02x",
					facts->build_id[i]);
		if (len > 0 && (size_t)len + 7 < sizeof cand) {
			memcpy(cand + len, ".debug", 7);
			if (try_debug(d, cand, self))
				return;
		}
	}
	if (!facts->debuglink[0])
		return;
	slash = strrchr(d->path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if ((size_t)(slash - d->path) < sizeof dir)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - d->path), d->path);
	else
		return;
	if ((size_t)snprintf(cand, sizeof cand, "%s/%s", dir, facts->debuglink) < sizeof cand &&
	    try_debug(d, cand, self))
		return;
	if ((size_t)snprintf(cand, sizeof cand, "%s/.debug/%s", dir, facts->debuglink) <
		    sizeof cand &&
	    try_debug(d, cand, self))
		return;
	if (dir[0] == '/' &&
	    (size_t)snprintf(cand, sizeof cand, "/usr/lib/debug%s/%s", dir, facts->debuglink) <
		    sizeof cand)
		try_debug(d, cand, self);
}

void
kt_dw_load(struct kt_dwarf *d)
{
	struct elf_facts facts;
	struct stat st;
	int fd;

	if (d->opened)
		return;
	d->opened = true;
	if (d->mem) {
		kt_dw_load_mem(d);
		return;
	}
	fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	scan_elf(fd, &facts);
	open_dwarf(&d->main, fd, &facts);
	if (!d->main.dbg) {
		close(fd);
		d->main.fd = -1;
	}
	if (!facts.has_info)
		find_debug_file(d, &facts, &st);
}

static void
close_file(struct kt_dw_file *f)
{
	Dwarf_Error err = NULL;

	if (f->dbg) {
		if (f->eh_cies || f->eh_fdes)
			dwarf_fde_cie_list_dealloc(f->dbg, f->eh_cies, f->eh_ncie, f->eh_fdes,
						   f->eh_nfde);
		if (f->df_cies || f->df_fdes)
			dwarf_fde_cie_list_dealloc(f->dbg, f->df_cies, f->df_ncie, f->df_fdes,
						   f->df_nfde);
		/* an in-memory image was opened with dwarf_object_init_b */
		if (f->obj)
			dwarf_object_finish(f->dbg, &err);
		else
			dwarf_finish(f->dbg, &err);
		kt_dw_err(NULL, &err);
	}
	kt_dw_units_free(f->units);
	kt_dw_memobj_free(f->obj);
	if (f->fd >= 0)
		close(f->fd);
}

void
kt_dwarf_close(struct kt_dwarf *d)
{
	if (!d)
		return;
	close_file(&d->main);
	close_file(&d->debug);
	for (size_t i = 0; i < d->nstr; i++)
		free(d->str[i]);
	free(d->str);
	free(d->strhash);
	free(d->rows);
	free(d->funcs);
	free(d->inl);
	free(d->ar);
	free(d->cus_done);
	free(d->path);
	free(d->mem);
	free(d);
}

/* ---- queries ---- */

/* Index of the last element with lo (or addr) <= ADDR, or SIZE_MAX. */
static size_t
last_row_le(const struct kt_dwarf *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->rows[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : SIZE_MAX;
}

static size_t
last_func_le(const struct kt_dw_func *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : SIZE_MAX;
}

/* The function range containing ADDR, or SIZE_MAX. */
static size_t
find_func(const struct kt_dwarf *d, uint64_t addr)
{
	size_t i = last_func_le(d->funcs, d->nfuncs, addr);

	/* Ranges do not nest in C; look back a little for overlaps. */
	for (size_t k = 0; i != SIZE_MAX && k < 64; k++, i--) {
		if (addr < d->funcs[i].hi)
			return i;
		if (i == 0)
			break;
	}
	return SIZE_MAX;
}

/* Up to MAX inlined ranges containing ADDR, innermost first; returns count. */
static size_t
find_inlined(const struct kt_dwarf *d, uint64_t addr, uint64_t floor, bool have_floor,
	     size_t *out, size_t max)
{
	size_t cand[64], nc = 0;
	size_t i = last_func_le(d->inl, d->ninl, addr);

	for (size_t k = 0; i != SIZE_MAX && k < 100000; k++, i--) {
		const struct kt_dw_func *f = &d->inl[i];

		if (have_floor ? f->lo < floor : k >= 4096)
			break;
		if (addr < f->hi && nc < sizeof cand / sizeof cand[0])
			cand[nc++] = i;
		if (i == 0)
			break;
	}
	/* innermost = deepest first (insertion sort: nc is small) */
	for (size_t a = 1; a < nc; a++) {
		size_t v = cand[a], b = a;

		while (b > 0 && d->inl[cand[b - 1]].depth < d->inl[v].depth) {
			cand[b] = cand[b - 1];
			b--;
		}
		cand[b] = v;
	}
	if (nc > max)
		nc = max;
	memcpy(out, cand, nc * sizeof *out);
	return nc;
}

bool
kt_dwarf_addr2line(struct kt_dwarf *d, uint64_t addr, struct kt_dwarf_loc *out)
{
	size_t r, f, inl[KT_DWARF_MAX_INLINE], n;
	bool found = false;

	if (!out)
		return false;
	memset(out, 0, sizeof *out);
	if (!d)
		return false;
	kt_dw_index_at(d, addr);
	r = last_row_le(d, addr);
	if (r != SIZE_MAX && !d->rows[r].end && r + 1 < d->nrows) {
		out->file = kt_dw_str(d, d->rows[r].file);
		out->line = d->rows[r].line;
		out->row_addr = d->rows[r].addr;
		out->row_stmt = d->rows[r].stmt;
		found = true;
	}
	f = find_func(d, addr);
	if (f != SIZE_MAX) {
		out->function = kt_dw_str(d, d->funcs[f].name);
		out->func_lo = d->funcs[f].lo;
		out->func_hi = d->funcs[f].hi;
		found = true;
	}
	n = find_inlined(d, addr, f != SIZE_MAX ? d->funcs[f].lo : 0, f != SIZE_MAX, inl,
			 KT_DWARF_MAX_INLINE);
	for (size_t i = 0; i < n; i++) {
		const struct kt_dw_func *e = &d->inl[inl[i]];

		out->inlined[i] = kt_dw_str(d, e->name);
		out->inl_call_file[i] = kt_dw_str(d, e->call_file);
		out->inl_call_line[i] = e->call_line;
	}
	out->ninlined = (int)n;
	return found;
}

/* PATH ends with WANT on a path component boundary. */
static bool
file_match(const char *path, const char *want)
{
	size_t p, w;

	if (!path || !want)
		return false;
	p = strlen(path);
	w = strlen(want);
	if (w == 0 || w > p || strcmp(path + p - w, want) != 0)
		return false;
	return w == p || path[p - w - 1] == '/' || want[0] == '/';
}

const char *
kt_dwarf_find_file(struct kt_dwarf *d, const char *file)
{
	uint32_t last = KT_DW_NOSTR;

	if (!d)
		return NULL;
	kt_dw_index(d);
	/* Row files only (not function names): one pass over the rows. */
	for (size_t i = 0; i < d->nrows; i++) {
		uint32_t f = d->rows[i].file;
		if (f == last)
			continue;
		last = f;
		if (file_match(kt_dw_str(d, f), file))
			return kt_dw_str(d, f);
	}
	return NULL;
}

struct cand {
	uint64_t addr;
	uint64_t key; /* the block: inlined range, function, or the address */
};

static int
cand_key_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
kt_dwarf_line2addrs(struct kt_dwarf *d, const char *file, int line, uint64_t **out)
{
	struct cand *c = NULL;
	size_t nc = 0, capc = 0, nout = 0;
	uint64_t *res;
	uint32_t last_file = KT_DW_NOSTR;
	bool last_match = false;

	if (out)
		*out = NULL;
	if (!d || !file || !out || line <= 0)
		return 0;
	kt_dw_index(d);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct kt_dw_row *r = &d->rows[i];
		struct cand *e;
		size_t f, inl;

		if (r->end || !r->stmt || r->line != line)
			continue;
		if (r->file != last_file) {
			last_file = r->file;
			last_match = file_match(kt_dw_str(d, r->file), file);
		}
		if (!last_match)
			continue;
		/* not an empty sequence (its end at the same address) */
		if (i + 1 >= d->nrows || (d->rows[i + 1].end && d->rows[i + 1].addr == r->addr))
			continue;
		if (nc == capc) {
			size_t cap = capc ? capc * 2 : 16;
			struct cand *nv = realloc(c, cap * sizeof *c);

			if (!nv) {
				free(c);
				return 0;
			}
			c = nv;
			capc = cap;
		}
		e = &c[nc++];
		e->addr = r->addr;
		f = find_func(d, r->addr);
		if (find_inlined(d, r->addr, f != SIZE_MAX ? d->funcs[f].lo : 0, f != SIZE_MAX,
				 &inl, 1) == 1)
			e->key = (1ull << 63) | d->inl[inl].die;
		else if (f != SIZE_MAX)
			e->key = (1ull << 62) | d->funcs[f].die;
		else
			e->key = r->addr & ((1ull << 62) - 1);
	}
	if (nc == 0) {
		free(c);
		return 0;
	}
	qsort(c, nc, sizeof *c, cand_key_cmp);
	res = malloc(nc * sizeof *res);
	if (!res) {
		free(c);
		return 0;
	}
	for (size_t i = 0; i < nc; i++)
		if (i == 0 || c[i].key != c[i - 1].key)
			res[nout++] = c[i].addr;
	free(c);
	qsort(res, nout, sizeof *res, u64_cmp);
	*out = res;
	return nout;
}

bool
kt_dwarf_function(struct kt_dwarf *d, const char *name, uint64_t *entry,
		  uint64_t *after_prologue)
{
	const struct kt_dw_func *best = NULL;
	size_t r;
	uint64_t ap;

	if (!d || !name)
		return false;
	kt_dw_index(d);
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct kt_dw_func *f = &d->funcs[i];
		const char *s;

		if (!f->entry || (best && best->lo <= f->lo))
			continue;
		s = kt_dw_str(d, f->name);
		if (s && !strcmp(s, name))
			best = f;
	}
	if (!best)
		return false;
	ap = best->lo;
	r = last_row_le(d, best->lo);
	/* Rows of two lines at the entry itself: the prologue is empty (a
	 * leaf function that sets up no frame; gcc still gives its opening
	 * line a row, of no length) and the body starts at the entry. */
	bool empty = false;
	for (size_t i = r, k = 0; r != SIZE_MAX && d->rows[r].addr == best->lo && i > 0 && k < 64 &&
				  d->rows[i - 1].addr == best->lo;
	     i--, k++)
		if (!d->rows[i - 1].end && d->rows[i - 1].line != d->rows[r].line)
			empty = true;
	/* else the first is_stmt row above the entry, inside the function */
	for (size_t i = r == SIZE_MAX ? 0 : r + 1, k = 0; !empty && i < d->nrows && k < 256;
	     i++, k++) {
		const struct kt_dw_row *row = &d->rows[i];

		if (row->addr >= best->hi)
			break;
		if (row->addr > best->lo && !row->end && row->stmt) {
			ap = row->addr;
			break;
		}
	}
	if (entry)
		*entry = best->lo;
	if (after_prologue)
		*after_prologue = ap;
	return true;
}
