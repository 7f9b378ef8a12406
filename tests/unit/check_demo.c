/* SPDX-License-Identifier: MIT */
/*
 * check_demo.c - unit tests of kitdemo, the demo JIT (inferior/demo): the
 * lexer and parser with their error positions; native code generation run
 * for real (fib, recursion, loops, division, comparisons, logic, calls,
 * builtins, signals, eager and lazy, several threads); and both back ends
 * checked by decoding their output with capstone - every word decodes, the
 * frame-pointer prologue and epilogue are where the unwind rule says, the
 * AArch64 instruction sequence of a small function is exactly the expected
 * one, branches land inside the function, and line tables are sorted.
 */
#include <capstone.h>
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../inferior/demo/jit.h"
#include "../../inferior/demo/lexer.h"
#include "../../inferior/demo/parser.h"

#ifdef __SANITIZE_ADDRESS__
/*
 * A crash in JIT code is the point of kitdemo: under AddressSanitizer, let
 * SIGSEGV, SIGFPE and SIGILL kill the process as usual instead of turning
 * them into a report and exit status 1.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0";
}
#endif

/* ---- front end ---- */

static struct kd_program *
parse_ok(const char *src)
{
	struct kd_diag d;
	struct kd_program *p = kd_parse(src, strlen(src), &d);

	ck_assert_msg(p != NULL, "parse failed at %d:%d: %s", d.line, d.col, d.msg);
	return p;
}

START_TEST(test_lexer_tokens)
{
	const char *src = "fn f(a) {\n  # c\n  return a<=0x1f && !b;\n}";
	static const enum kd_tok_kind want[] = {
		KD_T_FN,     KD_T_IDENT, KD_T_LPAREN, KD_T_IDENT, KD_T_RPAREN, KD_T_LBRACE,
		KD_T_RETURN, KD_T_IDENT, KD_T_LE,     KD_T_NUM,	  KD_T_ANDAND, KD_T_BANG,
		KD_T_IDENT,  KD_T_SEMI,	 KD_T_RBRACE, KD_T_EOF,
	};
	struct kd_token *t;
	size_t n;
	struct kd_diag d;

	ck_assert_int_eq(kd_lex(src, strlen(src), &t, &n, &d), 0);
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(t[i].kind == want[i], "token %zu is %s", i, kd_tok_name(t[i].kind));
	ck_assert_int_eq(t[6].line, 3); /* return */
	ck_assert_int_eq(t[6].col, 3);
	ck_assert_int_eq(t[9].num, 31);
	ck_assert_int_eq(t[9].col, 13);
	ck_assert_int_eq(t[14].line, 4);
	free(t);
}
END_TEST

static const struct {
	const char *src;
	int line, col;
	const char *msg;
} bad_programs[] = {
	{"fn main() { return @; }", 1, 20, "unexpected character '@'"},
	{"fn main() {\n\treturn 99999999999999999999;\n}", 2, 9, "out of range"},
	{"fn main() {\n  return x;\n}", 2, 10, "undeclared variable 'x'"},
	{"fn main() { y = 1; }", 1, 13, "undeclared variable 'y'"},
	{"fn main() { var a = 1; var a = 2; }", 1, 28, "already declared"},
	{"fn main() { return f(1); }", 1, 20, "undefined function 'f'"},
	{"fn f(a) { }\nfn main() { return f(); }", 2, 20, "takes 1 argument, 0 given"},
	{"fn f() { }", 1, 11, "no function 'main'"},
	{"fn main() {\n  return 1\n}", 3, 1, "expected ';'"},
	{"fn main(x) { }", 1, 1, "'main' must take no parameters"},
	{"fn main() {", 1, 11, "unclosed '{'"},
	{"fn print() { }", 1, 4, "builtin"},
	{"fn main() { }\nfn main() { }", 2, 4, "already defined at line 1"},
	{"fn f(a, b, c, d, e, f, g) { }", 1, 24, "too many parameters"},
	{"fn main() { print(1, 2); }", 1, 13, "takes 1 argument, 2 given"},
	{"fn main() { return (1 + ; }", 1, 25, "expected an expression"},
	{"fn main() { if 1 { } }", 1, 16, "expected '('"},
	{"main() { }", 1, 1, "expected 'fn'"},
};

