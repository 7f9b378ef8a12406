/* SPDX-License-Identifier: MIT */
/*
 * check_shm.c - unit tests of the registry ABI in shm/: the writer and the
 * reader round trip, incremental reads, removal, many writer threads at
 * once with a reader running, the name filter, the patch journal, and
 * corrupt registries of every kind the reader must refuse without
 * crashing.  Registries here are plain anonymous mappings.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "registry.h"

#define SMALL (1u << 20)

static void *
map_zero(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static struct kt_jreg_header *
hdr(void *p)
{
	return p;
}

START_TEST(test_round_trip)
{
	void *p = map_zero(SMALL);
	struct kt_jreg_writer w;
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	struct kt_jreg_lines l;
	struct kt_jreg_unwind u;
	uint32_t rows[6] = {0, 10, 4, 11, 9, 12}, idx, off, line;
	static const uint8_t cfi[5] = {1, 2, 3, 4, 5};
	struct kt_jreg_extra x1 = {
		.file = "jit.js", .lines = rows, .nlines = 3, .unwind_kind = 1, .prologue_len = 4};
	struct kt_jreg_extra x2 = {.unwind_kind = 2, .cfi = cfi, .cfi_len = 5};
	uint64_t gen, cur = 0;

	ck_assert_int_eq(kt_jreg_writer_format(&w, p, SMALL, 1234), KT_OK);
	ck_assert_int_eq(kt_jreg_open(p, SMALL, &v), KT_OK);
	ck_assert_uint_eq(v.pid, 1234);
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_ERR_NOTFOUND);

	ck_assert_int_eq(kt_jreg_writer_add(&w, "alpha", 0x1000, 0x40, &x1, &idx, &gen), KT_OK);
	ck_assert_uint_eq(idx, 0);
	ck_assert_uint_eq(gen, 1);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "beta", 0x2000, 0x20, &x2, &idx, &gen), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "gamma", 0x3000, 0x10, NULL, &idx, &gen), KT_OK);
	ck_assert_uint_eq(idx, 2);
	ck_assert_uint_eq(kt_jreg_generation(&v), 3);

	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_int_eq(c.kind, KT_JREG_ADDED);
	ck_assert_str_eq(c.name, "alpha");
	ck_assert_uint_eq(c.name_len, 5);
	ck_assert_uint_eq(c.start, 0x1000);
	ck_assert_uint_eq(c.size, 0x40);
	ck_assert_uint_eq(c.generation, 1);
	ck_assert(c.live);
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_OK);
	ck_assert_str_eq(l.file, "jit.js");
	ck_assert_uint_eq(l.nrows, 3);
	kt_jreg_line_row(&l, 1, &off, &line);
	ck_assert_uint_eq(off, 4);
	ck_assert_uint_eq(line, 11);
	ck_assert_int_eq(kt_jreg_line_at(&l, 0, &line), KT_OK);
	ck_assert_uint_eq(line, 10);
	ck_assert_int_eq(kt_jreg_line_at(&l, 8, &line), KT_OK);
	ck_assert_uint_eq(line, 11);
	ck_assert_int_eq(kt_jreg_line_at(&l, 100, &line), KT_OK);
	ck_assert_uint_eq(line, 12);
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_OK);
	ck_assert_uint_eq(u.kind, 1);
	ck_assert_uint_eq(u.prologue_len, 4);

	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_str_eq(c.name, "beta");
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_OK);
	ck_assert_uint_eq(u.kind, 2);
	ck_assert_uint_eq(u.cfi_len, 5);
	ck_assert_mem_eq(u.cfi, cfi, 5);

	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_str_eq(c.name, "gamma");
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_ERR_NOTFOUND);
	ck_assert_uint_eq(cur, 3);
	munmap(p, SMALL);
}
END_TEST

START_TEST(test_incremental_and_remove)
{
	void *p = map_zero(SMALL);
	struct kt_jreg_writer w;
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	uint32_t a, b, d;
	uint64_t cur = 0, gen, mark;

	ck_assert_int_eq(kt_jreg_writer_format(&w, p, SMALL, 1), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "a", 0x100, 1, NULL, &a, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "b", 0x200, 1, NULL, &b, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_open(p, SMALL, &v), KT_OK);
	while (kt_jreg_next_change(&v, &cur, &c) == KT_OK)
		;
	mark = cur;
	ck_assert_uint_eq(mark, 2);

	ck_assert_int_eq(kt_jreg_writer_remove(&w, a, &gen), KT_OK);
	ck_assert_uint_eq(gen, 3);
	ck_assert_int_eq(kt_jreg_writer_remove(&w, a, &gen), KT_ERR_STATE);
	ck_assert_int_eq(kt_jreg_writer_remove(&w, 99999999, &gen), KT_ERR_INVAL);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "d", 0x100, 1, NULL, &d, NULL), KT_OK);

	/* Exactly the two changes since the mark, in order. */
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_int_eq(c.kind, KT_JREG_REMOVED);
	ck_assert_str_eq(c.name, "a");
	ck_assert_uint_eq(c.index, a);
	ck_assert_uint_eq(c.entry_generation, 1);
	ck_assert_uint_eq(c.generation, 3);
	ck_assert(!c.live);
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_int_eq(c.kind, KT_JREG_ADDED);
	ck_assert_str_eq(c.name, "d");
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_ERR_NOTFOUND);
	ck_assert_uint_eq(cur, 4);

	/* An unpublished log slot stops the reader (cursor unchanged). */
	__atomic_fetch_add(&hdr(p)->log_reserved, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_ERR_NOTFOUND);
	ck_assert_uint_eq(cur, 4);

	/* Bad arguments. */
	ck_assert_int_eq(kt_jreg_writer_add(&w, NULL, 1, 1, NULL, NULL, NULL), KT_ERR_INVAL);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "z", 1, 0, NULL, NULL, NULL), KT_ERR_INVAL);
	ck_assert_int_eq(kt_jreg_writer_add(&w, "z", UINT64_MAX, 2, NULL, NULL, NULL),
			 KT_ERR_INVAL);
	munmap(p, SMALL);
}
END_TEST

