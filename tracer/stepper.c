/* SPDX-License-Identifier: MIT */
/*
 * stepper.c - stepping threads over our patches (see stepper.h).
 */
#include "attr.h"
#include "hw.h"
#include "stepper.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "run.h"
#include "slots.h"
#include "signals.h"

KT_HOT bool
kt_stepper_is_patch(void *ctx, uint64_t addr)
{
	struct kt_patch *p = kt_patch_find(ctx, addr);

	return (p && p->planted) || kt_patch_moribund(ctx, addr);
}

static kt_status
mem_read_cb(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return kt_mem_read(ctx, addr, buf, len, NULL);
}

static kt_status
mem_write_cb(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	return kt_mem_write(ctx, addr, buf, len);
}

KT_HOT bool
kt_stepper_can_displace(struct kt_session *s, struct kt_patch *p)
{
	if (!s->set.displaced || !s->arch->plan)
		return false;
	if (kt_patch_plan(s, p) != KT_OK)
		return false;
	if (p->plan.kind == KT_PLAN_EMULATE)
		return true;
	return p->plan.kind == KT_PLAN_OOL && kt_slots_ready(s);
}

/* Wait for the next event of thread T, queueing other threads' events. */
static kt_status
wait_thread(struct kt_session *s, struct kt_thread *t, struct kt_os_event *ev)
{
	for (;;) {
		enum kt_wake wake;
		int sig;
		if (kt_run_take_queued(s, t->tid, ev))
			return KT_OK;
		kt_status st = s->os->ops->wait(s->os, -1, &wake, ev, &sig);
		if (st != KT_OK)
			return st;
		if (wake == KT_WAKE_TIMEOUT)
			return KT_ERR_TIMEOUT;
		if (wake == KT_WAKE_SIGNAL) {
			kt_run_note_signal(s, sig);
			s->os->ops->interrupt(s->os, t->tid);
			continue;
		}
		if (ev->tid == t->tid)
			return KT_OK;
		/* Another thread's event: keep it for the event loop.  (Other
		 * threads may be running, e.g. while a fork child is cleaned.) */
		kt_run_push_event(s, ev);
	}
}

bool
kt_stepper_sync_fault(int sig, const siginfo_t *si)
{
	return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) &&
	       si->si_code > 0;
}

enum kt_resumed
kt_stepper_resume_wait(struct kt_session *s, struct kt_thread *t, bool step, int *sig, siginfo_t *si,
	    bool *gone, kt_status *st)
{
	struct kt_os_event ev;

	t->regs_valid = false;
	*st = step ? s->os->ops->step(s->os, t->tid, 0) : s->os->ops->cont(s->os, t->tid, 0);
	if (*st != KT_OK)
		return KT_RESUMED_END;
	t->state = KT_TS_RUNNING;
	if ((*st = wait_thread(s, t, &ev)) != KT_OK)
		return KT_RESUMED_END;
	if (WIFEXITED(ev.status) || WIFSIGNALED(ev.status)) {
		struct kt_stop ignored;
		kt_run_handle_event(s, &ev, &ignored);
		*gone = true;
		return KT_RESUMED_END;
	}
	t->state = KT_TS_STOPPED;
	*sig = WSTOPSIG(ev.status);
	if ((ev.status >> 16) == PTRACE_EVENT_STOP) {
		t->interrupt_sent = false;
		return KT_RESUMED_AGAIN;
	}
	if ((ev.status >> 16) != 0) {
		/* An event stop (clone, exec): the step finished or will. */
		struct kt_stop ignored;
		bool was = s->collecting;
		s->collecting = true;
		kt_run_handle_event(s, &ev, &ignored);
		s->collecting = was;
		return KT_RESUMED_END;
	}
	memset(si, 0, sizeof(*si));
	s->os->ops->siginfo(s->os, t->tid, si);
	return KT_RESUMED_SIGNAL;
}

/*
 * Single-step T once (patch at pc lifted if P).  On return T is stopped,
 * or gone (*gone).  A signal that is not the step's trap is returned in
 * *sig with *si; an asynchronous one is held in t->pending_sig.
 */
