/* SPDX-License-Identifier: MIT */
/*
 * check_bp.c - unit tests of the breakpoint table (tracer/bp.c): numbering
 * from 1 and never reusing a number after a delete, find and delete,
 * conditions set, replaced and removed (with parsed expressions from
 * tracer/expr.h, whose ownership passes to the table), GDB's hit-counting
 * rules with conditions and ignore counts, resolved locations (dedup,
 * clearing to pending), kt_bptab_wants and enable, and command lists.
 * Pure bookkeeping: no process, no OS.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp.h"
#include "expr.h"

static struct kt_bptab t;

static void
setup(void)
{
	kt_bptab_init(&t);
}

static void
teardown(void)
{
	kt_bptab_fini(&t);
}

static struct kt_expr *
parse(const char *text)
{
	struct kt_expr *e = NULL;
	struct kt_expr_err err;

	ck_assert_int_eq(kt_expr_parse(text, &e, &err), KT_OK);
	ck_assert_ptr_nonnull(e);
	return e;
}

START_TEST(test_numbering)
{
	ck_assert_uint_eq(t.n, 0);
	ck_assert_int_eq(t.next_num, 1);
	struct kt_bp *a = kt_bp_new(&t, KT_BP_BREAK, "main");
	struct kt_bp *b = kt_bp_new(&t, KT_BP_TBREAK, "*0x401000");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(a->num, 1);
	ck_assert_int_eq(b->num, 2);
	ck_assert_int_eq(a->type, KT_BP_BREAK);
	ck_assert_int_eq(b->type, KT_BP_TBREAK);
	ck_assert(a->enabled);
	ck_assert_str_eq(a->spec, "main");
	ck_assert_str_eq(b->spec, "*0x401000");
	ck_assert_ptr_null(a->cond_text);
	ck_assert_ptr_null(a->cond);
	ck_assert_uint_eq(a->hits, 0);
	ck_assert_uint_eq(a->ignore, 0);
	ck_assert_uint_eq(a->naddrs, 0);
	ck_assert_uint_eq(a->ncommands, 0);

	/* The spec is copied. */
	char spec[] = "foo";
	struct kt_bp *c = kt_bp_new(&t, KT_BP_BREAK, spec);
	spec[0] = 'x';
	ck_assert_str_eq(c->spec, "foo");
	ck_assert_int_eq(c->num, 3);

	/* Numbers are never reused, not even the last one. */
	ck_assert_int_eq(kt_bp_delete(&t, 3), KT_OK);
	ck_assert_int_eq(kt_bp_delete(&t, 1), KT_OK);
	struct kt_bp *d = kt_bp_new(&t, KT_BP_BREAK, "bar");
	ck_assert_int_eq(d->num, 4);
	ck_assert_uint_eq(t.n, 2);

	/* Many: the table grows and numbering goes on. */
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(kt_bp_new(&t, KT_BP_BREAK, "x")->num, 5 + i);
	ck_assert_uint_eq(t.n, 102);
	ck_assert_int_eq(kt_bp_find(&t, 104)->num, 104);

	/* fini empties the table and numbering restarts. */
	kt_bptab_fini(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(kt_bp_find(&t, 2));
	ck_assert_int_eq(kt_bp_new(&t, KT_BP_BREAK, "y")->num, 1);
}
END_TEST

START_TEST(test_find_delete)
{
	struct kt_bp *bp[5];

	for (int i = 0; i < 5; i++)
		bp[i] = kt_bp_new(&t, KT_BP_BREAK, "f");
	for (int i = 0; i < 5; i++)
		ck_assert_ptr_eq(kt_bp_find(&t, i + 1), bp[i]);
	ck_assert_ptr_null(kt_bp_find(&t, 0));
	ck_assert_ptr_null(kt_bp_find(&t, 6));
	ck_assert_ptr_null(kt_bp_find(&t, -1));

	ck_assert_int_eq(kt_bp_delete(&t, 3), KT_OK);
	ck_assert_ptr_null(kt_bp_find(&t, 3));
	ck_assert_int_eq(kt_bp_delete(&t, 3), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_bp_delete(&t, 0), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_bp_delete(&t, 99), KT_ERR_NOTFOUND);
	ck_assert_uint_eq(t.n, 4);
	/* The others are intact and in order. */
	ck_assert_ptr_eq(kt_bp_find(&t, 1), bp[0]);
	ck_assert_ptr_eq(kt_bp_find(&t, 2), bp[1]);
	ck_assert_ptr_eq(kt_bp_find(&t, 4), bp[3]);
	ck_assert_ptr_eq(kt_bp_find(&t, 5), bp[4]);
	ck_assert_int_eq(t.v[2]->num, 4);
	/* First and last. */
	ck_assert_int_eq(kt_bp_delete(&t, 1), KT_OK);
	ck_assert_int_eq(kt_bp_delete(&t, 5), KT_OK);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_int_eq(t.v[0]->num, 2);
	ck_assert_int_eq(t.v[1]->num, 4);
}
END_TEST

