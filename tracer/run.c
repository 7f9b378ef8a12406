/* SPDX-License-Identifier: MIT */
/*
 * run.c - the event loop (see run.h).  One stop, end to end:
 *
 *   waitpid ─► which thread, which ptrace event ─► arch: classify the trap
 *     ─► policy: condition false? ignore count? internal? signal to pass?
 *          ├─ resume silently: step over our patch for this thread only
 *          └─ surface: stop every other thread, hand the stop back
 *
 * While every thread is being stopped (s->collecting), nothing surfaces:
 * breakpoint hits are cancelled (pc moved back onto the breakpoint, so the
 * thread hits it again when resumed) and other stops are kept as pending
 * reports, shown before anything is resumed again.  Stopping and resuming
 * every thread, detach and kill are all_stop.c's.
 */
#include "attr.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "expr.h"
#include "hw.h"
#include "gdbjit.h"
#include "jit.h"
#include "eval.h"
#include "location.h"
#include "modules.h"
#include "patch.h"
#include "perfmap.h"
#include "signals.h"
#include "slots.h"
#include "stepper.h"

#define OPTIONS                                                                        \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |              \
	 PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXEC)

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The next event: one queued earlier, or a new one from the OS. */
KT_HOT kt_status
kt_run_next_event(struct kt_session *s, enum kt_wake *wake, struct kt_os_event *ev, int *sig)
{
	if (s->nqueue > 0) {
		*ev = s->queue[0];
		memmove(&s->queue[0], &s->queue[1], --s->nqueue * sizeof(s->queue[0]));
		*wake = KT_WAKE_EVENT;
		return KT_OK;
	}
	int timeout = -1;
	if (s->timeout_deadline_ms) {
		uint64_t now = now_ms();
		timeout = now >= s->timeout_deadline_ms ? 0 : (int)(s->timeout_deadline_ms - now);
	}
	kt_status st = s->os->ops->wait(s->os, timeout, wake, ev, sig);
	if (st != KT_OK || *wake != KT_WAKE_EVENT)
		return st;
	/*
	 * Fairness: waitpid reports the thread first in the kernel's list, and
	 * a thread that stops again at once would always win.  Take every event
	 * already waiting and handle them in order, so each stopped thread is
	 * served in every round.  (With one thread there is nothing to share,
	 * and the system call is saved on every hit.)
	 */
	while (s->nthreads > 1) {
		enum kt_wake w;
		struct kt_os_event more;
		int sg = 0;
		if (s->os->ops->wait(s->os, 0, &w, &more, &sg) != KT_OK)
			break;
		if (w == KT_WAKE_SIGNAL)
			kt_run_note_signal(s, sg);
		if (w != KT_WAKE_EVENT)
			break;
		kt_run_push_event(s, &more);
	}
	return KT_OK;
}

bool
kt_run_take_queued(struct kt_session *s, pid_t tid, struct kt_os_event *ev)
{
	for (size_t i = 0; i < s->nqueue; i++) {
		if (s->queue[i].tid != tid)
			continue;
		*ev = s->queue[i];
		memmove(&s->queue[i], &s->queue[i + 1], (s->nqueue - i - 1) * sizeof(s->queue[0]));
		s->nqueue--;
		return true;
	}
	return false;
}

void
kt_run_note_signal(struct kt_session *s, int sig)
{
	/* SIGTERM and SIGHUP outrank SIGINT: they end the session. */
	if (!s->tracer_sig || s->tracer_sig == SIGINT)
		s->tracer_sig = sig;
}

void
kt_run_push_event(struct kt_session *s, const struct kt_os_event *ev)
{
	/* Never drop one: a lost stop is a thread never resumed. */
	if (s->nqueue == s->cap_queue) {
		size_t cap = s->cap_queue ? 2 * s->cap_queue : 64;
		struct kt_os_event *q = realloc(s->queue, cap * sizeof(*q));
		if (!q) {
			fprintf(s->err, "kitrace: out of memory queueing events\n");
			abort();
		}
		s->queue = q;
		s->cap_queue = cap;
	}
	s->queue[s->nqueue++] = *ev;
}

