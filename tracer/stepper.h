/* SPDX-License-Identifier: MIT */
/*
 * stepper.h - moving a thread over one of our patches without losing it:
 * displaced stepping (emulate, or run a relocated copy in the thread's
 * scratch slot: one stop, other threads keep running) and the in-line
 * fallback (lift, single-step, replant, with every other thread held), and
 * the user's single-step.  The scratch slots are slots.h's.
 */
#ifndef KT_STEPPER_H
#define KT_STEPPER_H

#include "patch.h"
#include "session.h"

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
 * T took a breakpoint trap (SIG, SI) raised inside a slot area while T is
 * outside every one: the home trap of a far slot (AArch64), still queued
 * when an all-stop put T back in the program.  The step it ends is over,
 * so the caller drops the trap.
 */
bool kt_stepper_stale_home_trap(struct kt_session *s, struct kt_thread *t, int sig,
				const siginfo_t *si);
/*
 * Run one system call NR(ARGS) in T (stopped) and put T back as it was;
 * the result in *RET.  The system call instruction is written at AT in
 * process SPACE (T's), or, if AT is 0, over the instruction at T's pc and
 * restored after, which is safe only while every thread of SPACE is
 * stopped.
 */
kt_status kt_stepper_inject_syscall(struct kt_session *s, struct kt_thread *t, pid_t space,
				    uint64_t at, long nr, const uint64_t args[6], int64_t *ret);

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
