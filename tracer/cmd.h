/* SPDX-License-Identifier: MIT */
/*
 * cmd.h - the command language: one table of commands (name, aliases,
 * usage, help, handler) serving the interactive prompt, -ex, -x FILE and
 * batch mode.  Names and abbreviations follow GDB: an exact name or alias
 * wins, otherwise a unique prefix of a name.
 */
#ifndef KT_CMD_H
#define KT_CMD_H

#include <stdbool.h>

#include "session.h"

/* kitrace's own exit statuses (the program's status otherwise). */
enum { KT_EXIT_TIMEOUT = 124, KT_EXIT_KITRACE = 125, KT_EXIT_NOEXEC = 126, KT_EXIT_NOTFOUND = 127 };

struct kt_cli {
	struct kt_session *s;
	bool batch;
	bool launched;           /* launch (kill at the end) vs attach (detach) */
	bool quit;               /* a command asked to leave */
	int quit_status;         /* exit status "quit N" asked for (or 128+signal) */
	bool have_status;        /* the program ended: status below */
	int status;              /* what kitrace exits with for the program's end */
	const char *report_path; /* --report FILE */
	bool reported;           /* a crash/hang report was written */
	bool last_failed;        /* the last command failed */
	struct kt_stop last;     /* the last stop shown */
	char **pending_lines;    /* "commands N": lines being collected */
	size_t npending;
	int collecting_bp;       /* breakpoint number being collected, 0 none */
	char *list_file;         /* "list": the file being listed (malloc'd) */
	int list_first, list_last; /* its window: the last shown, or the next */
	bool list_fresh;         /* the window is the next to show as it is */
};

typedef kt_status (*kt_cmd_fn)(struct kt_cli *c, const char *args);

struct kt_cmd {
	const char *name;
	const char *aliases;  /* space-separated exact aliases, or NULL */
	kt_cmd_fn fn;
	const char *usage;
	const char *help;
	bool needs_process;
};

/* Execute one command line (blank lines and "#" comments do nothing). */
kt_status kt_cmd_exec(struct kt_cli *c, const char *line);
/* The command for NAME (a name, alias or unique prefix), or NULL. */
const struct kt_cmd *kt_cmd_lookup(const char *name, size_t len, bool *ambiguous);
/* Every command, for help and completion; terminated by a NULL name. */
extern const struct kt_cmd kt_commands[];

/* Show STOP and do what it implies (crash report in batch mode, ...). */
void kt_cli_stop(struct kt_cli *c, const struct kt_stop *stop);
/*
 * Run the commands of the breakpoint STOP hit (a copy of them: a command
 * may delete the breakpoint); true if one of them was "continue".
 */
bool kt_cli_bp_commands(struct kt_cli *c, const struct kt_stop *stop);
/* Split "LOCATION if COND" at a standalone "if": LOC gets the location
 * (truncated to LEN), *COND the text after "if" or NULL. */
void kt_split_if(const char *args, char *loc, size_t len, const char **cond);
/* Parse a condition; on a syntax error say where, as GDB does. */
kt_status kt_parse_cond(struct kt_cli *c, const char *text, struct kt_expr **out);
/* Arm the hardware point BP just enabled; disable it again if it cannot be. */
kt_status kt_hw_enable(struct kt_cli *c, struct kt_bp *bp);
/* "hw watchpoint", "breakpoint", ... as "info breakpoints" names BP's type. */
const char *kt_bp_type_name(const struct kt_bp *bp);

/* Print an error in GDB's style to the session's error stream. */
void kt_cli_error(struct kt_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Handlers, by file. */
kt_status kt_cmd_break(struct kt_cli *c, const char *args);
kt_status kt_cmd_tbreak(struct kt_cli *c, const char *args);
kt_status kt_cmd_delete(struct kt_cli *c, const char *args);
kt_status kt_cmd_disable(struct kt_cli *c, const char *args);
kt_status kt_cmd_enable(struct kt_cli *c, const char *args);
kt_status kt_cmd_condition(struct kt_cli *c, const char *args);
kt_status kt_cmd_ignore(struct kt_cli *c, const char *args);
kt_status kt_cmd_commands(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_breakpoints(struct kt_cli *c, const char *args);
kt_status kt_cmd_hbreak(struct kt_cli *c, const char *args);
kt_status kt_cmd_thbreak(struct kt_cli *c, const char *args);
kt_status kt_cmd_watch(struct kt_cli *c, const char *args);
kt_status kt_cmd_rwatch(struct kt_cli *c, const char *args);
kt_status kt_cmd_awatch(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_debug_registers(struct kt_cli *c, const char *args);

kt_status kt_cmd_continue(struct kt_cli *c, const char *args);
kt_status kt_cmd_stepi(struct kt_cli *c, const char *args);
kt_status kt_cmd_nexti(struct kt_cli *c, const char *args);
kt_status kt_cmd_finish(struct kt_cli *c, const char *args);
kt_status kt_cmd_detach(struct kt_cli *c, const char *args);
kt_status kt_cmd_kill(struct kt_cli *c, const char *args);
kt_status kt_cmd_quit(struct kt_cli *c, const char *args);
kt_status kt_cmd_step(struct kt_cli *c, const char *args);
kt_status kt_cmd_next(struct kt_cli *c, const char *args);
kt_status kt_cmd_until(struct kt_cli *c, const char *args);
kt_status kt_cmd_advance(struct kt_cli *c, const char *args);
kt_status kt_cmd_list(struct kt_cli *c, const char *args);
kt_status kt_cmd_frame(struct kt_cli *c, const char *args);
kt_status kt_cmd_up(struct kt_cli *c, const char *args);
kt_status kt_cmd_down(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_frame(struct kt_cli *c, const char *args);
/* Show a stop of step/next/until/advance/finish with its source line; the
 * function too when NEW_FRAME.  Stops other than KT_STOP_STEP, and code
 * without lines, are shown by kt_cli_stop(). */
void kt_cli_show_line(struct kt_cli *c, const struct kt_stop *stop, bool new_frame);
/* Centre the next "list" on FILE:LINE (after a stop, or "list LOCATION"). */
void kt_list_reset(struct kt_cli *c, const char *file, int line);

kt_status kt_cmd_backtrace(struct kt_cli *c, const char *args);
kt_status kt_cmd_thread(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_threads(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_registers(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_sharedlibrary(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_signals(struct kt_cli *c, const char *args);
kt_status kt_cmd_info_jit(struct kt_cli *c, const char *args);
kt_status kt_cmd_handle(struct kt_cli *c, const char *args);

kt_status kt_cmd_print(struct kt_cli *c, const char *args);
kt_status kt_cmd_x(struct kt_cli *c, const char *args);
kt_status kt_cmd_set(struct kt_cli *c, const char *args);
kt_status kt_cmd_disassemble(struct kt_cli *c, const char *args);

kt_status kt_cmd_info(struct kt_cli *c, const char *args);
kt_status kt_cmd_help(struct kt_cli *c, const char *args);

/* Parsing helpers shared by handlers. */
const char *kt_skip_ws(const char *p);
/* Parse a non-negative decimal integer token; returns the end or NULL. */
const char *kt_parse_uint(const char *p, unsigned long *out);
/* Require the process to be live and stopped; prints the error otherwise. */
bool kt_cli_need_process(struct kt_cli *c);

#endif