static bool
take_early(struct kt_session *s, pid_t tid)
{
	for (size_t i = 0; i < s->nearly; i++) {
		if (s->early[i] != tid)
			continue;
		s->early[i] = s->early[--s->nearly];
		return true;
	}
	return false;
}

static void
add_early(struct kt_session *s, pid_t tid)
{
	if (s->nearly == s->cap_early) {
		size_t cap = s->cap_early ? 2 * s->cap_early : 8;
		pid_t *v = realloc(s->early, cap * sizeof(*v));
		if (!v)
			return;
		s->early = v;
		s->cap_early = cap;
	}
	s->early[s->nearly++] = tid;
}

/* Resume T with CONT (or LISTEN from group-stop), delivering its pending signal. */
KT_HOT void
kt_run_cont_thread(struct kt_session *s, struct kt_thread *t)
{
	int sig = t->pending_sig;

	kt_hw_sync_thread(s, t);
	kt_hw_resume_here(s, t);
	if (t->hw_step) {
		/* Stopped on a hardware breakpoint that fires before the
		 * instruction (AArch64): execute it with the slot disabled. */
		if (kt_hw_step_past(s, t) != KT_OK || s->exited || t->exited)
			return;
		if (!sig)
			sig = t->pending_sig;
	}
	t->pending_sig = 0;
	t->regs_valid = false;
	t->cancelled_hit = false;
	t->at_exec = false;
	if (s->os->ops->cont(s->os, t->tid, sig) == KT_OK)
		t->state = KT_TS_RUNNING;
	else
		t->exited = true; /* gone: its exit event follows */
}

struct kt_thread *
kt_run_any_stopped(struct kt_session *s)
{
	if (s->cur && s->cur->state == KT_TS_STOPPED && !s->cur->exited)
		return s->cur;
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i]->state == KT_TS_STOPPED && !s->threads[i]->exited)
			return s->threads[i];
	return NULL;
}

void
kt_run_process_gone(struct kt_session *s)
{
	s->exited = true;
	kt_threads_clear(s);
	kt_patches_forget(s);
	kt_os_linux_forget(s->os, s->pid);
}

/* Handle a fork/vfork child: clean our patches out of it and let it go. */
static void
release_child(struct kt_session *s, struct kt_thread *parent, pid_t child, bool vfork)
{
	enum kt_wake wake;
	struct kt_os_event ev;
	int sig;

	/* Wait for the child's first stop, unless it already arrived. */
	while (!take_early(s, child) && !kt_run_take_queued(s, child, &ev)) {
		if (s->os->ops->wait(s->os, 5000, &wake, &ev, &sig) != KT_OK ||
		    wake != KT_WAKE_EVENT)
			return;
		if (ev.tid == child)
			break;
		kt_run_push_event(s, &ev);
	}
	if (!vfork) {
		kt_patches_clean_child(s, child);
		kt_slots_clean_child(s, parent, child);
	}
	s->os->ops->detach(s->os, child, 0);
}

static void
handle_exec(struct kt_session *s, struct kt_thread *t)
{
	/* A new address space: only the thread group leader survives. */
	for (size_t i = s->nthreads; i-- > 0;)
		if (s->threads[i] != t && s->threads[i]->tid != s->pid)
			kt_thread_remove(s, s->threads[i]);
	if (t->tid != s->pid) {
		struct kt_thread *leader = kt_thread_find(s, s->pid);
		if (leader)
			kt_thread_remove(s, leader);
		t->tid = s->pid;
	}
	kt_patches_forget(s);
	kt_slots_forget(s);
	kt_hw_exec(s);
	kt_os_linux_forget(s->os, s->pid);
	kt_jit_free(s);
	kt_perfmap_free(s);
	kt_modules_free(s);
	s->dl_debug_state = 0;
	for (size_t i = 0; i < s->bps.n; i++)
		kt_bp_clear_addrs(s->bps.v[i]);
	s->cur = t;
	t->at_exec = true;
	kt_run_setup(s);
}

