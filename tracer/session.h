/* SPDX-License-Identifier: MIT */
/*
 * session.h - the debugging session: the one object all tracer state hangs
 * off (no mutable globals), and the records that pass between its parts:
 * threads, stops, and the per-session settings.
 *
 * Ownership: the session owns the process model (threads), the patch
 * sites, the breakpoint table, the module list and the output streams.  A
 * session traces at most one process at a time.
 */
#ifndef KT_SESSION_H
#define KT_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "arch.h"
#include "bp.h"
#include "os.h"
#include "status.h"
#include "terminal.h"

struct kt_modules;
struct kt_value_history;

enum kt_thread_state {
	KT_TS_RUNNING,  /* resumed; an event may arrive */
	KT_TS_STOPPED,  /* in a ptrace-stop we know of */
	KT_TS_LISTEN,   /* in group-stop, PTRACE_LISTEN'ed */
	KT_TS_NEW,      /* announced by a clone event, first stop not seen yet */
};

/* What a thread is doing that the event loop must finish before anything else. */
enum kt_thread_task {
	KT_TASK_NONE,
	KT_TASK_DISPLACED,  /* running a relocated copy in its scratch slot */
};

struct kt_thread {
	pid_t tid;
	int num;                  /* user-visible number, from 1 */
	enum kt_thread_state state;
	enum kt_thread_task task;
	bool regs_valid;          /* regs holds the current registers */
	bool interrupt_sent;      /* PTRACE_INTERRUPT outstanding */
	bool cancelled_hit;       /* pc moved back onto a breakpoint it hit */
	bool exited;
	bool at_exec;             /* stopped at the exec event: the first
	                             single-step only finishes the execve */
	int pending_sig;          /* signal to deliver when resumed */
	bool pending_report;      /* a stop to surface before resuming anything */
	siginfo_t pending_si;
	uint64_t stop_pc;         /* pc where the user last saw it stopped */
	uint64_t disp_addr;       /* KT_TASK_DISPLACED: the original address */
	uint64_t slot;            /* its scratch slot, 0 if none yet */
	struct kt_regs disp_regs; /* KT_TASK_DISPLACED: registers at the hit */
	unsigned hw_gen;          /* s->hw_gen its debug registers hold (hw.c) */
	int hw_step;              /* slot id + 1 of a hardware breakpoint to step
	                             past before resuming (AArch64), 0 none */
	int pending_bp;           /* pending_report is this hw point's stop */
	struct kt_regs regs;
};

/* Why control came back to the front end. */
enum kt_stop_kind {
	KT_STOP_NONE,
	KT_STOP_BREAKPOINT, /* a user breakpoint that wants to be seen */
	KT_STOP_STEP,       /* stepi/nexti/finish/step completed */
	KT_STOP_DEBUGTRAP,  /* the program's own int3/brk #0xf000 */
	KT_STOP_SIGNAL,     /* a signal whose policy is "stop" (crash, trap) */
	KT_STOP_EXITED,     /* the process exited; exit_code valid */
	KT_STOP_KILLED,     /* the process was killed by signal signo */
	KT_STOP_INTERRUPT,  /* the user (SIGINT) or the tracer stopped it */
	KT_STOP_TIMEOUT,    /* --timeout elapsed: everything stopped */
	KT_STOP_TERMINATE,  /* the tracer got SIGTERM/SIGHUP: clean up and go */
	KT_STOP_DETACHED,   /* the process is no longer ours */
};

struct kt_stop {
	enum kt_stop_kind kind;
	struct kt_thread *thread;   /* the thread it concerns, NULL for exits */
	int signo;                  /* SIGNAL/KILLED/TERMINATE */
	siginfo_t si;               /* SIGNAL */
	bool trap;                  /* SIGNAL caused by the program's own trap (ud2) */
	const char *trap_what;      /* "ud2", "int3" */
	uint64_t addr;              /* where: breakpoint/trap address */
	int bp_num;                 /* BREAKPOINT: which one (first of them) */
	int exit_code;              /* EXITED */
	bool finish_value;          /* STEP from "finish": print the return value */
};