static kt_status
single_step(struct kt_session *s, struct kt_thread *t, struct kt_patch *p, int *sigout,
	    siginfo_t *si, bool *gone)
{
	kt_status st = KT_OK;

	*sigout = 0;
	*gone = false;
	uint64_t ends[2];
	size_t nends = t->at_exec ? 0 : kt_stepper_sequence_at(s, t, ends);
	if (p && (st = kt_patch_lift(s, t->tid, p)) != KT_OK)
		return st;
	if (nends) {
		/* A step inside an exclusive sequence would make it fail forever:
		 * run the whole sequence instead (GDB does the same). */
		st = kt_stepper_run_sequence(s, t, ends, nends, sigout, si, gone);
		if (*gone)
			return KT_OK;
		goto done;
	}
	for (int tries = 0; tries < 32; tries++) {
		bool finishing_exec = t->at_exec;
		int sig = 0;
		t->at_exec = false;
		enum kt_resumed r = kt_stepper_resume_wait(s, t, true, &sig, si, gone, &st);
		if (*gone)
			return KT_OK; /* the patch went with the process or stays */
		if (r == KT_RESUMED_END)
			break;
		if (r == KT_RESUMED_AGAIN)
			continue;
		/* arm64 reports a step over svc from the system call exit as a
		 * SIGTRAP with SI_USER and no sender (user_single_step_report). */
		if (sig == SIGTRAP && (si->si_code == TRAP_TRACE || si->si_code == TRAP_BRKPT ||
				       (si->si_code == SI_USER && si->si_pid == 0))) {
			if (finishing_exec)
				continue; /* that step only returned from execve */
			break; /* the step completed */
		}
		if (sig == SIGTRAP || kt_stepper_sync_fault(sig, si)) {
			*sigout = sig; /* the instruction itself trapped or faulted */
			break;
		}
		/* An asynchronous signal: hold it, step again. */
		t->pending_sig = sig;
		t->pending_si = *si;
	}
done:
	t->regs_valid = false;
	if (p && !s->exited)
		kt_patch_replant(s, t->tid, p);
	s->count.inline_steps++;
	return st;
}

kt_status
kt_stepper_step_plain(struct kt_session *s, struct kt_thread *t, int *sig, siginfo_t *si,
		      bool *gone)
{
	return single_step(s, t, NULL, sig, si, gone);
}

/* What the single step over P's instruction left in memory, undone (arch). */
static void
after_single_step(struct kt_session *s, struct kt_thread *t, struct kt_patch *p)
{
	uint8_t insn[KT_INSN_MAX];
	struct kt_arch_mem mem = {mem_read_cb, mem_write_cb, s};

	if (!s->arch->after_single_step || !p || kt_thread_regs(s, t) != KT_OK ||
	    kt_mem_read(s, p->addr, insn, sizeof(insn), NULL) != KT_OK)
		return;
	s->arch->after_single_step(insn, sizeof(insn), &t->regs, &mem);
}

kt_status
kt_stepper_inline(struct kt_session *s, struct kt_thread *t, struct kt_patch *p)
{
	int sig;
	siginfo_t si;
	bool gone;
	kt_status st = single_step(s, t, p, &sig, &si, &gone);

	if (st != KT_OK || gone)
		return st;
	after_single_step(s, t, p);
	/* Landed on another breakpoint: resume into it, so it is hit (and
	 * its condition evaluated) instead of stepped over unseen. */
	if (!sig && kt_thread_regs(s, t) == KT_OK &&
	    kt_stepper_is_patch(s, kt_regs_pc(s->arch, &t->regs)))
		t->cancelled_hit = true;
	struct kt_stop held;
	if (!sig && kt_thread_regs(s, t) == KT_OK && kt_hw_after_step(s, t, &held)) {
		/* A watchpoint fired on the stepped instruction: show it next. */
		t->pending_report = true;
		t->pending_bp = held.bp_num;
	}
	if (sig) {
		/* The stepped instruction faulted: report as if it ran natively. */
		const struct kt_sig_policy *pol = kt_signal_policy(s, sig);
		t->pending_sig = pol->pass ? sig : 0;
		t->pending_si = si;
		if (kt_thread_regs(s, t) == KT_OK)
			t->stop_pc = kt_regs_pc(s->arch, &t->regs);
		if (pol->stop)
			t->pending_report = true;
	}
	return KT_OK;
}