/*
 * Apply a hit at ADDR by T to every enabled breakpoint there (conditions,
 * ignore and hit counts); the number of the first that stops, or 0.
 */
static KT_HOT int
bp_stops(struct kt_session *s, struct kt_thread *t, uint64_t addr)
{
	int first = 0;

	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (bp->enabled && kt_bp_has_addr(bp, addr) &&
		    kt_bp_hit(bp, kt_cond_true(s, t, bp)) == KT_HIT_STOP && !first)
			first = bp->num;
	}
	return first;
}

bool
kt_run_step_hit(struct kt_session *s, struct kt_thread *t, uint64_t addr, struct kt_stop *stop)
{
	struct kt_patch *p;

	if (!kt_bptab_wants(&s->bps, addr))
		return false;
	s->count.hits++;
	if ((p = kt_patch_find(s, addr)))
		p->hits++;
	int num = bp_stops(s, t, addr);
	if (!num)
		return false;
	memset(stop, 0, sizeof(*stop));
	stop->kind = KT_STOP_BREAKPOINT;
	stop->thread = t;
	stop->addr = addr;
	stop->bp_num = num;
	return true;
}

/* Our patch at ADDR was hit by T (pc already moved back to ADDR in t->regs). */
static KT_HOT bool
patch_hit(struct kt_session *s, struct kt_thread *t, uint64_t addr, struct kt_stop *stop)
{
	struct kt_patch *p = kt_patch_find(s, addr);
	bool surface = false, moved = false;
	int first = 0;

	s->count.hits++;
	if (p)
		p->hits++;
	if (addr == s->dl_debug_state && s->dl_debug_state) {
		moved = true;
		/* A shared library was loaded or unloaded: resolve pending breakpoints. */
		kt_modules_refresh(s, NULL);
		kt_jit_discover(s);
		kt_run_resolve_pending(s, t->tid);
	}
	if (kt_jit_is_hook(s, addr)) {
		moved = true;
		/* libkitjit created its registry, or published a function whose
		 * name a breakpoint may want: plant it before the new code first
		 * runs.  kitjit_debug_hook(reason, registry, generation). */
		const int *arg = s->arch->reg_args;
		kt_jit_hook(s, t->tid, t->regs.w[arg[1]], t->regs.w[arg[2]]);
		kt_jit_update_filter(s, t->tid);
	}
	if (kt_gdbjit_is_hook(s, addr)) {
		moved = true;
		kt_gdbjit_hook(s, t->tid); /* an image registered while a breakpoint is pending */
	}
	bool finish_value = false;
	if (s->finish.active && addr == s->finish.ret_addr && t->tid == s->finish.tid &&
	    kt_regs_sp(s->arch, &t->regs) >= s->finish.sp)
		surface = finish_value = true;
	for (size_t i = 0; s->finish.active && t->tid == s->finish.tid && i < s->finish.nat; i++)
		if (addr == s->finish.at[i])
			surface = true;
	/* While collecting, the hit is cancelled: it happens again later. */
	if (!s->collecting && (first = bp_stops(s, t, addr)) != 0)
		surface = true;
	if (surface) {
		memset(stop, 0, sizeof(*stop));
		stop->kind = first ? KT_STOP_BREAKPOINT : KT_STOP_STEP;
		stop->finish_value = finish_value;
		stop->thread = t;
		stop->addr = addr;
		stop->bp_num = first;
		return true;
	}
	if (s->collecting)
		return false;
	s->count.silent_hits++;
	/* Resume only this thread, over the patch.  Look the site up again if
	 * resolving pending breakpoints above may have moved the table. */
	if (moved)
		p = kt_patch_find(s, addr);
	if (kt_stepper_step_over(s, t, p) != KT_OK)
		t->exited = true;
	return false;
}

/* kt_trap_in.read: real memory, all LEN bytes or KT_ERR_MEM. */
static kt_status
trap_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	size_t got = 0;

	kt_mem_read_raw(ctx, addr, buf, len, &got);
	return got == len ? KT_OK : KT_ERR_MEM;
}

