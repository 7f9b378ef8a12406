/* SPDX-License-Identifier: MIT */
/*
 * dwarf_diecheck.c - a check of one unit of .debug_info before libdwarf
 * walks its DIEs (see dwarf.h, kt_dw_unit_check).  dwarf_units.c decides
 * which units are checked, when, and in which bytes.
 *
 * libdwarf 20210528 trusts the DIE stream further than a debugger may:
 * dwarf_siblingof_b refuses a DW_AT_sibling that points back, but not one
 * that points at its own DIE, and then never returns (fuzz_elfmem found
 * it: corpus_elfmem/regress_siblingof_b); what it makes of a DIE whose
 * abbreviation is missing, or whose forms it sizes otherwise than the
 * producer, is anyone's guess.  So a unit is walked here first, the way
 * libdwarf walks it but strictly: the header (length, 64-bit DWARF too,
 * version 2 to 5, DWARF 5 unit type, abbreviation offset, address size 2,
 * 4 or 8), the abbreviation table at that offset (codes unique and
 * canonical, tags and attributes in range, children 0 or 1, every form one
 * sized here, DW_FORM_implicit_const's constant), then every DIE to the
 * end of the unit: its code 0 or in the table, every value inside the
 * unit (DW_FORM_indirect once, never to itself or to implicit_const), a
 * DW_AT_sibling exactly where the DIE's subtree ends, a unit-relative
 * reference inside the unit and DW_FORM_ref_addr inside .debug_info.
 * Nesting is capped at MAX_DEPTH.  Values are read little-endian (the
 * callers give only little-endian images).  Nothing is read outside the
 * two sections; the only allocation is the abbreviation table.
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

#define MAX_DEPTH 512
#define MAX_ABBREVS (1u << 20)
#define MAX_SPECS (4u << 20)
#define NONE UINT64_MAX

/* How a value of a form is laid out in .debug_info. */
enum kind {
	K_BAD,
	K_FIXED,
	K_ADDR,
	K_OFFSET,
	K_REFADDR,
	K_ULEB,
	K_SLEB,
	K_BLOCK1,
	K_BLOCK2,
	K_BLOCK4,
	K_BLOCK,
	K_STRING,
	K_INDIRECT,
	K_IMPLICIT
};
enum ref { R_NONE, R_UNIT, R_INFO };

struct form {
	uint8_t kind, size, ref;
};

static struct form
form_of(uint64_t form)
{
	switch (form) {
	case DW_FORM_addr:
		return (struct form){K_ADDR, 0, R_NONE};
	case DW_FORM_data1:
	case DW_FORM_flag:
	case DW_FORM_strx1:
	case DW_FORM_addrx1:
		return (struct form){K_FIXED, 1, R_NONE};
	case DW_FORM_data2:
	case DW_FORM_strx2:
	case DW_FORM_addrx2:
		return (struct form){K_FIXED, 2, R_NONE};
	case DW_FORM_strx3:
	case DW_FORM_addrx3:
		return (struct form){K_FIXED, 3, R_NONE};
	case DW_FORM_data4:
	case DW_FORM_ref_sup4:
	case DW_FORM_strx4:
	case DW_FORM_addrx4:
		return (struct form){K_FIXED, 4, R_NONE};
	case DW_FORM_data8:
	case DW_FORM_ref_sig8:
	case DW_FORM_ref_sup8:
		return (struct form){K_FIXED, 8, R_NONE};
	case DW_FORM_data16:
		return (struct form){K_FIXED, 16, R_NONE};
	case DW_FORM_flag_present:
		return (struct form){K_FIXED, 0, R_NONE};
	case DW_FORM_ref1:
		return (struct form){K_FIXED, 1, R_UNIT};
	case DW_FORM_ref2:
		return (struct form){K_FIXED, 2, R_UNIT};
	case DW_FORM_ref4:
		return (struct form){K_FIXED, 4, R_UNIT};
	case DW_FORM_ref8:
		return (struct form){K_FIXED, 8, R_UNIT};
	case DW_FORM_ref_udata:
		return (struct form){K_ULEB, 0, R_UNIT};
	case DW_FORM_ref_addr:
		return (struct form){K_REFADDR, 0, R_INFO};
	case DW_FORM_strp:
	case DW_FORM_line_strp:
	case DW_FORM_strp_sup:
	case DW_FORM_sec_offset:
	case DW_FORM_GNU_ref_alt:
	case DW_FORM_GNU_strp_alt:
		return (struct form){K_OFFSET, 0, R_NONE};
	case DW_FORM_udata:
	case DW_FORM_strx:
	case DW_FORM_addrx:
	case DW_FORM_loclistx:
	case DW_FORM_rnglistx:
	case DW_FORM_GNU_addr_index:
	case DW_FORM_GNU_str_index:
		return (struct form){K_ULEB, 0, R_NONE};
	case DW_FORM_sdata:
		return (struct form){K_SLEB, 0, R_NONE};
	case DW_FORM_block1:
		return (struct form){K_BLOCK1, 0, R_NONE};
	case DW_FORM_block2:
		return (struct form){K_BLOCK2, 0, R_NONE};
	case DW_FORM_block4:
		return (struct form){K_BLOCK4, 0, R_NONE};
	case DW_FORM_block:
	case DW_FORM_exprloc:
		return (struct form){K_BLOCK, 0, R_NONE};
	case DW_FORM_string:
		return (struct form){K_STRING, 0, R_NONE};
	case DW_FORM_indirect:
		return (struct form){K_INDIRECT, 0, R_NONE};
	case DW_FORM_implicit_const:
		return (struct form){K_IMPLICIT, 0, R_NONE};
	}
	return (struct form){K_BAD, 0, R_NONE};
}

