/* SPDX-License-Identifier: MIT */
/*
 * check_expr.c - unit tests of the expression language (tracer/expr.c):
 * literals, precedence, associativity, casts, memory reads and writes
 * through a fake memory, pointer arithmetic, registers, value history,
 * assignments, every error with its position, value rendering, and
 * robustness against random input and deep nesting.
 *
 * The fake environment (struct fake) is local to each test: 256 bytes of
 * memory at 0x1000, a few registers, symbols and history values, and a log
 * of the last register and memory write.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

#define MEM_BASE 0x1000u
#define MEM_SIZE 256u

struct fake_reg {
	const char *name;
	struct kt_value v;
};

struct fake {
	struct fake_reg regs[16];
	size_t nregs;
	uint8_t mem[MEM_SIZE];
	struct kt_value hist[8];
	long nhist;
	/* Last writes. */
	char set_name[32];
	uint64_t set_value;
	unsigned nset;
	uint64_t write_addr;
	uint8_t write_buf[8];
	size_t write_len;
	unsigned nwrite;
	unsigned nread;
};

static struct kt_value
sval(int64_t v, uint8_t size)
{
	struct kt_value r = {.bits = (uint64_t)v, .size = size, .is_signed = true};
	return r;
}

static struct kt_value
ptrval(uint64_t v)
{
	struct kt_value r = {.bits = v, .size = 8, .is_pointer = true};
	return r;
}

static kt_status
fake_get_reg(void *ctx, const char *name, size_t len, struct kt_value *out)
{
	struct fake *f = ctx;
	size_t i;

	ck_assert_uint_eq(strlen(name), len);
	for (i = 0; i < f->nregs; i++) {
		if (strcmp(f->regs[i].name, name) == 0) {
			*out = f->regs[i].v;
			return KT_OK;
		}
	}
	return KT_ERR_NOTFOUND;
}

static kt_status
fake_set_reg(void *ctx, const char *name, size_t len, uint64_t value)
{
	struct fake *f = ctx;
	size_t i;

	ck_assert_uint_eq(strlen(name), len);
	for (i = 0; i < f->nregs; i++) {
		if (strcmp(f->regs[i].name, name) == 0) {
			f->regs[i].v.bits = value;
			snprintf(f->set_name, sizeof(f->set_name), "%s", name);
			f->set_value = value;
			f->nset++;
			return KT_OK;
		}
	}
	return KT_ERR_NOTFOUND;
}

static kt_status
fake_symbol(void *ctx, const char *name, size_t len, uint64_t *addr)
{
	static const struct {
		const char *name;
		uint64_t addr;
	} syms[] = {
		{"main", 0x401136},
		{"buf", MEM_BASE},
		{"foo.cold", 0x2000},
		{"_start", 0x401000},
	};
	size_t i;

	ck_assert_uint_eq(strlen(name), len);
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (strcmp(syms[i].name, name) == 0) {
			*addr = syms[i].addr;
			return KT_OK;
		}
	}
	return KT_ERR_NOTFOUND;
}

static bool
in_mem(uint64_t addr, size_t len)
{
	return addr >= MEM_BASE && addr - MEM_BASE <= MEM_SIZE &&
	       len <= MEM_SIZE - (addr - MEM_BASE);
}

static kt_status
fake_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	ck_assert(len >= 1 && len <= 8);
	f->nread++;
	if (!in_mem(addr, len))
		return KT_ERR_MEM;
	memcpy(buf, f->mem + (addr - MEM_BASE), len);
	return KT_OK;
}

static kt_status
fake_write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct fake *f = ctx;

	ck_assert(len >= 1 && len <= 8);
	if (!in_mem(addr, len))
		return KT_ERR_MEM;
	memcpy(f->mem + (addr - MEM_BASE), buf, len);
	f->write_addr = addr;
	memcpy(f->write_buf, buf, len);
	f->write_len = len;
	f->nwrite++;
	return KT_OK;
}

static kt_status
fake_history(void *ctx, long index, struct kt_value *out)
{
	struct fake *f = ctx;
	long k = index > 0 ? index - 1 : f->nhist - 1 + index;

	if (k < 0 || k >= f->nhist)
		return KT_ERR_NOTFOUND;
	*out = f->hist[k];
	return KT_OK;
}

static void
add_reg(struct fake *f, const char *name, struct kt_value v)
{
	f->regs[f->nregs].name = name;
	f->regs[f->nregs].v = v;
	f->nregs++;
}

static struct kt_expr_env
fake_init(struct fake *f)
{
	struct kt_expr_env env = {
		.ctx = f,
		.get_reg = fake_get_reg,
		.set_reg = fake_set_reg,
		.symbol = fake_symbol,
		.read_mem = fake_read_mem,
		.write_mem = fake_write_mem,
		.history = fake_history,
	};
	static const uint8_t init[] = {
		/* 0x1000 */ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		/* 0x1008 */ 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
		/* 0x1010 */ 0x18, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* 0x1018 */ 'h',  'i',	 0,    0,    0x78, 0x56, 0x34, 0x12,
	};
	struct kt_value eax = {.bits = 0xffffffff, .size = 4, .is_signed = true};
	struct kt_value ax = {.bits = 0, .size = 2, .is_signed = false};

	memset(f, 0, sizeof(*f));
	memcpy(f->mem, init, sizeof(init));
	add_reg(f, "rax", sval(1, 8));
	add_reg(f, "rbx", sval(2, 8));
	add_reg(f, "rdi", sval(-5, 8));
	add_reg(f, "eax", eax);
	add_reg(f, "ax", ax);
	add_reg(f, "pc", ptrval(0x401000));
	add_reg(f, "sp", ptrval(0x7ffc0000));
	add_reg(f, "r_8", sval(8, 8));
	f->hist[0] = sval(10, 4);
	f->hist[1] = sval(20, 4);
	f->hist[2] = sval(30, 4);
	f->nhist = 3;
	return env;
}

/* Parse and evaluate TEXT, which must succeed. */
static struct kt_value
ev(const struct kt_expr_env *env, const char *text)
{
	struct kt_expr_err err = {0};
	struct kt_expr *e = NULL;
	struct kt_value v = {0};
	kt_status st;

	st = kt_expr_parse(text, &e, &err);
	ck_assert_msg(st == KT_OK, "parse \"%s\": %s: %s at %zu", text, kt_status_name(st), err.msg,
		      err.pos);
	st = kt_expr_eval(e, env, &v, &err);
	ck_assert_msg(st == KT_OK, "eval \"%s\": %s: %s at %zu", text, kt_status_name(st), err.msg,
		      err.pos);
	kt_expr_free(e);
	return v;
}

#define EXPECT_S(env, text, want)                                                                  \
	do {                                                                                       \
		struct kt_value v_ = ev((env), (text));                                            \
		ck_assert_msg((int64_t)v_.bits == (int64_t)(want), "\"%s\" = %lld, want %lld",     \
			      (text), (long long)v_.bits, (long long)(want));                      \
	} while (0)