START_TEST(test_full)
{
	void *p = map_zero(KT_JREG_MIN_SIZE);
	struct kt_jreg_writer w;
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	char name[4096];
	uint64_t n = 0, cur = 0, seen = 0;
	kt_status st;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	ck_assert_int_eq(kt_jreg_writer_format(&w, p, KT_JREG_MIN_SIZE, 1), KT_OK);
	while ((st = kt_jreg_writer_add(&w, name, 0x1000 * (n + 1), 1, NULL, NULL, NULL)) == KT_OK)
		n++;
	ck_assert_int_eq(st, KT_ERR_NOMEM);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_gt(hdr(p)->adds_failed, 0);
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_OK);
	while (kt_jreg_next_change(&v, &cur, &c) == KT_OK) {
		ck_assert_uint_eq(c.name_len, KT_JREG_NAME_MAX);
		seen++;
	}
	ck_assert_uint_eq(seen, n);
	munmap(p, KT_JREG_MIN_SIZE);
}
END_TEST

/* ---- many writers ---- */

#define THREADS 8
#define PER_THREAD 100000

struct writer_arg {
	struct kt_jreg_writer *w;
	int t;
};

static void *
writer_thread(void *arg)
{
	struct writer_arg *a = arg;
	char name[32];
	uint32_t prev = 0;

	for (int i = 0; i < PER_THREAD; i++) {
		uint32_t idx;

		snprintf(name, sizeof(name), "t%d_%d", a->t, i);
		if (kt_jreg_writer_add(a->w, name, ((uint64_t)a->t << 32) | ((uint64_t)i << 4), 16,
				       NULL, &idx, NULL) != KT_OK)
			return (void *)1;
		/* Keep every third entry, remove the others one step later. */
		if (i > 0 && (i - 1) % 3 != 0 && kt_jreg_writer_remove(a->w, prev, NULL) != KT_OK)
			return (void *)2;
		prev = idx;
	}
	return NULL;
}

