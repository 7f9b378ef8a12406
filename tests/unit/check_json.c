/* SPDX-License-Identifier: MIT */
/*
 * check_json.c - unit tests of the streaming JSON writer (tracer/json.c):
 * the exact text of nested objects and arrays (commas, indentation, the
 * final newline), empty containers, every value kind (string, integer,
 * hex string, boolean, null, NULL string), and escaping of quotes,
 * backslashes, newlines, tabs and other control characters.  Each document
 * is also handed to python3's json module when python3 is installed, to
 * check it is valid JSON that reads back to the same strings.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

static char *buf;
static size_t len;
static FILE *mf;
static struct kt_json j;

static void
setup(void)
{
	buf = NULL;
	len = 0;
	mf = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mf);
	kt_json_init(&j, mf);
}

static void
teardown(void)
{
	if (mf)
		fclose(mf);
	free(buf);
}

/* The document written so far. */
static const char *
text(void)
{
	fflush(mf);
	return buf;
}

static bool
have_python(void)
{
	return system("command -v python3 >/dev/null 2>&1") == 0;
}

/*
 * Run python3 CHECK (statements over the parsed document d) on DOC; true if
 * it parsed and CHECK held (python's errors go to stderr).  Without python3,
 * say so loudly and pass.
 */
static bool
python_accepts(const char *doc, const char *check)
{
	char script[] = "/tmp/check_json_XXXXXX", cmd[128];

	if (!have_python()) {
		fprintf(stderr, "check_json: SKIPPED validation with python3 (not installed)\n");
		return true;
	}
	int fd = mkstemp(script);
	ck_assert_int_ge(fd, 0);
	FILE *sf = fdopen(fd, "w");
	ck_assert_ptr_nonnull(sf);
	fprintf(sf, "import json, sys\nd = json.load(sys.stdin)\n%s\n", check);
	fclose(sf);
	snprintf(cmd, sizeof(cmd), "python3 %s", script);
	FILE *p = popen(cmd, "w");
	ck_assert_ptr_nonnull(p);
	fputs(doc, p);
	int rc = pclose(p);
	unlink(script);
	return rc == 0;
}

START_TEST(test_nested)
{
	kt_json_obj(&j, NULL);
	kt_json_str(&j, "kind", "crash");
	kt_json_int(&j, "pid", 1234);
	kt_json_int(&j, "neg", -5);
	kt_json_hex(&j, "pc", 0x401000);
	kt_json_bool(&j, "ok", true);
	kt_json_bool(&j, "bad", false);
	kt_json_null(&j, "none");
	kt_json_str(&j, "nulls", NULL);
	kt_json_arr(&j, "frames");
	kt_json_obj(&j, NULL);
	kt_json_int(&j, "n", 0);
	kt_json_hex(&j, "pc", 0);
	kt_json_end_obj(&j);
	kt_json_obj(&j, NULL);
	kt_json_int(&j, "n", 1);
	kt_json_arr(&j, "args");
	kt_json_int(&j, NULL, 1);
	kt_json_str(&j, NULL, "two");
	kt_json_end_arr(&j);
	kt_json_end_obj(&j);
	kt_json_end_arr(&j);
	kt_json_obj(&j, "empty_obj");
	kt_json_end_obj(&j);
	kt_json_arr(&j, "empty_arr");
	kt_json_end_arr(&j);
	kt_json_int(&j, "last", 9223372036854775807LL);
	kt_json_end_obj(&j);

	const char *want = "{\n"
			   "  \"kind\": \"crash\",\n"
			   "  \"pid\": 1234,\n"
			   "  \"neg\": -5,\n"
			   "  \"pc\": \"0x401000\",\n"
			   "  \"ok\": true,\n"
			   "  \"bad\": false,\n"
			   "  \"none\": null,\n"
			   "  \"nulls\": null,\n"
			   "  \"frames\": [\n"
			   "    {\n"
			   "      \"n\": 0,\n"
			   "      \"pc\": \"0x0\"\n"
			   "    },\n"
			   "    {\n"
			   "      \"n\": 1,\n"
			   "      \"args\": [\n"
			   "        1,\n"
			   "        \"two\"\n"
			   "      ]\n"
			   "    }\n"
			   "  ],\n"
			   "  \"empty_obj\": {},\n"
			   "  \"empty_arr\": [],\n"
			   "  \"last\": 9223372036854775807\n"
			   "}\n";
	ck_assert_str_eq(text(), want);
	ck_assert(python_accepts(text(), "assert d['frames'][1]['args'] == [1, 'two'] and "
					 "d['pc'] == '0x401000' and d['empty_obj'] == {} and "
					 "d['nulls'] is None and d['bad'] is False"));
}
END_TEST

