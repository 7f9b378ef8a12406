/* SPDX-License-Identifier: MIT */
/*
 * check_os_maps.c - unit tests of the address-space map in the Linux OS
 * table (tracer/os_linux.c): kt_os_linux_parse_mapping on file, anonymous,
 * kernel-named, deleted and space-holding lines and on lines that are not
 * mappings; then the mappings op on this very process (its code and stack
 * found, rising order, a callback that stops the walk) and on a process
 * that is gone.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os.h"

START_TEST(test_parse_file)
{
	char line[] = "55d0c0a00000-55d0c0a21000 r-xp 00002000 08:01 1234     "
		      "/usr/lib/x86_64-linux-gnu/libc.so.6\n";
	struct kt_mapping m;

	ck_assert(kt_os_linux_parse_mapping(line, &m));
	ck_assert_uint_eq(m.lo, 0x55d0c0a00000ull);
	ck_assert_uint_eq(m.hi, 0x55d0c0a21000ull);
	ck_assert_uint_eq(m.off, 0x2000);
	ck_assert(m.read && !m.write && m.exec && !m.deleted);
	ck_assert_str_eq(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
}
END_TEST

START_TEST(test_parse_anon_kernel_deleted)
{
	char anon[] = "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n";
	char heap[] = "5600000000-5600021000 rw-p 00000000 00:00 0          [heap]\n";
	char del[] = "7f1000000000-7f1000010000 r-xs 00000000 00:01 77   /memfd:jit (deleted)\n";
	char spaced[] = "400000-401000 r--p 00000000 08:01 9   /tmp/a b (deleted) c\n";
	struct kt_mapping m;

	ck_assert(kt_os_linux_parse_mapping(anon, &m));
	ck_assert_str_eq(m.path, "");
	ck_assert(m.read && m.write && !m.exec);
	ck_assert(kt_os_linux_parse_mapping(heap, &m));
	ck_assert_str_eq(m.path, "[heap]");
	ck_assert(kt_os_linux_parse_mapping(del, &m));
	ck_assert(m.deleted && m.exec);
	ck_assert_str_eq(m.path, "/memfd:jit");
	/* " (deleted)" is the kernel's only at the end of the line. */
	ck_assert(kt_os_linux_parse_mapping(spaced, &m));
	ck_assert(!m.deleted);
	ck_assert_str_eq(m.path, "/tmp/a b (deleted) c");
}
END_TEST

START_TEST(test_parse_rejects)
{
	char empty[] = "";
	char words[] = "not a mapping at all\n";
	char backwards[] = "2000-1000 r-xp 00000000 00:00 0\n";
	char short_perms[] = "1000-2000 r 00000000 00:00 0\n";
	char cut[] = "1000-2000 r-xp\n";
	struct kt_mapping m;

	ck_assert(!kt_os_linux_parse_mapping(empty, &m));
	ck_assert(!kt_os_linux_parse_mapping(words, &m));
	ck_assert(!kt_os_linux_parse_mapping(backwards, &m));
	ck_assert(!kt_os_linux_parse_mapping(short_perms, &m));
	ck_assert(!kt_os_linux_parse_mapping(cut, &m));
}
END_TEST

/* What a walk over this process saw. */
struct seen {
	uint64_t code, stack, last_lo;
	bool code_found, stack_found, ordered;
	char exe[4096];
	size_t n, stop_after;
};

static bool
look(void *ctx, const struct kt_mapping *m)
{
	struct seen *w = ctx;

	if (m->lo < w->last_lo)
		w->ordered = false;
	w->last_lo = m->lo;
	if (w->code >= m->lo && w->code < m->hi && m->exec && strcmp(m->path, w->exe) == 0)
		w->code_found = true;
	if (w->stack >= m->lo && w->stack < m->hi && m->write)
		w->stack_found = true;
	return ++w->n != w->stop_after;
}

START_TEST(test_walk_self)
{
	struct kt_os *os = kt_os_linux_new();
	int local = 0;
	struct seen w = {.code = (uint64_t)(uintptr_t)&look, .stack = (uint64_t)(uintptr_t)&local,
			 .ordered = true};

	ck_assert_ptr_nonnull(os);
	ck_assert_ptr_nonnull(os->ops->mappings);
	ssize_t n = readlink("/proc/self/exe", w.exe, sizeof(w.exe) - 1);
	ck_assert_int_gt(n, 0);
	w.exe[n] = '\0';
	ck_assert_int_eq(os->ops->mappings(os, getpid(), look, &w), KT_OK);
	ck_assert(w.code_found);
	ck_assert(w.stack_found);
	ck_assert(w.ordered);
	ck_assert_uint_gt(w.n, 3);

	size_t all = w.n;
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	ck_assert_int_eq(os->ops->mappings(os, getpid(), look, &w), KT_OK);
	ck_assert_uint_eq(w.n, 2);
	ck_assert_uint_gt(all, 2);
	kt_os_linux_free(os);
}
END_TEST

START_TEST(test_walk_gone)
{
	struct kt_os *os = kt_os_linux_new();
	struct seen w = {0};
	int status;

	ck_assert_ptr_nonnull(os);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(os->ops->mappings(os, pid, look, &w), KT_ERR_GONE);
	ck_assert_uint_eq(w.n, 0);
	kt_os_linux_free(os);
}
END_TEST

static Suite *
os_maps_suite(void)
{
	Suite *s = suite_create("os_maps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_parse_file);
	tcase_add_test(tc, test_parse_anon_kernel_deleted);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_walk_self);
	tcase_add_test(tc, test_walk_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(os_maps_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