static int stop_reader;

static void *
reader_thread(void *arg)
{
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	uint64_t cur = 0, n = 0;
	kt_status st;

	if (kt_jreg_open(arg, 512u << 20, &v) != KT_OK)
		return (void *)1;
	while (!__atomic_load_n(&stop_reader, __ATOMIC_ACQUIRE)) {
		while ((st = kt_jreg_next_change(&v, &cur, &c)) == KT_OK)
			n++;
		if (st != KT_ERR_NOTFOUND)
			return (void *)2;
	}
	return (void *)(uintptr_t)(n ? 0 : 3);
}

START_TEST(test_concurrent)
{
	size_t len = 512u << 20;
	void *p = map_zero(len);
	struct kt_jreg_writer w;
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	struct writer_arg args[THREADS];
	pthread_t th[THREADS], rd;
	uint8_t *live;
	uint64_t cur = 0, nlive = 0, expect = 0;
	void *ret;

	ck_assert_int_eq(kt_jreg_writer_format(&w, p, len, 1), KT_OK);
	ck_assert_uint_ge(w.entries_max, THREADS * PER_THREAD);
	stop_reader = 0;
	ck_assert_int_eq(pthread_create(&rd, NULL, reader_thread, p), 0);
	for (int t = 0; t < THREADS; t++) {
		args[t] = (struct writer_arg){&w, t};
		ck_assert_int_eq(pthread_create(&th[t], NULL, writer_thread, &args[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		ck_assert_int_eq(pthread_join(th[t], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	__atomic_store_n(&stop_reader, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(rd, &ret), 0);
	ck_assert_ptr_null(ret);

	/* Replaying the whole log gives exactly the live set. */
	ck_assert_int_eq(kt_jreg_open(p, len, &v), KT_OK);
	live = calloc(v.entries_max, 1);
	ck_assert_ptr_nonnull(live);
	while (kt_jreg_next_change(&v, &cur, &c) == KT_OK) {
		if (c.kind == KT_JREG_ADDED) {
			ck_assert_uint_eq(live[c.index], 0);
			live[c.index] = 1;
			nlive++;
		} else {
			ck_assert_uint_eq(live[c.index], 1);
			live[c.index] = 0;
			nlive--;
		}
	}
	ck_assert_uint_eq(cur, kt_jreg_generation(&v));
	for (int i = 0; i < PER_THREAD; i++)
		if (i == PER_THREAD - 1 || i % 3 == 0)
			expect++;
	ck_assert_uint_eq(nlive, expect * THREADS);
	/* And each live index is an entry the writers kept. */
	for (uint64_t i = 0; i < THREADS * PER_THREAD; i++) {
		const struct kt_jreg_entry *e =
			(const void *)((uint8_t *)p + v.entries_off + i * v.entry_size);
		int t, k;

		ck_assert_uint_eq(live[i], e->state == KT_JREG_ENTRY_LIVE);
		ck_assert_int_eq(sscanf((const char *)p + e->name_off, "t%d_%d", &t, &k), 2);
		ck_assert_uint_eq(e->start, ((uint64_t)t << 32) | ((uint64_t)k << 4));
		if (live[i])
			ck_assert(k == PER_THREAD - 1 || k % 3 == 0);
	}
	free(live);
	munmap(p, len);
}
END_TEST

/* ---- filter ---- */

START_TEST(test_filter)
{
	void *p = map_zero(SMALL);
	struct kt_jreg_writer w;
	const char *names[] = {"wanted", "also_wanted"};
	char buf[32];
	int fp = 0;

	ck_assert_int_eq(kt_jreg_writer_format(&w, p, SMALL, 1), KT_OK);
	ck_assert(!kt_jreg_writer_filter_may_match(&w, "wanted", 6));
	ck_assert_int_eq(kt_jreg_filter_set(p, SMALL, names, 2, false), KT_OK);
	ck_assert_uint_eq(hdr(p)->filter_active, KT_JREG_FILTER_BLOOM);
	ck_assert_uint_eq(hdr(p)->filter_seq % 2, 0);
	ck_assert(kt_jreg_writer_filter_may_match(&w, "wanted", 6));
	ck_assert(kt_jreg_writer_filter_may_match(&w, "also_wanted", 11));
	ck_assert(kt_jreg_filter_may_match(p, SMALL, "wanted", 6));
	for (int i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "other_%d", i);
		fp += kt_jreg_writer_filter_may_match(&w, buf, strlen(buf));
	}
	ck_assert_int_lt(fp, 5);

	/* While the tracer rewrites the bits, everything may match. */
	hdr(p)->filter_seq |= 1;
	ck_assert(kt_jreg_writer_filter_may_match(&w, "other_1", 7));
	hdr(p)->filter_seq++;

	ck_assert_int_eq(kt_jreg_filter_add(p, SMALL, "late"), KT_OK);
	ck_assert(kt_jreg_writer_filter_may_match(&w, "late", 4));
	ck_assert_int_eq(kt_jreg_filter_set(p, SMALL, NULL, 0, true), KT_OK);
	ck_assert(kt_jreg_writer_filter_may_match(&w, "anything", 8));
	ck_assert_int_eq(kt_jreg_filter_clear(p, SMALL), KT_OK);
	ck_assert(!kt_jreg_writer_filter_may_match(&w, "wanted", 6));
	ck_assert(!kt_jreg_writer_filter_may_match(&w, "late", 4));
	ck_assert_int_eq(kt_jreg_filter_add(p, SMALL, "late"), KT_OK);
	ck_assert(kt_jreg_writer_filter_may_match(&w, "late", 4));
	ck_assert(!kt_jreg_writer_filter_may_match(&w, "wanted", 6));
	munmap(p, SMALL);
}
END_TEST

/* ---- journal ---- */

START_TEST(test_journal)
{
	void *p = map_zero(SMALL);
	struct kt_jreg_writer w;
	struct kt_jreg_view v;
	struct kt_jreg_patch rec;
	uint8_t orig[2] = {0x55, 0x48}, patch[2] = {0xcc, 0x90};
	uint8_t o[KT_JREG_PATCH_MAX], pt[KT_JREG_PATCH_MAX];
	uint32_t slot, s2, n = 0;

	ck_assert_int_eq(kt_jreg_writer_format(&w, p, SMALL, 1), KT_OK);
	ck_assert_int_eq(kt_jreg_open(p, SMALL, &v), KT_OK);
	ck_assert_uint_eq(kt_jreg_writer_journal_find(&w, 0x1234, o, pt, &s2), 0);
	ck_assert_int_eq(kt_jreg_journal_add(p, SMALL, 0x1234, orig, patch, 2, 7, &slot), KT_OK);
	ck_assert_int_eq(kt_jreg_journal_get(&v, slot, &rec), KT_OK);
	ck_assert_uint_eq(rec.addr, 0x1234);
	ck_assert_uint_eq(rec.len, 2);
	ck_assert_uint_eq(rec.entry_generation, 7);
	ck_assert_uint_eq(kt_jreg_writer_journal_find(&w, 0x1234, o, pt, &s2), 2);
	ck_assert_uint_eq(s2, slot);
	ck_assert_mem_eq(o, orig, 2);
	ck_assert_mem_eq(pt, patch, 2);
	ck_assert_uint_eq(kt_jreg_writer_journal_find(&w, 0x1235, o, pt, &s2), 0);
	ck_assert_int_eq(kt_jreg_journal_clear(p, SMALL, slot), KT_OK);
	ck_assert_int_eq(kt_jreg_journal_get(&v, slot, &rec), KT_ERR_NOTFOUND);
	ck_assert_uint_eq(kt_jreg_writer_journal_find(&w, 0x1234, o, pt, &s2), 0);
	ck_assert_int_eq(kt_jreg_journal_get(&v, 1u << 30, &rec), KT_ERR_RANGE);
	ck_assert_int_eq(kt_jreg_journal_clear(p, SMALL, 1u << 30), KT_ERR_RANGE);
	ck_assert_int_eq(kt_jreg_journal_add(p, SMALL, 1, orig, patch, 0, 0, &slot), KT_ERR_INVAL);
	ck_assert_int_eq(kt_jreg_journal_add(p, SMALL, 1, orig, patch, 17, 0, &slot), KT_ERR_INVAL);

	/* Fill it up; then the writer releases one (as the healer does). */
	while (kt_jreg_journal_add(p, SMALL, 0x9000 + n, orig, patch, 1, 0, &slot) == KT_OK)
		n++;
	ck_assert_uint_eq(n, v.journal_max);
	ck_assert_int_eq(kt_jreg_journal_add(p, SMALL, 1, orig, patch, 1, 0, &slot), KT_ERR_BUSY);
	kt_jreg_writer_journal_release(&w, 5);
	ck_assert_int_eq(kt_jreg_journal_add(p, SMALL, 1, orig, patch, 1, 0, &slot), KT_OK);
	ck_assert_uint_eq(slot, 5);
	munmap(p, SMALL);
}
END_TEST

/* ---- corrupt registries ---- */

/* Walk everything the reader offers; returns the status that ended it. */
static kt_status
walk(const void *p, size_t len)
{
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	struct kt_jreg_lines l;
	struct kt_jreg_unwind u;
	struct kt_jreg_patch rec;
	uint64_t cur = 0;
	uint32_t line;
	kt_status st = kt_jreg_open(p, len, &v);

	if (st != KT_OK)
		return st;
	for (uint32_t i = 0; i < v.journal_max; i++)
		kt_jreg_journal_get(&v, i, &rec);
	while ((st = kt_jreg_next_change(&v, &cur, &c)) == KT_OK) {
		if (strlen(c.name) != c.name_len)
			abort();
		if (kt_jreg_lines(&v, &c, &l) == KT_OK)
			kt_jreg_line_at(&l, 3, &line);
		kt_jreg_unwind(&v, &c, &u);
	}
	return st;
}

/* A small valid registry with entries of every kind. */
static void *
sample(struct kt_jreg_writer *w)
{
	void *p = map_zero(KT_JREG_MIN_SIZE);
	uint32_t rows[4] = {0, 1, 8, 2};
	static const uint8_t cfi[3] = {9, 9, 9};
	struct kt_jreg_extra x = {.file = "f.c",
				  .lines = rows,
				  .nlines = 2,
				  .unwind_kind = 2,
				  .cfi = cfi,
				  .cfi_len = 3};
	uint32_t idx;

	ck_assert_int_eq(kt_jreg_writer_format(w, p, KT_JREG_MIN_SIZE, 1), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(w, "one", 0x1000, 16, &x, &idx, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(w, "two", 0x2000, 16, NULL, NULL, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_remove(w, idx, NULL), KT_OK);
	return p;
}

static struct kt_jreg_entry *
entry0(void *p)
{
	return (struct kt_jreg_entry *)((uint8_t *)p + hdr(p)->entries_off);
}

START_TEST(test_corrupt_header)
{
	struct kt_jreg_writer w;
	uint8_t *p = sample(&w);
	struct kt_jreg_header save = *hdr(p);
	struct kt_jreg_view v;

	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_NOTFOUND);
	/* truncated: the header is whole but the registry is not */
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE - 8, &v), KT_ERR_CORRUPT);
	ck_assert_int_eq(kt_jreg_open(p, 100, &v), KT_ERR_CORRUPT);
	ck_assert_int_eq(kt_jreg_open(p, 4, &v), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_jreg_open(p + 4, 4096, &v), KT_ERR_INVAL);
	ck_assert_int_eq(kt_jreg_open(NULL, 4096, &v), KT_ERR_INVAL);

	hdr(p)->magic[0] = 'X';
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_NOTFOUND);
	*hdr(p) = save;
	hdr(p)->version = 2;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_UNSUPPORTED);
	*hdr(p) = save;
	hdr(p)->entries_max = 1ull << 40;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->log_max = UINT64_MAX / 4;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->heap_end = KT_JREG_MIN_SIZE + 8;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->journal_off = UINT64_MAX - 8;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->filter_bytes = 3000;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->entries_off = hdr(p)->filter_off; /* overlap */
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->header_size = 8;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->entry_size = 12;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	hdr(p)->total_size = UINT64_MAX;
	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_ERR_CORRUPT);
	*hdr(p) = save;
	/* a huge count of published changes is capped by the log size */
	hdr(p)->log_reserved = UINT64_MAX;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_NOTFOUND);
	munmap(p, KT_JREG_MIN_SIZE);
}
END_TEST

