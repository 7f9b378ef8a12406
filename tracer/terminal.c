/* SPDX-License-Identifier: MIT */
/*
 * terminal.c - handing the controlling terminal between kitrace and the
 * program it launched (see terminal.h).  tcsetpgrp() from a background
 * process group raises SIGTTOU; it is blocked around each call.
 */
#include "terminal.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

void
kt_terminal_init(struct kt_terminal *t, bool enable)
{
	t->fd = -1;
	t->ours = getpgrp();
	t->inferior = 0;
	t->lent = false;
	if (enable && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == t->ours)
		t->fd = STDIN_FILENO;
}

void
kt_terminal_child(const struct kt_terminal *t)
{
	if (t->fd >= 0)
		setpgid(0, 0);
}

void
kt_terminal_launched(struct kt_terminal *t, pid_t pid)
{
	if (t->fd < 0)
		return;
	setpgid(pid, pid); /* EACCES once it has exec'd: then it did it itself */
	t->inferior = pid;
}

static void
give(const struct kt_terminal *t, pid_t pgrp)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(t->fd, pgrp); /* fails only if the group is gone: keep ours */
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void
kt_terminal_inferior(struct kt_terminal *t)
{
	if (t->fd < 0 || !t->inferior || t->lent)
		return;
	give(t, t->inferior);
	t->lent = true;
}

void
kt_terminal_ours(struct kt_terminal *t)
{
	if (t->fd < 0 || !t->lent)
		return;
	give(t, t->ours);
	t->lent = false;
}
