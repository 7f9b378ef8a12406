/* SPDX-License-Identifier: MIT */
/*
 * cmd.c - the command table and dispatch (see cmd.h), "info" and "help".
 */
#include "cmd.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct kt_cmd kt_commands[] = {
	{"break", "b br brea", kt_cmd_break, "break LOCATION [if COND]",
	 "Set a breakpoint at LOCATION: FUNCTION or *ADDRESS.  A function not loaded yet\n"
	 "makes a pending breakpoint, resolved when a library defining it loads.",
	 false},
	{"tbreak", "tb", kt_cmd_tbreak, "tbreak LOCATION [if COND]",
	 "Set a temporary breakpoint: deleted when it first stops the program.", false},
	{"hbreak", NULL, kt_cmd_hbreak, "hbreak LOCATION [if COND]",
	 "Set a hardware-assisted breakpoint: a debug register, no patch in the code.\n"
	 "x86-64 has 4 debug registers for breakpoints and watchpoints together.",
	 true},
	{"thbreak", NULL, kt_cmd_thbreak, "thbreak LOCATION [if COND]",
	 "Set a temporary hardware-assisted breakpoint.", true},
	{"watch", NULL, kt_cmd_watch, "watch VARIABLE | *(TYPE *)ADDRESS [if COND]",
	 "Stop when a write changes the value (1, 2, 4 or 8 bytes, aligned; a data\n"
	 "symbol or *POINTER), in every thread.  Shows the old and the new value.",
	 true},
	{"rwatch", NULL, kt_cmd_rwatch, "rwatch VARIABLE | *(TYPE *)ADDRESS [if COND]",
	 "Stop when the value is read.  x86-64 cannot trap reads alone: an access\n"
	 "that leaves the value unchanged counts as a read, one that changes it does not.",
	 true},
	{"awatch", NULL, kt_cmd_awatch, "awatch VARIABLE | *(TYPE *)ADDRESS [if COND]",
	 "Stop when the value is read or written.", true},
	{"delete", "d", kt_cmd_delete, "delete [N...]",
	 "Delete breakpoints N... (all of them without arguments).", false},
	{"disable", "disa", kt_cmd_disable, "disable [N...]", "Disable breakpoints.", false},
	{"enable", "en", kt_cmd_enable, "enable [N...]", "Enable breakpoints.", false},
	{"condition", NULL, kt_cmd_condition, "condition N [COND]",
	 "Stop at breakpoint N only when COND is true; no COND makes it unconditional.",
	 false},
	{"ignore", NULL, kt_cmd_ignore, "ignore N COUNT",
	 "Do not stop at breakpoint N for its next COUNT hits.", false},
	{"commands", NULL, kt_cmd_commands, "commands [N]",
	 "Give breakpoint N (default: the last one) commands to run when it stops,\n"
	 "one per line, ended by \"end\".  \"silent\" first: do not show the stop;\n"
	 "\"continue\" last: go on.",
	 false},
	{"continue", "c cont fg", kt_cmd_continue, "continue [N]",
	 "Resume every thread; with N, ignore the current breakpoint N-1 more times.", true},
	{"stepi", "si", kt_cmd_stepi, "stepi [N]",
	 "Execute N machine instructions (default 1) in the current thread.", true},
	{"nexti", "ni", kt_cmd_nexti, "nexti [N]",
	 "Like stepi, but a call is executed to its return.", true},
	{"finish", "fin", kt_cmd_finish, "finish",
	 "Run until the current function returns; print the returned value.", true},
	{"step", "s", kt_cmd_step, "step [N]",
	 "Run to the start of another source line, entering functions that have line\n"
	 "information (calls into code without lines run to their return); N times.\n"
	 "Only the current thread single-steps; a call stepped over runs every thread.",
	 true},
	{"next", "n", kt_cmd_next, "next [N]",
	 "Like step, but calls run to their return at full speed; N times.", true},
	{"until", "u", kt_cmd_until, "until [LOCATION]",
	 "Like next, but a jump back (a loop) does not stop.  With LOCATION: run until\n"
	 "it is reached or the current function returns.",
	 true},
	{"advance", NULL, kt_cmd_advance, "advance LOCATION",
	 "Run until LOCATION is reached or the current function returns.", true},
	{"list", "l", kt_cmd_list, "list [LINE | FILE:LINE | FUNCTION | *ADDRESS | FIRST,LAST]",
	 "Show ten source lines around the location (default: the last stop), or\n"
	 "lines FIRST to LAST of the file; \"list\" again shows the next ten.",
	 false},
	{"backtrace", "bt where", kt_cmd_backtrace, "backtrace [all] [N]",
	 "Show the stack of the current thread (\"all\": of every thread).", true},
	{"frame", "f", kt_cmd_frame, "frame [N]",
	 "Select frame N of the current thread (inlined calls count as frames) and show\n"
	 "it; without N, show the selected frame.  Registers in expressions and\n"
	 "\"info registers\" then read that frame's.",
	 true},
	{"up", NULL, kt_cmd_up, "up [N]", "Select the frame N (default 1) levels up (a caller).",
	 true},
	{"down", "do", kt_cmd_down, "down [N]",
	 "Select the frame N (default 1) levels down (a callee).", true},
	{"thread", "t th", kt_cmd_thread, "thread [N]",
	 "Select thread N, or show the current thread.", true},
	{"print", "p inspect", kt_cmd_print, "print[/FMT] EXPR",
	 "Evaluate EXPR and print it (FMT: x d u o t c a z).", false},
	{"x", NULL, kt_cmd_x, "x/NFU ADDR",
	 "Examine memory: N units of size U (b h w g) in format F (x d u o t c a s i).",
	 true},
	{"set", NULL, kt_cmd_set, "set $REG = EXPR | set *(TYPE *)ADDR = EXPR | set SETTING",
	 "Assign to a register or memory, or change a setting:\n"
	 "  set displaced-stepping on|off", false},
	{"disassemble", "disas", kt_cmd_disassemble, "disassemble [LOCATION | START,END]",
	 "Disassemble the function around LOCATION (default: the current pc).", true},
	{"handle", NULL, kt_cmd_handle, "handle SIGNAL [no]stop [no]pass [no]print",
	 "Set what kitrace does when the program receives SIGNAL.", false},
	{"info", "i inf", kt_cmd_info,
	 "info breakpoints|registers|threads|sharedlibrary|signals|jit|frame|debug-registers",
	 "Show things about the program being debugged.", false},
	{"detach", NULL, kt_cmd_detach, "detach",
	 "Remove every breakpoint and let the process run free.", true},
	{"kill", "k", kt_cmd_kill, "kill", "Kill the program being debugged.", true},
	{"quit", "q exit", kt_cmd_quit, "quit [STATUS]",
	 "Leave kitrace (a launched program is killed, an attached one detached).", false},
	{"help", "h", kt_cmd_help, "help [COMMAND]", "Show help.", false},
	{NULL, NULL, NULL, NULL, NULL, false},
};

