/* SPDX-License-Identifier: MIT */
/*
 * run.h - the event loop: resuming the process, waiting for ptrace events,
 * classifying each stop and applying policy, and stopping every thread
 * when a stop must be shown (all-stop).  A breakpoint hit that does not
 * stop (false condition, ignore count, internal breakpoint) resumes only
 * the thread that hit it.
 *
 * Every function here leaves the process either gone or with every thread
 * stopped (all-stop), except where said.
 */
#ifndef KT_RUN_H
#define KT_RUN_H

#include "session.h"

/* Resume every thread and run until a stop surfaces; describe it in STOP. */
kt_status kt_run_continue(struct kt_session *s, struct kt_stop *stop);
/* Single-step thread T one instruction (others stay stopped). */
kt_status kt_run_stepi(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop);
/* Step over a call at T's pc, else one instruction. */
kt_status kt_run_nexti(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop);
/* Run until the current function of T returns (RET_ADDR is its return address). */
kt_status kt_run_finish(struct kt_session *s, struct kt_thread *t, uint64_t ret_addr,
			uint64_t caller_sp, struct kt_stop *stop);
/*
 * Resume every thread until T reaches one of the NAT addresses AT (a
 * KT_STOP_STEP stop) or, if RET_ADDR is not 0, returns there with its sp
 * at least CALLER_SP (KT_STOP_STEP with finish_value), or another stop
 * surfaces.  AT is borrowed for the call.  "finish" is RET_ADDR alone;
 * "until LOCATION" and "advance" give both.
 */
kt_status kt_run_until(struct kt_session *s, struct kt_thread *t, const uint64_t *at, size_t nat,
		       uint64_t ret_addr, uint64_t caller_sp, struct kt_stop *stop);
/*
 * T, single-stepped by a source-level step, arrived at ADDR: apply the hit
 * to the enabled user breakpoints there as running into them would
 * (conditions, ignore and hit counts).  True if one stops: STOP is filled
 * as its KT_STOP_BREAKPOINT.
 */
bool kt_run_step_hit(struct kt_session *s, struct kt_thread *t, uint64_t addr,
		     struct kt_stop *stop);
/* all_stop.c.  Stop every running thread (all-stop); used before reporting. */
kt_status kt_run_stop_all(struct kt_session *s);
/* Detach: lift every patch, detach every thread (leaves it running). */
kt_status kt_run_detach(struct kt_session *s);
/* Kill the process and reap it. */
kt_status kt_run_kill(struct kt_session *s);
/* The options kitrace seizes every thread with. */
unsigned long kt_run_ptrace_options(void);

/* Building blocks shared with stepper.c. */
kt_status kt_run_resume_all(struct kt_session *s);
kt_status kt_run_next_event(struct kt_session *s, enum kt_wake *wake, struct kt_os_event *ev,
			    int *sig);
/* Remember a SIGINT/SIGTERM/SIGHUP that arrived while kitrace was busy;
 * the next kt_run_continue acts on it before running anything. */
void kt_run_note_signal(struct kt_session *s, int sig);
/* Take the first queued event of thread TID, if there is one. */
bool kt_run_take_queued(struct kt_session *s, pid_t tid, struct kt_os_event *ev);
void kt_run_push_event(struct kt_session *s, const struct kt_os_event *ev);
/*
 * Handle one event EV.  True when it must be shown: STOP is filled and the
 * rest of it is zero.  False: STOP is left as it was.
 */
bool kt_run_handle_event(struct kt_session *s, const struct kt_os_event *ev,
			 struct kt_stop *stop);
void kt_run_cont_thread(struct kt_session *s, struct kt_thread *t);
struct kt_thread *kt_run_any_stopped(struct kt_session *s);
/* The process is gone (its leader exited or was killed): forget its
 * threads and patches. */
void kt_run_process_gone(struct kt_session *s);

/* Take over the process after launch or attach: modules, hooks, pending breakpoints. */
kt_status kt_run_setup(struct kt_session *s);
/* Resolve pending breakpoints against the current modules; plant new locations. */
void kt_run_resolve_pending(struct kt_session *s, pid_t via);

#endif
