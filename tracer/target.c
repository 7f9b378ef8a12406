/* SPDX-License-Identifier: MIT */
/*
 * target.c - launch and attach (see target.h).
 *
 * Launch: the child blocks on a pipe until the parent has seized it with
 * PTRACE_SEIZE (so no signal is involved), then execs; exec failures come
 * back through a close-on-exec pipe.  Attach: seize every thread listed in
 * /proc/PID/task, again until no new one appears, then interrupt them all.
 */
#include "target.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "modules.h"
#include "run.h"
#include "stepper.h"

extern char **environ;

/* Find PROG in PATH like execvp; returns 0 or an errno. */
static int
find_program(const char *prog, char *out, size_t len)
{
	if (strchr(prog, '/')) {
		if (access(prog, F_OK) != 0)
			return ENOENT;
		snprintf(out, len, "%s", prog);
		return access(prog, X_OK) == 0 ? 0 : EACCES;
	}
	const char *path = getenv("PATH");
	int err = ENOENT;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(out, len, "%.*s/%s", (int)n, n ? path : ".", prog);
		struct stat st;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			err = EACCES;
		}
		path += n + (path[n] == ':');
	}
	return err;
}

static const struct kt_arch *
arch_of(const char *exe)
{
	unsigned m = kt_elf_machine(exe);

	return m ? kt_arch_for_elf_machine(m) : kt_arch_host();
}

