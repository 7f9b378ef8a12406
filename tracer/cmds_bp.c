/* SPDX-License-Identifier: MIT */
/*
 * cmds_bp.c - breakpoint commands: break, tbreak, delete, disable, enable,
 * condition, ignore, commands, info breakpoints.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "eval.h"
#include "format.h"
#include "hw.h"
#include "jit.h"
#include "location.h"
#include "modules.h"
#include "patch.h"
#include "run.h"

/* A stopped thread to write patches through, or 0 if the process isn't live. */
static pid_t
via(struct kt_session *s)
{
	struct kt_thread *t;

	if (!s->pid || s->exited)
		return 0;
	t = kt_run_any_stopped(s);
	return t ? t->tid : 0;
}

void
kt_split_if(const char *args, char *loc, size_t len, const char **cond)
{
	const char *p = args;

	*cond = NULL;
	while ((p = strstr(p, "if")) != NULL) {
		bool before = p == args || p[-1] == ' ' || p[-1] == '\t';
		bool after = p[2] == ' ' || p[2] == '\t' || p[2] == '\0' || p[2] == '(';
		if (before && after) {
			*cond = kt_skip_ws(p + 2);
			break;
		}
		p += 2;
	}
	size_t n = *cond ? (size_t)(p - args) : strlen(args);
	while (n > 0 && (args[n - 1] == ' ' || args[n - 1] == '\t'))
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(loc, args, n);
	loc[n] = '\0';
}

kt_status
kt_parse_cond(struct kt_cli *c, const char *text, struct kt_expr **out)
{
	struct kt_expr_err err = {0};
	kt_status st = kt_expr_parse(text, out, &err);

	if (st != KT_OK)
		kt_cli_error(c, "%s at %zu in \"%s\"", err.msg, err.pos + 1, text);
	return st;
}

static kt_status
set_break(struct kt_cli *c, const char *args, enum kt_bp_type type)
{
	struct kt_session *s = c->s;
	char loc[512], msg[256];
	const char *cond_text;
	struct kt_expr *cond = NULL;
	uint64_t *addrs = NULL;
	size_t n = 0;
	kt_status st;

	kt_split_if(args, loc, sizeof(loc), &cond_text);
	if (!loc[0]) {
		/* No location: the current pc, as GDB does. */
		if (!s->cur || kt_thread_regs(s, s->cur) != KT_OK) {
			kt_cli_error(c, "No default breakpoint location: give one.");
			return KT_ERR_SYNTAX;
		}
		snprintf(loc, sizeof(loc), "*0x%" PRIx64, kt_regs_pc(s->arch, &s->cur->regs));
	}
	if (cond_text && (!*cond_text || kt_parse_cond(c, cond_text, &cond) != KT_OK)) {
		if (!*cond_text)
			kt_cli_error(c, "Argument required (boolean expression after \"if\").");
		return KT_ERR_SYNTAX;
	}
	if (s->pid && !s->exited) {
		st = kt_location_resolve(s, loc, &addrs, &n, msg, sizeof(msg));
		if (st != KT_OK) {
			kt_cli_error(c, "%s", msg);
			kt_expr_free(cond);
			return st;
		}
	} else if (!kt_location_is_function(loc)) {
		kt_cli_error(c, "No process: an address breakpoint needs a running program.");
		kt_expr_free(cond);
		return KT_ERR_STATE;
	}
	struct kt_bp *bp = kt_bp_new(&s->bps, type, loc);
	if (!bp) {
		free(addrs);
		kt_expr_free(cond);
		return KT_ERR_NOMEM;
	}
	if (cond_text)
		kt_bp_set_cond(bp, cond_text, cond);
	pid_t v = via(s);
	for (size_t i = 0; i < n; i++) {
		uint64_t at = kt_location_atomic_start(s, addrs[i]);
		if (at != addrs[i]) {
			kt_cli_error(c, "Breakpoint address 0x%" PRIx64 " is inside an "
				     "exclusive sequence; using its start 0x%" PRIx64 ".",
				     addrs[i], at);
			addrs[i] = at;
		}
		if ((st = kt_patch_get(s, v, addrs[i])) != KT_OK) {
			kt_cli_error(c, "Cannot insert breakpoint %d at 0x%" PRIx64 ": %s", bp->num,
				     addrs[i], kt_strerror(st));
			continue;
		}
		kt_bp_add_addr(bp, addrs[i]);
	}
	free(addrs);
	kt_jit_update_filter(s, v);
	const char *what = type == KT_BP_TBREAK ? "Temporary breakpoint" : "Breakpoint";
	if (bp->naddrs == 0) {
		if (n > 0) {
			kt_bp_delete(&s->bps, bp->num);
			return KT_ERR_MEM;
		}
		fprintf(s->out, "%s %d (%s) pending.\n", what, bp->num, loc);
	} else {
		struct kt_symbol_info sym;
		char name[256];
		kt_symbolize(s, bp->addrs[0], &sym);
		fprintf(s->out, "%s %d at 0x%" PRIx64 ": %s", what, bp->num, bp->addrs[0],
			kt_fmt_sym(&sym, bp->addrs[0], name, sizeof(name)));
		if (sym.module)
			fprintf(s->out, " (%s)", sym.module);
		if (bp->naddrs > 1)
			fprintf(s->out, " (%zu locations)", bp->naddrs);
		fputc('\n', s->out);
	}
	return KT_OK;
}