/*
 * Handle one event.  Returns true when it must be shown: STOP filled, the
 * rest of it zero.  Returning false, STOP is left as it was (a silent hit
 * does not pay for clearing it).  With s->collecting, nothing is resumed
 * and nothing surfaces: stops are held as pending reports.
 */
KT_HOT bool
kt_run_handle_event(struct kt_session *s, const struct kt_os_event *ev, struct kt_stop *stop)
{
	struct kt_thread *t = kt_thread_find(s, ev->tid);
	int status = ev->status;

	if (!t) {
		if (WIFSTOPPED(status))
			add_early(s, ev->tid); /* a new thread or child before its announcement */
		return false;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		bool leader = ev->tid == s->pid;
		kt_thread_remove(s, t);
		if (!leader)
			return false;
		memset(stop, 0, sizeof(*stop));
		if (WIFEXITED(status)) {
			stop->kind = KT_STOP_EXITED;
			stop->exit_code = WEXITSTATUS(status);
		} else {
			stop->kind = KT_STOP_KILLED;
			stop->signo = WTERMSIG(status);
		}
		kt_run_process_gone(s);
		return true;
	}
	if (!WIFSTOPPED(status))
		return false;

	int sig = WSTOPSIG(status), event = status >> 16;
	enum kt_thread_state was = t->state;
	t->state = KT_TS_STOPPED;
	/* Whatever stopped it answers an interrupt we sent, as far as we are
	 * concerned: the kernel may fold a pending interrupt into this stop.
	 * A stale interrupt stop that still comes later is simply resumed. */
	t->interrupt_sent = false;
	t->regs_valid = false;

	switch (event) {
	case PTRACE_EVENT_CLONE: {
		unsigned long msg = 0;
		s->os->ops->event_msg(s->os, t->tid, &msg);
		struct kt_thread *nt = kt_thread_add(s, (pid_t)msg, KT_TS_NEW);
		if (nt && take_early(s, nt->tid)) {
			nt->state = KT_TS_STOPPED;
			if (!s->collecting)
				kt_run_cont_thread(s, nt);
		}
		if (!s->collecting)
			kt_run_cont_thread(s, t);
		return false;
	}
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK: {
		unsigned long msg = 0;
		s->os->ops->event_msg(s->os, t->tid, &msg);
		if (event == PTRACE_EVENT_VFORK && !s->vfork_lifted) {
			/* The child shares our memory until it execs or exits. */
			kt_patches_lift_all(s, t->tid);
			s->vfork_lifted = true;
		}
		release_child(s, t, (pid_t)msg, event == PTRACE_EVENT_VFORK);
		if (!s->collecting)
			kt_run_cont_thread(s, t);
		return false;
	}
	case PTRACE_EVENT_VFORK_DONE:
		if (s->vfork_lifted) {
			kt_patches_replant_all(s, t->tid);
			s->vfork_lifted = false;
		}
		if (!s->collecting)
			kt_run_cont_thread(s, t);
		return false;
	case PTRACE_EVENT_EXEC: {
		handle_exec(s, t);
		fprintf(s->err, "process %d is executing a new program\n", (int)s->pid);
		if (!s->collecting)
			kt_run_cont_thread(s, t);
		return false;
	}
	case PTRACE_EVENT_STOP:
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* Group-stop: keep it stopped for the program, but listen. */
			t->interrupt_sent = false;
			if (!s->collecting && s->os->ops->listen(s->os, t->tid) == KT_OK)
				t->state = KT_TS_LISTEN;
			return false;
		}
		t->interrupt_sent = false;
		if (was == KT_TS_NEW || !s->collecting) {
			/* A new thread's first stop, or a stale interrupt: go on. */
			if (!s->collecting)
				kt_run_cont_thread(s, t);
		} else if (t->task == KT_TASK_DISPLACED && kt_thread_regs(s, t) == KT_OK) {
			/* Stopped for all-stop in the middle of a displaced step:
			 * show it where it is in the program, not in its slot.  A
			 * thread put back before the instruction is not a new hit:
			 * resuming steps it over the breakpoint again. */
			kt_stepper_displaced_stop(s, t, 0, NULL);
		}
		return false;
	default:
		break;
	}

	/* A signal-delivery-stop.  The kernel fills all of SI. */
	siginfo_t si;
	if (s->os->ops->siginfo(s->os, t->tid, &si) != KT_OK)
		return false;
	if (kt_thread_regs(s, t) != KT_OK)
		return false;
	if (t->task == KT_TASK_DISPLACED && kt_stepper_displaced_stop(s, t, sig, &si))
		return false; /* held or finished inside the slot */
	if (kt_stepper_stale_home_trap(s, t, sig, &si)) {
		if (!s->collecting)
			kt_run_cont_thread(s, t);
		return false;
	}

	uint64_t pc = kt_regs_pc(s->arch, &t->regs);
	struct kt_trap_in in = {
		.signo = sig,
		.si_code = si.si_code,
		.fault_addr = (uint64_t)(uintptr_t)si.si_addr,
		.pc = pc,
		.stepping = false,
		.is_patch = kt_stepper_is_patch,
		.read = trap_read,
		.ctx = s,
	};
	struct kt_trap_out out;
	s->arch->classify_trap(&in, &out);

	switch (out.kind) {
	case KT_TRAP_PATCH:
		s->arch->set_pc(&t->regs, out.addr);
		if (s->collecting) {
			/* Cancel the hit: it happens again when the thread resumes. */
			kt_thread_set_regs(s, t);
			t->cancelled_hit = true;
			return false;
		}
		if (patch_hit(s, t, out.addr, stop)) {
			kt_thread_set_regs(s, t);
			t->stop_pc = out.addr;
			return true;
		}
		return false;
	case KT_TRAP_DEBUGTRAP:
		memset(stop, 0, sizeof(*stop));
		stop->kind = KT_STOP_DEBUGTRAP;
		stop->thread = t;
		stop->addr = out.addr;
		stop->trap_what = out.what;
		if (out.resume_pc != pc) {
			s->arch->set_pc(&t->regs, out.resume_pc);
			kt_thread_set_regs(s, t);
		}
		t->stop_pc = kt_regs_pc(s->arch, &t->regs);
		if (s->collecting) {
			t->pending_report = true;
			return false;
		}
		return true;
	case KT_TRAP_STEP:
		if (!s->collecting)
			kt_run_cont_thread(s, t);
		return false;
	case KT_TRAP_HW:
		memset(stop, 0, sizeof(*stop));
		if (s->arch->hw_decode)
			return kt_hw_hit(s, t, &in, stop);
		break;
	default:
		break;
	}

	/* An ordinary signal (or the program's own fatal trap). */
	const struct kt_sig_policy *pol = kt_signal_policy(s, sig);
	t->pending_sig = pol->pass || out.kind == KT_TRAP_TRAP ? sig : 0;
	if (pol->stop || out.kind == KT_TRAP_TRAP) {
		memset(stop, 0, sizeof(*stop));
		stop->kind = KT_STOP_SIGNAL;
		stop->thread = t;
		stop->signo = sig;
		stop->si = si;
		stop->trap = out.kind == KT_TRAP_TRAP;
		stop->trap_what = out.what;
		stop->addr = pc;
		t->stop_pc = pc;
		t->pending_si = si;
		if (s->collecting) {
			t->pending_report = true;
			return false;
		}
		return true;
	}
	if (pol->print)
		fprintf(s->err, "Thread %d received signal %s, %s.\n", t->num,
			kt_signal_name(sig), pol->pass ? "passing it" : "discarding it");
	if (!s->collecting)
		kt_run_cont_thread(s, t);
	return false;
}

