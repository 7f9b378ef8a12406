/* SPDX-License-Identifier: MIT */
/*
 * cmds_list.c - "list": source lines around a location, a line or the
 * last stop; "list" again goes on where the last one ended.  The file is
 * read from disk each time (source.c bounds the read).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dwarf.h"
#include "format.h"
#include "location.h"
#include "modules.h"
#include "source.h"

void
kt_list_reset(struct kt_cli *c, const char *file, int line)
{
	char *f = file ? strdup(file) : NULL;

	free(c->list_file);
	c->list_file = f;
	kt_list_around(line, &c->list_first, &c->list_last);
	c->list_fresh = true;
}

/* The source file and line of ADDR; false without line information. */
static bool
addr_line(struct kt_cli *c, uint64_t addr, char **file, int *line)
{
	struct kt_symbol_info si;

	kt_symbolize(c->s, addr, &si);
	if (!si.file || si.line <= 0)
		return false;
	*file = strdup(si.file);
	*line = si.line;
	return *file != NULL;
}

/* FILE:LINE: the file as the line tables name it (full path), or as typed. */
static bool
file_line(struct kt_cli *c, const char *spec, const char *colon, char **file, int *line)
{
	struct kt_session *s = c->s;
	long n = strtol(colon + 1, NULL, 10);
	size_t fl = (size_t)(colon - spec), ll = c->list_file ? strlen(c->list_file) : 0;
	char name[512];

	if (n <= 0 || n > 10000000 || fl >= sizeof(name))
		return false;
	*line = (int)n;
	memcpy(name, spec, fl);
	name[fl] = '\0';
	for (size_t i = 0; s->mods && i < s->mods->n; i++) {
		const char *full = kt_dwarf_find_file(kt_module_dwarf(s, s->mods->v[i]), name);
		if (full)
			return (*file = strdup(full)) != NULL;
	}
	/* Not in any line table (JIT code): the file being listed, if it is the
	 * one named, else the name as typed. */
	if (ll >= fl && memcmp(c->list_file + ll - fl, spec, fl) == 0 &&
	    (ll == fl || c->list_file[ll - fl - 1] == '/'))
		*file = strdup(c->list_file);
	else
		*file = strdup(name);
	return *file != NULL;
}

/* Where "list ARGS" centres: *FILE (malloc'd) and *LINE. */
static bool
list_target(struct kt_cli *c, const char *args, char **file, int *line)
{
	const char *colon = strrchr(args, ':');
	unsigned long n;
	const char *end = kt_parse_uint(args, &n);

	*file = NULL;
	if (end && !*kt_skip_ws(end)) {
		/* A line of the file being listed. */
		if (!c->list_file || n == 0 || n > 10000000)
			return false;
		*line = (int)n;
		return (*file = strdup(c->list_file)) != NULL;
	}
	if (colon && colon != args && isdigit((unsigned char)colon[1]))
		return file_line(c, args, colon, file, line);
	/* FUNCTION (its entry line) or *ADDRESS. */
	uint64_t *a = NULL;
	size_t k;
	if (args[0] == '*')
		k = kt_location_resolve_quiet(c->s, args, &a);
	else
		k = kt_lookup_function(c->s, args, &a);
	bool ok = k > 0 && addr_line(c, a[0], file, line);
	free(a);
	return ok;
}

kt_status
kt_cmd_list(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	int first, last, nlines = 0;
	char name[512];

	unsigned long a, b;
	const char *e = kt_parse_uint(args, &a), *e2;
	if (e && *e == ',' && (e2 = kt_parse_uint(e + 1, &b)) && !*kt_skip_ws(e2)) {
		/* FIRST,LAST of the file being listed. */
		if (!c->list_file || a == 0 || b < a || b > 10000000) {
			kt_cli_error(c, "Bad line range \"%s\".", args);
			return KT_ERR_SYNTAX;
		}
		c->list_first = (int)a;
		c->list_last = (int)b;
		c->list_fresh = true;
	} else if (*args) {
		char *file;
		int line;
		if (!list_target(c, args, &file, &line)) {
			kt_cli_error(c, "No line number information available for \"%s\".", args);
			return KT_ERR_NOTFOUND;
		}
		kt_list_reset(c, file, line);
		free(file);
	} else if (!c->list_file) {
		/* Nothing listed or stopped at yet: around main, as GDB does. */
		char *file;
		int line;
		if (!list_target(c, "main", &file, &line)) {
			kt_cli_error(c, "No line number information available for \"main\".");
			return KT_ERR_NOTFOUND;
		}
		kt_list_reset(c, file, line);
		free(file);
	} else if (!c->list_fresh) {
		c->list_first = c->list_last + 1;
		c->list_last = c->list_first + KT_LIST_LINES - 1;
	}
	c->list_fresh = false;
	first = c->list_first;
	last = c->list_last;
	kt_status st = kt_source_print(s->out, c->list_file, first, last, &nlines);
	if (st != KT_OK) {
		kt_cli_error(c, "%s: %s", kt_fmt_name(c->list_file, name, sizeof(name)),
			     st == KT_ERR_SYS ? strerror(errno) : "Not a regular file");
		return st;
	}
	if (first > nlines) {
		kt_cli_error(c, "Line number %d out of range; \"%s\" has %d lines.", first,
			     kt_fmt_name(c->list_file, name, sizeof(name)), nlines);
		return KT_ERR_RANGE;
	}
	if (last > nlines)
		c->list_last = nlines;
	return KT_OK;
}