#define EXPECT_U(env, text, want)                                                                  \
	do {                                                                                       \
		struct kt_value v_ = ev((env), (text));                                            \
		ck_assert_msg(v_.bits == (uint64_t)(want), "\"%s\" = %#llx, want %#llx", (text),   \
			      (unsigned long long)v_.bits, (unsigned long long)(want));            \
	} while (0)

/* The type of TEXT's value: size, signedness, pointer. */
#define EXPECT_TYPE(env, text, sz, sgn, ptr)                                                       \
	do {                                                                                       \
		struct kt_value v_ = ev((env), (text));                                            \
		ck_assert_msg(v_.size == (sz) && v_.is_signed == (sgn) && v_.is_pointer == (ptr),  \
			      "\"%s\": size %u signed %d pointer %d", (text), v_.size,             \
			      v_.is_signed, v_.is_pointer);                                        \
	} while (0)

/* TEXT must fail (in parsing or evaluation) with ST at POS, MSG in it. */
static void
expect_err(const struct kt_expr_env *env, const char *text, kt_status want, size_t pos,
	   const char *msg)
{
	struct kt_expr_err err = {0};
	struct kt_expr *e = NULL;
	struct kt_value v;
	kt_status st;

	st = kt_expr_parse(text, &e, &err);
	if (st == KT_OK) {
		ck_assert_ptr_nonnull(e);
		st = kt_expr_eval(e, env, &v, &err);
		kt_expr_free(e);
	} else {
		ck_assert_ptr_null(e);
	}
	ck_assert_msg(st == want, "\"%s\": %s (%s), want %s", text, kt_status_name(st), err.msg,
		      kt_status_name(want));
	ck_assert_msg(err.pos == pos, "\"%s\": error at %zu (%s), want %zu", text, err.pos, err.msg,
		      pos);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", text,
		      err.msg, msg);
}

START_TEST(test_literals)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);

	EXPECT_S(&env, "42", 42);
	EXPECT_S(&env, "0x2a", 42);
	EXPECT_S(&env, "0X2A", 42);
	EXPECT_S(&env, "052", 42);
	EXPECT_S(&env, "0b101010", 42);
	EXPECT_S(&env, "0B101010", 42);
	EXPECT_S(&env, "0", 0);
	EXPECT_S(&env, "00", 0);
	EXPECT_S(&env, "  7\t", 7);
	EXPECT_S(&env, "'a'", 97);
	EXPECT_S(&env, "'\\n'", 10);
	EXPECT_S(&env, "'\\0'", 0);
	EXPECT_S(&env, "'\\\\'", 92);
	EXPECT_S(&env, "'\\''", 39);
	EXPECT_S(&env, "'\"'", 34);
	EXPECT_S(&env, "'\\x41'", 65);
	EXPECT_S(&env, "'\\101'", 65);
	EXPECT_S(&env, "'\\t'", 9);
	EXPECT_S(&env, "' '", 32);
	EXPECT_S(&env, "42u", 42);
	EXPECT_S(&env, "42U", 42);
	EXPECT_S(&env, "42l", 42);
	EXPECT_S(&env, "42ul", 42);
	EXPECT_S(&env, "42UL", 42);
	EXPECT_S(&env, "42lu", 42);
	EXPECT_S(&env, "42ll", 42);
	EXPECT_S(&env, "42ull", 42);
	EXPECT_S(&env, "0x10u", 16);
	EXPECT_S(&env, "9223372036854775807", INT64_MAX);
	EXPECT_U(&env, "18446744073709551615", UINT64_MAX);
	EXPECT_U(&env, "0xffffffffffffffff", UINT64_MAX);
	EXPECT_U(&env, "0x8000000000000000", UINT64_C(1) << 63);
	EXPECT_U(&env, "01777777777777777777777", UINT64_MAX);

	/* C's literal types. */
	EXPECT_TYPE(&env, "42", 4, true, false);
	EXPECT_TYPE(&env, "2147483647", 4, true, false);
	EXPECT_TYPE(&env, "2147483648", 8, true, false);
	EXPECT_TYPE(&env, "0x7fffffff", 4, true, false);
	EXPECT_TYPE(&env, "0x80000000", 4, false, false);
	EXPECT_TYPE(&env, "0x100000000", 8, true, false);
	EXPECT_TYPE(&env, "18446744073709551615", 8, false, false);
	EXPECT_TYPE(&env, "42u", 4, false, false);
	EXPECT_TYPE(&env, "42l", 8, true, false);
	EXPECT_TYPE(&env, "42ul", 8, false, false);
	EXPECT_TYPE(&env, "'a'", 1, CHAR_MIN < 0, false);
	EXPECT_S(&env, "0x80000000", 0x80000000);
}
END_TEST

START_TEST(test_precedence)
{
	static const struct {
		const char *text;
		int64_t want;
	} cases[] = {
		{"1 + 2 * 3", 7},
		{"(1 + 2) * 3", 9},
		{"2 * 3 + 4 * 5", 26},
		{"1 << 2 + 1", 8},
		{"1 + 2 << 1", 6},
		{"1 < 2 == 1", 1},
		{"3 == 3 < 4", 0},
		{"6 & 3 == 3", 0},
		{"1 | 2 ^ 3 & 4", 3},
		{"1 | 6 & 3", 3},
		{"5 ^ 1 | 8", 12},
		{"0 || 1 && 0", 0},
		{"1 || 0 && 0", 1},
		{"1 && 2 | 4", 1},
		{"-2 * 3", -6},
		{"-(2 * 3)", -6},
		{"- -3", 3},
		{"+5", 5},
		{"!0 + 1", 2},
		{"!5", 0},
		{"!!5", 1},
		{"~0", -1},
		{"~0 + 1", 0},
		{"-~0", 1},
		{"10 - 2 * 3 - 1", 3},
		{"17 % 5 * 2", 4},
		{"1 ? 2 : 3", 2},
		{"0 ? 2 : 3", 3},
		{"1 + 1 ? 10 : 20", 10},
		{"0 || 0 ? 10 : 20", 20},
		{"1 ? 0 ? 4 : 5 : 6", 5},
		{"2 > 1 ? 3 > 4 ? 7 : 8 : 9", 8},
		{"1 < 2 < 3", 1},
		{"3 > 2 > 1", 0},
		{"1 != 2 == 1", 1},
		{"4 >= 4 && 4 <= 4 && 3 < 4 && 4 > 3", 1},
		{"-7 / 2", -3},
		{"-7 % 2", -1},
		{"7 / -2", -3},
		{"-8 >> 1", -4},
		{"-1 >> 63", -1},
		{"1 << 63 >> 63", -1},
		{"0x7fffffffffffffff + 1 < 0", 1},
		{"((((((1))))))", 1},
		{"0 && 1 / 0", 0},
		{"1 || 1 / 0", 1},
		{"1 ? 5 : 1 / 0", 5},
		{"0 ? 1 / 0 : 6", 6},
	};
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		EXPECT_S(&env, cases[i].text, cases[i].want);
}
END_TEST

