/* SPDX-License-Identifier: MIT */
/*
 * all_stop.c - every thread at once (see run.h): stopping all running
 * threads before a stop is shown, resuming them all (stepping over a
 * breakpoint first when a thread sits on one), and the two ways out that
 * touch every thread, detach and kill.  Single events are run.c's.
 */
#include "run.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hw.h"
#include "patch.h"
#include "slots.h"
#include "stepper.h"

static bool
anyone_running(struct kt_session *s)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (!t->exited && (t->state == KT_TS_RUNNING || t->state == KT_TS_NEW ||
				   t->state == KT_TS_LISTEN))
			return true;
	}
	return false;
}

/* Interrupt every thread we believe is running (and not asked yet). */
static void
interrupt_running(struct kt_session *s, bool again)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (t->exited || t->state == KT_TS_STOPPED || t->state == KT_TS_NEW)
			continue;
		if (t->interrupt_sent && !again)
			continue;
		if (s->os->ops->interrupt(s->os, t->tid) == KT_OK)
			t->interrupt_sent = true;
		else
			t->exited = true; /* a zombie; its exit event comes later */
	}
}

kt_status
kt_run_stop_all(struct kt_session *s)
{
	struct kt_stop stop;
	int quiet = 0;

	if (!s->pid || s->exited)
		return KT_OK;
	interrupt_running(s, false);
	s->collecting = true;
	while (anyone_running(s) && !s->exited) {
		enum kt_wake wake = KT_WAKE_EVENT;
		struct kt_os_event ev;
		int sig;
		kt_status st = KT_OK;
		if (s->nqueue > 0) {
			ev = s->queue[0];
			memmove(&s->queue[0], &s->queue[1], --s->nqueue * sizeof(s->queue[0]));
		} else {
			st = s->os->ops->wait(s->os, 1000, &wake, &ev, &sig);
		}
		if (st == KT_ERR_NOTFOUND) {
			kt_run_process_gone(s);
			break;
		}
		if (st != KT_OK)
			break;
		if (wake == KT_WAKE_TIMEOUT) {
			/* An interrupt can be lost to a stop that raced with it: ask again. */
			if (++quiet > 10)
				break;
			interrupt_running(s, true);
			continue;
		}
		if (wake == KT_WAKE_SIGNAL) {
			kt_run_note_signal(s, sig); /* acted on once everyone stopped */
			continue;
		}
		if (kt_run_handle_event(s, &ev, &stop) &&
		    (stop.kind == KT_STOP_EXITED || stop.kind == KT_STOP_KILLED)) {
			s->exited = true;
			break;
		}
	}
	s->collecting = false;
	/* Every thread has stopped and reported: no trap from a removed patch
	 * can still be on its way. */
	if (!anyone_running(s))
		kt_patch_moribund_clear(s);
	return KT_OK;
}

/*
 * T sits on a patch: has it already executed it, its SIGTRAP still queued
 * behind the interrupt the kernel reported first?  Where a trap leaves pc
 * on the patch (AArch64's brk), such a thread looks like one about to run
 * the patch.  Stepped over, it would take the trap after the step, away
 * from any patch, and die of it.  Resumed as it is, it takes the trap on
 * the patch, which is then an ordinary hit.
 */
static bool
trap_queued(struct kt_session *s, struct kt_thread *t)
{
	uint64_t mask;

	return s->os->ops->pending(s->os, t->tid, &mask) == KT_OK &&
	       (mask & (1ull << (SIGTRAP - 1)));
}

/* Resume every stopped thread; threads sitting on a patch step over it
 * first, unless they have hit it already (trap_queued). */
