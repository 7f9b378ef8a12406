/* SPDX-License-Identifier: MIT */
/*
 * os.h - the operating-system primitives the tracer core uses, behind one
 * table (struct kt_os_ops).  os_linux.c is the real implementation over
 * ptrace, waitpid, process_vm_readv and /proc; unit tests drive the core
 * with a fake.  Nothing outside os_*.c calls ptrace or waitpid.
 *
 * Every operation returns KT_OK or a status; KT_ERR_GONE means the thread
 * is gone or no longer stopped (ESRCH), which callers treat as an event,
 * never as a fatal error.  KT_ERR_SYS leaves errno set.
 */
#ifndef KT_OS_H
#define KT_OS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"
#include "status.h"

/* One waitpid result. */
struct kt_os_event {
	pid_t tid;
	int status;
};

/*
 * One mapping of a process's address space, as /proc/PID/maps gives it.
 * PATH is "" for anonymous memory, the kernel's name for its own ("[heap]",
 * "[vdso]"), or the file's path without the " (deleted)" the kernel adds
 * once the file is gone (then DELETED is set).  PATH lives only as long as
 * the callback it is passed to.
 */
struct kt_mapping {
	uint64_t lo, hi, off;
	bool read, write, exec, deleted;
	const char *path;
};

/* Why kt_os_ops.wait returned without an event. */
enum kt_wake { KT_WAKE_EVENT, KT_WAKE_TIMEOUT, KT_WAKE_SIGNAL };

struct kt_os;

