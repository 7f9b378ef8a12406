/* SPDX-License-Identifier: MIT */
/*
 * main.c - the kitrace command line: options, launch or attach, the -ex/-x
 * commands, then the prompt or (batch) running the program to its end,
 * and the exit status that says how it ended:
 *
 *   the program's own status when it exits; 128+N when signal N kills it;
 *   124 when --timeout fires; 125 when kitrace fails; 126 when the program
 *   cannot be executed; 127 when it is not found.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "eval.h"
#include "gdbjit.h"
#include "jit.h"
#include "modules.h"
#include "patch.h"
#include "perfmap.h"
#include "report.h"
#include "repl.h"
#include "run.h"
#include "signals.h"
#include "slots.h"
#include "stepper.h"
#include "target.h"


static const char usage_text[] =
	"Usage: kitrace launch [OPTIONS] [--] PROGRAM [ARGS...]\n"
	"       kitrace attach [OPTIONS] PID\n"
	"\n"
	"A debugger for JIT-compiled code.  launch starts PROGRAM stopped at its first\n"
	"instruction; attach takes over every thread of a running process.\n"
	"\n"
	"Options:\n"
	"  -ex CMD          run CMD once the program is ready (repeatable, in order)\n"
	"  -x FILE          run the commands in FILE (in order with -ex)\n"
	"  --batch          no prompt: run the commands, then let a launched program\n"
	"                   run to its end (or detach from an attached one)\n"
	"  --report FILE    write a JSON report of how the program ended\n"
	"  --timeout SECS   a program still running after SECS is hung: report every\n"
	"                   thread's stack, kill it, exit 124\n"
	"  --help           show this help\n"
	"  --version        show the version\n"
	"\n"
	"Exit status: the program's own; 128+N if signal N killed it; 124 timeout;\n"
	"125 kitrace failed; 126 PROGRAM cannot be executed; 127 PROGRAM not found.\n"
	"In launch --batch mode kitrace writes only to stderr: stdout is the program's.\n"
	"Commands: see \"help\" at the prompt or kitrace(1).\n";

struct opts {
	bool launch, attach, batch;
	const char *report;
	long timeout;
	const char **cmds;  /* "-ex" text, or "\1FILE" for -x */
	size_t ncmds;
	char **argv;        /* launch: PROGRAM ARGS */
	pid_t pid;          /* attach */
};

/* "kitrace: WHAT 'ARG'" plus a hint; returns the usage-error status. */
static int
usage_error(const char *what, const char *arg)
{
	if (arg)
		fprintf(stderr, "kitrace: %s '%s'\nTry 'kitrace --help'.\n", what, arg);
	else
		fprintf(stderr, "kitrace: %s\nTry 'kitrace --help'.\n", what);
	return KT_EXIT_KITRACE;
}

/* Returns -1 when O is complete, else the exit status to leave with. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	int i = 1;

	memset(o, 0, sizeof(*o));
	if (argc < 2)
		return usage_error("a mode is required: launch or attach", NULL);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kitrace %s\n", KT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "launch"))
		o->launch = true;
	else if (!strcmp(argv[1], "attach"))
		o->attach = true;
	else
		return usage_error("unknown mode (use launch or attach):", argv[1]);
	o->cmds = calloc((size_t)argc, sizeof(*o->cmds));
	if (!o->cmds)
		return KT_EXIT_KITRACE;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		bool has_next = i + 1 < argc;
		if (!strcmp(a, "-ex") || !strcmp(a, "--ex") || !strcmp(a, "-x")) {
			if (!has_next)
				return usage_error("this option needs an argument:", a);
			if (!strcmp(a, "-x")) {
				size_t n = strlen(argv[i + 1]);
				char *t = malloc(n + 2);
				if (!t)
					return KT_EXIT_KITRACE;
				t[0] = '\1';
				memcpy(t + 1, argv[i + 1], n + 1);
				o->cmds[o->ncmds++] = t;
			} else {
				o->cmds[o->ncmds++] = argv[i + 1];
			}
			i++;
		} else if (!strcmp(a, "--batch") || !strcmp(a, "-batch")) {
			o->batch = true;
		} else if (!strcmp(a, "--report")) {
			if (!has_next)
				return usage_error("this option needs a file name:", a);
			o->report = argv[++i];
		} else if (!strcmp(a, "--timeout")) {
			char *end;
			if (!has_next)
				return usage_error("this option needs a number of seconds:", a);
			errno = 0;
			o->timeout = strtol(argv[++i], &end, 10);
			if (errno || *end || o->timeout <= 0 || o->timeout > 86400 * 365)
				return usage_error("invalid --timeout (give whole seconds > 0):", argv[i]);
		} else if (!strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("kitrace %s\n", KT_VERSION);
			return 0;
		} else {
			return usage_error("unknown option", a);
		}
	}
	if (o->launch) {
		if (i >= argc)
			return usage_error("launch needs a PROGRAM to run", NULL);
		o->argv = &argv[i];
	} else {
		char *end;
		if (i >= argc)
			return usage_error("attach needs a PID", NULL);
		if (i + 1 < argc)
			return usage_error("unexpected argument after the PID:", argv[i + 1]);
		errno = 0;
		long pid = strtol(argv[i], &end, 10);
		if (errno || *end || pid <= 0 || pid > 0x3fffffff)
			return usage_error("invalid PID", argv[i]);
		o->pid = (pid_t)pid;
	}
	return -1;
}

static void
opts_free(struct opts *o)
{
	for (size_t i = 0; i < o->ncmds; i++)
		if (o->cmds[i][0] == '\1')
			free((char *)o->cmds[i]);
	free(o->cmds);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Batch, launched: run the program to its end, showing stops one line each. */
