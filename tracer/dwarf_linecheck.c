/* SPDX-License-Identifier: MIT */
/*
 * dwarf_linecheck.c - a check of .debug_line headers before libdwarf
 * reads them (see dwarf.h, kt_dw_lines_ok).
 *
 * libdwarf 20210528 takes a DWARF 5 line header's entry formats on trust:
 * a file or directory path given in a form that is not a string (say
 * DW_FORM_udata) is later used as a string pointer, and dwarf_linesrc or
 * dwarf_srcfiles crash.  So every DWARF 5 header is walked here first:
 * each path must be a string form, every other field a form this walker
 * can size, and every entry inside the unit.  Older headers (2-4) have no
 * forms and pass.  String offsets must be inside their section when its
 * size is known.  A section that fails gives no line information (its
 * functions and CFI are still used).
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

#define MAX_FORMATS 16
#define MAX_ENTRIES 65536

struct cursor {
	const unsigned char *p;
	size_t off, end;
	uint64_t line_str, str; /* sizes of .debug_line_str and .debug_str */
};

static bool
get(struct cursor *c, size_t n, uint64_t *v)
{
	if (n > c->end - c->off)
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v |= (uint64_t)c->p[c->off + i] << (8 * i);
	c->off += n;
	return true;
}

static bool
uleb(struct cursor *c, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; c->off < c->end; shift += 7) {
		unsigned char b = c->p[c->off++];
		if (shift < 64)
			*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return shift < 70;
	}
	return false;
}

/* Skip one value of FORM; PATH: it must be a string. */
static bool
skip_form(struct cursor *c, uint64_t form, bool path, unsigned offsize)
{
	uint64_t v;

	switch (form) {
	case DW_FORM_string:
		while (c->off < c->end && c->p[c->off])
			c->off++;
		return c->off++ < c->end;
	case DW_FORM_line_strp:
		return get(c, offsize, &v) && v < c->line_str;
	case DW_FORM_strp:
		return get(c, offsize, &v) && v < c->str;
	}
	if (path)
		return false;
	switch (form) {
	case DW_FORM_data1:
		return get(c, 1, &v);
	case DW_FORM_data2:
		return get(c, 2, &v);
	case DW_FORM_data4:
		return get(c, 4, &v);
	case DW_FORM_data8:
		return get(c, 8, &v);
	case DW_FORM_data16:
		return get(c, 8, &v) && get(c, 8, &v);
	case DW_FORM_udata:
		return uleb(c, &v);
	case DW_FORM_block:
		if (!uleb(c, &v) || v > c->end - c->off)
			return false;
		c->off += v;
		return true;
	}
	return false;
}

/* The entry format list, then the entries; true if all were well formed. */
static bool
entries(struct cursor *c, unsigned offsize)
{
	uint64_t nfmt, n, type[MAX_FORMATS], form[MAX_FORMATS];

	if (!get(c, 1, &nfmt) || nfmt > MAX_FORMATS)
		return false;
	for (uint64_t i = 0; i < nfmt; i++)
		if (!uleb(c, &type[i]) || !uleb(c, &form[i]))
			return false;
	if (!uleb(c, &n) || n > MAX_ENTRIES)
		return false;
	for (uint64_t k = 0; k < n; k++)
		for (uint64_t i = 0; i < nfmt; i++)
			if (!skip_form(c, form[i], type[i] == DW_LNCT_path, offsize))
				return false;
	return true;
}

bool
kt_dw_lines_ok(const unsigned char *p, size_t size, uint64_t line_str_size, uint64_t str_size)
{
	size_t off = 0;

	for (unsigned n = 0; off < size; n++) {
		struct cursor c = {p, off, size, line_str_size, str_size};
		uint64_t len, ver, hlen, v, opbase;
		unsigned offsize = 4;

		if (n > (1u << 20) || !get(&c, 4, &len))
			return false;
		if (len >= 0xfffffff0u) {
			if (len != 0xffffffffu || !get(&c, 8, &len))
				return false;
			offsize = 8;
		}
		if (len > size - c.off)
			return false;
		c.end = c.off + len;
		off = c.end;
		if (!get(&c, 2, &ver))
			return false;
		if (ver < 5)
			continue; /* no entry formats */
		if (ver > 5 || !get(&c, 2, &v) /* address and selector sizes */ ||
		    !get(&c, offsize, &hlen) || hlen > c.end - c.off)
			return false;
		c.end = c.off + hlen; /* the header */
		/* min_inst_length, max_ops, default_is_stmt, line_base, line_range */
		if (!get(&c, 4, &v) || !get(&c, 1, &v) || !get(&c, 1, &opbase) || opbase == 0 ||
		    opbase - 1 > c.end - c.off)
			return false;
		c.off += opbase - 1;
		if (!entries(&c, offsize) || !entries(&c, offsize))
			return false;
	}
	return true;
}
