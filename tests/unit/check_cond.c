/* SPDX-License-Identifier: MIT */
/*
 * check_cond.c - breakpoint conditions at a hit (tracer/cond.c).  A
 * comparison of one register with a constant is compiled to a single
 * comparison; everything else is evaluated.  The compiled answer must be
 * the evaluator's for every register width and kind (64-bit, 32/16/8-bit
 * views, pointer registers), both operand orders, every comparison, and
 * constants of every literal type, over register values at the edges of
 * each width; the tests also check which conditions compile and that a
 * change of condition is compiled afresh.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "bp.h"
#include "cond.h"
#include "eval.h"
#include "expr.h"
#include "fake_os.h"
#include "session.h"

#define PID 4242

static struct kt_session s;
static struct fake_os *fos;
static FILE *errf;
static struct kt_thread *t;

static void
setup_arch(const struct kt_arch *arch)
{
	memset(&s, 0, sizeof(s));
	kt_bptab_init(&s.bps);
	fos = fake_os_new();
	ck_assert_ptr_nonnull(fos);
	ck_assert_ptr_nonnull(fake_os_add_pid(fos, PID, 0));
	errf = tmpfile();
	ck_assert_ptr_nonnull(errf);
	s.os = &fos->os;
	s.arch = arch;
	s.pid = PID;
	s.err = errf;
	t = kt_thread_add(&s, PID, KT_TS_STOPPED);
	ck_assert_ptr_nonnull(t);
	t->regs_valid = true; /* the fake has no registers: the test sets them */
	s.cur = t;
}

static void
setup_x86(void)
{
	setup_arch(&kt_arch_x86_64);
}

static void
setup_a64(void)
{
	setup_arch(&kt_arch_aarch64);
}

static void
teardown(void)
{
	kt_threads_clear(&s);
	free(s.threads);
	kt_bptab_fini(&s.bps);
	fake_os_free(fos);
	fclose(errf);
}

static struct kt_bp *
with_cond(const char *text)
{
	struct kt_bp *bp = kt_bp_new(&s.bps, KT_BP_BREAK, "*0x401000");
	struct kt_expr *e = NULL;

	ck_assert_ptr_nonnull(bp);
	ck_assert_msg(kt_expr_parse(text, &e, NULL) == KT_OK, "parse %s", text);
	ck_assert_int_eq(kt_bp_set_cond(bp, text, e), KT_OK);
	return bp;
}

/* The evaluator's answer, the reference. */
static bool
evaluated(const struct kt_bp *bp)
{
	struct kt_value v;
	struct kt_expr_err err;

	ck_assert_int_eq(kt_eval_compiled(&s, t, bp->cond, &v, &err), KT_OK);
	return kt_value_true(&v);
}

static void
set_reg(const char *name, uint64_t v)
{
	const struct kt_reg_desc *d = kt_arch_reg_by_name(s.arch, name, strlen(name));

	ck_assert_ptr_nonnull(d);
	memset(&t->regs, 0, sizeof(t->regs));
	kt_reg_set(&t->regs, d, v);
	/* A 32-bit view write zero-extends on AArch64; put the high bits
	 * back so the view really has to ignore them. */
	if (d->bits < 64)
		t->regs.w[d->index] |= v & ~(uint64_t)0 << d->bits;
}

static const uint64_t values[] = {
	0,
	1,
	2,
	5,
	0x7f,
	0x80,
	0xff,
	0x7fff,
	0x8000,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000,
	0x7fffffffffffffff,
	0x8000000000000000,
	0xfffffffffffffffe,
	0xffffffffffffffff,
	0x12345678deadbeef,
};

static const char *const consts[] = {
	"0",	      "1",	   "-1",	 "5",	       "0x7f",	       "-128",
	"0x7fffffff", "0x80000000", "0xffffffff", "4294967296", "-2147483648", "0xffffffffffffffff",
	"1u",	      "10l",	   "'a'",	 "-9223372036854775807",
};

static const char *const ops[] = {"<", "<=", ">", ">=", "==", "!="};