/* ---- the abbreviation table ---- */

struct spec {
	uint16_t attr;
	struct form f; /* of its form, looked up once */
};

struct abbrev {
	uint64_t code;
	uint32_t spec, nspec; /* its attributes: specs[spec, spec + nspec) */
	uint8_t children;
};

struct kt_dw_abbrevs {
	bool parsed, ok;
	uint64_t off;		     /* where in .debug_abbrev the table starts */
	const unsigned char *abbrev; /* ... of this section */
	struct abbrev *a;	     /* sorted by code */
	size_t n, cap;
	struct spec *s;
	size_t ns, caps;
};

void
kt_dw_abbrevs_free(struct kt_dw_abbrevs *t)
{
	if (!t)
		return;
	free(t->a);
	free(t->s);
	free(t);
}

static int
abbrev_cmp(const void *x, const void *y)
{
	const struct abbrev *a = x, *b = y;

	return a->code < b->code ? -1 : a->code > b->code;
}

/* The attribute list of one abbreviation, at *Q. */
static bool
parse_specs(struct kt_dw_abbrevs *t, const uint8_t **q, const uint8_t *end)
{
	for (;;) {
		uint64_t attr, form;
		int64_t ignore;
		struct spec *s;

		if (!kt_dw_uleb(q, end, &attr) || !kt_dw_uleb(q, end, &form))
			return false;
		if (attr == 0 && form == 0)
			return true;
		if (attr == 0 || attr > DW_AT_hi_user || form_of(form).kind == K_BAD)
			return false;
		if (form == DW_FORM_implicit_const && !kt_dw_sleb(q, end, &ignore))
			return false;
		s = kt_dw_push((void **)&t->s, &t->ns, &t->caps, sizeof *s, MAX_SPECS);
		if (!s)
			return false;
		s->attr = (uint16_t)attr;
		s->f = form_of(form);
	}
}

/* The table at OFF of ABBREV[0, SIZE) into T. */
static bool
parse_abbrevs(struct kt_dw_abbrevs *t, const unsigned char *abbrev, size_t size, uint64_t off)
{
	const uint8_t *q, *end = abbrev + size;
	bool sorted = true;

	t->parsed = true;
	t->ok = false;
	t->off = off;
	t->abbrev = abbrev;
	t->n = t->ns = 0;
	if (off >= size)
		return false;
	/* The table ends at a zero byte, or with the section (libdwarf
	 * allows that); a code of 0 spelled longer is refused. */
	for (q = abbrev + off; q < end && *q != 0;) {
		uint64_t code, tag;
		struct abbrev *a;

		if (!kt_dw_uleb(&q, end, &code) || code == 0 || code > UINT32_MAX ||
		    !kt_dw_uleb(&q, end, &tag) || tag == 0 || tag > DW_TAG_hi_user || q == end ||
		    *q > DW_children_yes)
			return false;
		a = kt_dw_push((void **)&t->a, &t->n, &t->cap, sizeof *a, MAX_ABBREVS);
		if (!a)
			return false;
		sorted &= t->n == 1 || a[-1].code < code;
		a->code = code;
		a->children = *q++;
		a->spec = (uint32_t)t->ns;
		if (!parse_specs(t, &q, end))
			return false;
		a->nspec = (uint32_t)(t->ns - a->spec);
	}
	if (!sorted) /* producers number them in order: rarely needed */
		qsort(t->a, t->n, sizeof *t->a, abbrev_cmp);
	for (size_t i = 1; i < t->n; i++)
		if (t->a[i].code == t->a[i - 1].code)
			return false; /* which one libdwarf takes is its business */
	t->ok = true;
	return true;
}