/* Per-signal policy, as "handle" sets it. */
struct kt_sig_policy {
	bool stop, print, pass;
};

#define KT_NSIG 65

struct kt_settings {
	bool displaced;        /* set displaced-stepping on|off */
	bool batch;            /* --batch: no prompt, print stops one line each */
	int timeout_sec;       /* --timeout, 0 = none */
	struct kt_sig_policy sig[KT_NSIG];
};

/* Counters kept for "info stats"-like reporting and benchmarks. */
struct kt_counters {
	unsigned long hits, silent_hits, emulated, ool, ool_far, inline_steps;
};

struct kt_session {
	struct kt_os *os;
	const struct kt_arch *arch;
	FILE *out;                 /* command output */
	FILE *err;                 /* diagnostics */
	struct kt_settings set;
	struct kt_counters count;

	pid_t pid;                 /* 0: no process */
	bool attached;             /* attach (detach on exit) vs launch (kill) */
	bool exited;
	struct kt_thread **threads;
	size_t nthreads, cap_threads;
	int next_thread_num;
	struct kt_thread *cur;     /* the selected thread */
	pid_t *early;              /* stops seen before their clone event */
	size_t nearly, cap_early;
	uint64_t timeout_deadline_ms;

	struct kt_patches *patches;
	uint64_t moribund[64];     /* patches removed recently: a thread may still
	                              report a trap from one (patch.c) */
	size_t nmoribund;
	struct kt_bptab bps;
	struct kt_modules *mods;
	uint64_t dl_debug_state;   /* internal breakpoint on the r_debug hook, 0 none */
	struct kt_slots *slots;    /* displaced-stepping scratch slots */
	struct kt_jit *jit;        /* libkitjit registries (jit.c) */
	struct kt_perfmap *perfmap; /* /tmp/perf-PID.map (perfmap.c) */
	struct kt_gdbjit *gdbjit;  /* GDB JIT interface images (gdbjit.c) */
	struct kt_value_history *history;
	const struct kt_reg_desc *last_reg; /* the register an expression last named */
	int frame;                 /* selected frame of cur */
	struct kt_hw_regs hw;      /* debug registers every thread should hold */
	unsigned hw_gen;           /* bumped at each change of hw (hw.c) */
	bool hw_any;               /* some slot of hw is armed */
	int hw_fires;              /* debug registers fire here: 1, never: -1, not probed: 0 */

	/* Event loop state (run.c). */
	bool collecting;           /* stopping every thread: hold, do not surface */
	int tracer_sig;            /* SIGINT/SIGTERM/SIGHUP received while busy */
	struct kt_terminal term;   /* who owns the terminal (terminal.h) */
	bool vfork_lifted;         /* patches lifted while a vfork child shares memory */
	struct kt_os_event *queue; /* events read early, handled later (FIFO) */
	size_t nqueue, cap_queue;
	struct {                   /* "finish" in progress */
		bool active;
		pid_t tid;
		uint64_t ret_addr, sp;
		const uint64_t *at;    /* "until"/"advance": also stop tid here */
		size_t nat;
	} finish;
};

/* Threads (threads.c). */
struct kt_thread *kt_thread_find(struct kt_session *s, pid_t tid);
struct kt_thread *kt_thread_add(struct kt_session *s, pid_t tid, enum kt_thread_state st);
void kt_thread_remove(struct kt_session *s, struct kt_thread *t);
struct kt_thread *kt_thread_by_num(struct kt_session *s, int num);
void kt_threads_clear(struct kt_session *s);
/* Read T's registers into t->regs if not cached (T must be stopped). */
kt_status kt_thread_regs(struct kt_session *s, struct kt_thread *t);
/* Write t->regs back to T. */
kt_status kt_thread_set_regs(struct kt_session *s, struct kt_thread *t);
/* The thread's name from /proc (comm), into BUF. */
void kt_thread_name(struct kt_session *s, const struct kt_thread *t, char *buf, size_t len);

#endif