/* Emulate P's instruction for T and resume it. */
static kt_status
emulated(struct kt_session *s, struct kt_thread *t, struct kt_patch *p)
{
	struct kt_arch_mem mem = {mem_read_cb, mem_write_cb, s};
	struct kt_regs regs = t->regs;
	kt_status st;

	if ((st = s->arch->emulate(&p->plan, p->addr, &regs, &mem)) != KT_OK)
		return st;
	t->regs = regs;
	if ((st = kt_thread_set_regs(s, t)) != KT_OK)
		return st;
	s->count.emulated++;
	kt_run_cont_thread(s, t);
	return KT_OK;
}

/* Write P's relocated copy into SLOT (the slot last held another's). */
static KT_COLD kt_status
fill_slot(struct kt_session *s, struct kt_patch *p, uint64_t slot)
{
	uint8_t code[256];
	size_t len = sizeof(code) < s->slots->slot_size ? sizeof(code) : s->slots->slot_size;
	kt_status st;

	if ((st = s->arch->ool_build(&p->plan, p->addr, slot, code, &len)) != KT_OK)
		return st;
	return s->os->ops->write(s->os, s->pid, slot, code, len);
}

static KT_HOT kt_status
displaced(struct kt_session *s, struct kt_thread *t, struct kt_patch *p)
{
	kt_status st;

	if (p->plan.kind == KT_PLAN_EMULATE)
		return emulated(s, t, p);
	struct kt_slot_ref ref;
	if ((st = kt_slots_take(s, t, p->addr, &ref)) != KT_OK)
		return st;
	uint64_t slot = ref.addr;
	if (*ref.holds != p->addr) {
		if ((st = fill_slot(s, p, slot)) != KT_OK)
			return st;
		*ref.holds = p->addr;
	}
	t->disp_regs = t->regs;
	s->arch->ool_enter(&p->plan, p->addr, slot, &t->regs);
	if ((st = kt_thread_set_regs(s, t)) != KT_OK) {
		t->regs = t->disp_regs;
		return st;
	}
	t->task = KT_TASK_DISPLACED;
	t->disp_addr = p->addr;
	t->slot = slot;
	s->count.ool++;
	kt_run_cont_thread(s, t);
	return KT_OK;
}

KT_HOT kt_status
kt_stepper_step_over(struct kt_session *s, struct kt_thread *t, struct kt_patch *p)
{
	kt_status st;

	if (!p || !p->planted) {
		/* The patch is gone (a moribund hit): just run the original
		 * instruction, from the pc moved back onto it. */
		if ((st = kt_thread_set_regs(s, t)) != KT_OK)
			return st;
		kt_run_cont_thread(s, t);
		return KT_OK;
	}
	if ((st = kt_thread_regs(s, t)) != KT_OK)
		return st;
	if (kt_stepper_can_displace(s, p) && displaced(s, t, p) == KT_OK)
		return KT_OK;
	/* In line: hold every other thread while the patch is lifted.  The
	 * thread's pc (moved back onto the patch) is only in t->regs so far. */
	if ((st = kt_thread_set_regs(s, t)) != KT_OK)
		return st;
	kt_run_stop_all(s);
	if (s->exited)
		return KT_OK;
	if ((st = kt_stepper_inline(s, t, p)) != KT_OK)
		return st;
	return kt_run_resume_all(s);
}