kt_status
kt_target_launch(struct kt_session *s, char *const argv[], char *msg, size_t len)
{
	char path[4096];
	int go[2], err[2], e;

	if ((e = find_program(argv[0], path, sizeof(path))) != 0) {
		if (e == ENOENT) {
			snprintf(msg, len, "%s: program not found (check the name and PATH)",
				 argv[0]);
			return KT_ERR_NOPROG;
		}
		snprintf(msg, len, "%s: cannot execute: %s", argv[0], strerror(e));
		return KT_ERR_NOEXEC;
	}
	const struct kt_arch *arch = arch_of(path);
	if (!arch || arch != kt_arch_host()) {
		snprintf(msg, len, "%s: not a program for this machine's architecture (%s)", path,
			 kt_arch_host() ? kt_arch_host()->name : "unknown");
		return KT_ERR_NOEXEC;
	}
	if (pipe2(go, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		return KT_ERR_SYS;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		return KT_ERR_SYS;
	}
	if (pid == 0) {
		char c;
		s->os->ops->child_prepare(s->os);
		kt_terminal_child(&s->term);
		close(go[1]);
		close(err[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execve(path, argv, environ);
		int ex = errno;
		ssize_t w = write(err[1], &ex, sizeof(ex));
		(void)w;
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	kt_terminal_launched(&s->term, pid);
	if (s->os->ops->seize(s->os, pid, kt_run_ptrace_options() | PTRACE_O_EXITKILL) != KT_OK) {
		snprintf(msg, len, "cannot trace the new process: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return KT_ERR_PERM;
	}
	if (write(go[1], "g", 1) != 1) {
		/* the child died already; the read below tells */
	}
	close(go[1]);
	int ex = 0;
	ssize_t r = read(err[0], &ex, sizeof(ex));
	close(err[0]);
	if (r == (ssize_t)sizeof(ex)) {
		waitpid(pid, NULL, __WALL);
		snprintf(msg, len, "%s: cannot execute: %s", path, strerror(ex));
		return ex == ENOENT ? KT_ERR_NOPROG : KT_ERR_NOEXEC;
	}
	/* Wait for the exec stop: the program's first instruction. */
	int status;
	for (;;) {
		if (waitpid(pid, &status, __WALL) != pid) {
			snprintf(msg, len, "waitpid: %s", strerror(errno));
			return KT_ERR_SYS;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			snprintf(msg, len, "%s exited before it started", path);
			return KT_ERR_NOEXEC;
		}
		if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_EXEC)
			break;
		ptrace(PTRACE_CONT, pid, 0, 0);
	}
	s->pid = pid;
	s->arch = arch;
	s->last_reg = NULL;
	s->attached = false;
	s->exited = false;
	struct kt_thread *t = kt_thread_add(s, pid, KT_TS_STOPPED);
	if (t)
		t->at_exec = true;
	kt_run_setup(s);
	return KT_OK;
}

static void
ptrace_refused(pid_t pid, char *msg, size_t len)
{
	char buf[16] = "";
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
	}
	if (buf[0] && buf[0] != '0')
		snprintf(msg, len,
			 "cannot attach to process %d: ptrace refused (Yama ptrace_scope is %s; "
			 "run as root, or set it to 0 with: sudo sysctl kernel.yama.ptrace_scope=0)",
			 (int)pid, buf);
	else
		snprintf(msg, len,
			 "cannot attach to process %d: ptrace refused (it belongs to another "
			 "user, is already traced, or is not dumpable; run kitrace as that user "
			 "or as root)",
			 (int)pid);
}

kt_status
kt_target_attach(struct kt_session *s, pid_t pid, char *msg, size_t len)
{
	char path[64], exe[4096];

	if (pid <= 0) {
		snprintf(msg, len, "invalid process id %d", (int)pid);
		return KT_ERR_INVAL;
	}
	if (pid == getpid()) {
		snprintf(msg, len, "cannot attach to kitrace itself");
		return KT_ERR_INVAL;
	}
	if (kill(pid, 0) != 0 && errno == ESRCH) {
		snprintf(msg, len, "no such process: %d", (int)pid);
		return KT_ERR_GONE;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	const struct kt_arch *arch = n > 0 ? arch_of(exe) : kt_arch_host();
	if (!arch) {
		snprintf(msg, len, "process %d runs an architecture kitrace does not support",
			 (int)pid);
		return KT_ERR_UNSUPPORTED;
	}
	s->arch = arch;
	s->last_reg = NULL;
	s->pid = pid;
	s->attached = true;
	s->exited = false;
	/* Seize the leader first (thread 1), then every thread; repeat until a
	 * pass finds no new one (threads created meanwhile are caught by
	 * PTRACE_O_TRACECLONE once their creator is seized, or by the next pass). */
	kt_status lst = s->os->ops->seize(s->os, pid, kt_run_ptrace_options());
	if (lst == KT_OK) {
		kt_thread_add(s, pid, KT_TS_RUNNING);
	} else if (lst != KT_ERR_GONE) {
		int e = errno;
		if (e == EPERM)
			ptrace_refused(pid, msg, len);
		else
			snprintf(msg, len, "cannot attach to %d: %s", (int)pid, strerror(e));
		s->pid = 0;
		return e == EPERM ? KT_ERR_PERM : KT_ERR_SYS;
	}
	bool added = true;
	int passes = 0;
	while (added && passes++ < 100) {
		added = false;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		DIR *d = opendir(path);
		if (!d) {
			snprintf(msg, len, "no such process: %d", (int)pid);
			return KT_ERR_GONE;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || kt_thread_find(s, tid))
				continue;
			kt_status st = s->os->ops->seize(s->os, tid, kt_run_ptrace_options());
			if (st == KT_ERR_GONE)
				continue; /* it exited meanwhile */
			if (st != KT_OK) {
				int e = errno;
				closedir(d);
				if (e == EPERM)
					ptrace_refused(pid, msg, len);
				else
					snprintf(msg, len, "cannot attach to %d: %s", (int)tid,
						 strerror(e));
				kt_run_detach(s);
				s->pid = 0;
				return e == EPERM ? KT_ERR_PERM : KT_ERR_SYS;
			}
			kt_thread_add(s, tid, KT_TS_RUNNING);
			added = true;
		}
		closedir(d);
	}
	if (s->nthreads == 0) {
		snprintf(msg, len, "no such process: %d", (int)pid);
		s->pid = 0;
		return KT_ERR_GONE;
	}
	/* The leader is thread 1. */
	struct kt_thread *leader = kt_thread_find(s, pid);
	if (leader)
		s->cur = leader;
	kt_run_stop_all(s);
	if (s->exited) {
		snprintf(msg, len, "process %d exited during the attach", (int)pid);
		return KT_ERR_GONE;
	}
	kt_run_setup(s);
	return KT_OK;
}