/* Every register of REGS against every constant, operator and order. */
static void
compare_all(const char *const *regs, size_t nregs)
{
	char text[128];
	unsigned checked = 0;

	for (size_t r = 0; r < nregs; r++)
		for (size_t c = 0; c < sizeof(consts) / sizeof(consts[0]); c++)
			for (size_t o = 0; o < 6; o++)
				for (int left = 0; left < 2; left++) {
					if (left)
						snprintf(text, sizeof(text), "$%s %s %s", regs[r],
							 ops[o], consts[c]);
					else
						snprintf(text, sizeof(text), "%s %s $%s", consts[c],
							 ops[o], regs[r]);
					struct kt_bp *bp = with_cond(text);
					for (size_t v = 0; v < sizeof(values) / sizeof(values[0]);
					     v++) {
						set_reg(regs[r], values[v]);
						bool want = evaluated(bp);
						ck_assert_msg(kt_cond_true(&s, t, bp) == want,
							      "%s with $%s = 0x%" PRIx64
							      ": compiled %d, evaluated %d",
							      text, regs[r], values[v], !want, want);
						ck_assert_msg(bp->cond_form == 1, "%s not compiled",
							      text);
						checked++;
					}
					kt_bp_delete(&s.bps, bp->num);
				}
	ck_assert_uint_gt(checked, 1000);
}

START_TEST(test_x86_same_answer)
{
	static const char *const regs[] = {"rdi", "eax", "ax", "al", "rsp", "rip", "r15d"};

	compare_all(regs, sizeof(regs) / sizeof(regs[0]));
}
END_TEST

START_TEST(test_a64_same_answer)
{
	static const char *const regs[] = {"x0", "w1", "sp", "pc", "lr", "fp", "x28"};

	compare_all(regs, sizeof(regs) / sizeof(regs[0]));
}
END_TEST

/* Only the exact shape compiles; the rest still gives the right answer. */
START_TEST(test_x86_what_compiles)
{
	static const struct {
		const char *text;
		int form;
	} cases[] = {
		{"$rdi < 0", 1},
		{"7 == $esi", 1},
		{"$rdi + 0 < 1", -1},
		{"(int)$rdi < 0", -1},
		{"$rdi < $rsi", -1},
		{"!($rdi < 0)", -1},
		{"$rdi", -1},
		{"$rdi < 0 && $rsi > 1", -1},
		{"$nosuch < 1", -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kt_bp *bp = with_cond(cases[i].text);
		set_reg("rdi", (uint64_t)-3);
		kt_cond_true(&s, t, bp);
		ck_assert_msg(bp->cond_form == cases[i].form, "%s: form %d", cases[i].text,
			      bp->cond_form);
		kt_bp_delete(&s.bps, bp->num);
	}
	/* An unknown register is still the evaluator's error, said at the hit,
	 * and the breakpoint stops (as GDB's does). */
	struct kt_bp *bp = with_cond("$nosuch < 1");
	ck_assert(kt_cond_true(&s, t, bp));
	fflush(errf);
	rewind(errf);
	char line[256] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), errf));
	ck_assert_ptr_nonnull(strstr(line, "Error in testing condition for breakpoint"));
}
END_TEST

/* A new condition is compiled anew; no condition always holds. */
START_TEST(test_x86_recompiled)
{
	struct kt_bp *bp = with_cond("$rdi == 5");
	struct kt_expr *e = NULL;

	set_reg("rdi", 5);
	ck_assert(kt_cond_true(&s, t, bp));
	ck_assert_int_eq(bp->cond_form, 1);
	ck_assert_int_eq(kt_expr_parse("$rdi == 6", &e, NULL), KT_OK);
	ck_assert_int_eq(kt_bp_set_cond(bp, "$rdi == 6", e), KT_OK);
	ck_assert_int_eq(bp->cond_form, 0);
	ck_assert(!kt_cond_true(&s, t, bp));
	ck_assert_int_eq(kt_bp_set_cond(bp, NULL, NULL), KT_OK);
	ck_assert(kt_cond_true(&s, t, bp));
	/* another thread than the current one reads its own registers */
	bp = with_cond("$rdi == 9");
	struct kt_thread *other = kt_thread_add(&s, PID + 1, KT_TS_STOPPED);
	ck_assert_ptr_nonnull(other);
	other->regs_valid = true;
	other->regs = t->regs;
	set_reg("rdi", 1);
	const struct kt_reg_desc *d = kt_arch_reg_by_name(s.arch, "rdi", 3);
	kt_reg_set(&other->regs, d, 9);
	ck_assert(!kt_cond_true(&s, t, bp));
	ck_assert(kt_cond_true(&s, other, bp));
}
END_TEST

static Suite *
suite(void)
{
	Suite *su = suite_create("cond");
	TCase *tc = tcase_create("x86_64");
	tcase_add_checked_fixture(tc, setup_x86, teardown);
	tcase_add_test(tc, test_x86_same_answer);
	tcase_add_test(tc, test_x86_what_compiles);
	tcase_add_test(tc, test_x86_recompiled);
	suite_add_tcase(su, tc);
	tc = tcase_create("aarch64");
	tcase_add_checked_fixture(tc, setup_a64, teardown);
	tcase_add_test(tc, test_a64_same_answer);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
