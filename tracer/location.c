/* SPDX-License-Identifier: MIT */
/*
 * location.c - breakpoint locations (see location.h).
 */
#include "location.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf.h"
#include "eval.h"
#include "gdbjit.h"
#include "modules.h"
#include "patch.h"

bool
kt_location_is_function(const char *spec)
{
	return spec[0] != '*';
}

static bool
valid_name(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '$' &&
		    *p != '@')
			return false;
	return true;
}

kt_status
kt_location_resolve(struct kt_session *s, const char *spec, uint64_t **out, size_t *n,
		    char *msg, size_t len)
{
	*out = NULL;
	*n = 0;
	msg[0] = '\0';
	if (spec[0] == '*') {
		struct kt_value v;
		struct kt_expr_err err;
		kt_status st = kt_eval(s, s->cur, spec + 1, &v, &err);
		if (st != KT_OK) {
			snprintf(msg, len, "%s at %zu", err.msg, err.pos + 1);
			return st;
		}
		if (!(*out = malloc(sizeof(uint64_t))))
			return KT_ERR_NOMEM;
		(*out)[0] = v.bits;
		*n = 1;
		return KT_OK;
	}
	/* FILE:LINE, from the DWARF line tables of every module. */
	const char *colon = strrchr(spec, ':');
	if (colon && colon != spec && colon[1]) {
		char *end;
		long line = strtol(colon + 1, &end, 10);
		if (*end || line <= 0 || line > 10000000) {
			snprintf(msg, len, "invalid line number in \"%s\"", spec);
			return KT_ERR_SYNTAX;
		}
		char file[512];
		size_t fl = (size_t)(colon - spec);
		if (fl >= sizeof(file)) {
			snprintf(msg, len, "file name too long in \"%s\"", spec);
			return KT_ERR_RANGE;
		}
		memcpy(file, spec, fl);
		file[fl] = '\0';
		for (size_t i = 0; s->mods && i < s->mods->n; i++) {
			struct kt_module *m = s->mods->v[i];
			struct kt_dwarf *dw = kt_module_dwarf(s, m);
			uint64_t *a = NULL;
			size_t k = dw ? kt_dwarf_line2addrs(dw, file, (int)line, &a) : 0;
			uint64_t *v = k ? realloc(*out, (*n + k) * sizeof(*v)) : NULL;
			for (size_t j = 0; v && j < k; j++)
				v[(*n)++] = a[j] + m->bias;
			if (v)
				*out = v;
			free(a);
		}
		/* and the DWARF of GDB JIT objects (runtime addresses) */
		kt_gdbjit_line2addrs(s, file, (int)line, out, n);
		return KT_OK;
	}
	if (!valid_name(spec)) {
		snprintf(msg, len, "invalid location \"%s\": expected FUNCTION or *ADDRESS",
			 spec);
		return KT_ERR_SYNTAX;
	}
	*n = kt_lookup_function(s, spec, out);
	/* After the prologue, as GDB places "break FUNCTION": by the line
	 * table for JIT images that have one, else by the instructions. */
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = kt_location_after_prologue(s, (*out)[i]);
	return KT_OK;
}

uint64_t
kt_location_after_prologue(struct kt_session *s, uint64_t entry)
{
	uint8_t code[32];
	size_t got = 0;
	uint64_t after, e, ap;

	if (kt_gdbjit_after_prologue(s, entry, &after))
		return after;
	kt_mem_read(s, entry, code, sizeof(code), &got);
	uint64_t skip = got ? s->arch->skip_prologue(code, got, entry) : 0;
	if (skip)
		return entry + skip;
	struct kt_module *m = kt_module_for_addr(s, entry);
	struct kt_dwarf *dw = m ? kt_module_dwarf(s, m) : NULL;
	struct kt_dwarf_loc loc;
	if (dw && kt_dwarf_addr2line(dw, entry - m->bias, &loc) && loc.function &&
	    kt_dwarf_function(dw, loc.function, &e, &ap) && e == entry - m->bias && ap > e &&
	    ap < loc.func_hi)
		return ap + m->bias;
	return entry;
}

uint64_t
kt_location_atomic_start(struct kt_session *s, uint64_t addr)
{
	uint8_t code[64];
	size_t got = 0;

	if (!s->arch->atomic_window || addr < sizeof(code))
		return addr;
	kt_mem_read(s, addr - sizeof(code), code, sizeof(code), &got);
	if (got != sizeof(code))
		return addr;
	uint64_t start = s->arch->atomic_window(code, got, addr);
	return start ? start : addr;
}

size_t
kt_location_resolve_quiet(struct kt_session *s, const char *spec, uint64_t **out)
{
	char msg[160];
	size_t n = 0;

	if (!kt_location_is_function(spec) ||
	    kt_location_resolve(s, spec, out, &n, msg, sizeof(msg)) != KT_OK) {
		*out = NULL;
		return 0;
	}
	return n;
}