kt_status
kt_stepper_stepi(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop)
{
	int sig;
	siginfo_t si;
	bool gone;
	kt_status st;

	memset(stop, 0, sizeof(*stop));
	if ((st = kt_thread_regs(s, t)) != KT_OK)
		return st;
	kt_hw_resume_here(s, t);
	if (t->hw_step) {
		/* On a hardware breakpoint (AArch64): the step is the step past it. */
		if ((st = kt_hw_step_past(s, t)) != KT_OK)
			return st;
		if (s->exited || t->exited) {
			stop->kind = KT_STOP_EXITED;
			return KT_OK;
		}
		t->regs_valid = false;
		if ((st = kt_thread_regs(s, t)) != KT_OK)
			return st;
		stop->kind = KT_STOP_STEP;
		stop->thread = t;
		stop->addr = t->stop_pc = kt_regs_pc(s->arch, &t->regs);
		return KT_OK;
	}
	uint64_t pc = kt_regs_pc(s->arch, &t->regs);
	struct kt_patch *p = kt_patch_find(s, pc);
	if (p && !p->planted)
		p = NULL;
	if (t->pending_sig) {
		/* Deliver the held signal with this step, as continuing would. */
		int psig = t->pending_sig;
		t->pending_sig = 0;
		const struct kt_sig_policy *pol = kt_signal_policy(s, psig);
		if (pol->pass && s->os->ops->step(s->os, t->tid, psig) == KT_OK) {
			struct kt_os_event ev;
			t->state = KT_TS_RUNNING;
			if (wait_thread(s, t, &ev) == KT_OK && WIFSTOPPED(ev.status))
				t->state = KT_TS_STOPPED;
			t->regs_valid = false;
			p = NULL;
			if (t->state == KT_TS_STOPPED && kt_thread_regs(s, t) == KT_OK) {
				stop->kind = KT_STOP_STEP;
				stop->thread = t;
				stop->addr = kt_regs_pc(s->arch, &t->regs);
				t->stop_pc = stop->addr;
				return KT_OK;
			}
		}
	}
	st = single_step(s, t, p, &sig, &si, &gone);
	if (st != KT_OK)
		return st;
	if (gone || s->exited) {
		stop->kind = KT_STOP_EXITED;
		return KT_OK;
	}
	if ((st = kt_thread_regs(s, t)) != KT_OK)
		return st;
	stop->thread = t;
	stop->addr = kt_regs_pc(s->arch, &t->regs);
	t->stop_pc = stop->addr;
	if (sig == SIGTRAP && si.si_code == TRAP_HWBKPT && s->hw_any) {
		/* A debug register fired before the step completed (AArch64). */
		struct kt_trap_in in = {.signo = sig,
					.si_code = si.si_code,
					.fault_addr = (uint64_t)(uintptr_t)si.si_addr,
					.pc = stop->addr};
		if (!kt_hw_hit_stepping(s, t, &in, stop)) {
			memset(stop, 0, sizeof(*stop));
			stop->kind = s->exited ? KT_STOP_EXITED : KT_STOP_STEP;
			stop->thread = s->exited ? NULL : t;
		}
		if (stop->thread && kt_thread_regs(s, t) == KT_OK)
			t->stop_pc = stop->addr = kt_regs_pc(s->arch, &t->regs);
	} else if (sig == SIGTRAP) {
		stop->kind = KT_STOP_DEBUGTRAP;
		stop->trap_what = "int3";
		stop->addr -= 1;
	} else if (sig) {
		const struct kt_sig_policy *pol = kt_signal_policy(s, sig);
		t->pending_sig = pol->pass ? sig : 0;
		stop->kind = KT_STOP_SIGNAL;
		stop->signo = sig;
		stop->si = si;
	} else if (!kt_hw_after_step(s, t, stop)) {
		stop->kind = KT_STOP_STEP;
	}
	return KT_OK;
}

