/* SPDX-License-Identifier: MIT */
/*
 * dwarf_fixtures.h - what the DWARF unit tests (check_dwarf*.c) share:
 * finding tests/unit/dwarf, reading a file whole, and the "mem" programs of
 * tests/unit/dwarf/build.sh in a fresh directory, built there by build.sh
 * (with gcc) or copied from $KT_FIXTURES/dwarf_mem (the emulated AArch64
 * guest, which has no compiler).  The functions are static: one test file
 * includes it.
 */
#ifndef KT_DWARF_FIXTURES_H
#define KT_DWARF_FIXTURES_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* tests/unit/dwarf into BUF[0, LEN), from the test's own __FILE__ HERE;
 * false (the reason printed) when it is not there. */
static inline bool
dwarf_srcdir(char *buf, size_t len, const char *here)
{
	const char *slash = strrchr(here, '/');

	snprintf(buf, len, "%.*s/dwarf", slash ? (int)(slash - here) : 1, slash ? here : ".");
	if (access(buf, R_OK) == 0)
		return true;
	printf("FAIL: test sources %s not found (run from the top of the tree)\n", buf);
	return false;
}

/* PATH's bytes, malloc'd (*LEN of them); the test fails if it cannot be
 * read. */
static inline unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	ck_assert(buf != NULL);
	ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Remove the directory TMP; nonzero if that failed. */
static inline int
mem_fixtures_done(const char *tmp)
{
	char cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	return system(cmd) != 0;
}

/*
 * Make the directory TMP (a mkdtemp template) and put build.sh's "mem"
 * programs in it; BUILD_DIR is tests/unit/dwarf.  Returns -1 when they are
 * there, else what main should return, with the reason printed: 77 (no gcc
 * and no KT_FIXTURES) or 1 (TMP removed again).
 */
static inline int
mem_fixtures(char *tmp, const char *build_dir)
{
	const char *fix = getenv("KT_FIXTURES");
	char cmd[4096];

	if (!(fix && *fix) && system("gcc --version >/dev/null 2>&1") != 0) {
		printf("SKIP: gcc not installed (apt-get install gcc)\n");
		return 77;
	}
	if (!mkdtemp(tmp))
		return 1;
	if (fix && *fix)
		snprintf(cmd, sizeof cmd, "test -r %s/dwarf_mem/two_units && cp %s/dwarf_mem/* %s/",
			 fix, fix, tmp);
	else
		snprintf(cmd, sizeof cmd, "sh %s/build.sh %s mem", build_dir, tmp);
	if (system(cmd) != 0) {
		printf("FAIL: %s\n", cmd);
		if (mem_fixtures_done(tmp))
			printf("note: cannot remove %s\n", tmp);
		return 1;
	}
	return -1;
}

/* Run suite S, then remove TMP; what main should return. */
static inline int
mem_run(Suite *s, const char *tmp)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (mem_fixtures_done(tmp))
		failed++;
	return failed ? 1 : 0;
}

#endif