kt_status
kt_cmd_break(struct kt_cli *c, const char *args)
{
	return set_break(c, args, KT_BP_BREAK);
}

kt_status
kt_cmd_tbreak(struct kt_cli *c, const char *args)
{
	return set_break(c, args, KT_BP_TBREAK);
}

/* Release BP's patches and delete it. */
static void
remove_bp(struct kt_session *s, struct kt_bp *bp)
{
	pid_t v = via(s);

	for (size_t i = 0; i < bp->naddrs; i++)
		if (bp->enabled)
			kt_patch_put(s, v, bp->addrs[i]);
	bool hw = kt_bp_is_hw(bp) && bp->enabled;
	kt_bp_delete(&s->bps, bp->num);
	if (hw)
		kt_hw_update(s, NULL);
}

typedef kt_status (*bp_fn)(struct kt_cli *c, struct kt_bp *bp);

/* Apply FN to each breakpoint number in ARGS, or to all if ARGS is empty. */
static kt_status
for_each_bp(struct kt_cli *c, const char *args, bp_fn fn)
{
	const char *p = kt_skip_ws(args);
	kt_status first = KT_OK;

	if (!*p) {
		/* Every breakpoint: iterate over a copy of the numbers. */
		size_t n = c->s->bps.n;
		int *nums = malloc((n ? n : 1) * sizeof(*nums));
		if (!nums)
			return KT_ERR_NOMEM;
		for (size_t i = 0; i < n; i++)
			nums[i] = c->s->bps.v[i]->num;
		for (size_t i = 0; i < n; i++) {
			struct kt_bp *bp = kt_bp_find(&c->s->bps, nums[i]);
			if (bp)
				fn(c, bp);
		}
		free(nums);
		return KT_OK;
	}
	while (*p) {
		unsigned long num;
		const char *end = kt_parse_uint(p, &num);
		if (!end || (*end && *end != ' ' && *end != '\t')) {
			kt_cli_error(c, "Convenience variable must have integer value.\n"
					"Bad breakpoint number '%s'", p);
			return KT_ERR_SYNTAX;
		}
		struct kt_bp *bp = num <= 1000000 ? kt_bp_find(&c->s->bps, (int)num) : NULL;
		if (!bp) {
			kt_cli_error(c, "No breakpoint number %lu.", num);
			first = KT_ERR_NOTFOUND;
		} else {
			fn(c, bp);
		}
		p = kt_skip_ws(end);
	}
	return first;
}

static kt_status
do_delete(struct kt_cli *c, struct kt_bp *bp)
{
	remove_bp(c->s, bp);
	return KT_OK;
}

static kt_status
do_disable(struct kt_cli *c, struct kt_bp *bp)
{
	pid_t v = via(c->s);

	if (!bp->enabled)
		return KT_OK;
	for (size_t i = 0; i < bp->naddrs; i++)
		kt_patch_put(c->s, v, bp->addrs[i]);
	bp->enabled = false;
	if (kt_bp_is_hw(bp))
		kt_hw_update(c->s, NULL);
	return KT_OK;
}

static kt_status
do_enable(struct kt_cli *c, struct kt_bp *bp)
{
	pid_t v = via(c->s);

	if (bp->enabled)
		return KT_OK;
	for (size_t i = 0; i < bp->naddrs; i++)
		kt_patch_get(c->s, v, bp->addrs[i]);
	bp->enabled = true;
	if (kt_bp_is_hw(bp))
		return kt_hw_enable(c, bp);
	return KT_OK;
}

kt_status
kt_cmd_delete(struct kt_cli *c, const char *args)
{
	if (strncmp(args, "breakpoints", 11) == 0)
		args += 11;
	kt_status st = for_each_bp(c, args, do_delete);
	kt_jit_update_filter(c->s, via(c->s));
	return st;
}

kt_status
kt_cmd_disable(struct kt_cli *c, const char *args)
{
	kt_status st = for_each_bp(c, args, do_disable);
	kt_jit_update_filter(c->s, via(c->s));
	return st;
}

kt_status
kt_cmd_enable(struct kt_cli *c, const char *args)
{
	kt_status st = for_each_bp(c, args, do_enable);
	kt_jit_update_filter(c->s, via(c->s));
	return st;
}