static void
run_to_end(struct kt_cli *c)
{
	struct kt_session *s = c->s;

	while (s->pid && !s->exited && !c->quit) {
		struct kt_stop stop;
		if (kt_run_continue(s, &stop) != KT_OK)
			break;
		kt_cli_stop(c, &stop);
		/* "continue" among the commands is implied here anyway. */
		kt_cli_bp_commands(c, &stop);
	}
}

/* Leave nothing behind: kill what we launched, detach from what we attached to. */
static void
finish_session(struct kt_cli *c)
{
	struct kt_session *s = c->s;

	if (!s->pid || s->exited)
		return;
	if (c->launched) {
		kt_run_kill(s);
	} else {
		kt_run_detach(s);
	}
}

static void
session_free(struct kt_session *s)
{
	kt_terminal_ours(&s->term);
	kt_bptab_fini(&s->bps);
	kt_patches_free(s);
	kt_modules_free(s);
	kt_slots_forget(s);
	kt_jit_free(s);
	kt_perfmap_free(s);
	kt_history_free(s);
	kt_threads_clear(s);
	free(s->threads);
	free(s->early);
	free(s->queue);
	kt_os_linux_free(s->os);
}

int
main(int argc, char **argv)
{
	struct opts o;
	int rc = parse_args(argc, argv, &o);
	char msg[1024];

	if (rc >= 0) {
		opts_free(&o);
		return rc;
	}

	struct kt_session s;
	memset(&s, 0, sizeof(s));
	kt_bptab_init(&s.bps);
	s.out = o.batch && o.launch ? stderr : stdout;
	s.err = stderr;
	s.set.displaced = true;
	s.set.batch = o.batch;
	s.set.timeout_sec = (int)o.timeout;
	kt_signal_defaults(&s.set, !o.batch);
	kt_terminal_init(&s.term, o.launch && !o.batch);
	s.arch = kt_arch_host();
	if (!(s.os = kt_os_linux_new())) {
		fprintf(stderr, "kitrace: cannot set up signal handling: %s\n", strerror(errno));
		return KT_EXIT_KITRACE;
	}

	kt_status st = o.launch ? kt_target_launch(&s, o.argv, msg, sizeof(msg))
				: kt_target_attach(&s, o.pid, msg, sizeof(msg));
	if (st != KT_OK) {
		fprintf(stderr, "kitrace: %s\n", msg);
		opts_free(&o);
		session_free(&s);
		return st == KT_ERR_NOPROG ? KT_EXIT_NOTFOUND
		       : st == KT_ERR_NOEXEC ? KT_EXIT_NOEXEC
					     : KT_EXIT_KITRACE;
	}
	if (o.timeout)
		s.timeout_deadline_ms = now_ms() + (uint64_t)o.timeout * 1000;

	struct kt_cli c;
	memset(&c, 0, sizeof(c));
	c.s = &s;
	c.batch = o.batch;
	c.launched = o.launch;
	c.report_path = o.report;
	bool failed = false;
	for (size_t i = 0; i < o.ncmds && !c.quit; i++) {
		if (o.cmds[i][0] == '\1') {
			if (kt_run_file(&c, o.cmds[i] + 1) != KT_OK) {
				fprintf(stderr, "kitrace: %s: %s\n", o.cmds[i] + 1, strerror(errno));
				failed = true;
			}
		} else {
			kt_cmd_exec(&c, o.cmds[i]);
		}
		failed = failed || c.last_failed;
		if (c.have_status && c.status == KT_EXIT_TIMEOUT)
			break;
	}
	if (!c.quit) {
		if (o.batch && o.launch)
			run_to_end(&c);
		else if (!o.batch)
			kt_repl(&c);
	}
	finish_session(&c);
	free(c.list_file);
	if (getenv("KITRACE_STATS"))
		fprintf(stderr,
			"kitrace stats: hits %lu, silent %lu, emulated %lu, out-of-line %lu "
			"(%lu back by trap), in-line %lu, gdb-jit registrations stopped %lu\n",
			s.count.hits, s.count.silent_hits, s.count.emulated, s.count.ool,
			s.count.ool_far, s.count.inline_steps, kt_gdbjit_hook_hits(&s));

	int status;
	if (c.quit)
		status = c.quit_status;
	else if (o.launch && o.batch)
		status = c.have_status ? c.status : KT_EXIT_KITRACE;
	else if (o.batch)
		status = failed ? 1 : 0;
	else
		status = c.quit_status;
	opts_free(&o);
	session_free(&s);
	return status;
}