START_TEST(test_corrupt_records)
{
	struct kt_jreg_writer w;
	uint8_t *p = sample(&w);
	struct kt_jreg_entry save = *entry0(p);
	uint64_t *log = (uint64_t *)(p + hdr(p)->log_off), log0 = log[0];
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	struct kt_jreg_lines l;
	struct kt_jreg_unwind u;
	uint64_t cur = 0;
	char *name;

	ck_assert_int_eq(kt_jreg_open(p, KT_JREG_MIN_SIZE, &v), KT_OK);
	/* name not terminated */
	name = (char *)p + save.name_off;
	name[save.name_len] = 'x';
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	name[save.name_len] = 0;
	/* NUL inside the name */
	name[1] = 0;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	name[1] = 'n';
	/* name past the end */
	entry0(p)->name_off = KT_JREG_MIN_SIZE - 2;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	entry0(p)->name_off = UINT64_MAX - 1;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	*entry0(p) = save;
	entry0(p)->name_len = 1u << 30;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	*entry0(p) = save;
	/* state, generation, size */
	entry0(p)->state = 7;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	*entry0(p) = save;
	entry0(p)->generation = 2;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	*entry0(p) = save;
	entry0(p)->start = UINT64_MAX;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	*entry0(p) = save;
	/* log words */
	log[0] = (KT_JREG_LOG_ADD << KT_JREG_LOG_KIND_SHIFT) | (hdr(p)->entries_max + 1);
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	log[0] = 3ull << KT_JREG_LOG_KIND_SHIFT | 1;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	log[0] = KT_JREG_LOG_ADD << KT_JREG_LOG_KIND_SHIFT;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_CORRUPT);
	log[0] = log0;
	ck_assert_int_eq(walk(p, KT_JREG_MIN_SIZE), KT_ERR_NOTFOUND);

	/* line table and unwind blobs */
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_OK);
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_OK);
	((struct kt_jreg_lines_blob *)(p + c.lines_off))->nrows = 1u << 23;
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_ERR_CORRUPT);
	((struct kt_jreg_lines_blob *)(p + c.lines_off))->nrows = 0xffffffffu;
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_ERR_CORRUPT);
	((struct kt_jreg_lines_blob *)(p + c.lines_off))->nrows = 2;
	((struct kt_jreg_lines_blob *)(p + c.lines_off))->file_len = 2; /* "f.c" */
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_ERR_CORRUPT);
	((struct kt_jreg_lines_blob *)(p + c.lines_off))->file_len = 3;
	((struct kt_jreg_unwind_blob *)(p + c.unwind_off))->cfi_len = KT_JREG_MIN_SIZE;
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_ERR_CORRUPT);
	((struct kt_jreg_unwind_blob *)(p + c.unwind_off))->cfi_len = 3;
	((struct kt_jreg_unwind_blob *)(p + c.unwind_off))->kind = 9;
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_ERR_CORRUPT);
	c.lines_off = KT_JREG_MIN_SIZE - 4;
	ck_assert_int_eq(kt_jreg_lines(&v, &c, &l), KT_ERR_CORRUPT);
	c.unwind_off = 3;
	ck_assert_int_eq(kt_jreg_unwind(&v, &c, &u), KT_ERR_CORRUPT);
	munmap(p, KT_JREG_MIN_SIZE);
}
END_TEST

