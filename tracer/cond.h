/* SPDX-License-Identifier: MIT */
/*
 * cond.h - a breakpoint's condition at a hit.  A condition runs at every
 * hit, so it is compiled on first use: one register compared with a
 * constant ("$rdi == 5", the common case) becomes that one comparison of
 * the hitting thread's register; anything else is evaluated by the
 * expression language (eval.h).  Both give the same answer.
 */
#ifndef KT_COND_H
#define KT_COND_H

#include "bp.h"
#include "session.h"

/*
 * Does BP's condition hold for thread T, which hit it (stopped)?  True
 * without a condition.  A condition that cannot be evaluated (an unknown
 * register, unreadable memory) holds, and the error is said on s->err, as
 * GDB stops at such a breakpoint.  Registers are those of T's innermost
 * frame, or of the selected frame when T is the current thread.
 */
bool kt_cond_true(struct kt_session *s, struct kt_thread *t, struct kt_bp *bp);

#endif