static const struct abbrev *
find_abbrev(const struct kt_dw_abbrevs *t, uint64_t code)
{
	size_t lo = 0, hi = t->n;

	if (code - 1 < t->n && t->a[code - 1].code == code)
		return &t->a[code - 1]; /* producers number them 1, 2, ... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->a[mid].code == code)
			return &t->a[mid];
		if (t->a[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- the unit ---- */

struct unit {
	const uint8_t *base, *end; /* the unit, from its length field */
	const uint8_t *dies;	   /* its first DIE */
	uint64_t abbrev;	   /* its abbreviation table's offset */
	unsigned version, offsize, addr_size;
	size_t ninfo; /* size of .debug_info (DW_FORM_ref_addr) */
};

static uint64_t
le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* N bytes at *P (below END): their value in *V (the low 8 bytes). */
static bool
take(const uint8_t **p, const uint8_t *end, size_t n, uint64_t *v)
{
	if (n > (size_t)(end - *p))
		return false;
	*v = le(*p, (unsigned)(n < 8 ? n : 8));
	*p += n;
	return true;
}

/* The header of the unit at OFF; *NEXT: where the next unit starts, 0 when
 * the unit's length cannot be trusted. */
static bool
header(const unsigned char *info, size_t size, uint64_t off, struct unit *u, uint64_t *next)
{
	const uint8_t *p = info + off, *end = info + size;
	uint64_t len, v, type = DW_UT_compile, tail = 0;

	*next = 0;
	if (off >= size || !take(&p, end, 4, &len))
		return false;
	u->offsize = 4;
	if (len >= 0xfffffff0u) {
		if (len != 0xffffffffu || !take(&p, end, 8, &len))
			return false;
		u->offsize = 8;
	}
	if (len > (size_t)(end - p))
		return false;
	u->base = info + off;
	u->end = p + len;
	u->ninfo = size;
	*next = (uint64_t)(u->end - info);
	end = u->end;
	if (!take(&p, end, 2, &v) || v < 2 || v > 5)
		return false;
	u->version = (unsigned)v;
	if (v == 5 && !take(&p, end, 1, &type))
		return false;
	if (v == 5 && (!take(&p, end, 1, &v) || !take(&p, end, u->offsize, &u->abbrev)))
		return false;
	if (u->version < 5 && (!take(&p, end, u->offsize, &u->abbrev) || !take(&p, end, 1, &v)))
		return false;
	u->addr_size = (unsigned)v;
	if (v != 2 && v != 4 && v != 8)
		return false;
	switch (type) {
	case DW_UT_compile:
	case DW_UT_partial:
		break;
	case DW_UT_skeleton:
	case DW_UT_split_compile:
		if (!take(&p, end, 8, &v)) /* dwo_id */
			return false;
		break;
	case DW_UT_type:
	case DW_UT_split_type:
		/* signature, then the type DIE's offset: inside the DIEs */
		if (!take(&p, end, 8, &v) || !take(&p, end, u->offsize, &tail))
			return false;
		if (tail < (uint64_t)(p - u->base) || tail >= (uint64_t)(end - u->base))
			return false;
		break;
	default:
		return false;
	}
	u->dies = p;
	return p < end; /* a unit without a DIE is refused */
}

bool
kt_dw_unit_bounds(const unsigned char *info, size_t size, uint64_t off, uint64_t *die,
		  uint64_t *next)
{
	struct unit u;
	bool ok = header(info, size, off, &u, next);

	*die = ok ? (uint64_t)(u.dies - info) : 0;
	return ok;
}

/* One value of attribute ATTR in form F at *P; a DW_AT_sibling's value
 * (unit relative) in *SIB. */
static bool
value(const struct unit *u, const uint8_t **p, uint64_t attr, struct form f, uint64_t *sib)
{
	uint64_t v = 0, n, form;
	int64_t sv;

	if (f.kind == K_INDIRECT) {
		if (!kt_dw_uleb(p, u->end, &form))
			return false;
		f = form_of(form);
		if (f.kind == K_INDIRECT || f.kind == K_IMPLICIT)
			return false; /* libdwarf would read the constant from the
					 abbreviation it is not in */
	}
	switch (f.kind) {
	case K_FIXED:
	case K_ADDR:
	case K_OFFSET:
	case K_REFADDR:
		n = f.kind == K_FIXED	 ? f.size
		    : f.kind == K_ADDR	 ? u->addr_size
		    : f.kind == K_OFFSET ? u->offsize
		    : u->version == 2	 ? u->addr_size
					 : u->offsize;
		if (f.ref == R_NONE && attr != DW_AT_sibling) {
			if (n > (size_t)(u->end - *p))
				return false;
			*p += n; /* the value itself is not wanted */
		} else if (!take(p, u->end, n, &v)) {
			return false;
		}
		break;
	case K_ULEB:
		if (!kt_dw_uleb(p, u->end, &v))
			return false;
		break;
	case K_SLEB:
		if (!kt_dw_sleb(p, u->end, &sv))
			return false;
		break;
	case K_BLOCK1:
	case K_BLOCK2:
	case K_BLOCK4:
	case K_BLOCK:
		if (!(f.kind == K_BLOCK ? kt_dw_uleb(p, u->end, &n)
					: take(p, u->end,
					       f.kind == K_BLOCK1   ? 1
					       : f.kind == K_BLOCK2 ? 2
								    : 4,
					       &n)) ||
		    !take(p, u->end, n, &v))
			return false;
		break;
	case K_STRING: {
		const uint8_t *nul = memchr(*p, 0, (size_t)(u->end - *p));

		if (!nul)
			return false;
		*p = nul + 1;
		break;
	}
	case K_IMPLICIT:
		break; /* the value is in the abbreviation */
	default:
		return false;
	}
	if ((f.ref == R_UNIT && v >= (uint64_t)(u->end - u->base)) ||
	    (f.ref == R_INFO && v >= u->ninfo))
		return false;
	if (attr == DW_AT_sibling) {
		/* libdwarf follows ref1..ref_udata, ignores ref_addr, and
		   refuses anything else */
		if (f.ref != R_UNIT)
			return f.ref == R_INFO;
		*sib = v;
	}
	return true;
}

/* Every DIE of U, against the abbreviations T. */
static bool
walk(const struct unit *u, const struct kt_dw_abbrevs *t)
{
	uint64_t sib[MAX_DEPTH]; /* the DW_AT_sibling of each open parent */
	unsigned depth = 0;
	const uint8_t *p = u->dies;

	while (p < u->end) {
		const struct abbrev *a;
		uint64_t code, s = NONE;

		if (*p == 0) { /* a list ends (at the top: padding) */
			p++;
			if (depth > 0 && sib[--depth] != NONE &&
			    sib[depth] != (uint64_t)(p - u->base))
				return false;
			continue;
		}
		if (!kt_dw_uleb(&p, u->end, &code) || !(a = find_abbrev(t, code)))
			return false;
		for (uint32_t i = 0; i < a->nspec; i++)
			if (!value(u, &p, t->s[a->spec + i].attr, t->s[a->spec + i].f, &s))
				return false;
		if (a->children) {
			if (depth == MAX_DEPTH)
				return false;
			sib[depth++] = s;
		} else if (s != NONE && s != (uint64_t)(p - u->base)) {
			return false;
		}
	}
	/* lists still open end with the unit (libdwarf takes that) */
	while (depth > 0)
		if (sib[--depth] != NONE && sib[depth] != (uint64_t)(u->end - u->base))
			return false;
	return true;
}

bool
kt_dw_unit_check(const unsigned char *info, size_t ninfo, uint64_t off, const unsigned char *abbrev,
		 size_t nabbrev, struct kt_dw_abbrevs **cache)
{
	struct kt_dw_abbrevs *t = cache ? *cache : NULL;
	struct unit u;
	uint64_t next;
	bool ok;

	if (!info || !abbrev || !header(info, ninfo, off, &u, &next))
		return false;
	if (!t && !(t = calloc(1, sizeof *t)))
		return false;
	if (cache)
		*cache = t;
	if (!t->parsed || t->off != u.abbrev || t->abbrev != abbrev)
		parse_abbrevs(t, abbrev, nabbrev, u.abbrev);
	ok = t->ok && walk(&u, t);
	if (!cache)
		kt_dw_abbrevs_free(t);
	return ok;
}
