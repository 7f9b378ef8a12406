/* SPDX-License-Identifier: MIT */
/*
 * check_perfmap.c - unit tests of tracer/perfmap: the line parser
 * (malformed lines, names with spaces, hostile lengths and counts), the
 * index (overlaps, a later entry winning, growth by batches), a randomised
 * comparison with a naive model, and the file follower (appends read
 * incrementally, partial lines, truncation, replacement, rewrites).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "perfmap.h"

/* Feed TEXT as one complete buffer and commit. */
static void
load(struct kt_perfmap_index *idx, const char *text)
{
	size_t len = strlen(text);

	ck_assert_uint_eq(kt_perfmap_index_feed(idx, text, len, true), len);
	ck_assert_int_eq(kt_perfmap_index_commit(idx), KT_OK);
}

/* The name covering ADDR, or "" if none; checks START too if nonzero. */
static const char *
name_at(const struct kt_perfmap_index *idx, uint64_t addr, uint64_t want_start)
{
	uint64_t start, size;
	const char *name;

	if (!kt_perfmap_index_lookup(idx, addr, &start, &size, &name))
		return "";
	ck_assert(addr >= start && addr < start + size);
	if (want_start)
		ck_assert_uint_eq(start, want_start);
	return name;
}

START_TEST(test_parse)
{
	struct kt_perfmap_index idx;
	uint64_t start, size;
	const char *name;

	kt_perfmap_index_init(&idx, 0);
	load(&idx, "1000 10 first\n"
		   "2000 20 LazyCompile:*hot /path/with space/x.js:3:1  \r\n"
		   "0x3000 0x8 prefixed\n"
		   "\n"
		   "zz 10 bad-start\n"
		   "4000\n"
		   "4000 10\n"
		   "4000 10   \n"
		   "4000 0 zero-size\n"
		   "4000 zz bad-size\n"
		   "4000 80000000 too-large\n"
		   "ffffffffffffffff 2 wraps\n"
		   "10000000000000000 1 seventeen-digits\n"
		   "4000-10 nospace\n"
		   "5000\t4\ttabbed name\n"
		   "6000 4 last-without-newline");
	ck_assert_str_eq(name_at(&idx, 0x1000, 0x1000), "first");
	ck_assert_str_eq(name_at(&idx, 0x100f, 0x1000), "first");
	ck_assert_str_eq(name_at(&idx, 0x1010, 0), "");
	ck_assert_str_eq(name_at(&idx, 0xfff, 0), "");
	ck_assert_str_eq(name_at(&idx, 0x201f, 0x2000), "LazyCompile:*hot /path/with space/x.js:3:1");
	ck_assert_str_eq(name_at(&idx, 0x3007, 0x3000), "prefixed");
	ck_assert_str_eq(name_at(&idx, 0x5002, 0x5000), "tabbed name");
	ck_assert_str_eq(name_at(&idx, 0x6003, 0x6000), "last-without-newline");
	ck_assert_str_eq(name_at(&idx, 0x4000, 0), "");
	ck_assert(kt_perfmap_index_lookup(&idx, 0x2004, &start, &size, &name));
	ck_assert_uint_eq(size, 0x20);
	ck_assert_uint_eq(idx.nentries, 5);
	ck_assert_uint_eq(idx.malformed, 10); /* every bad line; the empty one is no error */
	kt_perfmap_index_fini(&idx);
}
END_TEST