START_TEST(test_associativity)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);

	EXPECT_S(&env, "5 - 3 - 1", 1);
	EXPECT_S(&env, "100 / 10 / 5", 2);
	EXPECT_S(&env, "100 % 7 % 3", 2);
	EXPECT_S(&env, "1 << 2 << 3", 32);
	EXPECT_S(&env, "256 >> 2 >> 3", 8);
	EXPECT_S(&env, "0 ? 1 : 0 ? 2 : 3", 3);
	EXPECT_S(&env, "0 ? 1 : 1 ? 2 : 3", 2);
	EXPECT_S(&env, "2 - 1 + 1", 2);
	/* '=' is right-associative: both registers get 7. */
	EXPECT_S(&env, "$rax = $rbx = 7", 7);
	EXPECT_S(&env, "$rax", 7);
	EXPECT_S(&env, "$rbx", 7);
	ck_assert_uint_eq(f.nset, 2);
	ck_assert_str_eq(f.set_name, "rax");
}
END_TEST

START_TEST(test_casts)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);

	EXPECT_S(&env, "(signed char)0x1ff", -1);
	EXPECT_S(&env, "(char)0x141", 'A');
	EXPECT_S(&env, "(char)-1", CHAR_MIN < 0 ? -1 : 255);
	EXPECT_S(&env, "(unsigned char)-1", 255);
	EXPECT_S(&env, "(short)0x18000", -32768);
	EXPECT_S(&env, "(short int)0x18000", -32768);
	EXPECT_S(&env, "(unsigned short)-1", 65535);
	EXPECT_S(&env, "(unsigned short int)-1", 65535);
	EXPECT_S(&env, "(int)0x80000000", INT32_MIN);
	EXPECT_S(&env, "(signed)0xffffffff", -1);
	EXPECT_S(&env, "(unsigned)-1", 4294967295);
	EXPECT_S(&env, "(unsigned int)-1", 4294967295);
	EXPECT_S(&env, "(long)0xffffffffffffffff", -1);
	EXPECT_S(&env, "(long int)-1", -1);
	EXPECT_U(&env, "(unsigned long)-1", UINT64_MAX);
	EXPECT_U(&env, "(long unsigned)-1", UINT64_MAX);
	EXPECT_S(&env, "(long long)-1", -1);
	EXPECT_U(&env, "(unsigned long long)-1", UINT64_MAX);
	EXPECT_S(&env, "(int8_t)200", -56);
	EXPECT_S(&env, "(uint8_t)-56", 200);
	EXPECT_S(&env, "(int16_t)0xffff", -1);
	EXPECT_S(&env, "(uint16_t)-1", 65535);
	EXPECT_S(&env, "(int32_t)0xffffffff", -1);
	EXPECT_S(&env, "(uint32_t)-1", 0xffffffff);
	EXPECT_S(&env, "(int64_t)-1", -1);
	EXPECT_U(&env, "(uint64_t)-1", UINT64_MAX);
	EXPECT_U(&env, "(size_t)-1", UINT64_MAX);
	EXPECT_S(&env, "(int)(char)0x80", CHAR_MIN < 0 ? -128 : 128);
	EXPECT_S(&env, "(unsigned char)255 + 1", 256);
	EXPECT_S(&env, "-(unsigned char)1", -1);
	EXPECT_S(&env, "(unsigned char)-1 > 0", 1);
	EXPECT_S(&env, "(signed char)-1 < 0", 1);
	EXPECT_TYPE(&env, "(short)1", 2, true, false);
	EXPECT_TYPE(&env, "(unsigned long long)1", 8, false, false);
	EXPECT_TYPE(&env, "(uint8_t)1", 1, false, false);
	EXPECT_TYPE(&env, "(int *)1", 8, false, true);
	EXPECT_TYPE(&env, "(void *)1", 8, false, true);
	EXPECT_TYPE(&env, "(long)(int *)1", 8, true, false);
	/* Usual conversions, simplified to 64 bits. */
	EXPECT_U(&env, "(uint64_t)0 - 1", UINT64_MAX);
	EXPECT_TYPE(&env, "(uint64_t)0 - 1", 8, false, false);
	EXPECT_S(&env, "(uint32_t)0 - 1", -1);
	EXPECT_TYPE(&env, "(uint32_t)0 - 1", 8, true, false);
	EXPECT_S(&env, "-1 < (uint64_t)0", 0);
	EXPECT_S(&env, "-1 < (uint32_t)0", 1);
	EXPECT_S(&env, "-1 < 0ul", 0);
	EXPECT_U(&env, "(uint64_t)-1 / 2", UINT64_MAX / 2);
	EXPECT_S(&env, "-1 / 2", 0);
	EXPECT_U(&env, "(uint64_t)-1 >> 63", 1);
	EXPECT_U(&env, "-1 >> 63", UINT64_MAX);
	EXPECT_TYPE(&env, "1 == 1", 4, true, false);
	EXPECT_TYPE(&env, "(uint64_t)1 && 1", 4, true, false);
}
END_TEST

START_TEST(test_memory_reads)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);

	EXPECT_S(&env, "*(int8_t *)0x1000", -1);
	EXPECT_S(&env, "*(uint8_t *)0x1000", 255);
	EXPECT_S(&env, "*(signed char *)0x1000", -1);
	EXPECT_S(&env, "*(unsigned char *)0x1000", 255);
	EXPECT_S(&env, "*(short *)0x1000", -1);
	EXPECT_S(&env, "*(unsigned short *)0x1000", 65535);
	EXPECT_S(&env, "*(int *)0x1000", -1);
	EXPECT_S(&env, "*(unsigned int *)0x1000", 0xffffffff);
	EXPECT_S(&env, "*(unsigned *)0x1000", 0xffffffff);
	EXPECT_S(&env, "*(long *)0x1000", -1);
	EXPECT_U(&env, "*(uint64_t *)0x1000", UINT64_MAX);
	EXPECT_S(&env, "*(short *)0x1008", -32768);
	EXPECT_S(&env, "*(uint16_t *)0x1008", 32768);
	EXPECT_S(&env, "*(int *)0x1008", 32768);
	EXPECT_S(&env, "*(long *)0x1008", INT64_MIN + 0x8000);
	EXPECT_S(&env, "*(int *)0x101c", 0x12345678);
	EXPECT_S(&env, "*(uint16_t *)0x101c", 0x5678);
	EXPECT_S(&env, "*(uint8_t *)0x101f", 0x12);
	EXPECT_TYPE(&env, "*(short *)0x1000", 2, true, false);
	EXPECT_TYPE(&env, "*(uint8_t *)0x1000", 1, false, false);
	EXPECT_TYPE(&env, "*(uint64_t *)0x1000", 8, false, false);
	/* *INT reads an int, as in GDB. */
	EXPECT_S(&env, "*0x1000", -1);
	EXPECT_TYPE(&env, "*0x1000", 4, true, false);
	EXPECT_S(&env, "*(0x1000 + 0x1c)", 0x12345678);
	/* Pointer to pointer. */
	EXPECT_U(&env, "*(char **)0x1010", 0x1018);
	EXPECT_TYPE(&env, "*(char **)0x1010", 8, false, true);
	EXPECT_S(&env, "**(char **)0x1010", 'h');
	EXPECT_S(&env, "*(*(char **)0x1010 + 1)", 'i');
	EXPECT_U(&env, "*(*(uint8_t ***)0x1010 + 0)", 0x1234567800006968);
	/* Through a symbol and a register. */
	EXPECT_S(&env, "*(int *)buf", -1);
	EXPECT_S(&env, "*(int *)&buf", -1);
	EXPECT_S(&env, "*((int *)buf + 7)", 0x12345678);
	EXPECT_S(&env, "*(int *)($r_8 + buf)", 32768);
	/* Reads are little endian whatever the host. */
	EXPECT_S(&env, "*(uint32_t *)0x1018", 0x6968);
}
END_TEST