/* Take one pending report, if any thread holds one. */
static KT_HOT bool
take_pending(struct kt_session *s, struct kt_stop *stop)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (!t->pending_report)
			continue;
		t->pending_report = false;
		memset(stop, 0, sizeof(*stop));
		stop->thread = t;
		stop->addr = t->stop_pc;
		if (t->pending_bp) {
			stop->kind = KT_STOP_BREAKPOINT;
			stop->bp_num = t->pending_bp;
			t->pending_bp = 0;
		} else if (t->pending_sig || t->pending_si.si_signo) {
			stop->kind = KT_STOP_SIGNAL;
			stop->signo = t->pending_si.si_signo;
			stop->si = t->pending_si;
		} else {
			stop->kind = KT_STOP_DEBUGTRAP;
			stop->trap_what = "trap";
		}
		return true;
	}
	return false;
}

/* Wait until a stop surfaces; then stop everyone else. */
static KT_HOT kt_status
run_until_stop(struct kt_session *s, struct kt_stop *stop)
{
	for (;;) {
		enum kt_wake wake;
		struct kt_os_event ev;
		int sig = 0;
		if (take_pending(s, stop)) {
			/* Held while stepping a thread over a patch in line. */
			kt_run_stop_all(s);
			s->cur = stop->thread;
			return KT_OK;
		}
		kt_status st = KT_OK;
		if (s->tracer_sig) {
			/* Received while busy (stopping threads, stepping one). */
			wake = KT_WAKE_SIGNAL;
			sig = s->tracer_sig;
			s->tracer_sig = 0;
		} else {
			st = kt_run_next_event(s, &wake, &ev, &sig);
		}
		if (st == KT_ERR_NOTFOUND) {
			memset(stop, 0, sizeof(*stop));
			stop->kind = KT_STOP_EXITED;
			kt_run_process_gone(s);
			return KT_OK;
		}
		if (st != KT_OK)
			return st;
		if (wake == KT_WAKE_TIMEOUT) {
			kt_run_stop_all(s);
			memset(stop, 0, sizeof(*stop));
			stop->kind = s->exited ? KT_STOP_EXITED : KT_STOP_TIMEOUT;
			stop->thread = s->cur;
			return KT_OK;
		}
		if (wake == KT_WAKE_SIGNAL) {
			kt_run_stop_all(s);
			memset(stop, 0, sizeof(*stop));
			stop->kind = sig == SIGINT ? KT_STOP_INTERRUPT : KT_STOP_TERMINATE;
			stop->signo = sig;
			stop->thread = s->cur;
			if (s->exited)
				stop->kind = KT_STOP_EXITED;
			return KT_OK;
		}
		if (!kt_run_handle_event(s, &ev, stop))
			continue;
		if (stop->kind == KT_STOP_EXITED || stop->kind == KT_STOP_KILLED)
			return KT_OK;
		if (stop->finish_value)
			s->finish.active = false;
		kt_run_stop_all(s);
		if (s->exited) {
			/* Everyone died while stopping (exit_group): report that. */
			stop->kind = KT_STOP_EXITED;
			stop->thread = NULL;
			return KT_OK;
		}
		if (stop->thread) {
			s->cur = stop->thread;
			s->frame = 0;
		}
		/* Mappings may have changed since the last library event; JIT
		 * functions published meanwhile may be wanted by breakpoints. */
		kt_modules_refresh(s, NULL);
		kt_jit_discover(s);
		struct kt_thread *via = kt_run_any_stopped(s);
		if (via)
			kt_jit_plant_new(s, via->tid);
		return KT_OK;
	}
}