START_TEST(test_top_level)
{
	kt_json_arr(&j, NULL);
	kt_json_end_arr(&j);
	ck_assert_str_eq(text(), "[]\n");
	ck_assert(python_accepts(text(), "assert d == []"));
}
END_TEST

START_TEST(test_empty_object)
{
	kt_json_obj(&j, NULL);
	kt_json_end_obj(&j);
	ck_assert_str_eq(text(), "{}\n");
}
END_TEST

START_TEST(test_escaping)
{
	kt_json_obj(&j, NULL);
	kt_json_str(&j, "q", "say \"hi\"");
	kt_json_str(&j, "bs", "C:\\dir\\");
	kt_json_str(&j, "nl", "a\nb\r\tc");
	kt_json_str(&j, "ctl", "\x01\x1f\x7f");
	kt_json_str(&j, "utf8", "caf\xc3\xa9");
	kt_json_str(&j, "k\"ey\n", "v");
	kt_json_str(&j, "slash", "a/b");
	kt_json_str(&j, "empty", "");
	kt_json_end_obj(&j);

	const char *want = "{\n"
			   "  \"q\": \"say \\\"hi\\\"\",\n"
			   "  \"bs\": \"C:\\\\dir\\\\\",\n"
			   "  \"nl\": \"a\\nb\\r\\tc\",\n"
			   "  \"ctl\": \"\\u0001\\u001f\\u007f\",\n"
			   "  \"utf8\": \"caf\xc3\xa9\",\n"
			   "  \"k\\\"ey\\n\": \"v\",\n"
			   "  \"slash\": \"a/b\",\n"
			   "  \"empty\": \"\"\n"
			   "}\n";
	ck_assert_str_eq(text(), want);
	ck_assert(python_accepts(text(), "assert d['q'] == 'say \"hi\"' and "
					 "d['bs'] == 'C:\\\\dir\\\\' and "
					 "d['nl'] == 'a\\nb\\r\\tc' and "
					 "d['ctl'] == '\\x01\\x1f\\x7f' and "
					 "d['k\"ey\\n'] == 'v' and d['empty'] == ''"));
	/* No raw control character ever reaches the output inside a string. */
	for (const char *p = text(); *p; p++)
		ck_assert(*p == '\n' || (unsigned char)*p >= 0x20);
}
END_TEST

START_TEST(test_every_byte)
{
	char s[256];

	for (int i = 1; i < 256; i++)
		s[i - 1] = (char)i;
	s[255] = '\0';
	kt_json_arr(&j, NULL);
	/* Only ASCII: python would reject the lone bytes >= 0x80 as UTF-8. */
	s[127] = '\0';
	kt_json_str(&j, NULL, s);
	kt_json_end_arr(&j);
	ck_assert(python_accepts(text(), "assert d[0] == ''.join(chr(i) for i in range(1, 128))"));
}
END_TEST

START_TEST(test_deep)
{
	/* 20 nested arrays with a member after each inner one. */
	for (int i = 0; i < 20; i++)
		kt_json_arr(&j, NULL);
	for (int i = 0; i < 20; i++) {
		kt_json_end_arr(&j);
		if (i < 19)
			kt_json_int(&j, NULL, i);
	}
	ck_assert_int_eq(j.depth, 0);
	const char *t = text();
	ck_assert_uint_eq(t[strlen(t) - 1], '\n');
	ck_assert(python_accepts(t, "x = d\nfor i in range(18, -1, -1):\n"
				    "    assert x[-1] == i\n"
				    "    x = x[0]\n"
				    "assert x == []"));
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_top_level);
	tcase_add_test(tc, test_empty_object);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_every_byte);
	tcase_add_test(tc, test_deep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
