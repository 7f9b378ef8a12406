/* SPDX-License-Identifier: MIT */
/*
 * hw.h - hardware breakpoints and watchpoints in the tracer: arming the
 * debug registers of every thread (also threads created later), what a
 * hit means (GDB's rules: a write watchpoint stops only when the value
 * changed; a read watchpoint emulated with read/write registers stops only
 * when it did not), stepping past a hit where the hardware stops before
 * the access (AArch64), and clearing every thread on detach.  The
 * encodings are the arch's (hw_* in struct kt_arch), the register writes
 * the OS table's.
 */
#ifndef KT_HW_H
#define KT_HW_H

#include "session.h"

/*
 * Encode the enabled hardware points of the breakpoint table into s->hw
 * and write it to every stopped thread (the others get it before they are
 * next resumed: kt_hw_sync_thread).  Gives each point its slot
 * (bp->hw_slot).  On failure s->hw and every thread keep what they had and
 * *WHY (may be NULL) says why: KT_ERR_BUSY when no debug register is free,
 * KT_ERR_INVAL for an address or length the hardware cannot watch,
 * KT_ERR_UNSUPPORTED without debug registers, KT_ERR_STATE without a
 * stopped thread.
 */
kt_status kt_hw_update(struct kt_session *s, const char **why);

/* Before T (stopped) resumes: bring its debug registers up to date. */
void kt_hw_sync_thread(struct kt_session *s, struct kt_thread *t);

/*
 * T stopped with a KT_TRAP_HW trap described by IN.  Returns true when the
 * stop surfaces (STOP filled: KT_STOP_BREAKPOINT with the point's number);
 * otherwise T was resumed (unless s->collecting: then a watchpoint's stop
 * is held as T's pending report, a breakpoint's hit is cancelled).
 */
bool kt_hw_hit(struct kt_session *s, struct kt_thread *t, const struct kt_trap_in *in,
	       struct kt_stop *stop);

/*
 * As kt_hw_hit, for a hit that interrupted the user's single step of T: T
 * is never resumed (a hit stepped past on AArch64 completes the step).
 * Returns true with STOP filled if the hit is to be shown.
 */
bool kt_hw_hit_stepping(struct kt_session *s, struct kt_thread *t, const struct kt_trap_in *in,
			struct kt_stop *stop);

/*
 * T completed a single step (stepi): if a watchpoint fired on the way
 * (x86-64 reports it with the step), account for it and turn STOP into its
 * report.  Returns true if it did.
 */
bool kt_hw_after_step(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop);

/*
 * T (stopped) is about to resume: if its pc is at an armed hardware
 * breakpoint that is not a cancelled hit, make it execute that instruction
 * instead of stopping there again, as at a software breakpoint (x86-64:
 * RF; AArch64: step past it first, t->hw_step).
 */
void kt_hw_resume_here(struct kt_session *s, struct kt_thread *t);

/*
 * AArch64: T stopped on hardware breakpoint t->hw_step - 1; execute that
 * instruction with the slot disabled for T alone, then re-arm it.  A
 * signal the step raised is left in t->pending_sig.  T stays stopped.
 */
kt_status kt_hw_step_past(struct kt_session *s, struct kt_thread *t);

/* Disarm every stopped thread's debug registers (detach: leave no trace). */
void kt_hw_release_all(struct kt_session *s);

/*
 * The exec wiped every thread's debug registers, and the addresses were the
 * old program's: disable every hardware point (saying so on s->err).
 */
void kt_hw_exec(struct kt_session *s);

/* Read BP's watched value (KT_ERR_MEM if it cannot be read). */
kt_status kt_hw_read_value(struct kt_session *s, const struct kt_bp *bp, uint64_t *v);

/* Render V, a value of BP's watched size and signedness, into BUF. */
const char *kt_hw_fmt_value(const struct kt_bp *bp, uint64_t v, char *buf, size_t len);

#endif