START_TEST(test_conditions)
{
	struct kt_bp *bp = kt_bp_new(&t, KT_BP_BREAK, "main");

	ck_assert_int_eq(kt_bp_set_cond(bp, "$rdi == 3", parse("$rdi == 3")), KT_OK);
	ck_assert_str_eq(bp->cond_text, "$rdi == 3");
	ck_assert_ptr_nonnull(bp->cond);
	/* Replacing frees the old one (checked under ASan/valgrind). */
	char text[] = "$rsi > 1";
	ck_assert_int_eq(kt_bp_set_cond(bp, text, parse(text)), KT_OK);
	text[1] = 'X';
	ck_assert_str_eq(bp->cond_text, "$rsi > 1"); /* copied */
	ck_assert_ptr_nonnull(bp->cond);

	/* NULL removes, and so does "" (the expression passed is freed). */
	ck_assert_int_eq(kt_bp_set_cond(bp, NULL, NULL), KT_OK);
	ck_assert_ptr_null(bp->cond_text);
	ck_assert_ptr_null(bp->cond);
	ck_assert_int_eq(kt_bp_set_cond(bp, "1", parse("1")), KT_OK);
	ck_assert_ptr_nonnull(bp->cond);
	ck_assert_int_eq(kt_bp_set_cond(bp, "", NULL), KT_OK);
	ck_assert_ptr_null(bp->cond_text);
	ck_assert_ptr_null(bp->cond);
	ck_assert_int_eq(kt_bp_set_cond(bp, "", parse("2")), KT_OK);
	ck_assert_ptr_null(bp->cond_text);
	ck_assert_ptr_null(bp->cond);
	ck_assert_int_eq(kt_bp_set_cond(bp, NULL, parse("3")), KT_OK);
	ck_assert_ptr_null(bp->cond);

	/* Deleting a conditional breakpoint frees its condition. */
	ck_assert_int_eq(kt_bp_set_cond(bp, "4", parse("4")), KT_OK);
	ck_assert_int_eq(kt_bp_delete(&t, bp->num), KT_OK);
}
END_TEST

START_TEST(test_hit_rules)
{
	struct kt_bp *bp = kt_bp_new(&t, KT_BP_BREAK, "main");

	/* A false condition is not a hit at all. */
	ck_assert_int_eq(kt_bp_hit(bp, false), KT_HIT_IGNORE);
	ck_assert_uint_eq(bp->hits, 0);
	ck_assert_int_eq(kt_bp_hit(bp, true), KT_HIT_STOP);
	ck_assert_uint_eq(bp->hits, 1);

	/* An ignore count of 3 swallows three counted hits. */
	bp->ignore = 3;
	for (unsigned long i = 0; i < 3; i++) {
		ck_assert_int_eq(kt_bp_hit(bp, false), KT_HIT_IGNORE);
		ck_assert_uint_eq(bp->ignore, 3 - i); /* false hits do not use it up */
		ck_assert_int_eq(kt_bp_hit(bp, true), KT_HIT_COUNTED);
		ck_assert_uint_eq(bp->hits, 2 + i);
		ck_assert_uint_eq(bp->ignore, 2 - i);
	}
	ck_assert_int_eq(kt_bp_hit(bp, true), KT_HIT_STOP);
	ck_assert_uint_eq(bp->hits, 5);
	ck_assert_uint_eq(bp->ignore, 0);
	ck_assert_int_eq(kt_bp_hit(bp, true), KT_HIT_STOP);
	ck_assert_uint_eq(bp->hits, 6);
}
END_TEST