KT_HOT kt_status
kt_run_continue(struct kt_session *s, struct kt_stop *stop)
{
	if (!s->pid || s->exited)
		return KT_ERR_STATE;
	s->frame = 0; /* conditions read the hitting thread's own registers */
	if (take_pending(s, stop)) {
		s->cur = stop->thread;
		return KT_OK;
	}
	kt_status st = kt_run_resume_all(s);
	if (st != KT_OK)
		return st;
	kt_terminal_inferior(&s->term);
	st = run_until_stop(s, stop);
	kt_terminal_ours(&s->term);
	return st;
}

kt_status
kt_run_stepi(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop)
{
	s->frame = 0;
	return kt_stepper_stepi(s, t, stop);
}

kt_status
kt_run_nexti(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop)
{
	uint8_t code[KT_INSN_MAX];
	kt_status st;

	if ((st = kt_thread_regs(s, t)) != KT_OK)
		return st;
	uint64_t pc = kt_regs_pc(s->arch, &t->regs);
	if (kt_mem_read(s, pc, code, sizeof(code), NULL) == KT_OK &&
	    s->arch->is_call(code, sizeof(code), pc)) {
		size_t len = s->arch->insn_length(code, sizeof(code), pc);
		return kt_run_finish(s, t, pc + len, kt_regs_sp(s->arch, &t->regs), stop);
	}
	return kt_stepper_stepi(s, t, stop);
}