START_TEST(test_later_wins)
{
	struct kt_perfmap_index idx;

	kt_perfmap_index_init(&idx, 0);
	/* Within one batch: same start, inside, across, around. */
	load(&idx, "1000 100 old\n"
		   "1000 100 new\n"
		   "2000 100 outer\n"
		   "2040 10 inner\n"
		   "3000 100 left\n"
		   "3080 100 right\n"
		   "4040 10 small\n"
		   "4000 100 big\n");
	ck_assert_str_eq(name_at(&idx, 0x1050, 0x1000), "new");
	ck_assert_str_eq(name_at(&idx, 0x203f, 0x2000), "outer");
	ck_assert_str_eq(name_at(&idx, 0x2040, 0x2040), "inner");
	ck_assert_str_eq(name_at(&idx, 0x204f, 0x2040), "inner");
	ck_assert_str_eq(name_at(&idx, 0x2050, 0x2000), "outer"); /* offsets from the entry start */
	ck_assert_str_eq(name_at(&idx, 0x307f, 0x3000), "left");
	ck_assert_str_eq(name_at(&idx, 0x3080, 0x3080), "right");
	ck_assert_str_eq(name_at(&idx, 0x317f, 0x3080), "right");
	ck_assert_str_eq(name_at(&idx, 0x4045, 0x4000), "big");
	/* A later batch over the first one: splits, covers, and leaves gaps. */
	load(&idx, "1040 10 moved-in\n"
		   "1ff0 20 straddle\n"
		   "2fff 2 tiny\n"
		   "3000 180 replaced\n");
	ck_assert_str_eq(name_at(&idx, 0x103f, 0x1000), "new");
	ck_assert_str_eq(name_at(&idx, 0x1040, 0x1040), "moved-in");
	ck_assert_str_eq(name_at(&idx, 0x1050, 0x1000), "new");
	ck_assert_str_eq(name_at(&idx, 0x1ff0, 0x1ff0), "straddle");
	ck_assert_str_eq(name_at(&idx, 0x2000, 0x1ff0), "straddle");
	ck_assert_str_eq(name_at(&idx, 0x2010, 0x2000), "outer");
	ck_assert_str_eq(name_at(&idx, 0x2041, 0x2040), "inner");
	ck_assert_str_eq(name_at(&idx, 0x2fff, 0x2fff), "tiny");
	ck_assert_str_eq(name_at(&idx, 0x3000, 0x3000), "replaced");
	ck_assert_str_eq(name_at(&idx, 0x3100, 0x3000), "replaced");
	ck_assert_str_eq(name_at(&idx, 0x317f, 0x3000), "replaced");
	ck_assert_str_eq(name_at(&idx, 0x3180, 0), "");
	/* Names handed out survive a clear (frames keep theirs). */
	const char *held = name_at(&idx, 0x1040, 0);
	kt_perfmap_index_clear(&idx);
	ck_assert_str_eq(name_at(&idx, 0x1040, 0), "");
	ck_assert_str_eq(held, "moved-in");
	kt_perfmap_index_fini(&idx);
}
END_TEST

START_TEST(test_hostile)
{
	struct kt_perfmap_index idx;
	size_t big = 3 * KT_PERFMAP_MAX_LINE;
	char *buf = malloc(big + 64);

	/* An over-long line, in pieces without a newline: skipped through it. */
	kt_perfmap_index_init(&idx, 0);
	memset(buf, 'a', big);
	memcpy(buf, "7000 10 ", 8);
	ck_assert_uint_eq(kt_perfmap_index_feed(&idx, buf, KT_PERFMAP_MAX_LINE - 10, false), 0);
	ck_assert_uint_eq(kt_perfmap_index_feed(&idx, buf, big, false), big);
	ck_assert(idx.skipping);
	ck_assert_uint_eq(kt_perfmap_index_feed(&idx, "aaaa\n8000 10 after\n9000 1", 25, false), 19);
	ck_assert_int_eq(kt_perfmap_index_commit(&idx), KT_OK);
	ck_assert_str_eq(name_at(&idx, 0x7000, 0), "");
	ck_assert_str_eq(name_at(&idx, 0x8000, 0x8000), "after");
	ck_assert_uint_eq(idx.malformed, 1);
	/* A line of exactly the maximum length is taken. */
	memset(buf, 'n', KT_PERFMAP_MAX_LINE);
	memcpy(buf, "a000 10 ", 8);
	buf[KT_PERFMAP_MAX_LINE - 1] = '\n';
	ck_assert_uint_eq(kt_perfmap_index_feed(&idx, buf, KT_PERFMAP_MAX_LINE, false),
			  KT_PERFMAP_MAX_LINE);
	ck_assert_int_eq(kt_perfmap_index_commit(&idx), KT_OK);
	ck_assert_uint_eq(strlen(name_at(&idx, 0xa000, 0xa000)), KT_PERFMAP_MAX_LINE - 9);
	/* NUL bytes inside a line. */
	ck_assert_uint_eq(kt_perfmap_index_feed(&idx, "b000 10 x\0y\n", 12, false), 12);
	ck_assert_int_eq(kt_perfmap_index_commit(&idx), KT_OK);
	ck_assert_str_eq(name_at(&idx, 0xb000, 0), "");
	kt_perfmap_index_fini(&idx);

	/* The entry cap: lines past it are dropped, lookups keep working. */
	kt_perfmap_index_init(&idx, 100);
	for (int i = 0; i < 300; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "%x 10 f%d\n", 0x10000 + 0x10 * i, i);
		ck_assert_uint_eq(kt_perfmap_index_feed(&idx, line, (size_t)n, false), (size_t)n);
	}
	ck_assert_int_eq(kt_perfmap_index_commit(&idx), KT_OK);
	ck_assert_uint_eq(idx.nentries, 100);
	ck_assert_str_eq(name_at(&idx, 0x10000 + 0x10 * 99, 0), "f99");
	ck_assert_str_eq(name_at(&idx, 0x10000 + 0x10 * 100, 0), "");
	kt_perfmap_index_fini(&idx);

	/* Random bytes: never a crash, every entry found is a real interval. */
	srand(7);
	kt_perfmap_index_init(&idx, 0);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % 512);
		for (size_t i = 0; i < n; i++) {
			static const char alpha[] = "0123456789abcdefx \t\n\r:*~";
			buf[i] = rand() % 4 ? alpha[rand() % (int)(sizeof(alpha) - 1)] : (char)rand();
		}
		kt_perfmap_index_feed(&idx, buf, n, round % 2);
		ck_assert_int_eq(kt_perfmap_index_commit(&idx), KT_OK);
		for (int k = 0; k < 20; k++)
			name_at(&idx, (uint64_t)rand() << 8 | (uint64_t)(rand() & 0xff), 0);
	}
	kt_perfmap_index_fini(&idx);
	free(buf);
}
END_TEST