START_TEST(test_pointer_arith)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);

	EXPECT_U(&env, "(int *)0x1000 + 1", 0x1004);
	EXPECT_U(&env, "(long *)0x1000 + 2", 0x1010);
	EXPECT_U(&env, "(char *)0x1000 + 3", 0x1003);
	EXPECT_U(&env, "(void *)0x1000 + 3", 0x1003);
	EXPECT_U(&env, "(short *)0x1000 - 1", 0xffe);
	EXPECT_U(&env, "(int *)0x1000 + -1", 0xffc);
	EXPECT_U(&env, "1 + (int *)0x1000", 0x1004);
	EXPECT_U(&env, "(long **)0x1000 + 1", 0x1008);
	EXPECT_U(&env, "(char **)0x1000 + 1", 0x1008);
	EXPECT_U(&env, "(uint16_t *)0x1000 + 0x10", 0x1020);
	EXPECT_S(&env, "(int *)0x1010 - (int *)0x1000", 4);
	EXPECT_S(&env, "(int *)0x1000 - (int *)0x1010", -4);
	EXPECT_S(&env, "(char *)0x1010 - (char *)0x1000", 16);
	EXPECT_TYPE(&env, "(int *)0x1010 - (int *)0x1000", 8, true, false);
	EXPECT_TYPE(&env, "(int *)0x1000 + 1", 8, false, true);
	EXPECT_U(&env, "$sp + 8", 0x7ffc0008);
	EXPECT_U(&env, "(int *)$sp + 2", 0x7ffc0008);
	EXPECT_U(&env, "main + 1", 0x401137);
	EXPECT_U(&env, "(long *)main + 1", 0x40113e);
	/* Other operators see a pointer as an unsigned 64-bit integer. */
	EXPECT_U(&env, "$sp & ~0xfff", 0x7ffc0000);
	EXPECT_U(&env, "(int *)0x1003 & ~3", 0x1000);
	EXPECT_S(&env, "(int *)0x1000 < (int *)0x1004", 1);
	EXPECT_S(&env, "(int *)-1 > 0", 1);
	EXPECT_S(&env, "(int *)0 == 0", 1);
	EXPECT_S(&env, "!(int *)0", 1);
}
END_TEST

START_TEST(test_registers)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	struct kt_value v;

	EXPECT_S(&env, "$rdi", -5);
	EXPECT_S(&env, "$rdi < 0", 1);
	EXPECT_S(&env, "$rdi < 0u", 1);
	EXPECT_S(&env, "$rdi < 0ul", 0);
	EXPECT_S(&env, "$rdi == -5", 1);
	EXPECT_S(&env, "$rdi * 2", -10);
	EXPECT_S(&env, "$rdi / 2", -2);
	EXPECT_S(&env, "$rdi >> 1", -3);
	EXPECT_TYPE(&env, "$rdi", 8, true, false);
	EXPECT_U(&env, "$pc", 0x401000);
	EXPECT_TYPE(&env, "$pc", 8, false, true);
	EXPECT_S(&env, "$pc < 0", 0);
	EXPECT_S(&env, "$pc > 0", 1);
	EXPECT_S(&env, "$pc == 0x401000", 1);
	EXPECT_S(&env, "$pc == _start", 1);
	EXPECT_S(&env, "$pc - 0x1000 == 0x400000", 1);
	/* A 32-bit register handed back unextended is normalised. */
	EXPECT_S(&env, "$eax", -1);
	EXPECT_TYPE(&env, "$eax", 4, true, false);
	EXPECT_S(&env, "$rax + $rbx", 3);
	EXPECT_S(&env, "$r_8", 8);
	EXPECT_S(&env, "$rax+$rbx*$r_8", 17);

	v = ev(&env, "$pc");
	ck_assert(v.is_pointer);
	ck_assert_uint_eq(v.ptr_levels, 1);
}
END_TEST

START_TEST(test_history)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);

	EXPECT_S(&env, "$", 30);
	EXPECT_S(&env, "$$", 20);
	EXPECT_S(&env, "$$0", 30);
	EXPECT_S(&env, "$$1", 20);
	EXPECT_S(&env, "$$2", 10);
	EXPECT_S(&env, "$1", 10);
	EXPECT_S(&env, "$2", 20);
	EXPECT_S(&env, "$3", 30);
	EXPECT_S(&env, "$ + $$", 50);
	EXPECT_S(&env, "$1*$2", 200);
	EXPECT_S(&env, "$$-$", -10);
	EXPECT_TYPE(&env, "$", 4, true, false);
	expect_err(&env, "$4", KT_ERR_NOTFOUND, 0, "history has not yet reached $4");
	expect_err(&env, "1 + $$3", KT_ERR_NOTFOUND, 4, "history has not yet reached $$3");
	f.nhist = 0;
	expect_err(&env, "$", KT_ERR_NOTFOUND, 0, "history has not yet reached $");
	expect_err(&env, "$$", KT_ERR_NOTFOUND, 0, "history has not yet reached $$");
}
END_TEST

