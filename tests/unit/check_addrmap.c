/* SPDX-License-Identifier: MIT */
/*
 * check_addrmap.c - unit tests of tracer/addrmap: insert, lookup, remove,
 * overlap refusal, reuse of freed addresses, a randomised comparison with
 * a naive model, and a large sequential load that would time out if
 * inserts re-sorted.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addrmap.h"

START_TEST(test_basic)
{
	struct kt_addrmap m;
	struct kt_addrmap_range r;
	uint32_t pl;

	kt_addrmap_init(&m);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 5, &r), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x1000, 0x100, 1), KT_OK);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x3000, 0x10, 3), KT_OK);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x2000, 0x100, 2), KT_OK);
	ck_assert_uint_eq(kt_addrmap_count(&m), 3);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x1000, &r), KT_OK);
	ck_assert_uint_eq(r.payload, 1);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x10ff, &r), KT_OK);
	ck_assert_uint_eq(r.payload, 1);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x1100, &r), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x0fff, &r), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x300f, &r), KT_OK);
	ck_assert_uint_eq(r.payload, 3);
	ck_assert_uint_eq(r.start, 0x3000);
	ck_assert_uint_eq(r.size, 0x10);

	/* overlaps, either side, inside, around */
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x10ff, 1, 9), KT_ERR_EXISTS);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x0f00, 0x101, 9), KT_ERR_EXISTS);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x0f00, 0x1000, 9), KT_ERR_EXISTS);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x1050, 0x10, 9), KT_ERR_EXISTS);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x0f00, 0x100, 9), KT_OK); /* adjacent */
	ck_assert_int_eq(kt_addrmap_insert(&m, 0, 0, 9), KT_ERR_INVAL);
	ck_assert_int_eq(kt_addrmap_insert(&m, UINT64_MAX, 2, 9), KT_ERR_INVAL);
	ck_assert_int_eq(kt_addrmap_insert(&m, UINT64_MAX, 1, 10), KT_OK);
	ck_assert_int_eq(kt_addrmap_lookup(&m, UINT64_MAX, &r), KT_OK);
	ck_assert_uint_eq(r.payload, 10);

	/* remove, and reuse of the freed range */
	ck_assert_int_eq(kt_addrmap_remove(&m, 0x1001, &pl), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_remove(&m, 0x1000, &pl), KT_OK);
	ck_assert_uint_eq(pl, 1);
	ck_assert_int_eq(kt_addrmap_remove(&m, 0x1000, &pl), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x1010, &r), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_insert(&m, 0x1080, 0x10, 4), KT_OK);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x1085, &r), KT_OK);
	ck_assert_uint_eq(r.payload, 4);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x1010, &r), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_lookup(&m, 0x0f10, &r), KT_OK);
	ck_assert_uint_eq(r.payload, 9);
	kt_addrmap_free(&m);
	ck_assert_uint_eq(kt_addrmap_count(&m), 0);
}
END_TEST

/* Naive model: slots of 16 bytes at 0x10 * i, each free or holding a
 * range of 1..3 slots; the payload is the start slot. */
#define SLOTS 4096

START_TEST(test_random_model)
{
	static int32_t owner[SLOTS]; /* start slot of the range, or -1 */
	static uint8_t len[SLOTS];
	struct kt_addrmap m;
	struct kt_addrmap_range r;
	unsigned seed = 77;
	uint64_t live = 0;

	kt_addrmap_init(&m);
	for (int i = 0; i < SLOTS; i++)
		owner[i] = -1;
	for (int op = 0; op < 200000; op++) {
		int s = rand_r(&seed) % SLOTS, what = rand_r(&seed) % 3;

		if (what == 0) {
			int n = 1 + rand_r(&seed) % 3, free_ok = s + n <= SLOTS;
			kt_status st;

			for (int k = 0; free_ok && k < n; k++)
				free_ok = owner[s + k] < 0;
			st = kt_addrmap_insert(&m, (uint64_t)s * 16, (uint64_t)n * 16, (uint32_t)s);
			if (s + n > SLOTS) {
				if (st == KT_OK) { /* past our model: undo */
					ck_assert_int_eq(
						kt_addrmap_remove(&m, (uint64_t)s * 16, NULL),
						KT_OK);
				}
				continue;
			}
			ck_assert_int_eq(st, free_ok ? KT_OK : KT_ERR_EXISTS);
			if (free_ok) {
				for (int k = 0; k < n; k++)
					owner[s + k] = s;
				len[s] = (uint8_t)n;
				live++;
			}
		} else if (what == 1) {
			uint32_t pl;
			kt_status st = kt_addrmap_remove(&m, (uint64_t)s * 16, &pl);

			if (owner[s] == s) {
				ck_assert_int_eq(st, KT_OK);
				ck_assert_uint_eq(pl, (uint32_t)s);
				for (int k = 0; k < len[s]; k++)
					owner[s + k] = -1;
				live--;
			} else {
				ck_assert_int_eq(st, KT_ERR_NOTFOUND);
			}
		} else {
			uint64_t addr = (uint64_t)s * 16 + (uint64_t)(rand_r(&seed) % 16);
			kt_status st = kt_addrmap_lookup(&m, addr, &r);

			if (owner[s] >= 0) {
				ck_assert_int_eq(st, KT_OK);
				ck_assert_uint_eq(r.payload, (uint32_t)owner[s]);
			} else {
				ck_assert_int_eq(st, KT_ERR_NOTFOUND);
			}
		}
		ck_assert_uint_eq(kt_addrmap_count(&m), live);
	}
	/* Memory: what is held is at most the live plus as many dead. */
	{
		uint64_t held = 0;

		for (int i = 0; i < KT_ADDRMAP_LEVELS; i++)
			held += m.n[i];
		ck_assert_uint_le(held, 2 * live + 64);
	}
	kt_addrmap_free(&m);
}
END_TEST

START_TEST(test_large)
{
	struct kt_addrmap m;
	struct kt_addrmap_range r;
	const uint64_t n = 1000000;

	kt_addrmap_init(&m);
	/* Descending starts: the worst order for an insertion sort. */
	for (uint64_t i = 0; i < n; i++)
		ck_assert_int_eq(kt_addrmap_insert(&m, (n - i) * 64, 32, (uint32_t)i), KT_OK);
	for (uint64_t i = 0; i < n; i += 997) {
		ck_assert_int_eq(kt_addrmap_lookup(&m, (n - i) * 64 + 31, &r), KT_OK);
		ck_assert_uint_eq(r.payload, (uint32_t)i);
		ck_assert_int_eq(kt_addrmap_lookup(&m, (n - i) * 64 + 32, &r), KT_ERR_NOTFOUND);
	}
	for (uint64_t i = 0; i < n; i += 2)
		ck_assert_int_eq(kt_addrmap_remove(&m, (n - i) * 64, NULL), KT_OK);
	ck_assert_uint_eq(kt_addrmap_count(&m), n / 2);
	ck_assert_int_eq(kt_addrmap_lookup(&m, n * 64, &r), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_addrmap_lookup(&m, (n - 1) * 64, &r), KT_OK);
	kt_addrmap_free(&m);
}
END_TEST

static Suite *
addrmap_suite(void)
{
	Suite *s = suite_create("addrmap");
	TCase *tc = tcase_create("index");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_random_model);
	tcase_add_test(tc, test_large);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(addrmap_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