/* Random damage anywhere in the used part never crashes the reader. */
START_TEST(test_corrupt_random)
{
	struct kt_jreg_writer w;
	uint8_t *p = sample(&w);
	uint8_t *copy = map_zero(KT_JREG_MIN_SIZE);
	const struct kt_jreg_header *h = hdr(p);
	uint64_t regions[][2] = {
		{0, sizeof(struct kt_jreg_header)},
		{h->entries_off, 2 * sizeof(struct kt_jreg_entry)},
		{h->log_off, 3 * 8},
		{h->heap_off, h->heap_next - h->heap_off},
	};
	unsigned seed = 12345;

	memcpy(copy, p, KT_JREG_MIN_SIZE);
	for (int i = 0; i < 20000; i++) {
		int flips = 1 + rand_r(&seed) % 4;
		uint64_t offs[4];

		for (int k = 0; k < flips; k++) {
			int r = rand_r(&seed) % 4;
			uint64_t off = regions[r][0] + (uint64_t)rand_r(&seed) % regions[r][1];

			offs[k] = off;
			copy[off] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
			if (rand_r(&seed) % 8 == 0)
				copy[off] = 0xff;
		}
		walk(copy, KT_JREG_MIN_SIZE);
		for (int k = 0; k < flips; k++)
			copy[offs[k]] = p[offs[k]];
	}
	munmap(copy, KT_JREG_MIN_SIZE);
	munmap(p, KT_JREG_MIN_SIZE);
}
END_TEST