START_TEST(test_assign)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	struct kt_expr *e = NULL;
	struct kt_value v;
	size_t k;

	EXPECT_S(&env, "$rax = 5", 5);
	ck_assert_str_eq(f.set_name, "rax");
	ck_assert_uint_eq(f.set_value, 5);
	EXPECT_S(&env, "$rax", 5);
	/* Converted to the register's type first. */
	EXPECT_S(&env, "$eax = 0x1ffffffff", -1);
	ck_assert_str_eq(f.set_name, "eax");
	ck_assert_uint_eq(f.set_value, UINT64_MAX);
	EXPECT_S(&env, "$ax = 0x12345", 0x2345);
	ck_assert_uint_eq(f.set_value, 0x2345);
	EXPECT_S(&env, "$ax = -1", 65535);
	ck_assert_uint_eq(f.set_value, 65535);
	EXPECT_U(&env, "$pc = $pc + 4", 0x401004);
	ck_assert_str_eq(f.set_name, "pc");
	ck_assert_uint_eq(f.set_value, 0x401004);
	EXPECT_TYPE(&env, "$pc = 0x401000", 8, false, true);
	EXPECT_S(&env, "$rdi = $rdi * 2", -10);
	ck_assert_uint_eq(f.set_value, (uint64_t)-10);

	/* Memory: the write has the size of the target type. */
	EXPECT_S(&env, "*(short *)0x1000 = 0x12345", 0x2345);
	ck_assert_uint_eq(f.write_addr, 0x1000);
	ck_assert_uint_eq(f.write_len, 2);
	ck_assert_uint_eq(f.write_buf[0], 0x45);
	ck_assert_uint_eq(f.write_buf[1], 0x23);
	ck_assert_uint_eq(f.mem[2], 0xff);
	EXPECT_S(&env, "*(uint8_t *)0x1001 = 0x1ff", 255);
	ck_assert_uint_eq(f.write_addr, 0x1001);
	ck_assert_uint_eq(f.write_len, 1);
	ck_assert_uint_eq(f.write_buf[0], 0xff);
	EXPECT_S(&env, "*(int *)0x1020 = -2", -2);
	ck_assert_uint_eq(f.write_len, 4);
	for (k = 0; k < 4; k++)
		ck_assert_uint_eq(f.mem[0x20 + k], k ? 0xff : 0xfe);
	ck_assert_uint_eq(f.mem[0x24], 0);
	EXPECT_S(&env, "*(long *)0x1028 = 0x0102030405060708", 0x0102030405060708);
	ck_assert_uint_eq(f.write_len, 8);
	for (k = 0; k < 8; k++)
		ck_assert_uint_eq(f.mem[0x28 + k], 8 - k);
	EXPECT_U(&env, "*(char **)0x1030 = 0x1234", 0x1234);
	ck_assert_uint_eq(f.write_len, 8);
	EXPECT_TYPE(&env, "*(char **)0x1030 = 0x1234", 8, false, true);
	EXPECT_S(&env, "*0x1040 = 7", 7);
	ck_assert_uint_eq(f.write_len, 4);
	EXPECT_S(&env, "*(int *)0x1040", 7);
	EXPECT_S(&env, "*((int *)buf + 0x11) = 9", 9);
	ck_assert_uint_eq(f.write_addr, 0x1044);
	EXPECT_S(&env, "(*(int *)0x1048) = 3", 3);
	ck_assert_uint_eq(f.write_addr, 0x1048);
	EXPECT_S(&env, "*(int *)0x1000 = *(int *)0x1048 + 1", 4);
	EXPECT_S(&env, "*(int *)0x1000", 4);
	EXPECT_S(&env, "$rax = *(int *)0x1000 = 11", 11);
	EXPECT_S(&env, "$rax", 11);
	EXPECT_S(&env, "*(uint64_t *)0x1050 = -1", -1);
	EXPECT_U(&env, "*(uint64_t *)0x1050", UINT64_MAX);
	/* An assignment inside an expression. */
	EXPECT_S(&env, "($rbx = 4) + 1", 5);
	EXPECT_S(&env, "$rbx", 4);

	/* kt_expr_is_assignment. */
	ck_assert_int_eq(kt_expr_parse("$rax = 1", &e, NULL), KT_OK);
	ck_assert(kt_expr_is_assignment(e));
	kt_expr_free(e);
	ck_assert_int_eq(kt_expr_parse("1 + ($rax = 1)", &e, NULL), KT_OK);
	ck_assert(kt_expr_is_assignment(e));
	kt_expr_free(e);
	ck_assert_int_eq(kt_expr_parse("$rax == 1", &e, NULL), KT_OK);
	ck_assert(!kt_expr_is_assignment(e));
	/* The same parsed expression evaluates again and again. */
	for (k = 0; k < 3; k++) {
		ck_assert_int_eq(kt_expr_eval(e, &env, &v, NULL), KT_OK);
		ck_assert_uint_eq(v.bits, 0);
	}
	kt_expr_free(e);
	ck_assert(!kt_expr_is_assignment(NULL));
}
END_TEST