kt_status
kt_run_resume_all(struct kt_session *s)
{
	/* In-line step-overs first, while everyone else is still stopped. */
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (t->state != KT_TS_STOPPED || t->exited || t->cancelled_hit)
			continue;
		if (kt_thread_regs(s, t) != KT_OK)
			continue;
		struct kt_patch *p = kt_patch_find(s, kt_regs_pc(s->arch, &t->regs));
		if (p && p->planted && t->pending_sig == 0 &&
		    !kt_stepper_can_displace(s, p) && !trap_queued(s, t))
			kt_stepper_inline(s, t, p);
	}
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (t->state != KT_TS_STOPPED || t->exited || t->pending_report)
			continue;
		if (kt_thread_regs(s, t) != KT_OK) {
			t->exited = true;
			continue;
		}
		struct kt_patch *p = kt_patch_find(s, kt_regs_pc(s->arch, &t->regs));
		if (p && p->planted && !t->cancelled_hit && t->pending_sig == 0 &&
		    !trap_queued(s, t)) {
			if (kt_stepper_step_over(s, t, p) != KT_OK)
				t->exited = true;
		} else {
			kt_run_cont_thread(s, t);
		}
	}
	return KT_OK;
}

/*
 * A thread can report the tracer's interrupt while the SIGTRAP of a
 * breakpoint it has just executed is still queued: the kernel reports the
 * interrupt first.  Detached like that, it would take the trap with no
 * tracer and die.  So before detaching, let each such thread take its trap
 * while its breakpoints are still planted: the stop is handled as during
 * any stop-all (a hit is cancelled, its pc put back on the breakpoint).
 */
static void
take_queued_traps(struct kt_session *s)
{
	for (size_t i = 0; i < s->nthreads && !s->exited; i++) {
		struct kt_thread *t = s->threads[i];
		for (int round = 0; round < 4; round++) {
			if (t->exited || t->state != KT_TS_STOPPED || !trap_queued(s, t))
				break;
			int held = t->pending_sig;
			t->pending_sig = 0;
			s->collecting = true;
			kt_run_cont_thread(s, t);
			while (!s->exited && !t->exited && t->state != KT_TS_STOPPED) {
				enum kt_wake wake;
				struct kt_os_event ev;
				struct kt_stop stop;
				int sig;
				/* Nothing else runs; the trap is taken at once. */
				kt_status st = s->os->ops->wait(s->os, 2000, &wake, &ev, &sig);
				if (st == KT_ERR_NOTFOUND) {
					kt_run_process_gone(s);
					break;
				}
				if (st != KT_OK || wake == KT_WAKE_TIMEOUT) {
					kt_run_stop_all(s);
					break;
				}
				if (wake == KT_WAKE_SIGNAL)
					kt_run_note_signal(s, sig);
				else
					kt_run_handle_event(s, &ev, &stop);
			}
			s->collecting = false;
			if (s->exited)
				return;
			if (!t->exited && held && !t->pending_sig)
				t->pending_sig = held;
		}
	}
}

kt_status
kt_run_detach(struct kt_session *s)
{
	if (!s->pid || s->exited)
		return KT_ERR_STATE;
	kt_run_stop_all(s);
	take_queued_traps(s);
	if (s->exited)
		return KT_OK;
	struct kt_thread *via = kt_run_any_stopped(s);
	if (via) {
		kt_slots_release_all(s);
		kt_patches_lift_all(s, via->tid);
	}
	kt_hw_release_all(s);
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (!t->exited)
			s->os->ops->detach(s->os, t->tid, t->pending_sig);
	}
	kt_run_process_gone(s);
	return KT_OK;
}

kt_status
kt_run_kill(struct kt_session *s)
{
	if (!s->pid || s->exited)
		return KT_ERR_STATE;
	kill(s->pid, SIGKILL);
	for (;;) {
		enum kt_wake wake;
		struct kt_os_event ev;
		int sig;
		kt_status st = s->os->ops->wait(s->os, 5000, &wake, &ev, &sig);
		if (st != KT_OK || wake == KT_WAKE_TIMEOUT)
			break;
		if (wake == KT_WAKE_EVENT && ev.tid == s->pid &&
		    (WIFEXITED(ev.status) || WIFSIGNALED(ev.status)))
			break;
	}
	s->nqueue = 0;
	kt_run_process_gone(s);
	return KT_OK;
}