/* "N rest": the breakpoint N, and the rest of the arguments. */
static struct kt_bp *
bp_arg(struct kt_cli *c, const char *args, const char **rest)
{
	unsigned long num;
	const char *end = kt_parse_uint(args, &num);

	if (!end || (*end && *end != ' ' && *end != '\t')) {
		kt_cli_error(c, "Bad breakpoint argument: '%s'", args);
		return NULL;
	}
	struct kt_bp *bp = num <= 1000000 ? kt_bp_find(&c->s->bps, (int)num) : NULL;
	if (!bp)
		kt_cli_error(c, "No breakpoint number %lu.", num);
	*rest = kt_skip_ws(end);
	return bp;
}

kt_status
kt_cmd_condition(struct kt_cli *c, const char *args)
{
	const char *rest;
	struct kt_expr *cond = NULL;
	struct kt_bp *bp = bp_arg(c, args, &rest);

	if (!bp)
		return KT_ERR_NOTFOUND;
	if (*rest && kt_parse_cond(c, rest, &cond) != KT_OK)
		return KT_ERR_SYNTAX;
	kt_bp_set_cond(bp, rest, cond);
	if (!*rest)
		fprintf(c->s->out, "Breakpoint %d now unconditional.\n", bp->num);
	return KT_OK;
}

kt_status
kt_cmd_ignore(struct kt_cli *c, const char *args)
{
	const char *rest;
	unsigned long count;
	struct kt_bp *bp = bp_arg(c, args, &rest);

	if (!bp)
		return KT_ERR_NOTFOUND;
	const char *end = kt_parse_uint(rest, &count);
	if (!end || *kt_skip_ws(end)) {
		kt_cli_error(c, "Argument required (a number of crossings to ignore).");
		return KT_ERR_SYNTAX;
	}
	bp->ignore = count;
	if (count == 0)
		fprintf(c->s->out, "Will stop next time breakpoint %d is reached.\n", bp->num);
	else
		fprintf(c->s->out, "Will ignore next %lu crossings of breakpoint %d.\n", count,
			bp->num);
	return KT_OK;
}

kt_status
kt_cmd_commands(struct kt_cli *c, const char *args)
{
	struct kt_bp *bp;

	if (!*args) {
		if (c->s->bps.n == 0) {
			kt_cli_error(c, "No breakpoints specified.");
			return KT_ERR_NOTFOUND;
		}
		bp = c->s->bps.v[c->s->bps.n - 1];
	} else {
		const char *rest;
		if (!(bp = bp_arg(c, args, &rest)))
			return KT_ERR_NOTFOUND;
	}
	c->collecting_bp = bp->num;
	c->npending = 0;
	c->pending_lines = NULL;
	if (!c->batch)
		fprintf(c->s->out, "Type commands for breakpoint %d, one per line.\n"
				   "End with a line saying just \"end\".\n",
			bp->num);
	return KT_OK;
}

kt_status
kt_cmd_info_breakpoints(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	FILE *f = s->out;

	if (s->bps.n == 0) {
		fputs("No breakpoints.\n", f);
		return KT_OK;
	}
	fputs("Num     Type           Disp Enb Address            What\n", f);
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		const char *disp = kt_bp_is_temp(bp) ? "del " : "keep";
		fprintf(f, "%-7d %-14s %s %-3s ", bp->num, kt_bp_type_name(bp), disp,
			bp->enabled ? "y" : "n");
		if (kt_bp_is_watch(bp)) {
			fprintf(f, "%-18s %s\n", "", bp->spec);
		} else if (bp->naddrs == 0 && kt_bp_is_hw(bp)) {
			struct kt_symbol_info sym;
			char name[256];
			kt_symbolize(s, bp->hw_addr, &sym);
			fprintf(f, "0x%016" PRIx64 " %s\n", bp->hw_addr,
				kt_fmt_sym(&sym, bp->hw_addr, name, sizeof(name)));
		} else if (bp->naddrs == 0) {
			fprintf(f, "%-18s %s\n", "<PENDING>", bp->spec);
		} else {
			struct kt_symbol_info sym;
			char name[256];
			kt_symbolize(s, bp->addrs[0], &sym);
			fprintf(f, "0x%016" PRIx64 " %s", bp->addrs[0],
				kt_fmt_sym(&sym, bp->addrs[0], name, sizeof(name)));
			if (sym.module)
				fprintf(f, " (%s)", sym.module);
			fputc('\n', f);
			for (size_t k = 1; k < bp->naddrs; k++)
				fprintf(f, "%-7d.%zu %33s 0x%016" PRIx64 "\n", bp->num, k + 1, "",
					bp->addrs[k]);
		}
		if (bp->cond_text)
			fprintf(f, "\tstop only if %s\n", bp->cond_text);
		if (bp->hits)
			fprintf(f, "\tbreakpoint already hit %lu time%s\n", bp->hits,
				bp->hits == 1 ? "" : "s");
		if (bp->ignore)
			fprintf(f, "\tWill ignore next %lu crossings of breakpoint.\n", bp->ignore);
		for (size_t k = 0; k < bp->ncommands; k++)
			fprintf(f, "        %s\n", bp->commands[k]);
	}
	return KT_OK;
}