/* Random batches against a model: the latest entry containing the address. */
START_TEST(test_random_model)
{
	enum { MAXE = 3000 };
	static uint64_t lo[MAXE], sz[MAXE];
	struct kt_perfmap_index idx;
	char names[MAXE][16];
	size_t n = 0;

	srand(12345);
	kt_perfmap_index_init(&idx, 0);
	while (n < MAXE) {
		size_t batch = 1 + (size_t)(rand() % 60);
		for (size_t i = 0; i < batch && n < MAXE; i++, n++) {
			char line[64];
			lo[n] = (uint64_t)(rand() % 4000);
			sz[n] = 1 + (uint64_t)(rand() % (rand() % 4 ? 40 : 400));
			snprintf(names[n], sizeof(names[n]), "e%zu", n);
			int len = snprintf(line, sizeof(line), "%llx %llx %s\n",
					   (unsigned long long)lo[n], (unsigned long long)sz[n],
					   names[n]);
			ck_assert_uint_eq(kt_perfmap_index_feed(&idx, line, (size_t)len, false),
					  (size_t)len);
		}
		ck_assert_int_eq(kt_perfmap_index_commit(&idx), KT_OK);
		for (uint64_t a = 0; a < 4500; a += 1 + (uint64_t)(rand() % 3)) {
			const char *want = "";
			uint64_t want_start = 0;
			for (size_t k = n; k-- > 0;)
				if (a >= lo[k] && a < lo[k] + sz[k]) {
					want = names[k];
					want_start = lo[k];
					break;
				}
			ck_assert_str_eq(name_at(&idx, a, want_start), want);
		}
	}
	/* Disjoint, sorted pieces. */
	for (size_t i = 0; i < idx.nseg; i++) {
		ck_assert(idx.seg[i].lo < idx.seg[i].hi);
		if (i)
			ck_assert(idx.seg[i - 1].hi <= idx.seg[i].lo);
	}
	kt_perfmap_index_fini(&idx);
}
END_TEST