START_TEST(test_writer_attach)
{
	struct kt_jreg_writer w, w2;
	uint8_t *p = sample(&w);
	uint32_t idx;

	ck_assert_int_eq(kt_jreg_writer_attach(&w2, p, KT_JREG_MIN_SIZE), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&w2, "three", 0x3000, 4, NULL, &idx, NULL), KT_OK);
	ck_assert_uint_eq(idx, 2);
	hdr(p)->version = 9;
	ck_assert_int_eq(kt_jreg_writer_attach(&w2, p, KT_JREG_MIN_SIZE), KT_ERR_UNSUPPORTED);
	ck_assert_int_eq(kt_jreg_writer_format(&w2, p + 1, KT_JREG_MIN_SIZE, 1), KT_ERR_INVAL);
	ck_assert_int_eq(kt_jreg_writer_format(&w2, p, 4096, 1), KT_ERR_INVAL);
	munmap(p, KT_JREG_MIN_SIZE);
}
END_TEST

/* A fork child's copy of a registry that parent threads were writing. */
START_TEST(test_clone)
{
	void *src = map_zero(SMALL), *dst = map_zero(SMALL);
	struct kt_jreg_writer ws, wd;
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	struct kt_jreg_entry *e;
	const char *names[1] = {"wanted"};
	char got[64] = "";
	uint32_t a, b, cc, d;
	uint64_t cur = 0;

	ck_assert_int_eq(kt_jreg_writer_format(&ws, src, SMALL, 1), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&ws, "a", 0x100, 1, NULL, &a, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&ws, "b", 0x200, 1, NULL, &b, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_add(&ws, "c", 0x300, 1, NULL, &cc, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_remove(&ws, a, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_filter_set(src, SMALL, names, 1, false), KT_OK);
	/* In flight at fork: c's removal (state stored, record not yet) and
	 * an add (entry and log slot reserved, nothing published). */
	e = (struct kt_jreg_entry *)((uint8_t *)src + ws.entries_off) + cc;
	e->state = KT_JREG_ENTRY_DEAD;
	hdr(src)->log_reserved++;
	hdr(src)->entries_reserved++;

	ck_assert_int_eq(kt_jreg_writer_format(&wd, dst, SMALL, 2), KT_OK);
	ck_assert_int_eq(kt_jreg_writer_clone(&wd, &ws), KT_OK);
	ck_assert_int_eq(kt_jreg_open(dst, SMALL, &v), KT_OK);
	ck_assert_uint_eq(v.pid, 2);
	while (kt_jreg_next_change(&v, &cur, &c) == KT_OK) {
		strcat(got, c.kind == KT_JREG_ADDED ? "+" : "-");
		strcat(got, c.name);
	}
	ck_assert_str_eq(got, "+a+b+c-a-c");
	ck_assert_uint_eq(cur, 6);
	ck_assert(kt_jreg_writer_filter_may_match(&wd, "wanted", 6));
	ck_assert(!kt_jreg_writer_filter_may_match(&wd, "unwanted", 8));
	/* The child goes on from there; the parent's registry is untouched. */
	ck_assert_int_eq(kt_jreg_writer_add(&wd, "d", 0x400, 1, NULL, &d, NULL), KT_OK);
	ck_assert_uint_eq(d, 4);
	ck_assert_int_eq(kt_jreg_writer_remove(&wd, b, NULL), KT_OK);
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_str_eq(c.name, "d");
	ck_assert_int_eq(kt_jreg_next_change(&v, &cur, &c), KT_OK);
	ck_assert_int_eq(c.kind, KT_JREG_REMOVED);
	ck_assert_str_eq(c.name, "b");
	ck_assert_uint_eq(hdr(src)->log_reserved, 5);
	ck_assert_int_eq(kt_jreg_writer_clone(&wd, &(struct kt_jreg_writer){.len = 1}),
			 KT_ERR_INVAL);
	munmap(src, SMALL);
	munmap(dst, SMALL);
}
END_TEST

START_TEST(test_anchor_parse)
{
	struct kt_jreg_anchor a = {.magic = KT_ANCHOR_MAGIC,
				   .version = KT_ANCHOR_VERSION,
				   .anchor_size = sizeof(a),
				   .state = KT_ANCHOR_READY,
				   .memfd = 3,
				   .registry_addr = 0x7f0000000000,
				   .registry_size = 1ull << 30};
	struct kt_jreg_anchor out, b;

	ck_assert_int_eq(kt_jreg_anchor_parse(&a, sizeof(a), &out), KT_OK);
	ck_assert_uint_eq(out.registry_addr, a.registry_addr);
	ck_assert_int_eq(out.memfd, 3);
	ck_assert_int_eq(kt_jreg_anchor_parse(&a, sizeof(a) - 8, &out), KT_ERR_CORRUPT);
	ck_assert_int_eq(kt_jreg_anchor_parse(&a, 4, &out), KT_ERR_NOTFOUND);
	b = a;
	b.magic[0] = 'x';
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_NOTFOUND);
	b = a;
	b.version = 2;
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_UNSUPPORTED);
	b = a;
	b.state = KT_ANCHOR_NONE;
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_STATE);
	b.state = 77;
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_CORRUPT);
	b = a;
	b.registry_addr = UINT64_MAX - 7;
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_CORRUPT);
	b = a;
	b.registry_size = 1ull << 60;
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_CORRUPT);
	b = a;
	b.anchor_size = 8;
	ck_assert_int_eq(kt_jreg_anchor_parse(&b, sizeof(b), &out), KT_ERR_CORRUPT);
}
END_TEST

static Suite *
shm_suite(void)
{
	Suite *s = suite_create("shm");
	TCase *tc = tcase_create("registry");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_incremental_and_remove);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_journal);
	tcase_add_test(tc, test_corrupt_header);
	tcase_add_test(tc, test_corrupt_records);
	tcase_add_test(tc, test_corrupt_random);
	tcase_add_test(tc, test_writer_attach);
	tcase_add_test(tc, test_clone);
	tcase_add_test(tc, test_anchor_parse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(shm_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