START_TEST(test_parse_errors)
{
	const char *src = bad_programs[_i].src;
	struct kd_diag d;
	struct kd_program *p = kd_parse(src, strlen(src), &d);

	ck_assert_msg(p == NULL, "'%s' parsed", src);
	ck_assert_msg(d.line == bad_programs[_i].line && d.col == bad_programs[_i].col,
		      "'%s': error at %d:%d (%s), want %d:%d", src, d.line, d.col, d.msg,
		      bad_programs[_i].line, bad_programs[_i].col);
	ck_assert_msg(strstr(d.msg, bad_programs[_i].msg), "'%s': message '%s'", src, d.msg);
}
END_TEST

/* Pathological nesting is an error, not a stack overflow in the parser or back ends. */
START_TEST(test_parse_limits)
{
	static const char *const pieces[][3] = {
		{"fn main() { return ", "1 + ", "1; }"},
		{"fn main() { return ", "(", "1; }"},
		{"fn main() { return ", "-", "1; }"},
		{"fn main() ", "{ ", "}"},
		{"fn main() { if (1) { } ", "else if (1) { } ", "}"},
	};
	size_t cap = 100000;
	char *src = malloc(cap);
	struct kd_diag d;
	struct kd_program *p;

	ck_assert_ptr_nonnull(src);
	for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
		size_t len = (size_t)snprintf(src, cap, "%s", pieces[k][0]);

		for (int i = 0; i < 5000; i++)
			len += (size_t)snprintf(src + len, cap - len, "%s", pieces[k][1]);
		len += (size_t)snprintf(src + len, cap - len, "%s", pieces[k][2]);
		p = kd_parse(src, len, &d);
		ck_assert_msg(p == NULL, "case %zu parsed", k);
		ck_assert_msg(strstr(d.msg, "too complex") || strstr(d.msg, "too deeply"),
			      "case %zu: %s", k, d.msg);
	}
	free(src);
}
END_TEST

START_TEST(test_parse_resolve)
{
	struct kd_program *p = parse_ok("fn main() { return later(1, 2); }\n"
					"fn later(a, b) { var c = a; { var c = b; } return c; }\n");
	int later = kd_program_find(p, "later");

	ck_assert_int_eq(p->nfuncs, 2);
	ck_assert_int_eq(later, 1);
	ck_assert_int_eq(p->funcs[later].nparams, 2);
	ck_assert_int_eq(p->funcs[later].nslots, 4); /* a, b, c, inner c */
	ck_assert_int_eq(p->funcs[later].line, 2);
	ck_assert_int_eq(p->funcs[0].body->list[0]->a->callee, later);
	kd_program_free(p);
}
END_TEST

/* ---- native execution ---- */

static int64_t
run(const char *src, int lazy)
{
	struct kd_program *p = parse_ok(src);
	struct kd_jit jit;
	int64_t r;

	ck_assert_int_eq(kd_jit_init(&jit, p, kd_arch_native(), "test.kit"), 0);
	ck_assert_int_eq(lazy ? kd_jit_prepare_lazy(&jit) : kd_jit_compile_all(&jit), 0);
	r = kd_jit_call(&jit, kd_program_find(p, "main"), NULL, 0);
	kd_jit_destroy(&jit);
	kd_program_free(p);
	return r;
}

static const char fib_src[] = "fn fib(n) {\n"
			      "  if (n < 2) { return n; }\n"
			      "  return fib(n - 1) + fib(n - 2);\n"
			      "}\n"
			      "fn main() { var i = 0; var s = 0;\n"
			      "  while (i < 10) { s = s + fib(i); i = i + 1; }\n"
			      "  return s * 1000 + fib(20) % 1000; }\n";

START_TEST(test_run_fib)
{
	ck_assert_int_eq(run(fib_src, _i), 88 * 1000 + 765);
}
END_TEST