START_TEST(test_addrs)
{
	struct kt_bp *bp = kt_bp_new(&t, KT_BP_BREAK, "f");

	ck_assert(!kt_bp_has_addr(bp, 0x1000));
	ck_assert_int_eq(kt_bp_add_addr(bp, 0x1000), KT_OK);
	ck_assert_int_eq(kt_bp_add_addr(bp, 0x2000), KT_OK);
	ck_assert_int_eq(kt_bp_add_addr(bp, 0x1000), KT_OK); /* duplicate */
	ck_assert_uint_eq(bp->naddrs, 2);
	ck_assert_uint_eq(bp->addrs[0], 0x1000);
	ck_assert_uint_eq(bp->addrs[1], 0x2000);
	ck_assert(kt_bp_has_addr(bp, 0x1000));
	ck_assert(kt_bp_has_addr(bp, 0x2000));
	ck_assert(!kt_bp_has_addr(bp, 0x1001));

	/* After exec: pending again, and resolvable again. */
	kt_bp_clear_addrs(bp);
	ck_assert_uint_eq(bp->naddrs, 0);
	ck_assert_ptr_null(bp->addrs);
	ck_assert(!kt_bp_has_addr(bp, 0x1000));
	ck_assert(!kt_bptab_wants(&t, 0x1000));
	ck_assert_int_eq(kt_bp_add_addr(bp, 0x3000), KT_OK);
	ck_assert_uint_eq(bp->naddrs, 1);
	ck_assert(kt_bp_has_addr(bp, 0x3000));
	kt_bp_clear_addrs(bp);
	kt_bp_clear_addrs(bp); /* twice is fine */
	ck_assert_uint_eq(bp->naddrs, 0);
}
END_TEST

START_TEST(test_wants)
{
	struct kt_bp *a = kt_bp_new(&t, KT_BP_BREAK, "f");
	struct kt_bp *b = kt_bp_new(&t, KT_BP_BREAK, "g");

	ck_assert(!kt_bptab_wants(&t, 0x1000));
	kt_bp_add_addr(a, 0x1000);
	kt_bp_add_addr(b, 0x1000);
	kt_bp_add_addr(b, 0x2000);
	ck_assert(kt_bptab_wants(&t, 0x1000));
	ck_assert(kt_bptab_wants(&t, 0x2000));
	ck_assert(!kt_bptab_wants(&t, 0x3000));
	b->enabled = false;
	ck_assert(kt_bptab_wants(&t, 0x1000)); /* a still wants it */
	ck_assert(!kt_bptab_wants(&t, 0x2000));
	a->enabled = false;
	ck_assert(!kt_bptab_wants(&t, 0x1000));
	b->enabled = true;
	ck_assert(kt_bptab_wants(&t, 0x1000));
	ck_assert_int_eq(kt_bp_delete(&t, b->num), KT_OK);
	ck_assert(!kt_bptab_wants(&t, 0x1000));
	ck_assert(!kt_bptab_wants(&t, 0x2000));
}
END_TEST

static char **
lines(int n, const char *prefix)
{
	char **v = calloc((size_t)n, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	for (int i = 0; i < n; i++) {
		v[i] = malloc(32);
		ck_assert_ptr_nonnull(v[i]);
		snprintf(v[i], 32, "%s%d", prefix, i);
	}
	return v;
}

START_TEST(test_commands)
{
	struct kt_bp *bp = kt_bp_new(&t, KT_BP_BREAK, "f");
	char **v = lines(3, "print ");

	kt_bp_set_commands(bp, v, 3);
	ck_assert_ptr_eq(bp->commands, v); /* owned, not copied */
	ck_assert_uint_eq(bp->ncommands, 3);
	ck_assert_str_eq(bp->commands[2], "print 2");
	/* Replacing frees the old list (checked under ASan/valgrind). */
	char **w = lines(1, "silent");
	kt_bp_set_commands(bp, w, 1);
	ck_assert_ptr_eq(bp->commands, w);
	ck_assert_uint_eq(bp->ncommands, 1);
	ck_assert_str_eq(bp->commands[0], "silent0");
	kt_bp_set_commands(bp, NULL, 0);
	ck_assert_ptr_null(bp->commands);
	ck_assert_uint_eq(bp->ncommands, 0);
	/* A breakpoint with commands is freed with them on delete and fini. */
	kt_bp_set_commands(bp, lines(2, "x"), 2);
	struct kt_bp *b2 = kt_bp_new(&t, KT_BP_BREAK, "g");
	kt_bp_set_commands(b2, lines(2, "y"), 2);
	ck_assert_int_eq(kt_bp_delete(&t, bp->num), KT_OK);
	ck_assert_str_eq(kt_bp_find(&t, 2)->commands[1], "y1");
}
END_TEST

static Suite *
bp_suite(void)
{
	Suite *s = suite_create("bp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_numbering);
	tcase_add_test(tc, test_find_delete);
	tcase_add_test(tc, test_conditions);
	tcase_add_test(tc, test_hit_rules);
	tcase_add_test(tc, test_addrs);
	tcase_add_test(tc, test_wants);
	tcase_add_test(tc, test_commands);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(bp_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
