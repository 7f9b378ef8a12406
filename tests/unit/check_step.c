/* SPDX-License-Identifier: MIT */
/*
 * check_step.c - the pure parts of source-level stepping and listing: the
 * line decision after each instruction (step.c), the window "list" shows,
 * bounded reads of source files (source.c), and how one physical frame
 * becomes its inlined calls' frames (frames.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frames.h"
#include "source.h"
#include "step.h"

static const char *const FILE_A = "/src/a.c";

START_TEST(test_same_line_goes_on)
{
	struct kt_step_line from = {FILE_A, 10, 0};
	struct kt_step_pc now = {0x1010, "/src/a.c", 10, 0x1000, true};

	/* Same file (another pointer to an equal string) and line. */
	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_GO_ON);
}
END_TEST

START_TEST(test_new_statement_stops)
{
	struct kt_step_line from = {FILE_A, 10, 0};
	struct kt_step_pc now = {0x1020, FILE_A, 11, 0x1020, true};

	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_STOP);
	/* The same line number in another file is another line. */
	now.line = 10;
	now.file = "/src/b.c";
	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_STOP);
}
END_TEST

START_TEST(test_mid_line_adopts)
{
	struct kt_step_line from = {FILE_A, 10, 0};
	struct kt_step_pc now = {0x1024, FILE_A, 12, 0x1020, true};

	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_ADOPT);
}
END_TEST

START_TEST(test_not_stmt_goes_on)
{
	struct kt_step_line from = {FILE_A, 10, 0};
	struct kt_step_pc now = {0x1020, FILE_A, 11, 0x1020, false};

	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_GO_ON);
}
END_TEST

START_TEST(test_unknown_rows_and_no_lines)
{
	struct kt_step_line from = {FILE_A, 10, 0};
	struct kt_step_pc now = {0x1024, FILE_A, 11, 0, false};

	/* Row starts unknown (a source that does not say): any new line stops. */
	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_STOP);
	now.file = NULL;
	now.line = 0;
	ck_assert_int_eq(kt_step_decide(&from, &now), KT_STEP_STOP);
}
END_TEST

START_TEST(test_until_floor)
{
	struct kt_step_line from = {FILE_A, 20, 0x2000};
	struct kt_step_pc back = {0x1f00, FILE_A, 18, 0x1f00, true};
	struct kt_step_pc ahead = {0x2040, FILE_A, 21, 0x2040, true};

	ck_assert_int_eq(kt_step_decide(&from, &back), KT_STEP_GO_ON);
	ck_assert_int_eq(kt_step_decide(&from, &ahead), KT_STEP_STOP);
	from.floor = 0; /* next: the jump back stops */
	ck_assert_int_eq(kt_step_decide(&from, &back), KT_STEP_STOP);
}
END_TEST

START_TEST(test_list_window)
{
	int first, last;

	kt_list_around(20, &first, &last);
	ck_assert_int_eq(first, 15);
	ck_assert_int_eq(last, 24);
	kt_list_around(3, &first, &last);
	ck_assert_int_eq(first, 1);
	ck_assert_int_eq(last, 10);
	kt_list_around(-7, &first, &last);
	ck_assert_int_eq(first, 1);
	ck_assert_int_eq(last, 10);
}
END_TEST

/* Print lines FIRST..LAST of CONTENT (written to a file) into BUF. */
static kt_status
print_of(const char *content, size_t len, int first, int last, char *buf, size_t cap,
	 int *nlines)
{
	char path[] = "/tmp/check_step.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	FILE *f = fmemopen(buf, cap, "w");
	kt_status st = kt_source_print(f, path, first, last, nlines);
	fclose(f);
	unlink(path);
	return st;
}

START_TEST(test_source_lines)
{
	char buf[256];
	int n;
	const char text[] = "one\ntwo\tx\nth\x01ree\nfour";

	ck_assert_int_eq(print_of(text, sizeof(text) - 1, 2, 9, buf, sizeof(buf), &n), KT_OK);
	ck_assert_str_eq(buf, "2\ttwo\tx\n3\tth\\x01ree\n4\tfour\n");
	ck_assert_int_eq(n, 4);
}
END_TEST

START_TEST(test_source_long_line)
{
	size_t len = 3 * KT_SOURCE_MAX_LINE;
	char *text = malloc(len + 8), *buf = malloc(2 * KT_SOURCE_MAX_LINE);
	int n;

	memset(text, 'a', len);
	memcpy(text + len, "\nend\n", 5);
	ck_assert_int_eq(print_of(text, len + 5, 1, 2, buf, 2 * KT_SOURCE_MAX_LINE, &n), KT_OK);
	/* The long line is cut, the next one still numbered right. */
	ck_assert_uint_eq(strlen(buf), 2 + KT_SOURCE_MAX_LINE + 1 + 6);
	ck_assert_str_eq(buf + strlen(buf) - 6, "2\tend\n");
	ck_assert_int_eq(n, 2);
	free(text);
	free(buf);
}
END_TEST