static const struct {
	const char *src;
	int64_t want;
} programs[] = {
	/* arithmetic, precedence, wrap-around */
	{"fn main() { return 2 + 3 * 4 - 10 / 3; }", 11},
	{"fn main() { return (2 + 3) * -4; }", -20},
	{"fn main() { return -7 / 2 * 10 + -7 % 2; }", -31},
	{"fn main() { return 7 % -3 + 100 / -7; }", 1 - 14},
	{"fn main() { return 9223372036854775807 + 1 < 0; }", 1},
	{"fn main() { return 0x7fffffff + 0x7fffffff; }", 0xfffffffeLL},
	{"fn main() { return 81985529216486895 - 0x123456789abcdee; }", 1},
	{"fn main() { return - -5 - -70000; }", 70005},
	/* comparisons */
	{"fn main() { return (1 < 2) + (2 < 1) * 10 + (2 <= 2) * 100 + (3 <= 2) * 1000; }", 101},
	{"fn main() { return (3 > 2) + (2 > 3) * 10 + (2 >= 2) * 100 + (1 >= 2) * 1000; }", 101},
	{"fn main() { return (4 == 4) + (4 == 5) * 10 + (4 != 5) * 100 + (4 != 4) * 1000; }", 101},
	{"fn main() { return (-1 < 1) + (-9223372036854775807 - 1 < 9223372036854775807); }", 2},
	/* logic: results are 0/1 and the right side is not evaluated when decided */
	{"fn main() { return (5 && 7) + (0 && 7) * 10 + (0 || 9) * 100 + (0 || 0) * 1000; }", 101},
	{"fn main() { return 0 && load(16); }", 0},
	{"fn main() { return 1 || load(16); }", 1},
	{"fn main() { return !0 + !5 * 10 + !!-3 * 100; }", 101},
	/* control flow and variables */
	{"fn main() { var i = 0; var s = 0; while (i < 100) { s = s + i; i = i + 1; } return s; }",
	 4950},
	{"fn main() { var x = 5; if (x > 3) { x = 1; } else { x = 2; } return x; }", 1},
	{"fn main() { var x = 2; if (x > 3) { x = 1; } else if (x == 2) { x = 7; } else { x = 9; }"
	 " return x; }",
	 7},
	{"fn main() { var x = 5; { var x = 7; x = x + 1; } return x; }", 5},
	{"fn main() { var x; return x; }", 0},
	{"fn main() { var i = 0; while (1) { i = i + 1; if (i == 42) { return i; } } }", 42},
	{"fn f() { } fn main() { return f() + 3; }", 3},
	{"fn f() { return; } fn main() { return f() + 4; }", 4},
	/* deep but allowed nesting */
	{"fn main() { return ((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))"
	 " + - - - - - - - - - - - - - - - - - - - - - - - - - 1; }",
	 0},
	/* calls: six arguments in order, recursion, calls before definition */
	{"fn main() { return six(1, 2, 3, 4, 5, 6); }\n"
	 "fn six(a, b, c, d, e, f) { return a * 100000 + b * 10000 + c * 1000 + d * 100 + e * 10 + "
	 "f; }",
	 123456},
	{"fn ack(m, n) { if (m == 0) { return n + 1; } if (n == 0) { return ack(m - 1, 1); }"
	 " return ack(m - 1, ack(m, n - 1)); }\n"
	 "fn main() { return ack(2, 3); }",
	 9},
	{"fn even(n) { if (n == 0) { return 1; } return odd(n - 1); }\n"
	 "fn odd(n) { if (n == 0) { return 0; } return even(n - 1); }\n"
	 "fn main() { return even(1000) * 10 + odd(7); }",
	 11},
	{"fn sum(n) { if (n == 0) { return 0; } return n + sum(n - 1); }\n"
	 "fn main() { return sum(10000); }",
	 50005000},
	/* a call deep inside an expression (odd stack depth), calling print */
	{"fn id(x) { print(x); return x; } fn main() { return 1 + (2 + (3 + id(4))); }", 10},
};

START_TEST(test_run_programs)
{
	/* some print: keep the test log clean (each test is its own process) */
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
	ck_assert_msg(run(programs[_i].src, 0) == programs[_i].want, "%s", programs[_i].src);
	ck_assert_msg(run(programs[_i].src, 1) == programs[_i].want, "lazy: %s", programs[_i].src);
}
END_TEST