struct kt_os_ops {
	/*
	 * Wait for the next tracee event.  TIMEOUT_MS < 0 waits forever; 0
	 * only takes an event already waiting (signals are not looked at).
	 * Returns KT_OK with *wake = KT_WAKE_EVENT and EV filled, or with
	 * *wake = KT_WAKE_TIMEOUT, or with *wake = KT_WAKE_SIGNAL and *sig set
	 * when the tracer received SIGINT, SIGTERM or SIGHUP.  KT_ERR_NOTFOUND
	 * when there is no tracee left (ECHILD).
	 */
	kt_status (*wait)(struct kt_os *os, int timeout_ms, enum kt_wake *wake,
			  struct kt_os_event *ev, int *sig);
	kt_status (*seize)(struct kt_os *os, pid_t tid, unsigned long options);
	kt_status (*interrupt)(struct kt_os *os, pid_t tid);
	kt_status (*cont)(struct kt_os *os, pid_t tid, int sig);
	kt_status (*step)(struct kt_os *os, pid_t tid, int sig);
	kt_status (*listen)(struct kt_os *os, pid_t tid);
	kt_status (*detach)(struct kt_os *os, pid_t tid, int sig);
	kt_status (*get_regs)(struct kt_os *os, pid_t tid, void *buf, size_t len);
	kt_status (*set_regs)(struct kt_os *os, pid_t tid, const void *buf, size_t len);
	kt_status (*siginfo)(struct kt_os *os, pid_t tid, siginfo_t *si);
	kt_status (*set_siginfo)(struct kt_os *os, pid_t tid, const siginfo_t *si);
	kt_status (*event_msg)(struct kt_os *os, pid_t tid, unsigned long *msg);
	kt_status (*peek)(struct kt_os *os, pid_t tid, uint64_t addr, uint64_t *word);
	kt_status (*poke)(struct kt_os *os, pid_t tid, uint64_t addr, uint64_t word);
	/* Read LEN bytes; *got says how many were read before a fault. */
	kt_status (*read)(struct kt_os *os, pid_t pid, uint64_t addr, void *buf, size_t len,
			  size_t *got);
	/* Write LEN bytes, also to read-only private mappings (FOLL_FORCE). */
	kt_status (*write)(struct kt_os *os, pid_t pid, uint64_t addr, const void *buf,
			   size_t len);
	/* Forget SIGINT/SIGTERM/SIGHUP received while nothing was waiting
	 * (e.g. Ctrl-C typed at the prompt). */
	int (*flush_signals)(struct kt_os *os); /* SIGTERM/SIGHUP among them, or 0 */
	/* In a child about to exec: undo what kitrace changed for itself
	 * (blocked signals, dispositions), so the program starts as it would
	 * without kitrace.  Async-signal-safe. */
	void (*child_prepare)(struct kt_os *os);
	/* Send SIG to thread TID of process PID. */
	kt_status (*tgkill)(struct kt_os *os, pid_t pid, pid_t tid, int sig);
	/* The signals queued for thread TID alone and not yet taken (bit
	 * SIG-1 set for SIG).  A stopped thread can hold one: a trap raised
	 * just as the tracer's interrupt arrived is reported after it. */
	kt_status (*pending)(struct kt_os *os, pid_t tid, uint64_t *mask);
	/* Call FN with each mapping of process PID in rising address order,
	 * until FN returns false.  KT_ERR_GONE if there is no such process.
	 * May be NULL in a fake (callers then know no mappings). */
	kt_status (*mappings)(struct kt_os *os, pid_t pid,
			      bool (*fn)(void *ctx, const struct kt_mapping *m), void *ctx);
	/* Wait until FD is readable (returns 0) or the tracer receives
	 * SIGINT, SIGTERM or SIGHUP (returns that signal, taken).  -1 on
	 * error.  For the prompt, so Ctrl-C there is seen at once. */
	int (*wait_input)(struct kt_os *os, int fd);
	/*
	 * Hardware debug registers of stopped thread TID (struct kt_hw_regs,
	 * arch.h).  hw_slots fills n[] with the slots per bank the kernel
	 * offers (KT_ERR_UNSUPPORTED where there are none); hw_get reads them
	 * back, hw_set writes every slot below n[] (a disabled slot is free);
	 * hw_status gives the x86-64 DR6 of the last debug trap (0 on hosts
	 * without one).  hw_probe tells whether armed registers fire at all
	 * on this machine (*FIRES), which some hypervisors never do: it arms
	 * ARCH's execution breakpoint in a short-lived child of the tracer,
	 * killed and reaped before it returns.  Any of them may be NULL in a
	 * fake (no hw_probe: the registers are taken to work).
	 */
	kt_status (*hw_slots)(struct kt_os *os, pid_t tid, unsigned n[2]);
	kt_status (*hw_get)(struct kt_os *os, pid_t tid, struct kt_hw_regs *r);
	kt_status (*hw_set)(struct kt_os *os, pid_t tid, const struct kt_hw_regs *r);
	kt_status (*hw_status)(struct kt_os *os, pid_t tid, uint64_t *status);
	kt_status (*hw_probe)(struct kt_os *os, const struct kt_arch *arch, bool *fires);
};

struct kt_os {
	const struct kt_os_ops *ops;
	/* Times any tracee was resumed (cont, step, listen): what is cached
	 * about its memory map is stale once this moves. */
	unsigned long resumes;
};

/*
 * The Linux implementation.  kt_os_linux_new() blocks SIGCHLD in the
 * calling thread and catches SIGINT, SIGTERM and SIGHUP with a handler
 * that keeps each for wait() and wait_input() (os_linux.c says how), so
 * they wake kitrace without races.  SIGINT and SIGTERM are caught even if
 * they were ignored (a shell starts background jobs with SIGINT ignored);
 * SIGHUP stays ignored under nohup.  Returns NULL with errno set on
 * failure.
 */
struct kt_os *kt_os_linux_new(void);
void kt_os_linux_free(struct kt_os *os);
/* Forget cached per-process state (the /proc/PID/mem fd) after exec or exit. */
void kt_os_linux_forget(struct kt_os *os, pid_t pid);
/* Parse one line of /proc/PID/maps (LINE is modified: PATH points into
 * it).  False for a line that is not a mapping. */
bool kt_os_linux_parse_mapping(char *line, struct kt_mapping *m);

#endif
