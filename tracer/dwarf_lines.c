/* SPDX-License-Identifier: MIT */
/*
 * dwarf_lines.c - the line and function index of one ELF file's DWARF:
 * built once, on the first query, by one pass over every compilation unit
 * (line table rows, DW_TAG_subprogram and DW_TAG_inlined_subroutine ranges),
 * sorted once; queries are binary searches.  An address query indexes only
 * the unit .debug_aranges names for it (kt_dw_index_at), so a backtrace
 * through libc does not read all of libc's debug file.  No DIE is walked
 * or looked up by offset before the gate of dwarf_units.c lets it through:
 * a unit that fails the DIE check is skipped.
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

#define MAX_ROWS (4u << 20)       /* line-table rows indexed */
#define MAX_FUNCS (4u << 20)      /* subprogram + inlined ranges indexed */
#define MAX_STRLEN 4096
#define MAX_CUS (1u << 20)
#define MAX_DIES (64u << 20)      /* DIEs visited per file */
#define MAX_DEPTH 64              /* DIE nesting */
#define MAX_RANGES 256            /* ranges of one DIE */
#define MAX_FILENO 4096           /* per-CU file number cache */

void *
kt_dw_push(void **v, size_t *n, size_t *cap, size_t size, size_t max)
{
	if (*n >= max)
		return NULL;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		void *nv;

		if (c > max)
			c = max;
		nv = realloc(*v, c * size);
		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	return (char *)*v + (*n)++ * size;
}

/* ---- building the index ---- */

struct cu_ctx {
	struct kt_dwarf *d;
	struct kt_dw_file *f;     /* the file indexed: its DIE check */
	Dwarf_Debug dbg;
	Dwarf_Die cu;
	int version;
	uint64_t base;            /* CU base address (low_pc) */
	uint32_t fmap[MAX_FILENO]; /* line-row file number -> string, or KT_DW_NOSTR */
	uint32_t cfiles[MAX_FILENO]; /* dwarf_srcfiles() -> string */
	size_t ncfiles;
	bool cfiles_loaded;
	bool no_lines;            /* the line tables failed kt_dw_lines_ok */
	bool own_files;           /* in-memory DWARF 5: file names read by
	                             kt_dw_v5_file, never by libdwarf */
	uint64_t line_unit;       /* the CU's line table offset (own_files) */
	bool have_unit;
	size_t *budget;           /* DIEs visited in this file: also a DIE id */
	Dwarf_Off last_off;       /* the DIE walk() visited last, in this CU */
};

/* File FNO of the CU's DWARF 5 line table, read by kt_dw_v5_file. */
static uint32_t
own_file(struct cu_ctx *c, Dwarf_Unsigned fno)
{
	const unsigned char *line, *lstr;
	size_t nline = 0, nlstr = 0;
	char buf[MAX_STRLEN];

	line = kt_dw_mem_section(c->d, ".debug_line", &nline);
	lstr = kt_dw_mem_section(c->d, ".debug_line_str", &nlstr);
	if (!c->have_unit || !line ||
	    !kt_dw_v5_file(line, nline, c->line_unit, lstr, nlstr, fno, buf, sizeof buf))
		return KT_DW_NOSTR;
	return kt_dw_intern(c->d, buf);
}

