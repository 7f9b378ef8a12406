/* SPDX-License-Identifier: MIT */
/*
 * terminal.h - who owns the controlling terminal: kitrace at its prompt,
 * the launched program while it runs.  As in GDB, an interactive launch
 * puts the program in its own process group, so a Ctrl-C typed at the
 * prompt reaches kitrace alone (and does not wait as a pending SIGINT in
 * the stopped program), while a Ctrl-C typed while the program runs
 * reaches the program and stops it (SIGINT: stop, print, nopass).
 *
 * Only for `launch` without --batch on a terminal where kitrace is in the
 * foreground; otherwise every call here does nothing, and the program
 * shares kitrace's process group (batch mode passes everything through).
 */
#ifndef KT_TERMINAL_H
#define KT_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

struct kt_terminal {
	int fd;          /* the terminal, or -1: nothing to hand over */
	pid_t ours;      /* kitrace's process group */
	pid_t inferior;  /* the program's process group, 0 until launched */
	bool lent;       /* the program has the terminal now */
};

/* Decide whether to hand the terminal over (ENABLE: an interactive launch). */
void kt_terminal_init(struct kt_terminal *t, bool enable);
/* In the forked child, before exec: a process group of its own.
 * Async-signal-safe. */
void kt_terminal_child(const struct kt_terminal *t);
/* In kitrace, after the fork: record (and set, against the race) the
 * child's group. */
void kt_terminal_launched(struct kt_terminal *t, pid_t pid);
/* The program is about to run: give it the terminal. */
void kt_terminal_inferior(struct kt_terminal *t);
/* A stop surfaced, or kitrace is leaving: take the terminal back. */
void kt_terminal_ours(struct kt_terminal *t);

#endif