START_TEST(test_errors)
{
	static const struct {
		const char *text;
		kt_status st;
		size_t pos;
		const char *msg;
	} cases[] = {
		/* Syntax. */
		{"", KT_ERR_SYNTAX, 0, "expected expression"},
		{"   ", KT_ERR_SYNTAX, 3, "expected expression"},
		{"(1 + 2", KT_ERR_SYNTAX, 6, "expected ')'"},
		{"(1 + 2 3", KT_ERR_SYNTAX, 7, "expected ')', found '3'"},
		{"1 +", KT_ERR_SYNTAX, 3, "expected expression"},
		{"1 2", KT_ERR_SYNTAX, 2, "expected end of expression"},
		{"1 )", KT_ERR_SYNTAX, 2, "expected end of expression"},
		{"()", KT_ERR_SYNTAX, 1, "expected expression"},
		{"1 + @", KT_ERR_SYNTAX, 4, "unexpected character '@'"},
		{"1 +\x01", KT_ERR_SYNTAX, 3, "unexpected byte 0x01"},
		{"1 +\xff", KT_ERR_SYNTAX, 3, "unexpected byte 0xff"},
		{"a[1]", KT_ERR_SYNTAX, 1, "unexpected character '['"},
		{"1 += 2", KT_ERR_SYNTAX, 3, "expected expression"},
		{"1 ? 2", KT_ERR_SYNTAX, 5, "expected ':'"},
		{"1 ? 2 3", KT_ERR_SYNTAX, 6, "expected ':'"},
		{"'ab'", KT_ERR_SYNTAX, 0, "more than one character"},
		{"''", KT_ERR_SYNTAX, 0, "empty character literal"},
		{"'a", KT_ERR_SYNTAX, 0, "unterminated"},
		{"'", KT_ERR_SYNTAX, 0, "unterminated"},
		{"'\\", KT_ERR_SYNTAX, 0, "unterminated"},
		{"'\\q'", KT_ERR_SYNTAX, 1, "unknown escape"},
		{"'\\x'", KT_ERR_SYNTAX, 2, "no hex digits"},
		{"'\\x123'", KT_ERR_SYNTAX, 0, "out of range"},
		{"'\\777'", KT_ERR_SYNTAX, 0, "out of range"},
		{"08", KT_ERR_SYNTAX, 1, "invalid digit '8' in octal"},
		{"0b102", KT_ERR_SYNTAX, 4, "invalid digit '2' in binary"},
		{"0x", KT_ERR_SYNTAX, 0, "hexadecimal literal has no digits"},
		{"0b", KT_ERR_SYNTAX, 0, "binary literal has no digits"},
		{"0xfg", KT_ERR_SYNTAX, 3, "invalid suffix \"g\""},
		{"12abc", KT_ERR_SYNTAX, 2, "invalid suffix \"abc\""},
		{"1uu", KT_ERR_SYNTAX, 1, "invalid suffix"},
		{"1lll", KT_ERR_SYNTAX, 1, "invalid suffix"},
		{"1.5", KT_ERR_SYNTAX, 1, "floating-point"},
		{"18446744073709551616", KT_ERR_SYNTAX, 0, "too large"},
		{"0x10000000000000000", KT_ERR_SYNTAX, 0, "too large"},
		{"$1abc", KT_ERR_SYNTAX, 2, "after history reference"},
		{"$12345678901", KT_ERR_SYNTAX, 0, "history index too large"},
		{"(int", KT_ERR_SYNTAX, 4, "expected ')'"},
		{"(int *", KT_ERR_SYNTAX, 6, "expected ')'"},
		{"(int)", KT_ERR_SYNTAX, 5, "expected expression"},
		{"(long double)1", KT_ERR_SYNTAX, 6, "unknown type name 'double'"},
		{"(void)1", KT_ERR_SYNTAX, 1, "cannot cast to void"},
		{"(unsigned signed)1", KT_ERR_SYNTAX, 10, "invalid type"},
		{"(long long long)1", KT_ERR_SYNTAX, 11, "invalid type"},
		{"(short long)1", KT_ERR_SYNTAX, 7, "invalid type"},
		{"(char int)1", KT_ERR_SYNTAX, 6, "invalid type"},
		{"(int int)1", KT_ERR_SYNTAX, 5, "invalid type"},
		{"(unsigned int8_t)1", KT_ERR_SYNTAX, 10, "invalid type"},
		{"(int *****************)1", KT_ERR_SYNTAX, 21, "too many '*'"},
		{"int", KT_ERR_SYNTAX, 0, "unexpected type name 'int'"},
		{"1 + uint8_t", KT_ERR_SYNTAX, 4, "unexpected type name"},
		{"1 = 2", KT_ERR_SYNTAX, 2, "left operand of '='"},
		{"$ = 1", KT_ERR_SYNTAX, 2, "left operand of '='"},
		{"main = 1", KT_ERR_SYNTAX, 5, "left operand of '='"},
		{"(int)$rax = 1", KT_ERR_SYNTAX, 10, "left operand of '='"},
		{"$rax + 1 = 2", KT_ERR_SYNTAX, 9, "left operand of '='"},
		{"1 ? $rax : $rbx = 2", KT_ERR_SYNTAX, 16, "left operand"},
		{"$rax == = 1", KT_ERR_SYNTAX, 8, "expected expression"},
		{"&1", KT_ERR_SYNTAX, 1, "address of a symbol"},
		{"&$rax", KT_ERR_SYNTAX, 1, "address of a symbol"},
		{"&int", KT_ERR_SYNTAX, 1, "address of a symbol"},
		{"&", KT_ERR_SYNTAX, 1, "address of a symbol"},
		/* Arithmetic. */
		{"1 / 0", KT_ERR_RANGE, 2, "division by zero"},
		{"7 % 0", KT_ERR_RANGE, 2, "division by zero"},
		{"(uint64_t)7 / 0", KT_ERR_RANGE, 12, "division by zero"},
		{"1 + 2 / (3 - 3)", KT_ERR_RANGE, 6, "division by zero"},
		{"(-9223372036854775807 - 1) / -1", KT_ERR_RANGE, 27, "division overflow"},
		{"(-9223372036854775807 - 1) % -1", KT_ERR_RANGE, 27, "division overflow"},
		{"1 << 64", KT_ERR_RANGE, 2, "shift count out of range"},
		{"1 << -1", KT_ERR_RANGE, 2, "shift count out of range"},
		{"1 >> 100", KT_ERR_RANGE, 2, "shift count out of range"},
		{"1 >> (uint64_t)-1", KT_ERR_RANGE, 2, "shift count"},
		{"(int *)0 + (int *)0", KT_ERR_INVAL, 9, "add two pointers"},
		{"(int *)0 - (char *)0", KT_ERR_INVAL, 9, "different types"},
		{"(int *)0 - (unsigned *)0", KT_ERR_INVAL, 9, "different"},
		{"(int **)0 - (long *)0", KT_ERR_INVAL, 10, "different"},
		{"1 - (int *)0", KT_ERR_INVAL, 2, "subtract a pointer"},
		{"*(void *)0x1000", KT_ERR_INVAL, 0, "void pointer"},
		{"*main", KT_ERR_INVAL, 0, "void pointer"},
		{"*$sp", KT_ERR_INVAL, 0, "void pointer"},
		{"*(void *)0x1000 = 1", KT_ERR_INVAL, 0, "void pointer"},
		/* Names. */
		{"foo + 1", KT_ERR_NOTFOUND, 0, "no symbol \"foo\" in current context"},
		{"1 + &foo", KT_ERR_NOTFOUND, 5, "no symbol \"foo\""},
		{"main.isra.0", KT_ERR_NOTFOUND, 0, "\"main.isra.0\""},
		{"$nope", KT_ERR_NOTFOUND, 0, "unknown register $nope"},
		{"$nope = 1", KT_ERR_NOTFOUND, 0, "unknown register $nope"},
		{"2 * $RAX", KT_ERR_NOTFOUND, 4, "unknown register $RAX"},
		/* Memory. */
		{"*(int *)0x9999", KT_ERR_MEM, 0, "cannot access memory at address 0x9999"},
		{"1 + *(int *)0x10fe", KT_ERR_MEM, 4, "address 0x10fe"},
		{"*(long *)0x10f9", KT_ERR_MEM, 0, "0x10f9"},
		{"**(long **)0x1000", KT_ERR_MEM, 0, "0xffffffffffffffff"},
		{"*(int *)0x9999 = 1", KT_ERR_MEM, 0, "address 0x9999"},
		{"*(int *)0x1000 = *(int *)8", KT_ERR_MEM, 17, "address 0x8"},
	};
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_err(&env, cases[i].text, cases[i].st, cases[i].pos, cases[i].msg);
	/* A failed write leaves memory alone. */
	ck_assert_uint_eq(f.nwrite, 0);
	ck_assert_uint_eq(f.nset, 0);
}
END_TEST

START_TEST(test_missing_callbacks)
{
	const struct kt_expr_env none = {0};
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	struct kt_expr_err err;
	struct kt_expr *e = NULL;
	struct kt_value v;

	expect_err(&none, "$rax", KT_ERR_UNSUPPORTED, 0, "registers");
	expect_err(&none, "1 + main", KT_ERR_UNSUPPORTED, 4, "symbols");
	expect_err(&none, "*(int *)0", KT_ERR_UNSUPPORTED, 0, "memory");
	expect_err(&none, "$$", KT_ERR_UNSUPPORTED, 0, "history");
	expect_err(&none, "$rax = 1", KT_ERR_UNSUPPORTED, 5, "cannot write registers");
	expect_err(&none, "*(int *)0 = 1", KT_ERR_UNSUPPORTED, 10, "cannot write memory");
	expect_err(NULL, "$pc", KT_ERR_UNSUPPORTED, 0, "registers");
	EXPECT_S(&none, "1 + 2", 3);
	EXPECT_S(NULL, "1 + 2", 3);

	/* A register set_reg knows although get_reg does not. */
	env.get_reg = NULL;
	EXPECT_S(&env, "$rax = 0x1ffffffff", 0x1ffffffff);
	ck_assert_uint_eq(f.set_value, 0x1ffffffff);

	/* Bad arguments. */
	ck_assert_int_eq(kt_expr_parse(NULL, &e, &err), KT_ERR_INVAL);
	ck_assert_int_eq(kt_expr_parse("1", NULL, &err), KT_ERR_INVAL);
	ck_assert_int_eq(kt_expr_eval(NULL, &env, &v, &err), KT_ERR_INVAL);
	ck_assert_int_eq(kt_expr_parse("1", &e, NULL), KT_OK);
	ck_assert_int_eq(kt_expr_eval(e, &env, NULL, NULL), KT_ERR_INVAL);
	kt_expr_free(e);
	kt_expr_free(NULL);
	/* Failing parse leaves *OUT NULL. */
	e = (struct kt_expr *)&v;
	ck_assert_int_eq(kt_expr_parse("1 +", &e, NULL), KT_ERR_SYNTAX);
	ck_assert_ptr_null(e);
}
END_TEST

