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
 * can size (DW_FORM_strp refused too: libdwarf reads it from a section it
 * may not have loaded), every entry inside the unit, and every file's
 * directory index below the number of directories (libdwarf checks it
 * one too loosely and reads a pointer past its table).  Older headers (2-4) have no
 * forms and pass.  String offsets must be inside their section when its
 * size is known.  A section that fails gives no line information (its
 * functions and CFI are still used).
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <stdio.h>
#include <string.h>

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

#define MAX_FORMATS 16
#define MAX_ENTRIES 65536

struct cursor {
	const unsigned char *p;
	size_t off, end;
	uint64_t line_str, str; /* sizes of .debug_line_str and .debug_str */
	const unsigned char *lsdata; /* .debug_line_str, when paths are wanted */
	const char *path;       /* the last path read (lsdata set) */
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
	const uint8_t *q = c->p + c->off;
	bool ok = kt_dw_uleb(&q, c->p + c->end, v);

	c->off = (size_t)(q - c->p);
	return ok;
}

/* Skip one value of FORM (a constant's value in *V); PATH: it must be a
 * string. */
static bool
skip_form(struct cursor *c, uint64_t form, bool path, unsigned offsize, uint64_t *v)
{
	*v = 0;
	switch (form) {
	case DW_FORM_string:
		c->path = (const char *)c->p + c->off;
		while (c->off < c->end && c->p[c->off])
			c->off++;
		return c->off++ < c->end;
	case DW_FORM_line_strp:
		if (!get(c, offsize, v) || *v >= c->line_str)
			return false;
		c->path = NULL;
		if (c->lsdata && memchr(c->lsdata + *v, '\0', c->line_str - *v))
			c->path = (const char *)c->lsdata + *v;
		return true;
	case DW_FORM_strp:
		/* libdwarf may take .debug_str before it has loaded it: refused
		   (producers use DW_FORM_line_strp in DWARF 5 line headers) */
		(void)c->str;
		return false;
	}
	if (path)
		return false;
	switch (form) {
	case DW_FORM_data1:
		return get(c, 1, v);
	case DW_FORM_data2:
		return get(c, 2, v);
	case DW_FORM_data4:
		return get(c, 4, v);
	case DW_FORM_data8:
		return get(c, 8, v);
	case DW_FORM_data16:
		return get(c, 8, v) && get(c, 8, v);
	case DW_FORM_udata:
		return uleb(c, v);
	case DW_FORM_block:
		if (!uleb(c, v) || *v > c->end - c->off)
			return false;
		c->off += *v;
		return true;
	}
	return false;
}

/* One entry list (format descriptions, then entries) at C: true if all
 * were well formed, with their count in *COUNT and every directory index
 * below NDIRS.  Entry WANT's path and directory index in *PATH and *DIR
 * (with C->lsdata set; WANT UINT64_MAX: none). */
static bool
entries(struct cursor *c, unsigned offsize, uint64_t ndirs, uint64_t *count, uint64_t want,
	const char **path, uint64_t *dir)
{
	uint64_t nfmt, n, v, type[MAX_FORMATS], form[MAX_FORMATS];

	if (!get(c, 1, &nfmt) || nfmt > MAX_FORMATS)
		return false;
	for (uint64_t i = 0; i < nfmt; i++)
		if (!uleb(c, &type[i]) || !uleb(c, &form[i]))
			return false;
	if (!uleb(c, &n) || n > MAX_ENTRIES)
		return false;
	for (uint64_t k = 0; k < n; k++)
		for (uint64_t i = 0; i < nfmt; i++) {
			c->path = NULL;
			if (!skip_form(c, form[i], type[i] == DW_LNCT_path, offsize, &v) ||
			    (type[i] == DW_LNCT_directory_index && v >= ndirs))
				return false;
			if (k == want && type[i] == DW_LNCT_path)
				*path = c->path;
			else if (k == want && type[i] == DW_LNCT_directory_index)
				*dir = v;
		}
	*count = n;
	return true;
}

/* The unit at C->off: *NEXT where the next one starts, *VER its version;
 * for version 5, C is left at its directory formats with C->end at the
 * end of its header. */
static bool
unit_header(struct cursor *c, unsigned *offsize, uint64_t *ver, size_t *next)
{
	uint64_t len, hlen, v, opbase;

	*offsize = 4;
	if (!get(c, 4, &len))
		return false;
	if (len >= 0xfffffff0u) {
		if (len != 0xffffffffu || !get(c, 8, &len))
			return false;
		*offsize = 8;
	}
	if (len > c->end - c->off)
		return false;
	c->end = c->off + len;
	*next = c->end;
	if (!get(c, 2, ver))
		return false;
	if (*ver < 5)
		return true; /* no entry formats */
	if (*ver > 5 || !get(c, 2, &v) /* address and selector sizes */ ||
	    !get(c, *offsize, &hlen) || hlen > c->end - c->off)
		return false;
	c->end = c->off + hlen; /* the header */
	/* min_inst_length, max_ops, default_is_stmt, line_base, line_range */
	if (!get(c, 4, &v) || !get(c, 1, &v) || !get(c, 1, &opbase) || opbase == 0 ||
	    opbase - 1 > c->end - c->off)
		return false;
	c->off += opbase - 1;
	return true;
}

bool
kt_dw_lines_ok(const unsigned char *p, size_t size, uint64_t line_str_size, uint64_t str_size)
{
	size_t off = 0;

	for (unsigned n = 0; off < size; n++) {
		struct cursor c = {p, off, size, line_str_size, str_size, NULL, NULL};
		uint64_t ver, ndirs = 0, nfiles = 0, dir;
		unsigned offsize;
		const char *path;

		if (n > (1u << 20) || !unit_header(&c, &offsize, &ver, &off))
			return false;
		/* directories (no directory index among them), then files */
		if (ver == 5 && (!entries(&c, offsize, 0, &ndirs, UINT64_MAX, &path, &dir) ||
				 !entries(&c, offsize, ndirs, &nfiles, UINT64_MAX, &path, &dir)))
			return false;
	}
	return true;
}

bool
kt_dw_v5_file(const unsigned char *line, size_t size, uint64_t unit, const unsigned char *lstr,
	      size_t lstr_size, uint64_t fno, char *buf, size_t len)
{
	struct cursor c = {line, unit, size, lstr_size, 0, lstr, NULL};
	const char *dpath = NULL, *fpath = NULL;
	uint64_t ver, dir = 0, ignore, ndirs = 0, nfiles = 0;
	unsigned offsize;
	size_t next, dirs;

	if (unit >= size || !unit_header(&c, &offsize, &ver, &next) || ver != 5)
		return false;
	dirs = c.off;
	if (!entries(&c, offsize, 0, &ndirs, UINT64_MAX, &dpath, &ignore) ||
	    !entries(&c, offsize, ndirs, &nfiles, fno, &fpath, &dir) || !fpath)
		return false;
	if (fpath[0] == '/')
		return (size_t)snprintf(buf, len, "%s", fpath) < len;
	c.off = dirs;
	if (!entries(&c, offsize, 0, &ndirs, dir, &dpath, &ignore) || !dpath)
		return false;
	return (size_t)snprintf(buf, len, "%s/%s", dpath, fpath) < len;
}
