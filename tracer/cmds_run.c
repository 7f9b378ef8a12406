/* SPDX-License-Identifier: MIT */
/*
 * cmds_run.c - commands that run the program (continue, stepi, nexti,
 * finish), end the session with it (detach, kill, quit), and what happens
 * at every stop they end in: showing it, running a breakpoint's commands,
 * and in batch mode the crash report.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "eval.h"
#include "format.h"
#include "hw.h"
#include "patch.h"
#include "report.h"
#include "run.h"
#include "signals.h"
#include "source.h"
#include "frames.h"

/* The program ended: remember kitrace's exit status for it; JSON report. */
static void
program_ended(struct kt_cli *c, const struct kt_stop *stop)
{
	c->have_status = true;
	c->status = stop->kind == KT_STOP_EXITED ? stop->exit_code : 128 + stop->signo;
	if (c->report_path && !c->reported &&
	    kt_report_json(c->s, c->report_path, KT_REPORT_EXIT, stop, c->status) != KT_OK)
		kt_cli_error(c, "cannot write the report %s: %s", c->report_path,
			     strerror(errno));
}

/* A hang (--timeout, batch): report every thread, kill the program. */
static void
hang(struct kt_cli *c, const struct kt_stop *stop)
{
	struct kt_session *s = c->s;

	fprintf(s->err, "kitrace: timeout after %d s: the program is hung\n", s->set.timeout_sec);
	kt_report_text(s, s->err, KT_REPORT_HANG, stop);
	if (c->report_path && kt_report_json(s, c->report_path, KT_REPORT_HANG, stop,
					     KT_EXIT_TIMEOUT) != KT_OK)
		kt_cli_error(c, "cannot write the report %s: %s", c->report_path, strerror(errno));
	c->reported = true;
	kt_run_kill(s);
	c->have_status = true;
	c->status = KT_EXIT_TIMEOUT;
}

static void
delete_tbreak(struct kt_cli *c, int num)
{
	struct kt_bp *bp = kt_bp_find(&c->s->bps, num);
	struct kt_thread *t = kt_run_any_stopped(c->s);

	if (!bp || !kt_bp_is_temp(bp))
		return;
	for (size_t i = 0; i < bp->naddrs; i++)
		if (bp->enabled)
			kt_patch_put(c->s, t ? t->tid : 0, bp->addrs[i]);
	bool hw = kt_bp_is_hw(bp);
	kt_bp_delete(&c->s->bps, num);
	if (hw)
		kt_hw_update(c->s, NULL);
}

void
kt_cli_stop(struct kt_cli *c, const struct kt_stop *stop)
{
	struct kt_session *s = c->s;

	c->last = *stop;
	s->frame = 0;
	/* "list" without arguments centres on the stop.  Here, first: what
	 * follows may end the program (a crash or hang report in batch mode)
	 * and free its threads. */
	if (stop->thread && !stop->thread->exited && kt_thread_regs(s, stop->thread) == KT_OK) {
		struct kt_symbol_info si;
		kt_symbolize(s, kt_regs_pc(s->arch, &stop->thread->regs), &si);
		if (si.file && si.line > 0)
			kt_list_reset(c, si.file, si.line);
	}
	switch (stop->kind) {
	case KT_STOP_EXITED:
	case KT_STOP_KILLED:
		kt_print_stop(s, s->out, stop);
		program_ended(c, stop);
		return;
	case KT_STOP_BREAKPOINT: {
		struct kt_bp *bp = kt_bp_find(&s->bps, stop->bp_num);
		bool silent = bp && bp->ncommands > 0 && strcmp(bp->commands[0], "silent") == 0;
		if (!silent)
			kt_print_stop(s, s->out, stop);
		delete_tbreak(c, stop->bp_num);
		break;
	}
	case KT_STOP_SIGNAL:
		kt_print_stop(s, s->out, stop);
		if (c->batch && !c->reported &&
		    (stop->trap || kt_signal_fatal(s->pid, stop->signo, stop->si.si_code > 0))) {
			kt_report_text(s, s->err, KT_REPORT_CRASH, stop);
			if (c->report_path &&
			    kt_report_json(s, c->report_path, KT_REPORT_CRASH, stop,
					   128 + stop->signo) != KT_OK)
				kt_cli_error(c, "cannot write the report %s: %s", c->report_path,
					     strerror(errno));
			c->reported = true;
		}
		break;
	case KT_STOP_TIMEOUT:
		kt_print_stop(s, s->out, stop);
		if (c->batch)
			hang(c, stop);
		break;
	case KT_STOP_TERMINATE:
		kt_print_stop(s, s->err, stop);
		c->quit = true;
		c->quit_status = 128 + stop->signo;
		break;
	case KT_STOP_INTERRUPT:
		kt_print_stop(s, c->batch ? s->err : s->out, stop);
		if (c->batch) {
			c->quit = true;
			c->quit_status = 128 + stop->signo;
		}
		break;
	default:
		kt_print_stop(s, s->out, stop);
		break;
	}
	fflush(s->out);
}