static void
expect_fmt(const struct kt_value *v, char fmt, const char *want)
{
	char buf[100];
	size_t n = kt_value_format(v, fmt, buf, sizeof(buf));

	ck_assert_msg(strcmp(buf, want) == 0 && n == strlen(want),
		      "format '%c' gave \"%s\" (%zu), want \"%s\"", fmt ? fmt : '0', buf, n, want);
}

START_TEST(test_format)
{
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	struct kt_value v;
	char small[4];

	v = ev(&env, "(int)-5");
	expect_fmt(&v, 0, "-5");
	expect_fmt(&v, 'd', "-5");
	expect_fmt(&v, 'x', "0xfffffffb");
	expect_fmt(&v, 'u', "4294967291");
	expect_fmt(&v, 'o', "037777777773");
	expect_fmt(&v, 'z', "0xfffffffb");
	expect_fmt(&v, 'a', "0xfffffffffffffffb");
	expect_fmt(&v, 't', "11111111111111111111111111111011");
	/* /c prints the value as the target's char: signed on x86-64,
	 * unsigned on AArch64 (as GDB does). */
	expect_fmt(&v, 'c', CHAR_MIN < 0 ? "-5 '\\373'" : "251 '\\373'");
	v = ev(&env, "(unsigned)-5");
	expect_fmt(&v, 'a', "0xfffffffb");
	v = ev(&env, "5");
	expect_fmt(&v, 't', "101");
	expect_fmt(&v, 'z', "0x00000005");
	expect_fmt(&v, 'o', "05");
	v = ev(&env, "0");
	expect_fmt(&v, 't', "0");
	expect_fmt(&v, 'o', "0");
	expect_fmt(&v, 'x', "0x0");
	expect_fmt(&v, 'c', "0 '\\000'");
	v = ev(&env, "65");
	expect_fmt(&v, 'c', "65 'A'");
	v = ev(&env, "321");
	expect_fmt(&v, 'c', "65 'A'");
	v = ev(&env, "'a'");
	expect_fmt(&v, 0, "97 'a'");
	v = ev(&env, "'\\n'");
	expect_fmt(&v, 0, "10 '\\n'");
	v = ev(&env, "'\\''");
	expect_fmt(&v, 0, "39 '\\''");
	v = ev(&env, "'\\\\'");
	expect_fmt(&v, 0, "92 '\\\\'");
	v = ev(&env, "(unsigned char)200");
	expect_fmt(&v, 0, "200 '\\310'");
	expect_fmt(&v, 'd', "-56");
	expect_fmt(&v, 'x', "0xc8");
	v = ev(&env, "(signed char)-56");
	expect_fmt(&v, 0, "-56 '\\310'");
	expect_fmt(&v, 'u', "200");
	v = ev(&env, "(short)-1");
	expect_fmt(&v, 'x', "0xffff");
	expect_fmt(&v, 'z', "0xffff");
	v = ev(&env, "(int *)0x1000");
	expect_fmt(&v, 0, "0x1000");
	expect_fmt(&v, 'd', "4096");
	expect_fmt(&v, 'z', "0x0000000000001000");
	v = ev(&env, "$pc");
	expect_fmt(&v, 0, "0x401000");
	v = ev(&env, "(uint64_t)-1");
	expect_fmt(&v, 0, "18446744073709551615");
	expect_fmt(&v, 'd', "-1");
	expect_fmt(&v, 'x', "0xffffffffffffffff");
	expect_fmt(&v, 'o', "01777777777777777777777");
	v = ev(&env, "-9223372036854775807 - 1");
	expect_fmt(&v, 0, "-9223372036854775808");
	expect_fmt(&v, 'u', "9223372036854775808");
	expect_fmt(&v, 'x', "0x8000000000000000");
	v = ev(&env, "(unsigned)-1");
	expect_fmt(&v, 0, "4294967295");
	expect_fmt(&v, 'd', "-1");

	/* Unknown letter, truncation, NULL buffer. */
	v = ev(&env, "12345");
	ck_assert_uint_eq(kt_value_format(&v, 'q', small, sizeof(small)), 0);
	ck_assert_str_eq(small, "");
	ck_assert_uint_eq(kt_value_format(&v, 0, small, sizeof(small)), 5);
	ck_assert_str_eq(small, "123");
	ck_assert_uint_eq(kt_value_format(&v, 0, NULL, 0), 5);
	ck_assert_uint_eq(kt_value_format(NULL, 0, small, sizeof(small)), 0);
}
END_TEST

START_TEST(test_truth)
{
	struct kt_value v = {.bits = 0, .size = 8, .is_signed = true};

	ck_assert(!kt_value_true(&v));
	v.bits = 1;
	ck_assert(kt_value_true(&v));
	v.bits = UINT64_C(1) << 63;
	ck_assert(kt_value_true(&v));
	/* Only the low SIZE bytes count. */
	v.size = 1;
	v.bits = 0x100;
	ck_assert(!kt_value_true(&v));
	v.is_pointer = true;
	ck_assert(kt_value_true(&v));
	ck_assert(!kt_value_true(NULL));
}
END_TEST

/* A small deterministic PRNG (xorshift64*). */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(0x2545F4914F6CDD1D);
}