static uint32_t
line_file(struct cu_ctx *c, Dwarf_Line ln)
{
	Dwarf_Error err = NULL;
	Dwarf_Unsigned fno = 0;
	char *src = NULL;
	uint32_t s;
	bool cache = false;

	if (dwarf_line_srcfileno(ln, &fno, &err) == DW_DLV_OK) {
		if (fno < MAX_FILENO) {
			if (c->fmap[fno] != KT_DW_NOSTR)
				return c->fmap[fno];
			cache = true;
		}
	} else {
		kt_dw_err(c->dbg, &err);
		if (c->own_files)
			return KT_DW_NOSTR;
	}
	if (c->own_files) {
		/* libdwarf 20210528 can read a pointer past its file tables on
		   bad input (found by tests/fuzz/fuzz_elfmem.c): untrusted
		   in-memory objects get their file names from our own reader */
		s = own_file(c, fno);
		if (cache)
			c->fmap[fno] = s;
		return s;
	}
	if (dwarf_linesrc(ln, &src, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		return KT_DW_NOSTR;
	}
	s = kt_dw_intern(c->d, src);
	dwarf_dealloc(c->dbg, src, DW_DLA_STRING);
	if (cache)
		c->fmap[fno] = s;
	return s;
}

static void
index_lines(struct cu_ctx *c, uint32_t *seqno)
{
	struct kt_dwarf *d = c->d;
	Dwarf_Error err = NULL;
	Dwarf_Unsigned ver = 0;
	Dwarf_Small tcount = 0;
	Dwarf_Line_Context ctx = NULL;
	Dwarf_Line *lines = NULL;
	Dwarf_Signed n = 0;
	bool seq_start = true, skip = false;

	if (dwarf_srclines_b(c->cu, &ver, &tcount, &ctx, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		return;
	}
	c->own_files = c->d->mem && ver >= 5;
	Dwarf_Unsigned unit = 0;
	c->have_unit = dwarf_srclines_table_offset(ctx, &unit, &err) == DW_DLV_OK;
	kt_dw_err(c->dbg, &err);
	c->line_unit = unit;
	if (dwarf_srclines_from_linecontext(ctx, &lines, &n, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		n = 0;
	}
	for (Dwarf_Signed i = 0; i < n; i++) {
		Dwarf_Addr a = 0;
		Dwarf_Unsigned lno = 0;
		Dwarf_Bool end = 0, stmt = 0;
		struct kt_dw_row *r;

		if (dwarf_lineaddr(lines[i], &a, &err) != DW_DLV_OK ||
		    dwarf_lineno(lines[i], &lno, &err) != DW_DLV_OK ||
		    dwarf_lineendsequence(lines[i], &end, &err) != DW_DLV_OK) {
			kt_dw_err(c->dbg, &err);
			continue;
		}
		if (dwarf_linebeginstatement(lines[i], &stmt, &err) != DW_DLV_OK)
			kt_dw_err(c->dbg, &err);
		if (seq_start) {
			/* A sequence at 0 in a linked file is a function the
			   linker discarded: it would shadow real code. */
			skip = a == 0 && c->d->main.elf_type != ET_REL;
			seq_start = false;
		}
		if (end)
			seq_start = true;
		if (skip)
			continue;
		r = kt_dw_push((void **)&d->rows, &d->nrows, &d->caprows, sizeof *r, MAX_ROWS);
		if (!r)
			break;
		r->addr = a;
		r->line = lno > INT32_MAX ? INT32_MAX : (int32_t)lno;
		r->end = !!end;
		r->stmt = !!stmt;
		r->seq = (*seqno)++;
		r->file = end ? KT_DW_NOSTR : line_file(c, lines[i]);
	}
	dwarf_srclines_dealloc_b(ctx);
}

/* The name of file number FNO of the CU's line table (DW_AT_call_file):
   dwarf_srcfiles() lists DWARF 5's file 0 first, older tables from 1. */
static uint32_t
cu_file(struct cu_ctx *c, Dwarf_Unsigned fno)
{
	if (c->own_files)
		return own_file(c, fno); /* DWARF 5 numbers files from 0 */
	if (!c->cfiles_loaded) {
		Dwarf_Error err = NULL;
		char **files = NULL;
		Dwarf_Signed n = 0;

		c->cfiles_loaded = true;
		c->ncfiles = 0;
		if (dwarf_srcfiles(c->cu, &files, &n, &err) != DW_DLV_OK) {
			kt_dw_err(c->dbg, &err);
			n = 0;
		}
		for (Dwarf_Signed i = 0; i < n; i++) {
			if ((size_t)i < MAX_FILENO)
				c->cfiles[c->ncfiles++] = kt_dw_intern(c->d, files[i]);
			dwarf_dealloc(c->dbg, files[i], DW_DLA_STRING);
		}
		if (files)
			dwarf_dealloc(c->dbg, files, DW_DLA_LIST);
	}
	if (c->version < 5) {
		if (fno == 0)
			return KT_DW_NOSTR;
		fno--;
	}
	return fno < c->ncfiles ? c->cfiles[fno] : KT_DW_NOSTR;
}

/* Value of an attribute that is a reference or an offset. */
static bool
attr_ref(struct cu_ctx *c, Dwarf_Attribute at, Dwarf_Off *off)
{
	Dwarf_Error err = NULL;
	Dwarf_Unsigned u = 0;

	if (dwarf_global_formref(at, off, &err) == DW_DLV_OK)
		return true;
	kt_dw_err(c->dbg, &err);
	if (dwarf_formudata(at, &u, &err) == DW_DLV_OK) {
		*off = u;
		return true;
	}
	kt_dw_err(c->dbg, &err);
	return false;
}

static bool
attr_udata(struct cu_ctx *c, Dwarf_Die die, Dwarf_Half name, Dwarf_Unsigned *v)
{
	Dwarf_Error err = NULL;
	Dwarf_Attribute at = NULL;
	bool ok = false;

	if (dwarf_attr(die, name, &at, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		return false;
	}
	if (dwarf_formudata(at, v, &err) == DW_DLV_OK) {
		ok = true;
	} else {
		/* DW_FORM_implicit_const (gcc's DWARF 5 call_file) only reads as signed. */
		Dwarf_Signed sv = 0;
		kt_dw_err(c->dbg, &err);
		if (dwarf_formsdata(at, &sv, &err) == DW_DLV_OK && sv >= 0) {
			*v = (Dwarf_Unsigned)sv;
			ok = true;
		}
	}
	kt_dw_err(c->dbg, &err);
	dwarf_dealloc(c->dbg, at, DW_DLA_ATTR);
	return ok;
}

/* The DIE's name, following abstract_origin / specification. */
static uint32_t
die_name(struct cu_ctx *c, Dwarf_Die die, int hops)
{
	static const Dwarf_Half via[] = {DW_AT_abstract_origin, DW_AT_specification};
	Dwarf_Error err = NULL;
	char *name = NULL;

	if (dwarf_diename(die, &name, &err) == DW_DLV_OK)
		return kt_dw_intern(c->d, name);
	kt_dw_err(c->dbg, &err);
	if (hops >= 4)
		return KT_DW_NOSTR;
	for (size_t i = 0; i < sizeof via / sizeof via[0]; i++) {
		Dwarf_Attribute at = NULL;
		Dwarf_Off off = 0;
		Dwarf_Die other = NULL;
		uint32_t s = KT_DW_NOSTR;
		bool have;

		if (dwarf_attr(die, via[i], &at, &err) != DW_DLV_OK) {
			kt_dw_err(c->dbg, &err);
			continue;
		}
		have = attr_ref(c, at, &off);
		dwarf_dealloc(c->dbg, at, DW_DLA_ATTR);
		if (!have || !kt_dw_off_ok(c->f, off, false))
			continue;
		if (dwarf_offdie_b(c->dbg, off, 1, &other, &err) != DW_DLV_OK) {
			kt_dw_err(c->dbg, &err);
			continue;
		}
		if (!kt_dw_die_ok(c->f, other, false)) {
			dwarf_dealloc(c->dbg, other, DW_DLA_DIE);
			continue;
		}
		s = die_name(c, other, hops + 1);
		dwarf_dealloc(c->dbg, other, DW_DLA_DIE);
		if (s != KT_DW_NOSTR)
			return s;
	}
	return KT_DW_NOSTR;
}

struct range {
	uint64_t lo, hi;
};

/* The DIE's code ranges (low/high pc or DW_AT_ranges), at most MAX_RANGES. */
static size_t
die_ranges(struct cu_ctx *c, Dwarf_Die die, struct range *out)
{
	Dwarf_Error err = NULL;
	Dwarf_Addr lo = 0, hi = 0;
	Dwarf_Half form = 0;
	enum Dwarf_Form_Class cls = DW_FORM_CLASS_UNKNOWN;
	Dwarf_Attribute at = NULL;
	Dwarf_Off off = 0;
	size_t n = 0;

	if (dwarf_lowpc(die, &lo, &err) == DW_DLV_OK) {
		if (dwarf_highpc_b(die, &hi, &form, &cls, &err) == DW_DLV_OK) {
			if (cls == DW_FORM_CLASS_CONSTANT)
				hi = hi + lo < lo ? UINT64_MAX : hi + lo;
			if (hi > lo) {
				out[0].lo = lo;
				out[0].hi = hi;
				return 1;
			}
			return 0;
		}
	}
	kt_dw_err(c->dbg, &err);
	if (dwarf_attr(die, DW_AT_ranges, &at, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		return 0;
	}
	if (dwarf_whatform(at, &form, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		goto out;
	}
	if (c->version >= 5 || form == DW_FORM_rnglistx) {
		Dwarf_Rnglists_Head head = NULL;
		Dwarf_Unsigned val = 0, count = 0, goff = 0;

		if (form == DW_FORM_rnglistx) {
			if (dwarf_formudata(at, &val, &err) != DW_DLV_OK)
				goto out;
		} else if (attr_ref(c, at, &off)) {
			val = off;
		} else {
			goto out;
		}
		if (dwarf_rnglists_get_rle_head(at, form, val, &head, &count, &goff, &err) !=
		    DW_DLV_OK)
			goto out;
		for (Dwarf_Unsigned i = 0; i < count && n < MAX_RANGES; i++) {
			unsigned elen = 0, code = 0;
			Dwarf_Unsigned r1 = 0, r2 = 0, c1 = 0, c2 = 0;
			Dwarf_Bool unavail = 0;

			if (dwarf_get_rnglists_entry_fields_a(head, i, &elen, &code, &r1, &r2,
							      &unavail, &c1, &c2,
							      &err) != DW_DLV_OK) {
				kt_dw_err(c->dbg, &err);
				break;
			}
			if (code == DW_RLE_end_of_list)
				break;
			if (unavail || c2 <= c1)
				continue;
			if (code == DW_RLE_startx_endx || code == DW_RLE_startx_length ||
			    code == DW_RLE_offset_pair || code == DW_RLE_start_end ||
			    code == DW_RLE_start_length) {
				out[n].lo = c1;
				out[n].hi = c2;
				n++;
			}
		}
		dwarf_dealloc_rnglists_head(head);
	} else {
		Dwarf_Ranges *rs = NULL;
		Dwarf_Signed cnt = 0;
		Dwarf_Unsigned bytes = 0;
		Dwarf_Off real = 0;
		uint64_t base = c->base;

		if (!attr_ref(c, at, &off))
			goto out;
		if (dwarf_get_ranges_b(c->dbg, off, die, &real, &rs, &cnt, &bytes, &err) !=
		    DW_DLV_OK)
			goto out;
		for (Dwarf_Signed i = 0; i < cnt && n < MAX_RANGES; i++) {
			if (rs[i].dwr_type == DW_RANGES_END)
				break;
			if (rs[i].dwr_type == DW_RANGES_ADDRESS_SELECTION) {
				base = rs[i].dwr_addr2;
				continue;
			}
			lo = base + rs[i].dwr_addr1;
			hi = base + rs[i].dwr_addr2;
			if (hi > lo) {
				out[n].lo = lo;
				out[n].hi = hi;
				n++;
			}
		}
		dwarf_ranges_dealloc(c->dbg, rs, cnt);
	}
out:
	kt_dw_err(c->dbg, &err);
	dwarf_dealloc(c->dbg, at, DW_DLA_ATTR);
	return n;
}

static void
add_ranges(struct cu_ctx *c, Dwarf_Die die, bool inlined, int depth)
{
	struct kt_dwarf *d = c->d;
	struct range *rg = malloc(MAX_RANGES * sizeof *rg);
	size_t n;
	uint32_t name, cfile = KT_DW_NOSTR;
	int32_t cline = 0;

	if (!rg)
		return;
	n = die_ranges(c, die, rg);
	if (n == 0) {
		free(rg);
		return;
	}
	name = die_name(c, die, 0);
	if (inlined) {
		Dwarf_Unsigned v = 0;

		if (attr_udata(c, die, DW_AT_call_file, &v))
			cfile = cu_file(c, v);
		if (attr_udata(c, die, DW_AT_call_line, &v))
			cline = v > INT32_MAX ? INT32_MAX : (int32_t)v;
	}
	for (size_t i = 0; i < n; i++) {
		struct kt_dw_func *f =
			inlined ? kt_dw_push((void **)&d->inl, &d->ninl, &d->capinl, sizeof *f,
					     MAX_FUNCS)
				: kt_dw_push((void **)&d->funcs, &d->nfuncs, &d->capfuncs, sizeof *f,
					     MAX_FUNCS);

		if (!f)
			break;
		f->lo = rg[i].lo;
		f->hi = rg[i].hi;
		f->name = name;
		f->call_file = cfile;
		f->call_line = cline;
		f->die = (uint32_t)*c->budget;
		f->depth = (uint16_t)depth;
		f->entry = i == 0;
	}
	free(rg);
}

/* Walk DIE and its siblings; DIE is owned (deallocated) here. */
static void
walk(struct cu_ctx *c, Dwarf_Die die, int depth, int inl_depth)
{
	Dwarf_Error err = NULL;

	while (die) {
		Dwarf_Half tag = 0;
		Dwarf_Die next = NULL, child = NULL;
		bool descend = false;
		int child_inl = inl_depth;

		/* A tree walked in order meets its DIEs at rising offsets: one
		 * that does not is a loop a corrupt DW_AT_sibling made. */
		Dwarf_Off off = 0;
		if ((*c->budget)++ >= MAX_DIES || dwarf_dieoffset(die, &off, &err) != DW_DLV_OK ||
		    off <= c->last_off) {
			kt_dw_err(c->dbg, &err);
			dwarf_dealloc(c->dbg, die, DW_DLA_DIE);
			return;
		}
		c->last_off = off;
		if (dwarf_tag(die, &tag, &err) != DW_DLV_OK) {
			kt_dw_err(c->dbg, &err);
		} else {
			switch (tag) {
			case DW_TAG_subprogram:
				add_ranges(c, die, false, 0);
				descend = true;
				child_inl = 0;
				break;
			case DW_TAG_inlined_subroutine:
				if (inl_depth < 0xffff) {
					add_ranges(c, die, true, inl_depth + 1);
					child_inl = inl_depth + 1;
				}
				descend = true;
				break;
			case DW_TAG_lexical_block:
			case DW_TAG_namespace:
			case DW_TAG_class_type:
			case DW_TAG_structure_type:
			case DW_TAG_union_type:
			case DW_TAG_module:
				descend = true;
				break;
			default:
				break;
			}
		}
		if (descend && depth < MAX_DEPTH) {
			if (dwarf_child(die, &child, &err) == DW_DLV_OK)
				walk(c, child, depth + 1, child_inl);
			else
				kt_dw_err(c->dbg, &err);
		}
		if (dwarf_siblingof_b(c->dbg, die, 1, &next, &err) != DW_DLV_OK) {
			kt_dw_err(c->dbg, &err);
			next = NULL;
		}
		dwarf_dealloc(c->dbg, die, DW_DLA_DIE);
		die = next;
	}
}

static int
row_cmp(const void *a, const void *b)
{
	const struct kt_dw_row *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->end != y->end)
		return x->end ? -1 : 1; /* a sequence ends before the next starts */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
func_cmp_arange(const void *a, const void *b)
{
	const struct kt_dw_arange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int
func_cmp(const void *a, const void *b)
{
	const struct kt_dw_func *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	return 0;
}

/* The file (main or debug) queries use; NULL when there is no usable
 * DWARF. */
static struct kt_dw_file *
pick(struct kt_dwarf *d)
{
	kt_dw_load(d);
	if (d->main.dbg && (d->main.has_info || !d->debug.dbg))
		return d->main.lists_bad ? NULL : &d->main;
	return d->debug.dbg ? &d->debug : NULL;
}

/* Was the CU whose DIE is at OFF indexed already?  ADD: mark it. */
static bool
cu_done(struct kt_dwarf *d, uint64_t off, bool add)
{
	for (size_t i = 0; i < d->ncus_done; i++)
		if (d->cus_done[i] == off)
			return true;
	if (add) {
		uint64_t *e = kt_dw_push((void **)&d->cus_done, &d->ncus_done, &d->capcus_done,
					 sizeof *e, MAX_CUS);
		if (e)
			*e = off;
	}
	return false;
}

/* Index the lines and functions of CU (version VER) into C->d. */
static void
index_cu(struct cu_ctx *c, Dwarf_Die cu, int ver)
{
	Dwarf_Error err = NULL;
	Dwarf_Die child = NULL;
	Dwarf_Addr base = 0;

	c->cu = cu;
	c->version = ver;
	if (dwarf_lowpc(cu, &base, &err) != DW_DLV_OK) {
		kt_dw_err(c->dbg, &err);
		base = 0;
	}
	c->base = base;
	for (size_t i = 0; i < MAX_FILENO; i++)
		c->fmap[i] = KT_DW_NOSTR;
	c->cfiles_loaded = c->no_lines; /* no files then */
	c->ncfiles = 0;
	c->own_files = false;
	c->have_unit = false;
	c->last_off = 0;
	if (dwarf_dieoffset(cu, &c->last_off, &err) != DW_DLV_OK)
		kt_dw_err(c->dbg, &err);
	if (!c->no_lines)
		index_lines(c, &c->d->seqno);
	if (dwarf_child(cu, &child, &err) == DW_DLV_OK)
		walk(c, child, 1, 0);
	else
		kt_dw_err(c->dbg, &err);
}

static void
sort_index(struct kt_dwarf *d)
{
	if (d->nrows)
		qsort(d->rows, d->nrows, sizeof *d->rows, row_cmp);
	if (d->nfuncs)
		qsort(d->funcs, d->nfuncs, sizeof *d->funcs, func_cmp);
	if (d->ninl)
		qsort(d->inl, d->ninl, sizeof *d->inl, func_cmp);
}

static struct cu_ctx *
new_ctx(struct kt_dwarf *d, struct kt_dw_file *f)
{
	struct cu_ctx *c = calloc(1, sizeof *c);

	if (c) {
		c->d = d;
		c->f = f;
		c->dbg = f->dbg;
		c->no_lines = f->lines_bad;
		c->budget = &d->budget;
	}
	return c;
}

void
kt_dw_index(struct kt_dwarf *d)
{
	struct kt_dw_file *f;
	Dwarf_Debug dbg;
	Dwarf_Error err = NULL;
	struct cu_ctx *c;

	if (d->indexed)
		return;
	d->indexed = true;
	if (!(f = pick(d)) || !(c = new_ctx(d, f)))
		return;
	dbg = f->dbg;
	for (unsigned ncu = 0; ncu < MAX_CUS; ncu++) {
		Dwarf_Unsigned hdr_len = 0, typeoff = 0, next_off = 0;
		Dwarf_Half ver = 0, addr_sz = 0, off_sz = 0, ext_sz = 0, cu_type = 0;
		Dwarf_Off abbrev_off = 0, off = 0;
		Dwarf_Sig8 sig;
		Dwarf_Die cu = NULL;
		int rc = dwarf_next_cu_header_d(dbg, 1, &hdr_len, &ver, &abbrev_off, &addr_sz,
						&off_sz, &ext_sz, &sig, &typeoff, &next_off,
						&cu_type, &err);

		if (rc != DW_DLV_OK) {
			/* NO_ENTRY: done; ERROR: the rest cannot be trusted.  The
			   iteration is never restarted on this handle. */
			kt_dw_err(dbg, &err);
			break;
		}
		if (dwarf_siblingof_b(dbg, NULL, 1, &cu, &err) != DW_DLV_OK) {
			kt_dw_err(dbg, &err);
			continue;
		}
		/* CUs kt_dw_index_at indexed already are not indexed again;
		   a unit that fails the DIE check is not walked */
		if (dwarf_dieoffset(cu, &off, &err) != DW_DLV_OK)
			kt_dw_err(dbg, &err);
		else if (!cu_done(d, off, false) && kt_dw_die_ok(f, cu, true))
			index_cu(c, cu, ver);
		dwarf_dealloc(dbg, cu, DW_DLA_DIE);
	}
	free(c);
	sort_index(d);
}

/* .debug_aranges as sorted [lo, hi) -> CU DIE offset, once. */
static void
load_aranges(struct kt_dwarf *d, Dwarf_Debug dbg)
{
	Dwarf_Error err = NULL;
	Dwarf_Arange *ar = NULL;
	Dwarf_Signed n = 0;

	d->aranges_tried = true;
	if (dwarf_get_aranges(dbg, &ar, &n, &err) != DW_DLV_OK) {
		kt_dw_err(dbg, &err);
		return;
	}
	for (Dwarf_Signed i = 0; i < n; i++) {
		Dwarf_Unsigned seg = 0, segsz = 0, len = 0;
		Dwarf_Addr lo = 0;
		Dwarf_Off cu = 0;
		struct kt_dw_arange *e;

		if (dwarf_get_arange_info_b(ar[i], &seg, &segsz, &lo, &len, &cu, &err) ==
			    DW_DLV_OK &&
		    len > 0 && lo + len > lo &&
		    (e = kt_dw_push((void **)&d->ar, &d->nar, &d->capar, sizeof *e, MAX_FUNCS))) {
			e->lo = lo;
			e->hi = lo + len;
			e->cu = cu;
		}
		kt_dw_err(dbg, &err);
		dwarf_dealloc(dbg, ar[i], DW_DLA_ARANGE);
	}
	dwarf_dealloc(dbg, ar, DW_DLA_LIST);
	if (d->nar)
		qsort(d->ar, d->nar, sizeof *d->ar, func_cmp_arange);
}

void
kt_dw_index_at(struct kt_dwarf *d, uint64_t addr)
{
	struct kt_dw_file *f;
	Dwarf_Debug dbg;
	Dwarf_Error err = NULL;
	const struct kt_dw_arange *hit = NULL;

	if (d->indexed)
		return;
	if (!(f = pick(d))) {
		d->indexed = true;
		return;
	}
	dbg = f->dbg;
	if (!d->aranges_tried)
		load_aranges(d, dbg);
	for (size_t i = 0; i < d->nar && !hit; i++) /* aranges are few per CU */
		if (addr >= d->ar[i].lo && addr < d->ar[i].hi)
			hit = &d->ar[i];
	if (!hit) {
		/* no aranges, or ADDR is in a CU they omit: everything */
		kt_dw_index(d);
		return;
	}
	if (cu_done(d, hit->cu, true))
		return;
	Dwarf_Die cu = NULL;
	Dwarf_Half ver = 0, offsz = 0;
	/* a unit that fails the DIE check is not read (kt_dw_index skips it) */
	struct cu_ctx *c = kt_dw_off_ok(f, hit->cu, true) ? new_ctx(d, f) : NULL;
	if (c && dwarf_offdie_b(dbg, hit->cu, 1, &cu, &err) != DW_DLV_OK) {
		kt_dw_err(dbg, &err);
		cu = NULL;
	}
	if (cu && !kt_dw_die_ok(f, cu, true)) {
		dwarf_dealloc(dbg, cu, DW_DLA_DIE);
		cu = NULL;
	}
	if (!cu) {
		free(c);
		kt_dw_index(d);
		return;
	}
	if (dwarf_get_version_of_die(cu, &ver, &offsz) != DW_DLV_OK)
		ver = 0;
	index_cu(c, cu, ver);
	dwarf_dealloc(dbg, cu, DW_DLA_DIE);
	free(c);
	sort_index(d);
}