/* Run SRC with stdout going into a pipe; return what it printed (static buffer). */
static const char *
run_output(const char *src, int64_t *ret)
{
	static char out[4096];
	int fds[2], saved;
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fds[1], STDOUT_FILENO);
	*ret = run(src, 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

START_TEST(test_run_print)
{
	int64_t r;
	const char *out = run_output("fn main() { print(0); print(-42); print(1234567890123);"
				     " print(-9223372036854775807 - 1); return print(5); }",
				     &r);

	ck_assert_str_eq(out, "0\n-42\n1234567890123\n-9223372036854775808\n5\n");
	ck_assert_int_eq(r, 0);
}
END_TEST

START_TEST(test_run_divzero)
{
	run("fn div(a, b) { return a / b; } fn main() { return div(1, 0); }", _i);
}
END_TEST

START_TEST(test_run_modzero)
{
	run("fn main() { var z = 0; return 5 % z; }", 0);
}
END_TEST

START_TEST(test_run_load_segv)
{
	run("fn read(a) { return load(a); } fn main() { return read(16); }", _i);
}
END_TEST

START_TEST(test_run_trap)
{
	run("fn main() { trap(); return 0; }", 0);
}
END_TEST

START_TEST(test_lazy_compiles_on_first_call)
{
	struct kd_program *p = parse_ok("fn used() { return 7; } fn unused() { return 8; }\n"
					"fn main() { return used(); }");
	struct kd_jit jit;
	int m = kd_program_find(p, "main"), used = kd_program_find(p, "used");
	int unused = kd_program_find(p, "unused");
	uint64_t stub = 0;

	ck_assert_int_eq(kd_jit_init(&jit, p, kd_arch_native(), "lazy.kit"), 0);
	ck_assert_int_eq(kd_jit_prepare_lazy(&jit), 0);
	stub = kd_jit_entry(&jit, used);
	for (int i = 0; i < p->nfuncs; i++)
		ck_assert_ptr_null(jit.fns[i].code);
	ck_assert_int_eq(kd_jit_call(&jit, m, NULL, 0), 7);
	ck_assert_ptr_nonnull(jit.fns[m].code);
	ck_assert_ptr_nonnull(jit.fns[used].code);
	ck_assert_ptr_nonnull(jit.fns[used].handle);
	ck_assert_ptr_null(jit.fns[unused].code);
	ck_assert_uint_ne(kd_jit_entry(&jit, used), stub);
	ck_assert_uint_eq(kd_jit_entry(&jit, used), (uint64_t)(uintptr_t)jit.fns[used].code);
	ck_assert_int_eq(kd_jit_call(&jit, m, NULL, 0), 7);
	kd_jit_destroy(&jit);
	kd_program_free(p);
}
END_TEST

START_TEST(test_eager_publishes_all)
{
	struct kd_program *p = parse_ok(fib_src);
	struct kd_jit jit;

	ck_assert_int_eq(kd_jit_init(&jit, p, kd_arch_native(), "fib.kit"), 0);
	ck_assert_int_eq(kd_jit_compile_all(&jit), 0);
	for (int i = 0; i < p->nfuncs; i++) {
		ck_assert_ptr_nonnull(jit.fns[i].code);
		ck_assert_ptr_nonnull(jit.fns[i].handle);
		ck_assert_uint_eq((uintptr_t)jit.fns[i].code % 16, 0);
		ck_assert_uint_eq(jit.fns[i].prologue_len,
				  kd_arch_native() == KD_ARCH_AARCH64 ? 8 : 4);
	}
	kd_jit_destroy(&jit);
	kd_program_free(p);
}
END_TEST

struct thread_run {
	struct kd_jit *jit;
	int fn;
	int64_t ret;
};

static void *
thread_main(void *arg)
{
	struct thread_run *t = arg;

	t->ret = kd_jit_call(t->jit, t->fn, NULL, 0);
	return NULL;
}

START_TEST(test_threads_lazy)
{
	struct kd_program *p = parse_ok(fib_src);
	struct kd_jit jit;
	pthread_t tids[8];
	struct thread_run runs[8];

	ck_assert_int_eq(kd_jit_init(&jit, p, kd_arch_native(), "fib.kit"), 0);
	ck_assert_int_eq(kd_jit_prepare_lazy(&jit), 0);
	for (int i = 0; i < 8; i++) {
		runs[i] = (struct thread_run){.jit = &jit, .fn = kd_program_find(p, "main")};
		ck_assert_int_eq(pthread_create(&tids[i], NULL, thread_main, &runs[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(tids[i], NULL);
		ck_assert_int_eq(runs[i].ret, 88 * 1000 + 765);
	}
	kd_jit_destroy(&jit);
	kd_program_free(p);
}
END_TEST

/* ---- decoding the generated code ---- */

/* A program using every construct, for the decode tests. */
static const char all_src[] =
	"fn leaf(a, b) {\n"
	"  return a + b;\n"
	"}\n"
	"fn every(a, b, c, d, e, f) {\n"
	"  var x = -a * b / c % d - 70000 + 0x123456789abc;\n"
	"  var y = (x < 1) + (x <= 2) + (x > 3) + (x >= 4) + (x == 5) + (x != 6);\n"
	"  if (!y && x || e) { y = y + 1; } else if (f) { y = 2; } else { y = 3; }\n"
	"  while (y < 10) { y = y + leaf(y, 1); }\n"
	"  print(load(x));\n"
	"  trap();\n"
	"  return every(leaf(1, 2), 2, 3, 4, 5, 6);\n"
	"}\n"
	"fn main() { return every(1, 2, 3, 4, 5, 6); }\n";

static const struct kd_genctx *
fake_ctx(const struct kd_program *p)
{
	static struct kd_genctx ctx;

	ctx = (struct kd_genctx){.prog = p,
				 .table = 0x7f0000001000ULL,
				 .print_fn = 0x555500002000ULL,
				 .divzero_fn = 0x555500003000ULL};
	return &ctx;
}

static csh
open_cs(enum kd_arch arch)
{
	csh h;

	ck_assert_int_eq(cs_open(arch == KD_ARCH_AARCH64 ? CS_ARCH_ARM64 : CS_ARCH_X86,
				 arch == KD_ARCH_AARCH64 ? CS_MODE_ARM : CS_MODE_64, &h),
			 CS_ERR_OK);
	return h;
}

/* Decode all of B; fail on any undecodable byte.  Returns the instructions. */
static size_t
decode_all(csh h, const struct kd_buf *b, cs_insn **insns)
{
	size_t n = cs_disasm(h, b->code, b->len, 0, 0, insns), end;

	ck_assert_uint_gt(n, 0);
	end = (*insns)[n - 1].address + (*insns)[n - 1].size;
	ck_assert_msg(end == b->len, "undecodable code at +%#zx of %#zx", end, b->len);
	return n;
}

static void
check_lines(const struct kd_buf *b, const struct kd_func *f)
{
	ck_assert_uint_ge(b->nlines, 1);
	ck_assert_uint_eq(b->lines[0].offset, 0);
	ck_assert_uint_eq(b->lines[0].line, (unsigned)f->line);
	for (size_t i = 0; i < b->nlines; i++) {
		ck_assert_uint_lt(b->lines[i].offset, b->len);
		ck_assert_uint_ge(b->lines[i].line, (unsigned)f->line);
		ck_assert_uint_le(b->lines[i].line, (unsigned)f->end_line);
		if (i)
			ck_assert_uint_gt(b->lines[i].offset, b->lines[i - 1].offset);
	}
}

static int
is_mnemonic(const cs_insn *in, const char *alternatives)
{
	const char *p = alternatives;
	size_t n = strlen(in->mnemonic);

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && !strncmp(p, in->mnemonic, n))
			return 1;
		p += len + (bar ? 1 : 0);
	}
	return 0;
}

START_TEST(test_aarch64_sequence)
{
	/* leaf(a, b): the exact instruction sequence (mnemonic aliases vary by capstone version) */
	static const struct {
		const char *mnem;
		const char *ops;
	} want[] = {
		{"stp", "x29, x30, [sp, #-0x10]!"},
		{"mov", "x29, sp"},
		{"sub", "sp, sp, #0x10"},
		{"stur", "x0, [x29, #-8]"},
		{"stur", "x1, [x29, #-0x10]"},
		{"ldur", "x0, [x29, #-8]"},
		{"str", "x0, [sp, #-0x10]!"},
		{"ldur", "x0, [x29, #-0x10]"},
		{"ldr", "x1, [sp], #0x10"},
		{"add", "x0, x1, x0"},
		{"mov", "sp, x29"},
		{"ldp", "x29, x30, [sp], #0x10"},
		{"ret", ""},
		{"movz|mov", "x0, #0"},
		{"mov", "sp, x29"},
		{"ldp", "x29, x30, [sp], #0x10"},
		{"ret", ""},
	};
	struct kd_program *p = parse_ok(all_src);
	struct kd_buf b;
	uint32_t plen;
	cs_insn *in;
	size_t n;
	csh h = open_cs(KD_ARCH_AARCH64);

	kd_buf_init(&b);
	ck_assert_int_eq(kd_gen_aarch64(fake_ctx(p), kd_program_find(p, "leaf"), &b, &plen), 0);
	ck_assert_uint_eq(plen, 8);
	n = decode_all(h, &b, &in);
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(is_mnemonic(&in[i], want[i].mnem), "insn %zu: %s %s, want %s %s", i,
			      in[i].mnemonic, in[i].op_str, want[i].mnem, want[i].ops);
		ck_assert_msg(!strcmp(in[i].op_str, want[i].ops), "insn %zu: %s %s, want %s %s", i,
			      in[i].mnemonic, in[i].op_str, want[i].mnem, want[i].ops);
	}
	/* line 1 for the prologue and parameters, 2 for the return, 3 for the fall-off */
	ck_assert_uint_eq(b.nlines, 3);
	ck_assert_uint_eq(b.lines[1].offset, 5 * 4);
	ck_assert_uint_eq(b.lines[1].line, 2);
	ck_assert_uint_eq(b.lines[2].offset, 13 * 4);
	ck_assert_uint_eq(b.lines[2].line, 3);
	cs_free(in, n);
	cs_close(&h);
	kd_buf_free(&b);
	kd_program_free(p);
}
END_TEST

/* Every function of all_src, on both architectures: decodes, frames, branches, lines. */
START_TEST(test_decode_all_functions)
{
	enum kd_arch arch = _i ? KD_ARCH_AARCH64 : KD_ARCH_X86_64;
	struct kd_program *p = parse_ok(all_src);
	csh h = open_cs(arch);

	for (int f = 0; f < p->nfuncs; f++) {
		struct kd_buf b;
		uint32_t plen;
		cs_insn *in;
		size_t n, rets = 0;
		int saw_trap = 0;

		kd_buf_init(&b);
		ck_assert_int_eq(kd_gen(arch, fake_ctx(p), f, &b, &plen), 0);
		n = decode_all(h, &b, &in);
		check_lines(&b, &p->funcs[f]);
		if (arch == KD_ARCH_AARCH64) {
			ck_assert_uint_eq(plen, 8);
			ck_assert_str_eq(in[0].mnemonic, "stp");
			ck_assert_str_eq(in[0].op_str, "x29, x30, [sp, #-0x10]!");
			ck_assert_str_eq(in[1].op_str, "x29, sp");
		} else {
			ck_assert_uint_eq(plen, 4);
			ck_assert_str_eq(in[0].mnemonic, "push");
			ck_assert_str_eq(in[0].op_str, "rbp");
			ck_assert_str_eq(in[1].mnemonic, "mov");
			ck_assert_str_eq(in[1].op_str, "rbp, rsp");
			ck_assert_uint_eq(in[2].address, plen);
		}
		ck_assert_str_eq(in[n - 1].mnemonic, "ret");
		for (size_t i = 0; i < n; i++) {
			const char *m = in[i].mnemonic;

			if (!strcmp(m, "ret")) {
				/* every return restores the caller's frame pointer first */
				rets++;
				ck_assert_uint_ge(i, 2);
				if (arch == KD_ARCH_AARCH64) {
					ck_assert_str_eq(in[i - 1].mnemonic, "ldp");
					ck_assert_str_eq(in[i - 1].op_str, "x29, x30, [sp], #0x10");
					ck_assert_str_eq(in[i - 2].op_str, "sp, x29");
				} else {
					ck_assert_str_eq(in[i - 1].mnemonic, "leave");
				}
			}
			if (!strcmp(m, "int3") ||
			    (!strcmp(m, "brk") && !strcmp(in[i].op_str, "#0xf000")))
				saw_trap = 1;
			/* direct branches stay inside the function */
			if (m[0] == 'j' || !strcmp(m, "b") || !strcmp(m, "cbz") ||
			    !strcmp(m, "cbnz")) {
				const char *hash = strrchr(in[i].op_str, '#');
				const char *num = hash ? hash + 1 : in[i].op_str;
				unsigned long target = strtoul(num, NULL, 16);

				ck_assert_msg(target < b.len &&
						      target % (arch == KD_ARCH_AARCH64 ? 4 : 1) ==
							      0,
					      "%s: %s %s leaves the function", p->funcs[f].name, m,
					      in[i].op_str);
			}
		}
		ck_assert_uint_ge(rets, 1);
		if (!strcmp(p->funcs[f].name, "every"))
			ck_assert_msg(saw_trap, "no debug trap in every()");
		cs_free(in, n);
		kd_buf_free(&b);
	}
	cs_close(&h);
	kd_program_free(p);
}
END_TEST

START_TEST(test_decode_stubs)
{
	enum kd_arch arch = _i ? KD_ARCH_AARCH64 : KD_ARCH_X86_64;
	csh h = open_cs(arch);
	struct kd_buf b;
	cs_insn *in;
	size_t n;

	kd_buf_init(&b);
	if (arch == KD_ARCH_AARCH64)
		ck_assert_int_eq(kd_gen_stub_aarch64(&b, 0x1122334455667788ULL, 0xabcdef, 3), 0);
	else
		ck_assert_int_eq(kd_gen_stub_x86_64(&b, 0x1122334455667788ULL, 0xabcdef, 3), 0);
	n = decode_all(h, &b, &in);
	ck_assert_str_eq(in[n - 1].mnemonic, arch == KD_ARCH_AARCH64 ? "br" : "jmp");
	ck_assert_str_eq(in[0].mnemonic, arch == KD_ARCH_AARCH64 ? "stp" : "push");
	cs_free(in, n);
	cs_close(&h);
	kd_buf_free(&b);
}
END_TEST

START_TEST(test_dump)
{
	struct kd_program *p = parse_ok(all_src);
	struct kd_jit jit;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(kd_jit_init(&jit, p, KD_ARCH_AARCH64, "all.kit"), 0);
	ck_assert_int_eq(kd_jit_dump(&jit, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "leaf: 68 bytes, aarch64, prologue 8 bytes\n"));
	ck_assert_ptr_nonnull(strstr(text, "  lines: +0:1 +0x14:2 +0x34:3\n"));
	ck_assert_ptr_nonnull(strstr(text, "  fd 7b bf a9 fd 03 00 91"));
	ck_assert_ptr_nonnull(strstr(text, "main: "));
	free(text);
	kd_jit_destroy(&jit);
	kd_program_free(p);
}
END_TEST

static Suite *
demo_suite(void)
{
	Suite *s = suite_create("demo");
	TCase *tc = tcase_create("frontend");

	tcase_add_test(tc, test_lexer_tokens);
	tcase_add_loop_test(tc, test_parse_errors, 0,
			    (int)(sizeof(bad_programs) / sizeof(bad_programs[0])));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_resolve);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_run_fib, 0, 2);
	tcase_add_loop_test(tc, test_run_programs, 0,
			    (int)(sizeof(programs) / sizeof(programs[0])));
	tcase_add_test(tc, test_run_print);
	tcase_add_loop_test_raise_signal(tc, test_run_divzero, SIGFPE, 0, 2);
	tcase_add_test_raise_signal(tc, test_run_modzero, SIGFPE);
	tcase_add_loop_test_raise_signal(tc, test_run_load_segv, SIGSEGV, 0, 2);
	tcase_add_test_raise_signal(tc, test_run_trap, SIGTRAP);
	tcase_add_test(tc, test_lazy_compiles_on_first_call);
	tcase_add_test(tc, test_eager_publishes_all);
	tcase_add_test(tc, test_threads_lazy);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_test(tc, test_aarch64_sequence);
	tcase_add_loop_test(tc, test_decode_all_functions, 0, 2);
	tcase_add_loop_test(tc, test_decode_stubs, 0, 2);
	tcase_add_test(tc, test_dump);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(demo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