static void
check_one(const struct kt_expr_env *env, const char *text)
{
	static const char fmts[] = {0, 'x', 'd', 'u', 'o', 't', 'c', 'a', 'z'};
	struct kt_expr_err err;
	struct kt_expr *e = NULL;
	struct kt_value v;
	char buf[80];
	size_t len = strlen(text), k;
	kt_status st;

	memset(&err, 0x55, sizeof(err));
	st = kt_expr_parse(text, &e, &err);
	if (st != KT_OK) {
		ck_assert_msg(st == KT_ERR_SYNTAX, "\"%s\": %s", text, kt_status_name(st));
		ck_assert_ptr_null(e);
		ck_assert(memchr(err.msg, 0, sizeof(err.msg)) != NULL);
		ck_assert(err.msg[0] != '\0');
		ck_assert_msg(err.pos <= len, "\"%s\": pos %zu", text, err.pos);
		return;
	}
	memset(&err, 0x55, sizeof(err));
	st = kt_expr_eval(e, env, &v, &err);
	if (st != KT_OK) {
		ck_assert_msg(st == KT_ERR_RANGE || st == KT_ERR_INVAL || st == KT_ERR_MEM ||
				      st == KT_ERR_NOTFOUND || st == KT_ERR_UNSUPPORTED,
			      "\"%s\": %s", text, kt_status_name(st));
		ck_assert(memchr(err.msg, 0, sizeof(err.msg)) != NULL);
		ck_assert(err.msg[0] != '\0');
		ck_assert_msg(err.pos < len, "\"%s\": pos %zu", text, err.pos);
	} else {
		for (k = 0; k < sizeof(fmts); k++)
			ck_assert(kt_value_format(&v, fmts[k], buf, sizeof(buf)) > 0);
		(void)kt_value_true(&v);
	}
	kt_expr_free(e);
}

START_TEST(test_random)
{
	static const char *const pieces[] = {
		"1",	       "0",	    "42",	"0x",	     "0xff", "07",	"0b1",
		"'a'",	       "'\\n'",	    "'",	"\\",	     "$",    "$$",	"$1",
		"$$2",	       "$rax",	    "$rdi",	"$pc",	     "$sp",  "$eax",	"$nope",
		"main",	       "buf",	    "foo",	"(",	     ")",    "(int *)", "(char)",
		"(uint8_t *)", "(long **)", "(void *)", "(unsigned", "int",  "long",	"*",
		"&",	       "-",	    "+",	"!",	     "~",    "/",	"%",
		"<<",	       ">>",	    "<",	"<=",	     ">",    ">=",	"==",
		"!=",	       "^",	    "|",	"&&",	     "||",   "?",	":",
		"=",	       " ",	    "0x1000",	"4096",	     "63",   "64",	"-1",
		"u",	       "l",	    ".",
	};
	struct fake f;
	struct kt_expr_env env = fake_init(&f);
	const struct kt_expr_env none = {0};
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
	char text[160];
	unsigned iter;

	for (iter = 0; iter < 200000; iter++) {
		unsigned mode = iter % 4, n = (unsigned)(rnd(&seed) % 48);
		size_t len = 0;

		while (n-- > 0 && len < 120) {
			uint64_t r = rnd(&seed);
			unsigned c;

			if (mode == 0) {
				/* Random bytes, never NUL. */
				c = (unsigned)(r % 255) + 1;
				text[len++] = (char)c;
			} else if (mode == 1) {
				/* Printable characters. */
				text[len++] = (char)(' ' + r % 95);
			} else {
				/* Tokens, spiced with stray characters. */
				const char *p = pieces[r % (sizeof(pieces) / sizeof(pieces[0]))];
				size_t pl = strlen(p);

				if ((r >> 32) % 16 == 0) {
					text[len++] = (char)(' ' + (r >> 40) % 95);
					continue;
				}
				memcpy(text + len, p, pl);
				len += pl;
			}
		}
		text[len] = '\0';
		check_one(iter % 8 == 7 ? &none : &env, text);
	}
	/* Assignments in the random text wrote only the fake memory. */
	ck_assert(f.nread > 0);
}
END_TEST

static char *
repeat(const char *head, size_t n, const char *mid, const char *tail, size_t m)
{
	size_t hl = strlen(head), ml = strlen(mid), tl = strlen(tail), k;
	char *s = malloc(n * hl + ml + m * tl + 1), *p = s;

	ck_assert_ptr_nonnull(s);
	for (k = 0; k < n; k++, p += hl)
		memcpy(p, head, hl);
	memcpy(p, mid, ml);
	p += ml;
	for (k = 0; k < m; k++, p += tl)
		memcpy(p, tail, tl);
	*p = '\0';
	return s;
}

static void
expect_deep(const char *text, bool ok)
{
	struct kt_expr_err err = {0};
	struct kt_expr *e = NULL;
	struct kt_value v;
	kt_status st = kt_expr_parse(text, &e, &err);

	if (ok) {
		ck_assert_msg(st == KT_OK, "%.40s...: %s at %zu", text, err.msg, err.pos);
		ck_assert_int_eq(kt_expr_eval(e, NULL, &v, &err), KT_OK);
		kt_expr_free(e);
		return;
	}
	ck_assert_msg(st == KT_ERR_SYNTAX, "%.40s...: %s", text, kt_status_name(st));
	ck_assert_msg(strstr(err.msg, "nested too deeply") || strstr(err.msg, "longer than"),
		      "%.40s...: %s", text, err.msg);
	ck_assert_uint_le(err.pos, strlen(text));
	ck_assert_ptr_null(e);
}

START_TEST(test_deep_nesting)
{
	char *s;

	/* 255 parentheses are fine, 256 are one too many. */
	s = repeat("(", 255, "1", ")", 255);
	expect_deep(s, true);
	free(s);
	s = repeat("(", 256, "1", ")", 256);
	expect_deep(s, false);
	free(s);
	s = repeat("(", 4000, "1", ")", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("(", 100000, "", "", 0);
	expect_deep(s, false);
	free(s);
	/* Unary chains. */
	s = repeat("-", 254, "1", "", 0);
	expect_deep(s, true);
	free(s);
	s = repeat("-", 3000, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("!~-*", 1000, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("(int)", 700, "1", "", 0);
	expect_deep(s, false);
	free(s);
	/* Flat chains make tall trees: 256 levels at most. */
	s = repeat("1+", 255, "1", "", 0);
	expect_deep(s, true);
	free(s);
	s = repeat("1+", 256, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("1*", 2000, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("1?1:", 1000, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("$a=", 1000, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("1?", 500, "1", ":1", 500);
	expect_deep(s, false);
	free(s);
	/* Length limit. */
	s = repeat(" ", KT_EXPR_MAX_LEN - 1, "1", "", 0);
	expect_deep(s, true);
	free(s);
	s = repeat(" ", KT_EXPR_MAX_LEN, "1", "", 0);
	expect_deep(s, false);
	free(s);
	s = repeat("(", 1000000, "", "", 0);
	expect_deep(s, false);
	free(s);
	/* Nested and tall at once. */
	s = repeat("(1+", 200, "1", ")", 200);
	expect_deep(s, true);
	free(s);
}
END_TEST

static Suite *
expr_suite(void)
{
	Suite *s = suite_create("expr");
	TCase *tc = tcase_create("core");
	TCase *slow = tcase_create("robustness");

	tcase_add_test(tc, test_literals);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_associativity);
	tcase_add_test(tc, test_casts);
	tcase_add_test(tc, test_memory_reads);
	tcase_add_test(tc, test_pointer_arith);
	tcase_add_test(tc, test_registers);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_assign);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_missing_callbacks);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_truth);
	suite_add_tcase(s, tc);
	tcase_add_test(slow, test_random);
	tcase_add_test(slow, test_deep_nesting);
	tcase_set_timeout(slow, 600);
	suite_add_tcase(s, slow);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(expr_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
