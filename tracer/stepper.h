/* SPDX-License-Identifier: MIT */
/*
 * stepper.h - moving a thread over one of our patches without losing it:
 * displaced stepping (emulate, or run a relocated copy in the thread's
 * scratch slot: one stop, other threads keep running) and the in-line
 * fallback (lift, single-step, replant, with every other thread held), and
 * the user's single-step.  Scratch slots live in a page kitrace maps in
 * the inferior with an injected mmap.
 */
#ifndef KT_STEPPER_H
#define KT_STEPPER_H

#include "patch.h"
#include "session.h"

/* Scratch slots for displaced steps in the inferior. */
struct kt_slots {
	uint64_t base;        /* the mapping, 0 if none */
	size_t len;
	size_t slot_size, count;
	pid_t *owner;         /* thread using each slot, 0 = free */
	uint64_t *holds;      /* address whose copy each slot holds, 0 = none */
};

/* kt_arch_trap_in.is_patch for the session CTX. */
bool kt_stepper_is_patch(void *ctx, uint64_t addr);
/* True if P can be stepped over without stopping other threads. */
bool kt_stepper_can_displace(struct kt_session *s, struct kt_patch *p);
/*
 * Resume T (stopped with pc on P) past the patched instruction.  Uses a
 * displaced step when possible; otherwise stops every thread, steps in
 * line and resumes them all.
 */
kt_status kt_stepper_step_over(struct kt_session *s, struct kt_thread *t, struct kt_patch *p);
/* In-line step over P for T; every other thread must be stopped.  T stays stopped. */
kt_status kt_stepper_inline(struct kt_session *s, struct kt_thread *t, struct kt_patch *p);
/*
 * Single-step T (stopped) once, over whatever is at its pc, every other
 * thread as it is.  On return T is stopped, or gone (*gone).  A signal that
 * is not the step's trap is returned in *sig with *si.
 */
kt_status kt_stepper_step_plain(struct kt_session *s, struct kt_thread *t, int *sig,
				siginfo_t *si, bool *gone);
/* The user's stepi: one instruction of T, others stay stopped. */
kt_status kt_stepper_stepi(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop);
/*
 * T stopped with signal SIG while it was (maybe) inside its slot: move it
 * back to the original location.  Returns true if the event is consumed.
 */
bool kt_stepper_displaced_stop(struct kt_session *s, struct kt_thread *t, int sig,
			       const siginfo_t *si);
/*
 * T took a breakpoint trap (SIG, SI) raised inside the slot area while T
 * is outside it: the home trap of a far slot (AArch64), still queued when
 * an all-stop put T back in the program.  The step it ends is over, so the
 * caller drops the trap.
 */
bool kt_stepper_stale_home_trap(struct kt_session *s, struct kt_thread *t, int sig,
				const siginfo_t *si);
/* Map the slot page (all threads stopped; at setup). */
kt_status kt_stepper_setup(struct kt_session *s, struct kt_thread *via);
/*
 * A fork child (stopped, not ours): move it out of its parent's slot if
 * it forked from there, and unmap its copy of the slot page.
 */
void kt_stepper_clean_child(struct kt_session *s, struct kt_thread *parent, pid_t child);
/* The code at ADDR changed or its patch went away: no slot may keep a
 * relocated copy of the old instruction. */
void kt_stepper_forget_addr(struct kt_session *s, uint64_t addr);
/* After exec: the slot page is gone with the old address space. */
void kt_stepper_forget(struct kt_session *s);
/* Detach: move threads out of slots and unmap the page. */
void kt_stepper_release_all(struct kt_session *s);

/* --- shared by stepper.c and sequence.c --- */

/* What kt_stepper_resume_wait saw. */
enum kt_resumed {
	KT_RESUMED_SIGNAL, /* a signal-delivery stop: *sig, *si */
	KT_RESUMED_AGAIN,  /* an interrupt's event stop: resume again */
	KT_RESUMED_END,    /* gone (*gone), another event stop (handled), or *st failed */
};
/* Resume T (a single step if STEP) and take its next stop. */
enum kt_resumed kt_stepper_resume_wait(struct kt_session *s, struct kt_thread *t, bool step,
				       int *sig, siginfo_t *si, bool *gone, kt_status *st);
/* True for a fault the instruction itself raised (SIGSEGV/BUS/ILL/FPE, si_code > 0). */
bool kt_stepper_sync_fault(int sig, const siginfo_t *si);
/*
 * The ends of the sequence no stop may interrupt that opens at T's pc
 * (arch->atomic_sequence), in ENDS; 0 if none opens there.
 */
size_t kt_stepper_sequence_at(struct kt_session *s, struct kt_thread *t, uint64_t ends[2]);
/*
 * Run T (its patch lifted by the caller, every other thread stopped)
 * through that sequence to one of its N ENDS, with temporary patches there.
 * Returns like a single step: *sigout a signal the code raised, *gone if
 * the process ended.  An asynchronous signal stops it anywhere: the signal
 * is held, and the interrupted sequence retries by itself on resume.
 */
kt_status kt_stepper_run_sequence(struct kt_session *s, struct kt_thread *t, const uint64_t *ends,
				  size_t n, int *sigout, siginfo_t *si, bool *gone);

#endif