static void
write_file(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char *
pm_name(struct kt_perfmap *pm, uint64_t addr)
{
	return name_at(&pm->idx, addr, 0);
}

START_TEST(test_file)
{
	char dir[] = "/tmp/check_perfmap.XXXXXX", path[128], other[128];
	struct kt_perfmap pm;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/perf-1.map", dir);
	snprintf(other, sizeof(other), "%s/perf-2.map", dir);
	memset(&pm, 0, sizeof(pm));
	kt_perfmap_index_init(&pm.idx, 0);

	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_ERR_NOTFOUND);
	write_file(path, "1000 10 a\n2000 10 b\n30", "w");
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_str_eq(pm_name(&pm, 0x1000), "a");
	ck_assert_str_eq(pm_name(&pm, 0x2000), "b");
	ck_assert_uint_eq(pm.off, 20); /* the partial line waits */
	ck_assert_uint_eq(pm.full_reads, 1);
	/* Unchanged: nothing read. */
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_uint_eq(pm.full_reads, 1);
	/* Growth: only the new part is read; the partial line completes. */
	write_file(path, "00 10 c\n1000 10 a2\n", "a");
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_uint_eq(pm.full_reads, 1);
	ck_assert_uint_eq(pm.idx.nentries, 4);
	ck_assert_str_eq(pm_name(&pm, 0x3000), "c");
	ck_assert_str_eq(pm_name(&pm, 0x1000), "a2");
	ck_assert_str_eq(pm_name(&pm, 0x2000), "b");
	/* Shrunk: read again from the start. */
	write_file(path, "5000 10 d\n", "w");
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_uint_eq(pm.full_reads, 2);
	ck_assert_str_eq(pm_name(&pm, 0x1000), "");
	ck_assert_str_eq(pm_name(&pm, 0x5000), "d");
	/* Rewritten in place, longer, with other bytes before the old end. */
	write_file(path, "6000 10 e\n7000 10 f\n", "w");
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_uint_eq(pm.full_reads, 3);
	ck_assert_str_eq(pm_name(&pm, 0x5000), "");
	ck_assert_str_eq(pm_name(&pm, 0x6000), "e");
	ck_assert_str_eq(pm_name(&pm, 0x7000), "f");
	/* Replaced by another file (another inode), even a bigger one. */
	write_file(other, "6000 10 e\n7000 10 f\n8000 10 g\n", "w");
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_uint_eq(pm.full_reads, 4);
	ck_assert_uint_eq(pm.idx.nentries, 3);
	ck_assert_str_eq(pm_name(&pm, 0x8000), "g");
	/* Not a regular file (a FIFO would block a plain open), a symlink, gone. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_ERR_NOTFOUND);
	ck_assert_str_eq(pm_name(&pm, 0x8000), "");
	ck_assert_int_eq(unlink(path), 0);
	write_file(other, "9000 10 h\n", "w");
	ck_assert_int_eq(symlink(other, path), 0);
	ck_assert_int_ne(kt_perfmap_refresh(&pm, path), KT_OK);
	ck_assert_str_eq(pm_name(&pm, 0x9000), "");
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_ERR_NOTFOUND);
	ck_assert_int_eq(unlink(other), 0);
	ck_assert_int_eq(rmdir(dir), 0);
	kt_perfmap_index_fini(&pm.idx);
}
END_TEST

/* Many small appends: each read sees only its part. */
START_TEST(test_file_appends)
{
	char dir[] = "/tmp/check_perfmap.XXXXXX", path[128];
	struct kt_perfmap pm;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/perf-3.map", dir);
	memset(&pm, 0, sizeof(pm));
	kt_perfmap_index_init(&pm.idx, 0);
	write_file(path, "", "w");
	for (int i = 0; i < 2000; i++) {
		char line[64];
		/* Each new function reuses half of the previous one's memory. */
		snprintf(line, sizeof(line), "%x 20 fn%d\n", 0x100000 + 0x10 * i, i);
		write_file(path, line, "a");
		if (i % 7 == 0 || i == 1999)
			ck_assert_int_eq(kt_perfmap_refresh(&pm, path), KT_OK);
	}
	ck_assert_uint_eq(pm.full_reads, 1);
	ck_assert_uint_eq(pm.idx.nentries, 2000);
	ck_assert_str_eq(pm_name(&pm, 0x100000), "fn0");
	ck_assert_str_eq(pm_name(&pm, 0x100010 + 0x10 * 1000), "fn1001");
	ck_assert_str_eq(pm_name(&pm, 0x100000 + 0x10 * 1999 + 0x1f), "fn1999");
	ck_assert_uint_eq(pm.idx.nseg, 2000);
	unlink(path);
	rmdir(dir);
	kt_perfmap_index_fini(&pm.idx);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("perfmap");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_later_wins);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_random_model);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_file_appends);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
