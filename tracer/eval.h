/* SPDX-License-Identifier: MIT */
/*
 * eval.h - expressions evaluated against the session: registers of a
 * thread, symbols of the process, its memory (patches hidden), and the
 * value history ($1, $2, ...) that "print" fills.
 */
#ifndef KT_EVAL_H
#define KT_EVAL_H

#include "expr.h"
#include "session.h"

/*
 * Parse and evaluate TEXT for thread T (NULL: no registers).  On failure,
 * ERR has the position and message.  When T is the current thread,
 * registers are those of the selected frame (s->frame): a register the
 * unwinding did not recover is KT_ERR_UNSUPPORTED, and registers of a
 * frame other than 0 cannot be assigned (KT_ERR_STATE).
 */
kt_status kt_eval(struct kt_session *s, struct kt_thread *t, const char *text,
		  struct kt_value *out, struct kt_expr_err *err);
/* Evaluate a parsed expression (breakpoint conditions: no parsing per hit). */
kt_status kt_eval_compiled(struct kt_session *s, struct kt_thread *t, const struct kt_expr *e,
			   struct kt_value *out, struct kt_expr_err *err);
/*
 * The value of register D holding RAW as expressions see it: general
 * registers signed, sign-extended from their width; address registers
 * (pc, sp, fp) unsigned pointers.  Normalised (expr.h).
 */
void kt_eval_reg_value(const struct kt_reg_desc *d, uint64_t raw, struct kt_value *out);
/* Append V to the value history; returns its number ($N). */
int kt_history_add(struct kt_session *s, const struct kt_value *v);
void kt_history_free(struct kt_session *s);

#endif