START_TEST(test_source_refuses)
{
	char dir[] = "/tmp/check_step.XXXXXX";
	char fifo[64];
	int n = 1;

	ck_assert_int_eq(kt_source_print(stdout, "/nonexistent/x.c", 1, 2, &n), KT_ERR_SYS);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/f", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* A FIFO is neither opened for blocking nor read. */
	ck_assert_int_eq(kt_source_print(stdout, fifo, 1, 2, &n), KT_ERR_INVAL);
	ck_assert_int_eq(kt_source_print(stdout, dir, 1, 2, &n), KT_ERR_INVAL);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

static struct kt_frame
phys_frame(void)
{
	struct kt_frame p;

	memset(&p, 0, sizeof(p));
	p.pc = 0x1234;
	p.sp = 0x7f00;
	p.unwind = "cfi";
	p.sym.function = "main";
	p.sym.offset = 0x34;
	p.sym.source = "elf";
	p.sym.file = "/src/m.c";
	p.sym.line = 31; /* the row: inside the innermost inlined code */
	return p;
}

START_TEST(test_inline_expand)
{
	struct kt_frame p = phys_frame(), out[4];
	struct kt_dwarf_loc loc;

	memset(&loc, 0, sizeof(loc));
	loc.file = "/src/m.c";
	loc.line = 31;
	loc.ninlined = 2;
	loc.inlined[0] = "scale";      /* called at 24, code of add_scaled */
	loc.inl_call_file[0] = "/src/m.c";
	loc.inl_call_line[0] = 24;
	loc.inlined[1] = "add_scaled"; /* called at 41, code of main */
	loc.inl_call_file[1] = "/src/m.c";
	loc.inl_call_line[1] = 41;
	ck_assert_uint_eq(kt_frames_inline(&p, &loc, out, 4), 3);
	ck_assert_str_eq(out[0].sym.function, "scale");
	ck_assert_int_eq(out[0].sym.line, 31);
	ck_assert(out[0].inlined);
	ck_assert_str_eq(out[0].unwind, "inlined");
	ck_assert_str_eq(out[0].sym.source, "dwarf");
	ck_assert_str_eq(out[1].sym.function, "add_scaled");
	ck_assert_int_eq(out[1].sym.line, 24);
	ck_assert(out[1].inlined);
	ck_assert_str_eq(out[2].sym.function, "main");
	ck_assert_int_eq(out[2].sym.line, 41);
	ck_assert(!out[2].inlined);
	ck_assert_str_eq(out[2].unwind, "cfi");
	ck_assert_uint_eq(out[2].sym.offset, 0x34);
	for (int i = 0; i < 3; i++)
		ck_assert(out[i].pc == 0x1234 && out[i].sp == 0x7f00);
	/* Room for fewer: the innermost first. */
	ck_assert_uint_eq(kt_frames_inline(&p, &loc, out, 2), 2);
	ck_assert_str_eq(out[1].sym.function, "add_scaled");
}
END_TEST

START_TEST(test_inline_none)
{
	struct kt_frame p = phys_frame(), out[2];
	struct kt_dwarf_loc loc;

	ck_assert_uint_eq(kt_frames_inline(&p, NULL, out, 2), 1);
	ck_assert_str_eq(out[0].sym.function, "main");
	ck_assert_int_eq(out[0].sym.line, 31);
	ck_assert(!out[0].inlined);
	memset(&loc, 0, sizeof(loc));
	loc.ninlined = 99; /* corrupt: no inlined frames, never past the arrays */
	ck_assert_uint_eq(kt_frames_inline(&p, &loc, out, 2), 1);
	ck_assert_uint_eq(kt_frames_inline(&p, NULL, out, 0), 0);
}
END_TEST

static Suite *
step_suite(void)
{
	Suite *s = suite_create("step");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_same_line_goes_on);
	tcase_add_test(tc, test_new_statement_stops);
	tcase_add_test(tc, test_mid_line_adopts);
	tcase_add_test(tc, test_not_stmt_goes_on);
	tcase_add_test(tc, test_unknown_rows_and_no_lines);
	tcase_add_test(tc, test_until_floor);
	tcase_add_test(tc, test_list_window);
	tcase_add_test(tc, test_source_lines);
	tcase_add_test(tc, test_source_long_line);
	tcase_add_test(tc, test_source_refuses);
	tcase_add_test(tc, test_inline_expand);
	tcase_add_test(tc, test_inline_none);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(step_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