kt_status
kt_run_finish(struct kt_session *s, struct kt_thread *t, uint64_t ret_addr, uint64_t caller_sp,
	      struct kt_stop *stop)
{
	return kt_run_until(s, t, NULL, 0, ret_addr, caller_sp, stop);
}

kt_status
kt_run_until(struct kt_session *s, struct kt_thread *t, const uint64_t *at, size_t nat,
	     uint64_t ret_addr, uint64_t caller_sp, struct kt_stop *stop)
{
	kt_status st = KT_OK;
	size_t planted = 0;

	if (ret_addr && (st = kt_patch_get(s, t->tid, ret_addr)) != KT_OK)
		return st;
	while (planted < nat && (st = kt_patch_get(s, t->tid, at[planted])) == KT_OK)
		planted++;
	if (st == KT_OK) {
		s->finish.active = true;
		s->finish.tid = t->tid;
		s->finish.ret_addr = ret_addr;
		s->finish.sp = caller_sp;
		s->finish.at = at;
		s->finish.nat = nat;
		st = kt_run_continue(s, stop);
	}
	s->finish.active = false;
	s->finish.at = NULL;
	s->finish.nat = 0;
	struct kt_thread *via = kt_run_any_stopped(s);
	if (!s->exited) {
		for (size_t i = 0; i < planted; i++)
			kt_patch_put(s, via ? via->tid : 0, at[i]);
		if (ret_addr)
			kt_patch_put(s, via ? via->tid : 0, ret_addr);
	}
	return st;
}

void
kt_run_resolve_pending(struct kt_session *s, pid_t via)
{
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (bp->naddrs > 0 || kt_bp_is_hw(bp))
			continue;
		uint64_t *addrs = NULL;
		size_t n = kt_location_resolve_quiet(s, bp->spec, &addrs);
		for (size_t k = 0; k < n; k++)
			if (kt_bp_add_addr(bp, addrs[k]) == KT_OK &&
			    kt_patch_get(s, via, addrs[k]) != KT_OK)
				fprintf(s->err, "warning: cannot insert breakpoint %d at 0x%llx\n",
					bp->num, (unsigned long long)addrs[k]);
		if (n > 0)
			fprintf(s->err, "Breakpoint %d resolved: %s\n", bp->num, bp->spec);
		free(addrs);
	}
	kt_jit_update_filter(s, via);
}

kt_status
kt_run_setup(struct kt_session *s)
{
	struct kt_thread *via = kt_run_any_stopped(s);
	kt_status st = kt_modules_refresh(s, NULL);

	if (st != KT_OK || !via)
		return st;
	kt_jit_discover(s);
	/* The dynamic linker calls _dl_debug_state after every change of the
	 * link map (r_debug rendezvous): our hook for pending breakpoints. */
	if (!s->dl_debug_state) {
		uint64_t *addrs = NULL;
		size_t n = kt_lookup_function(s, "_dl_debug_state", &addrs);
		if (n > 0 && kt_patch_get(s, via->tid, addrs[0]) == KT_OK)
			s->dl_debug_state = addrs[0];
		free(addrs);
	}
	kt_run_resolve_pending(s, via->tid);
	if (s->set.displaced && !getenv("KT_NOSLOT") && kt_slots_setup(s, via) != KT_OK)
		fprintf(s->err, "warning: no scratch page for displaced stepping; "
				"stepping over breakpoints in line\n");
	return KT_OK;
}

unsigned long
kt_run_ptrace_options(void)
{
	return OPTIONS;
}
