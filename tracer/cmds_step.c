/* SPDX-License-Identifier: MIT */
/*
 * cmds_step.c - the source-level run commands: step, next, until, advance,
 * and how their stops are shown (GDB's "FUNC (...) at FILE:LINE" when the
 * function changed, then "LINE\tsource text").
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "format.h"
#include "location.h"
#include "modules.h"
#include "source.h"
#include "step.h"

void
kt_cli_show_line(struct kt_cli *c, const struct kt_stop *stop, bool new_frame)
{
	struct kt_session *s = c->s;
	struct kt_symbol_info si;
	char name[256], file[512];

	if (stop->kind != KT_STOP_STEP || !stop->thread ||
	    kt_thread_regs(s, stop->thread) != KT_OK) {
		kt_cli_stop(c, stop);
		return;
	}
	uint64_t pc = kt_regs_pc(s->arch, &stop->thread->regs);
	kt_symbolize(s, pc, &si);
	if (!si.file || si.line <= 0) {
		kt_cli_stop(c, stop);
		return;
	}
	c->last = *stop;
	if (new_frame) {
		/* GDB shows the address only in the middle of a line. */
		if (si.line_addr && pc != si.line_addr)
			fprintf(s->out, "0x%016" PRIx64 " in ", pc);
		fprintf(s->out, "%s (...) at %s:%d\n",
			si.function ? kt_fmt_name(si.function, name, sizeof(name)) : "??",
			kt_fmt_name(si.file, file, sizeof(file)), si.line);
	}
	kt_source_print_stop_line(s->out, si.file, si.line);
	kt_list_reset(c, si.file, si.line);
	fflush(s->out);
}

static kt_status
step_cmd(struct kt_cli *c, const char *args, enum kt_step_mode mode)
{
	unsigned long n = 1;
	struct kt_stop stop;
	bool new_frame = false;

	if (*args) {
		const char *end = kt_parse_uint(args, &n);
		if (!end || *kt_skip_ws(end) || n == 0) {
			kt_cli_error(c, "Bad count: '%s'", args);
			return KT_ERR_SYNTAX;
		}
	}
	c->s->frame = 0;
	for (unsigned long i = 0; i < n; i++) {
		struct kt_thread *t = c->s->cur;
		struct kt_symbol_info si;
		bool nf;
		if (!t || kt_thread_regs(c->s, t) != KT_OK) {
			kt_cli_error(c, "No thread selected.");
			return KT_ERR_STATE;
		}
		kt_symbolize(c->s, kt_regs_pc(c->s->arch, &t->regs), &si);
		if (!si.file || si.line <= 0) {
			char name[256];
			fprintf(c->s->out,
				"Single stepping until exit from function %s,\n"
				"which has no line number information.\n",
				si.function ? kt_fmt_name(si.function, name, sizeof(name)) : "??");
		}
		kt_status st = kt_step_line(c->s, t, mode, &stop, &nf);
		if (st == KT_ERR_NOTFOUND) {
			kt_cli_error(c, "Cannot find bounds of current function");
			return st;
		}
		if (st != KT_OK) {
			kt_cli_error(c, "cannot step: %s", kt_strerror(st));
			return st;
		}
		new_frame |= nf;
		if (stop.kind != KT_STOP_STEP || i + 1 == n)
			break;
	}
	kt_cli_show_line(c, &stop, new_frame);
	/* A breakpoint hit on the way runs its commands, as after continue. */
	if (!c->quit && kt_cli_bp_commands(c, &stop))
		return kt_cmd_continue(c, "");
	return KT_OK;
}

kt_status
kt_cmd_step(struct kt_cli *c, const char *args)
{
	return step_cmd(c, args, KT_STEP_INTO);
}

kt_status
kt_cmd_next(struct kt_cli *c, const char *args)
{
	return step_cmd(c, args, KT_STEP_OVER);
}

/* Run to LOCATION or until the current frame returns. */
static kt_status
advance_to(struct kt_cli *c, const char *spec, const char *cmd)
{
	struct kt_session *s = c->s;
	uint64_t *at = NULL;
	size_t n = 0;
	char msg[256];
	struct kt_stop stop;

	if (!*spec) {
		kt_cli_error(c, "Argument required (a location).");
		return KT_ERR_SYNTAX;
	}
	kt_status st = kt_location_resolve(s, spec, &at, &n, msg, sizeof(msg));
	if (st != KT_OK || n == 0) {
		free(at);
		kt_cli_error(c, "%s", st != KT_OK ? msg : "No such location.");
		return st != KT_OK ? st : KT_ERR_NOTFOUND;
	}
	if (!s->cur) {
		free(at);
		kt_cli_error(c, "No thread selected.");
		return KT_ERR_STATE;
	}
	s->frame = 0;
	st = kt_step_advance(s, s->cur, at, n, &stop);
	free(at);
	if (st != KT_OK) {
		kt_cli_error(c, "cannot %s: %s", cmd, kt_strerror(st));
		return st;
	}
	kt_cli_show_line(c, &stop, true);
	if (!c->quit && kt_cli_bp_commands(c, &stop))
		return kt_cmd_continue(c, "");
	return KT_OK;
}

kt_status
kt_cmd_until(struct kt_cli *c, const char *args)
{
	if (*args)
		return advance_to(c, args, "until");
	return step_cmd(c, "", KT_STEP_UNTIL);
}

kt_status
kt_cmd_advance(struct kt_cli *c, const char *args)
{
	return advance_to(c, args, "advance");
}