static bool
has_alias(const struct kt_cmd *cmd, const char *name, size_t len)
{
	const char *p = cmd->aliases;

	while (p && *p) {
		size_t n = strcspn(p, " ");
		if (n == len && memcmp(p, name, len) == 0)
			return true;
		p += n;
		while (*p == ' ')
			p++;
	}
	return false;
}

const struct kt_cmd *
kt_cmd_lookup(const char *name, size_t len, bool *ambiguous)
{
	const struct kt_cmd *found = NULL;

	*ambiguous = false;
	if (len == 0)
		return NULL;
	for (const struct kt_cmd *c = kt_commands; c->name; c++)
		if ((strlen(c->name) == len && memcmp(c->name, name, len) == 0) ||
		    has_alias(c, name, len))
			return c;
	for (const struct kt_cmd *c = kt_commands; c->name; c++) {
		if (strncmp(c->name, name, len) != 0)
			continue;
		if (found) {
			*ambiguous = true;
			return NULL;
		}
		found = c;
	}
	return found;
}

const char *
kt_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

const char *
kt_parse_uint(const char *p, unsigned long *out)
{
	unsigned long v = 0;

	p = kt_skip_ws(p);
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p)) {
		unsigned long d = (unsigned long)(*p++ - '0');
		if (v > (~0UL - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return p;
}

void
kt_cli_error(struct kt_cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(c->s->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->s->err);
	fflush(c->s->err);
	c->last_failed = true;
}

bool
kt_cli_need_process(struct kt_cli *c)
{
	if (!c->s->pid || c->s->exited) {
		kt_cli_error(c, "The program is not being run.");
		return false;
	}
	return true;
}

/* Collect one line of a "commands" block. */
static kt_status
collect_line(struct kt_cli *c, const char *line)
{
	const char *p = kt_skip_ws(line);

	if (strcmp(p, "end") == 0) {
		struct kt_bp *bp = kt_bp_find(&c->s->bps, c->collecting_bp);
		if (bp) {
			kt_bp_set_commands(bp, c->pending_lines, c->npending);
		} else {
			for (size_t i = 0; i < c->npending; i++)
				free(c->pending_lines[i]);
			free(c->pending_lines);
		}
		c->pending_lines = NULL;
		c->npending = 0;
		c->collecting_bp = 0;
		return KT_OK;
	}
	char **v = realloc(c->pending_lines, (c->npending + 1) * sizeof(*v));
	if (!v)
		return KT_ERR_NOMEM;
	c->pending_lines = v;
	if (!(v[c->npending] = strdup(p)))
		return KT_ERR_NOMEM;
	c->npending++;
	return KT_OK;
}

kt_status
kt_cmd_exec(struct kt_cli *c, const char *line)
{
	if (c->collecting_bp)
		return collect_line(c, line);
	const char *p = kt_skip_ws(line);
	if (*p == '\0' || *p == '#')
		return KT_OK;
	c->last_failed = false;
	/* The command word: letters, digits, '-' and '_' ("x/4x" splits at '/'). */
	size_t n = 0;
	while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_'))
		n++;
	if (n == 0) {
		kt_cli_error(c, "Undefined command: \"%s\".  Try \"help\".", p);
		return KT_ERR_SYNTAX;
	}
	bool amb;
	const struct kt_cmd *cmd = kt_cmd_lookup(p, n, &amb);
	if (!cmd) {
		kt_cli_error(c, amb ? "Ambiguous command \"%.*s\".  Try \"help\"."
				    : "Undefined command: \"%.*s\".  Try \"help\".",
			     (int)n, p);
		return KT_ERR_SYNTAX;
	}
	if (cmd->needs_process && !kt_cli_need_process(c))
		return KT_ERR_STATE;
	const char *args = p + n;
	if (*args != '/')
		args = kt_skip_ws(args);
	kt_status st = cmd->fn(c, args);
	fflush(c->s->out);
	if (st != KT_OK)
		c->last_failed = true;
	return st;
}

kt_status
kt_cmd_info(struct kt_cli *c, const char *args)
{
	static const struct {
		const char *name;
		kt_cmd_fn fn;
		bool needs;
	} subs[] = {
		{"breakpoints", kt_cmd_info_breakpoints, false},
		{"b", kt_cmd_info_breakpoints, false},
		{"registers", kt_cmd_info_registers, true},
		{"r", kt_cmd_info_registers, true},
		{"threads", kt_cmd_info_threads, true},
		{"sharedlibrary", kt_cmd_info_sharedlibrary, true},
		{"signals", kt_cmd_info_signals, false},
		{"jit", kt_cmd_info_jit, true},
		{"debug-registers", kt_cmd_info_debug_registers, true},
		{"frame", kt_cmd_info_frame, true},
		{"handle", kt_cmd_info_signals, false},
	};
	size_t n = strcspn(args, " \t");

	if (n == 0) {
		kt_cli_error(c, "\"info\" must be followed by the name of an info command: "
				"breakpoints, registers, threads, sharedlibrary, signals.");
		return KT_ERR_SYNTAX;
	}
	const char *rest = kt_skip_ws(args + n);
	int match = -1;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strlen(subs[i].name) == n && memcmp(subs[i].name, args, n) == 0) {
			match = (int)i;
			break;
		}
		if (strncmp(subs[i].name, args, n) == 0 && strlen(subs[i].name) > 1) {
			if (match >= 0 && subs[match].fn != subs[i].fn) {
				kt_cli_error(c, "Ambiguous info command \"%.*s\".", (int)n, args);
				return KT_ERR_SYNTAX;
			}
			match = (int)i;
		}
	}
	if (match < 0) {
		kt_cli_error(c, "Undefined info command: \"%.*s\".  Try \"help info\".", (int)n,
			     args);
		return KT_ERR_SYNTAX;
	}
	if (subs[match].needs && !kt_cli_need_process(c))
		return KT_ERR_STATE;
	return subs[match].fn(c, rest);
}

kt_status
kt_cmd_help(struct kt_cli *c, const char *args)
{
	FILE *f = c->s->out;

	if (*args) {
		bool amb;
		size_t n = strcspn(args, " \t");
		const struct kt_cmd *cmd = kt_cmd_lookup(args, n, &amb);
		if (!cmd) {
			kt_cli_error(c, "Undefined command: \"%.*s\".  Try \"help\".", (int)n, args);
			return KT_ERR_NOTFOUND;
		}
		fprintf(f, "Usage: %s\n%s\n", cmd->usage, cmd->help);
		if (cmd->aliases)
			fprintf(f, "Aliases: %s\n", cmd->aliases);
		return KT_OK;
	}
	fputs("kitrace commands (GDB's names; unique prefixes work):\n", f);
	for (const struct kt_cmd *cmd = kt_commands; cmd->name; cmd++)
		fprintf(f, "  %s\n      %.*s\n", cmd->usage, (int)strcspn(cmd->help, "\n"),
			cmd->help);
	fputs("Type \"help COMMAND\" for more.\n", f);
	return KT_OK;
}