KT_HOT bool
kt_stepper_displaced_stop(struct kt_session *s, struct kt_thread *t, int sig,
			  const siginfo_t *si)
{
	struct kt_slots *sl = s->slots;
	uint64_t pc = kt_regs_pc(s->arch, &t->regs);
	bool done = false;

	t->task = KT_TASK_NONE;
	if (!sl || pc < t->slot || pc >= t->slot + sl->slot_size)
		return false; /* it had left the slot already */
	struct kt_patch *p = kt_patch_find(s, t->disp_addr);
	if (!p || !p->plan_ready)
		return false;
	struct kt_regs regs = t->regs;
	if (s->arch->ool_leave(&p->plan, p->addr, t->slot, &t->disp_regs, &regs, &done) ==
	    KT_OK) {
		t->regs = regs;
		kt_thread_set_regs(s, t);
		/* A breakpoint trap the slot raised after the instruction
		 * completed is its way home (AArch64 slots out of b's reach):
		 * the step is over, nothing to report. */
		if (done && sig == SIGTRAP && si && si->si_code == TRAP_BRKPT) {
			s->count.ool_far++;
			if (!s->collecting)
				kt_run_cont_thread(s, t);
			return true;
		}
	}
	/* A fault the relocated copy raised names a slot address: make it the
	 * original one, so the program's handler sees what it would have. */
	uint64_t fa = si ? (uint64_t)(uintptr_t)si->si_addr : 0;
	if (si && si->si_code > 0 && fa >= t->slot && fa < t->slot + sl->slot_size &&
	    s->os->ops->set_siginfo) {
		siginfo_t fixed = *si;
		fixed.si_addr = (void *)(uintptr_t)kt_regs_pc(s->arch, &t->regs);
		s->os->ops->set_siginfo(s->os, t->tid, &fixed);
	}
	return false;
}

KT_HOT bool
kt_stepper_stale_home_trap(struct kt_session *s, struct kt_thread *t, int sig,
			   const siginfo_t *si)
{
	uint64_t fa = (uint64_t)(uintptr_t)si->si_addr;

	if (sig != SIGTRAP || si->si_code != TRAP_BRKPT)
		return false;
	return kt_slots_contain(s, fa) && !kt_slots_contain(s, kt_regs_pc(s->arch, &t->regs));
}

kt_status
kt_stepper_inject_syscall(struct kt_session *s, struct kt_thread *t, pid_t space, uint64_t at,
			  long nr, const uint64_t args[6], int64_t *ret)
{
	const struct kt_arch *a = s->arch;
	uint8_t saved[16];
	size_t n = a->syscall_len;
	kt_status st;

	if (t->at_exec) {
		/* Let execve return first: that step executes nothing, and it
		 * would overwrite the system call number we are about to set. */
		struct kt_os_event ev;
		t->at_exec = false;
		t->regs_valid = false;
		if ((st = s->os->ops->step(s->os, t->tid, 0)) != KT_OK ||
		    (st = wait_thread(s, t, &ev)) != KT_OK)
			return st;
		if (!WIFSTOPPED(ev.status))
			return KT_ERR_GONE;
		t->state = KT_TS_STOPPED;
	}
	if ((st = kt_thread_regs(s, t)) != KT_OK)
		return st;
	/* A thread interrupted in a blocking system call would come back from
	 * our single-step with its restart already applied by the kernel, and
	 * restoring its old registers would undo that (nanosleep returning
	 * -ERESTART_RESTARTBLOCK to the program).  Restart it by hand first. */
	if (a->undo_syscall_restart && a->undo_syscall_restart(&t->regs) &&
	    (st = kt_thread_set_regs(s, t)) != KT_OK)
		return st;
	struct kt_regs orig = t->regs, regs = t->regs;
	uint64_t pc = at ? at : kt_regs_pc(a, &orig);
	size_t got;
	if (!at && (st = s->os->ops->read(s->os, space, pc, saved, n, &got)) != KT_OK)
		return st;
	if ((st = s->os->ops->write(s->os, space, pc, a->syscall_insn, n)) != KT_OK)
		return st;
	a->set_pc(&regs, pc);
	a->set_syscall(&regs, nr, args);
	t->regs = regs;
	int sig = 0;
	siginfo_t si;
	bool gone = false;
	if ((st = kt_thread_set_regs(s, t)) == KT_OK)
		st = single_step(s, t, NULL, &sig, &si, &gone);
	if (gone)
		return KT_ERR_GONE;
	if (st == KT_OK && (st = kt_thread_regs(s, t)) == KT_OK)
		*ret = a->syscall_result(&t->regs);
	if (!at)
		s->os->ops->write(s->os, space, pc, saved, n);
	t->regs = orig;
	kt_thread_set_regs(s, t);
	s->count.inline_steps--;
	return st;
}

