/* SPDX-License-Identifier: MIT */
/*
 * cond.c - breakpoint conditions at a hit (see cond.h).  The compiled form
 * lives in the breakpoint (cond_form, cond_reg, cond_cmp) and is made from
 * the parsed expression by kt_expr_regcmp, whose contract is that the
 * comparison kt_expr_compare makes of the register's value and the
 * constant is what evaluating the expression gives.  The register's value
 * is built by kt_eval_reg_value, the code the evaluator's own register
 * callback uses, so the two paths cannot drift apart.
 */
#include "attr.h"
#include "cond.h"

#include <stdio.h>

#include "eval.h"

/* Compile BP's condition for S's architecture: 1 or -1 (cond_form). */
static int
compile(struct kt_session *s, struct kt_bp *bp)
{
	bp->cond_arch = s->arch;
	bp->cond_reg = NULL;
	if (!kt_expr_regcmp(bp->cond, &bp->cond_cmp))
		return -1;
	bp->cond_reg = kt_arch_reg_by_name(s->arch, bp->cond_cmp.reg, bp->cond_cmp.len);
	/* An unknown name is the evaluator's to report, at every hit. */
	return bp->cond_reg ? 1 : -1;
}

static bool
evaluated(struct kt_session *s, struct kt_thread *t, struct kt_bp *bp)
{
	struct kt_value v;
	struct kt_expr_err err;

	if (kt_eval_compiled(s, t, bp->cond, &v, &err) != KT_OK) {
		fprintf(s->err, "Error in testing condition for breakpoint %d: %s\n", bp->num,
			err.msg);
		return true;
	}
	return kt_value_true(&v);
}

KT_HOT bool
kt_cond_true(struct kt_session *s, struct kt_thread *t, struct kt_bp *bp)
{
	if (!bp->cond)
		return true;
	if (bp->cond_form == 0 || bp->cond_arch != s->arch)
		bp->cond_form = compile(s, bp);
	/* The compiled form reads the innermost frame's registers only. */
	if (bp->cond_form < 0 || (t == s->cur && s->frame > 0) || kt_thread_regs(s, t) != KT_OK)
		return evaluated(s, t, bp);
	struct kt_value r;
	const struct kt_expr_regcmp *c = &bp->cond_cmp;
	kt_eval_reg_value(bp->cond_reg, kt_reg_get(&t->regs, bp->cond_reg), &r);
	return c->reg_left ? kt_expr_compare(c->op, &r, &c->k) : kt_expr_compare(c->op, &c->k, &r);
}