bool
kt_cli_bp_commands(struct kt_cli *c, const struct kt_stop *stop)
{
	struct kt_bp *bp = kt_bp_find(&c->s->bps, stop->bp_num);

	if (stop->kind != KT_STOP_BREAKPOINT || !bp || bp->ncommands == 0)
		return false;
	/* Copy: a command may delete the breakpoint. */
	size_t n = bp->ncommands;
	char **lines = calloc(n, sizeof(*lines));
	bool resumed = false;
	if (!lines)
		return false;
	for (size_t i = 0; i < n; i++)
		lines[i] = strdup(bp->commands[i]);
	for (size_t i = 0; i < n && !resumed; i++) {
		if (!lines[i] || strcmp(lines[i], "silent") == 0)
			continue;
		const char *w = kt_skip_ws(lines[i]);
		if (strncmp(w, "c", 1) == 0 && (strcmp(w, "c") == 0 || strcmp(w, "cont") == 0 ||
						strcmp(w, "continue") == 0))
			resumed = true;
		else
			kt_cmd_exec(c, lines[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return resumed;
}

/* Resume until a stop that the user should see; show it. */
static kt_status
resume_and_show(struct kt_cli *c)
{
	struct kt_stop stop;

	for (;;) {
		kt_status st = kt_run_continue(c->s, &stop);
		if (st != KT_OK) {
			kt_cli_error(c, "cannot resume: %s", kt_strerror(st));
			return st;
		}
		kt_cli_stop(c, &stop);
		if (c->quit)
			return KT_OK;
		if (!kt_cli_bp_commands(c, &stop))
			return KT_OK;
	}
}

kt_status
kt_cmd_continue(struct kt_cli *c, const char *args)
{
	unsigned long n;

	if (*args) {
		const char *end = kt_parse_uint(args, &n);
		if (!end || *kt_skip_ws(end)) {
			kt_cli_error(c, "Bad argument to continue: '%s'", args);
			return KT_ERR_SYNTAX;
		}
		struct kt_bp *bp = c->last.kind == KT_STOP_BREAKPOINT
					   ? kt_bp_find(&c->s->bps, c->last.bp_num)
					   : NULL;
		if (bp && n > 0) {
			bp->ignore = n - 1;
			fprintf(c->s->out, "Will ignore next %lu crossings of breakpoint %d.  "
					   "Continuing.\n",
				n - 1, bp->num);
		}
	}
	return resume_and_show(c);
}

static kt_status
step_n(struct kt_cli *c, const char *args, bool over)
{
	unsigned long n = 1;
	struct kt_stop stop;

	if (*args) {
		const char *end = kt_parse_uint(args, &n);
		if (!end || *kt_skip_ws(end) || n == 0) {
			kt_cli_error(c, "Bad count: '%s'", args);
			return KT_ERR_SYNTAX;
		}
	}
	for (unsigned long i = 0; i < n; i++) {
		struct kt_thread *t = c->s->cur;
		if (!t) {
			kt_cli_error(c, "No thread selected.");
			return KT_ERR_STATE;
		}
		kt_status st = over ? kt_run_nexti(c->s, t, &stop) : kt_run_stepi(c->s, t, &stop);
		if (st != KT_OK) {
			kt_cli_error(c, "cannot step: %s", kt_strerror(st));
			return st;
		}
		if (stop.kind != KT_STOP_STEP || i + 1 == n) {
			kt_cli_stop(c, &stop);
			return KT_OK;
		}
	}
	return KT_OK;
}

kt_status
kt_cmd_stepi(struct kt_cli *c, const char *args)
{
	return step_n(c, args, false);
}

kt_status
kt_cmd_nexti(struct kt_cli *c, const char *args)
{
	return step_n(c, args, true);
}

kt_status
kt_cmd_finish(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	struct kt_frame *fr;
	struct kt_stop stop;
	char name[256];

	if (!s->cur || !(fr = calloc(KT_MAX_FRAMES, sizeof(*fr))))
		return KT_ERR_STATE;
	/* Out of the selected frame: its caller is the next physical frame
	 * (the calls inlined into one share its pc and sp). */
	size_t sel = (size_t)s->frame, up, n;
	/* Unwind no deeper than the caller: each frame costs (symbols, DWARF). */
	for (size_t want = sel + 2;; want += KT_DWARF_MAX_INLINE + 1) {
		if (want > KT_MAX_FRAMES)
			want = KT_MAX_FRAMES;
		n = kt_frames(s, s->cur, fr, want);
		for (up = sel + 1; up < n && fr[up].pc == fr[sel].pc && fr[up].sp == fr[sel].sp;)
			up++;
		if (up < n || n < want || want == KT_MAX_FRAMES)
			break;
	}
	if (sel >= n || up >= n) {
		free(fr);
		kt_cli_error(c, "\"finish\" not meaningful in the outermost frame.");
		return KT_ERR_STATE;
	}
	fprintf(s->out, "Run till exit from #%zu  0x%016" PRIx64 " in %s\n", sel, fr[sel].pc,
		kt_fmt_sym(&fr[sel].sym, fr[sel].pc, name, sizeof(name)));
	uint64_t ret = fr[up].pc, caller_sp = fr[up].sp;
	free(fr);
	kt_status st = kt_run_finish(s, s->cur, ret, caller_sp, &stop);
	if (st != KT_OK) {
		kt_cli_error(c, "cannot finish: %s", kt_strerror(st));
		return st;
	}
	kt_cli_stop(c, &stop);
	if (stop.kind == KT_STOP_STEP && stop.thread && kt_thread_regs(s, stop.thread) == KT_OK) {
		struct kt_symbol_info si;
		kt_symbolize(s, kt_regs_pc(s->arch, &stop.thread->regs), &si);
		if (si.file && si.line > 0)
			kt_source_print_stop_line(s->out, si.file, si.line);
	}
	if (stop.finish_value && stop.thread && kt_thread_regs(s, stop.thread) == KT_OK) {
		struct kt_value v = {.bits = stop.thread->regs.w[s->arch->reg_ret],
				     .size = 8, .is_signed = true};
		char buf[64];
		int num = kt_history_add(s, &v);
		kt_value_format(&v, 0, buf, sizeof(buf));
		fprintf(s->out, "Value returned is $%d = %s\n", num, buf);
	}
	return KT_OK;
}

kt_status
kt_cmd_detach(struct kt_cli *c, const char *args)
{
	pid_t pid = c->s->pid;
	kt_status st = kt_run_detach(c->s);

	if (st != KT_OK) {
		kt_cli_error(c, "cannot detach: %s", kt_strerror(st));
		return st;
	}
	fprintf(c->s->out, "[Inferior 1 (process %d) detached]\n", (int)pid);
	return KT_OK;
}

kt_status
kt_cmd_kill(struct kt_cli *c, const char *args)
{
	pid_t pid = c->s->pid;
	kt_status st = kt_run_kill(c->s);

	if (st != KT_OK) {
		kt_cli_error(c, "cannot kill: %s", kt_strerror(st));
		return st;
	}
	fprintf(c->s->out, "[Inferior 1 (process %d) killed]\n", (int)pid);
	c->have_status = true;
	c->status = 128 + SIGKILL;
	return KT_OK;
}

kt_status
kt_cmd_quit(struct kt_cli *c, const char *args)
{
	unsigned long n = 0;

	if (*args) {
		const char *end = kt_parse_uint(args, &n);
		if (!end || *kt_skip_ws(end) || n > 255) {
			kt_cli_error(c, "Bad exit status: '%s'", args);
			return KT_ERR_SYNTAX;
		}
	}
	c->quit = true;
	c->quit_status = (int)n;
	return KT_OK;
}
