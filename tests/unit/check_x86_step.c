/* SPDX-License-Identifier: MIT */
/*
 * check_x86_step.c - unit tests for x86-64 displaced stepping
 * (arch/x86_64/step_*.c): instruction bytes in, plan out; emulation results
 * against hand-checked values and against the CPU itself (flags, jcc
 * conditions); out-of-line slots built for RIP-relative loads, stores, lea
 * and compares and then executed for real in this process from a page more
 * than 2 GB away from the data they reach; every in-line rejection; the
 * mapping of a thread stopped inside a slot back to the original place.
 */
#if !defined(__x86_64__)
/* The emulation and slot tests compare against the CPU and run slots in
 * this process: they need an x86-64 host.  The plan-only checks of the
 * x86-64 table run everywhere through check_arch_x86. */
#include <stdio.h>
int main(void);
int
main(void)
{
	puts("SKIP: check_x86_step runs x86-64 code natively; this host is not x86-64");
	return 77;
}
#else
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "x86_64/regs.h"
#include <unistd.h>

#include <capstone/capstone.h>

#include "arch.h"
#include "x86_64/step.h"

#define R(field) (offsetof(struct kt_x64_user_regs, field) / 8)

#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_OF 0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Word index of hardware register N (ModRM numbering). */
static const unsigned hw_word[16] = {
	R(rax), R(rcx), R(rdx), R(rbx), R(rsp), R(rbp), R(rsi), R(rdi),
	R(r8), R(r9), R(r10), R(r11), R(r12), R(r13), R(r14), R(r15),
};

#define ADDR 0x400000ull

/* ---- a fake inferior memory: 256 bytes of stack at STACK_BASE ---- */

#define STACK_BASE 0x7ffe0000ull
#define STACK_SIZE 256

struct fake_mem {
	uint8_t buf[STACK_SIZE];
	unsigned writes;
};

static kt_status
fake_read(void *ctx, uint64_t addr, void *out, size_t len)
{
	struct fake_mem *m = ctx;

	if (addr < STACK_BASE || addr + len > STACK_BASE + STACK_SIZE)
		return KT_ERR_MEM;
	memcpy(out, m->buf + (addr - STACK_BASE), len);
	return KT_OK;
}

static kt_status
fake_write(void *ctx, uint64_t addr, const void *in, size_t len)
{
	struct fake_mem *m = ctx;

	if (addr < STACK_BASE || addr + len > STACK_BASE + STACK_SIZE)
		return KT_ERR_MEM;
	memcpy(m->buf + (addr - STACK_BASE), in, len);
	m->writes++;
	return KT_OK;
}

static uint64_t
fake_get(const struct fake_mem *m, uint64_t addr)
{
	uint64_t v;

	memcpy(&v, m->buf + (addr - STACK_BASE), 8);
	return v;
}

static void
fake_put(struct fake_mem *m, uint64_t addr, uint64_t v)
{
	memcpy(m->buf + (addr - STACK_BASE), &v, 8);
}

/* Registers with a distinct value in every word, rsp in the fake stack. */
static void
init_regs(struct kt_regs *r)
{
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < 27; i++)
		r->w[i] = 0x1111111111111111ull * (i % 15 + 1) + i;
	r->w[R(rsp)] = STACK_BASE + 128;
	r->w[R(rip)] = ADDR;
	r->w[R(eflags)] = 0x202;
	r->w[R(orig_rax)] = 0x27;
}

static struct kt_plan
plan_of(const uint8_t *code, size_t len, uint64_t addr)
{
	struct kt_plan p;

	ck_assert_int_eq(x86_64_plan(addr, code, len, &p), KT_OK);
	return p;
}

#define PLAN(...) ({                                                           \
	static const uint8_t code_[] = { __VA_ARGS__ };                        \
	plan_of(code_, sizeof(code_), ADDR);                                   \
})

/* Emulate P at ADDR over R and M; expect KT_OK. */
static void
emulate_ok(const struct kt_plan *p, struct kt_regs *r, struct fake_mem *m)
{
	struct kt_arch_mem mem = { fake_read, fake_write, m };

	ck_assert_int_eq(p->kind, KT_PLAN_EMULATE);
	ck_assert_ptr_null(p->why);
	ck_assert_int_eq(x86_64_emulate(p, ADDR, r, &mem), KT_OK);
	ck_assert_uint_eq(r->w[R(orig_rax)], (uint64_t)-1);
}

/* Every word of A and B equal except the ones listed in SKIP (a mask). */
static void
same_except(const struct kt_regs *a, const struct kt_regs *b, uint64_t skip)
{
	for (unsigned i = 0; i < 27; i++) {
		if (skip & (1ull << i))
			continue;
		ck_assert_msg(a->w[i] == b->w[i], "word %u: %#llx != %#llx", i,
			      (unsigned long long)a->w[i], (unsigned long long)b->w[i]);
	}
}

#define BIT(field) (1ull << R(field))
#define PC_BITS (BIT(rip) | BIT(orig_rax))

/* ---- nops, push, pop, mov ---- */

START_TEST(test_nops)
{
	static const struct { uint8_t b[12]; uint8_t n; } nops[] = {
		{ { 0x90 }, 1 },
		{ { 0x66, 0x90 }, 2 },
		{ { 0x0f, 0x1f, 0x00 }, 3 },
		{ { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5 },
		{ { 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 }, 10 },
		{ { 0x0f, 0x1f, 0x05, 0x10, 0x00, 0x00, 0x00 }, 7 }, /* nopl (%rip) */
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4 },                     /* endbr64 */
		{ { 0xf3, 0x90 }, 2 },                                 /* pause */
		{ { 0xf3, 0x0f, 0x1e, 0xfb }, 4 },                     /* endbr32 */
		{ { 0x0f, 0x19, 0x05, 0x00, 0x00, 0x00, 0x00 }, 7 },   /* reserved nop */
	};

	for (unsigned i = 0; i < sizeof(nops) / sizeof(nops[0]); i++) {
		struct kt_plan p = plan_of(nops[i].b, nops[i].n, ADDR);
		struct kt_regs r, r0;
		struct fake_mem m = { 0 };

		ck_assert_int_eq(p.len, nops[i].n);
		ck_assert_uint_eq(p.klass, X86_64_CLS_NOP);
		ck_assert_str_eq(x86_64_class_name(p.klass), "nop");
		init_regs(&r);
		r0 = r;
		emulate_ok(&p, &r, &m);
		ck_assert_uint_eq(r.w[R(rip)], ADDR + nops[i].n);
		same_except(&r, &r0, PC_BITS);
		ck_assert_uint_eq(m.writes, 0);
	}
	/* 41 90 is xchg %eax,%r8d, not a nop. */
	{
		struct kt_plan p = PLAN(0x41, 0x90);

		ck_assert_int_eq(p.kind, KT_PLAN_OOL);
		ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_PLAIN);
	}
}
END_TEST

START_TEST(test_push_reg)
{
	for (unsigned n = 0; n < 16; n++) {
		uint8_t code[2];
		size_t len = 0;
		struct kt_plan p;
		struct kt_regs r, r0;
		struct fake_mem m = { 0 };
		uint64_t sp;

		if (n >= 8)
			code[len++] = 0x41;
		code[len++] = (uint8_t)(0x50 + (n & 7));
		p = plan_of(code, len, ADDR);
		ck_assert_uint_eq(p.klass, X86_64_CLS_PUSH);
		init_regs(&r);
		r0 = r;
		sp = r.w[R(rsp)];
		emulate_ok(&p, &r, &m);
		ck_assert_uint_eq(r.w[R(rsp)], sp - 8);
		/* push %rsp stores the value before the decrement. */
		ck_assert_uint_eq(fake_get(&m, sp - 8), r0.w[hw_word[n]]);
		ck_assert_uint_eq(r.w[R(rip)], ADDR + len);
		same_except(&r, &r0, PC_BITS | BIT(rsp));
	}
}
END_TEST

START_TEST(test_push_imm_and_fault)
{
	struct kt_plan p = PLAN(0x6a, 0xf0);    /* push $-16 */
	struct kt_plan q = PLAN(0x68, 0x00, 0x01, 0x00, 0x00);  /* push $0x100 */
	struct kt_regs r, r0;
	struct fake_mem m = { 0 };
	struct kt_arch_mem mem = { fake_read, fake_write, &m };

	init_regs(&r);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(fake_get(&m, STACK_BASE + 120), (uint64_t)-16);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 2);
	emulate_ok(&q, &r, &m);
	ck_assert_uint_eq(fake_get(&m, STACK_BASE + 112), 0x100);
	ck_assert_uint_eq(r.w[R(rsp)], STACK_BASE + 112);

	/* A push that faults changes nothing. */
	p = PLAN(0x55);
	init_regs(&r);
	r.w[R(rsp)] = STACK_BASE + 4;
	r0 = r;
	ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, &mem), KT_ERR_MEM);
	same_except(&r, &r0, 0);
	/* 66 50 (push %ax) moves 2 bytes: not emulated, runs out of line. */
	p = PLAN(0x66, 0x50);
	ck_assert_int_eq(p.kind, KT_PLAN_OOL);
	/* A plan of another kind is refused. */
	ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, &mem), KT_ERR_INVAL);
}
END_TEST

START_TEST(test_pop)
{
	for (unsigned n = 0; n < 16; n++) {
		uint8_t code[2];
		size_t len = 0;
		struct kt_plan p;
		struct kt_regs r, r0;
		struct fake_mem m = { 0 };

		if (n >= 8)
			code[len++] = 0x41;
		code[len++] = (uint8_t)(0x58 + (n & 7));
		p = plan_of(code, len, ADDR);
		ck_assert_uint_eq(p.klass, X86_64_CLS_POP);
		init_regs(&r);
		r0 = r;
		fake_put(&m, STACK_BASE + 128, 0xabcdef0123456789ull);
		emulate_ok(&p, &r, &m);
		ck_assert_uint_eq(r.w[hw_word[n]], 0xabcdef0123456789ull);
		if (n != 4)
			ck_assert_uint_eq(r.w[R(rsp)], STACK_BASE + 136);
		same_except(&r, &r0, PC_BITS | BIT(rsp) | (1ull << hw_word[n]));
	}
	{
		/* A pop that faults changes nothing. */
		struct kt_plan p = PLAN(0x5d);
		struct kt_regs r, r0;
		struct fake_mem m = { 0 };
		struct kt_arch_mem mem = { fake_read, fake_write, &m };

		init_regs(&r);
		r.w[R(rsp)] = STACK_BASE + STACK_SIZE;
		r0 = r;
		ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, &mem), KT_ERR_MEM);
		same_except(&r, &r0, 0);
	}
}
END_TEST

START_TEST(test_mov_reg)
{
	struct kt_regs r, r0;
	struct fake_mem m = { 0 };
	struct kt_plan p;

	p = PLAN(0x48, 0x89, 0xe5);    /* mov %rsp,%rbp */
	ck_assert_uint_eq(p.klass, X86_64_CLS_MOV_REG);
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rbp)], r0.w[R(rsp)]);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 3);
	same_except(&r, &r0, PC_BITS | BIT(rbp));

	p = PLAN(0x48, 0x8b, 0xe5);    /* mov %rbp,%rsp (8b form) */
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rsp)], r0.w[R(rbp)]);
	same_except(&r, &r0, PC_BITS | BIT(rsp));

	p = PLAN(0x4d, 0x89, 0xc7);    /* mov %r8,%r15 */
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(r15)], r0.w[R(r8)]);
	same_except(&r, &r0, PC_BITS | BIT(r15));

	p = PLAN(0x89, 0xf8);          /* mov %edi,%eax: zero-extends */
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rax)], r0.w[R(rdi)] & 0xffffffffu);
	same_except(&r, &r0, PC_BITS | BIT(rax));

	p = PLAN(0x66, 0x89, 0xf8);    /* mov %di,%ax: merges; out of line */
	ck_assert_int_eq(p.kind, KT_PLAN_OOL);
}
END_TEST

/* ---- add/sub reg,imm: flags against the CPU ---- */

static uint64_t
cpu_alu(uint64_t a, uint64_t b, int sub, uint64_t fl, uint64_t *res)
{
	if (sub)
		__asm__ volatile("lea -128(%%rsp),%%rsp\n\t"
				 "push %[fl]\n\tpopfq\n\t"
				 "sub %[b],%[a]\n\t"
				 "pushfq\n\tpop %[fl]\n\t"
				 "lea 128(%%rsp),%%rsp"
				 : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(b) : "cc", "memory");
	else
		__asm__ volatile("lea -128(%%rsp),%%rsp\n\t"
				 "push %[fl]\n\tpopfq\n\t"
				 "add %[b],%[a]\n\t"
				 "pushfq\n\tpop %[fl]\n\t"
				 "lea 128(%%rsp),%%rsp"
				 : [a] "+r"(a), [fl] "+r"(fl) : [b] "r"(b) : "cc", "memory");
	*res = a;
	return fl;
}

START_TEST(test_alu_flags)
{
	static const uint64_t vals[] = {
		0, 1, 7, 8, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fffffff, 0x80000000,
		0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
		0xfffffffffffffff0ull, 0xffffffffffffffffull, 0x00007ffe12345678ull,
	};
	static const int32_t imms[] = {
		0, 1, 8, 0x10, 0x7f, -1, -8, -128, 0x80, 0x1000, 0x7fffffff,
		(int32_t)0x80000000, -0x1000,
	};
	static const unsigned regs[] = { 4, 0, 5, 11 };  /* rsp rax rbp r11 */
	unsigned checked = 0;

	for (unsigned ri = 0; ri < 4; ri++) {
		for (unsigned ii = 0; ii < sizeof(imms) / sizeof(imms[0]); ii++) {
			for (int sub = 0; sub < 2; sub++) {
				unsigned n = regs[ri];
				int32_t imm = imms[ii];
				uint8_t code[8];
				size_t len = 0;
				struct kt_plan p;

				code[len++] = (uint8_t)(0x48 | (n >= 8));
				if (imm >= -128 && imm <= 127) {
					code[len++] = 0x83;
					code[len++] = (uint8_t)(0xc0 | (sub ? 5 : 0) << 3 | (n & 7));
					code[len++] = (uint8_t)imm;
				} else {
					code[len++] = 0x81;
					code[len++] = (uint8_t)(0xc0 | (sub ? 5 : 0) << 3 | (n & 7));
					memcpy(code + len, &imm, 4);
					len += 4;
				}
				p = plan_of(code, len, ADDR);
				ck_assert_uint_eq(p.klass, X86_64_CLS_ALU_REG_IMM);
				for (unsigned vi = 0; vi < sizeof(vals) / sizeof(vals[0]); vi++) {
					for (int fin = 0; fin < 2; fin++) {
						struct kt_regs r, r0;
						struct fake_mem m = { 0 };
						uint64_t in_fl = 0x202 | (fin ? FL_ARITH : 0);
						uint64_t res, cfl;

						init_regs(&r);
						r.w[hw_word[n]] = vals[vi];
						r.w[R(eflags)] = in_fl;
						r0 = r;
						emulate_ok(&p, &r, &m);
						cfl = cpu_alu(vals[vi], (uint64_t)(int64_t)imm, sub,
							      in_fl, &res);
						ck_assert_uint_eq(r.w[hw_word[n]], res);
						ck_assert_msg((r.w[R(eflags)] & FL_ARITH) ==
							      (cfl & FL_ARITH),
							      "%s %#llx,%d: flags %#llx, cpu %#llx",
							      sub ? "sub" : "add",
							      (unsigned long long)vals[vi], imm,
							      (unsigned long long)r.w[R(eflags)],
							      (unsigned long long)cfl);
						ck_assert_uint_eq(r.w[R(eflags)] & ~(uint64_t)FL_ARITH,
								  0x202);
						same_except(&r, &r0, PC_BITS | BIT(eflags) |
							    (1ull << hw_word[n]));
						checked++;
					}
				}
			}
		}
	}
	ck_assert_uint_gt(checked, 1000);
	{
		/* 32-bit add: not emulated. */
		struct kt_plan p = PLAN(0x83, 0xc0, 0x01);

		ck_assert_int_eq(p.kind, KT_PLAN_OOL);
	}
}
END_TEST

/* ---- conditional jumps: all 16 conditions against the CPU ---- */

/* Compile "xor %eax,%eax; push %rdi; popfq; setCC %al; ret" for each cc. */
static uint8_t *
setcc_page(void)
{
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(page, MAP_FAILED);
	for (unsigned cc = 0; cc < 16; cc++) {
		uint8_t *f = page + 16 * cc;
		const uint8_t code[] = { 0x31, 0xc0, 0x57, 0x9d, 0x0f, (uint8_t)(0x90 + cc),
					 0xc0, 0xc3 };

		memcpy(f, code, sizeof(code));
	}
	return page;
}

START_TEST(test_jcc_all)
{
	uint8_t *page = setcc_page();
	static const uint64_t flag_bits[] = { FL_CF, FL_PF, FL_ZF, FL_SF, FL_OF };
	unsigned taken = 0, not_taken = 0;

	for (unsigned cc = 0; cc < 16; cc++) {
		uint64_t (*cpu_cc)(uint64_t) = (uint64_t (*)(uint64_t))(void *)(page + 16 * cc);
		const uint8_t rel8[] = { (uint8_t)(0x70 + cc), 0x10 };
		const uint8_t rel8b[] = { 0x3e, (uint8_t)(0x70 + cc), 0xf0 };  /* ds hint, back */
		const uint8_t rel32[] = { 0x0f, (uint8_t)(0x80 + cc), 0x00, 0x01, 0x00, 0x80 };
		struct kt_plan p8 = plan_of(rel8, sizeof(rel8), ADDR);
		struct kt_plan p8b = plan_of(rel8b, sizeof(rel8b), ADDR);
		struct kt_plan p32 = plan_of(rel32, sizeof(rel32), ADDR);

		ck_assert_uint_eq(p8.klass, X86_64_CLS_JCC);
		ck_assert_uint_eq(p8b.klass, X86_64_CLS_JCC);
		ck_assert_uint_eq(p32.klass, X86_64_CLS_JCC);
		ck_assert_str_eq(x86_64_class_name(p8.klass), "jcc");
		for (unsigned mask = 0; mask < 32; mask++) {
			uint64_t fl = 0x202;
			bool cpu;

			for (unsigned b = 0; b < 5; b++)
				if (mask & (1u << b))
					fl |= flag_bits[b];
			cpu = cpu_cc(fl) != 0;
			{
				struct kt_regs r, r0;
				struct fake_mem m = { 0 };

				init_regs(&r);
				r.w[R(eflags)] = fl;
				r0 = r;
				emulate_ok(&p8, &r, &m);
				ck_assert_uint_eq(r.w[R(rip)], cpu ? ADDR + 2 + 0x10 : ADDR + 2);
				same_except(&r, &r0, PC_BITS);
			}
			{
				struct kt_regs r;
				struct fake_mem m = { 0 };

				init_regs(&r);
				r.w[R(eflags)] = fl;
				emulate_ok(&p8b, &r, &m);
				ck_assert_uint_eq(r.w[R(rip)], cpu ? ADDR + 3 - 0x10 : ADDR + 3);
			}
			{
				struct kt_regs r;
				struct fake_mem m = { 0 };

				init_regs(&r);
				r.w[R(eflags)] = fl;
				emulate_ok(&p32, &r, &m);
				ck_assert_uint_eq(r.w[R(rip)],
						  cpu ? ADDR + 6 - 0x7fffff00ull : ADDR + 6);
			}
			if (cpu)
				taken++;
			else
				not_taken++;
		}
	}
	/* Every condition is true for some flags and false for others. */
	ck_assert_uint_gt(taken, 16 * 4);
	ck_assert_uint_gt(not_taken, 16 * 4);
	munmap(page, 4096);
}
END_TEST

/* ---- jmp, call, ret, indirect branches, loops ---- */

START_TEST(test_jmp_call_ret)
{
	struct kt_regs r, r0;
	struct fake_mem m = { 0 };
	struct kt_arch_mem mem = { fake_read, fake_write, &m };
	struct kt_plan p;

	p = PLAN(0xeb, 0xfe);                          /* jmp . */
	ck_assert_uint_eq(p.klass, X86_64_CLS_JMP_REL);
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], ADDR);
	same_except(&r, &r0, PC_BITS);

	p = PLAN(0xe9, 0x00, 0x00, 0x00, 0x01);        /* jmp +0x01000000 */
	init_regs(&r);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 5 + 0x01000000);

	p = PLAN(0xf2, 0xe9, 0xfb, 0xff, 0xff, 0xff);  /* bnd jmp -5 */
	ck_assert_uint_eq(p.klass, X86_64_CLS_JMP_REL);
	init_regs(&r);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 6 - 5);

	p = PLAN(0xe8, 0x10, 0x00, 0x00, 0x00);        /* call +0x10 */
	ck_assert_uint_eq(p.klass, X86_64_CLS_CALL_REL);
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 5 + 0x10);
	ck_assert_uint_eq(r.w[R(rsp)], STACK_BASE + 120);
	ck_assert_uint_eq(fake_get(&m, STACK_BASE + 120), ADDR + 5);
	same_except(&r, &r0, PC_BITS | BIT(rsp));

	/* A call whose push faults changes nothing. */
	init_regs(&r);
	r.w[R(rsp)] = STACK_BASE;
	r0 = r;
	ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, &mem), KT_ERR_MEM);
	same_except(&r, &r0, 0);

	p = PLAN(0xc3);
	ck_assert_uint_eq(p.klass, X86_64_CLS_RET);
	init_regs(&r);
	r0 = r;
	fake_put(&m, STACK_BASE + 128, 0x4242424242ull);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], 0x4242424242ull);
	ck_assert_uint_eq(r.w[R(rsp)], STACK_BASE + 136);
	same_except(&r, &r0, PC_BITS | BIT(rsp));

	p = PLAN(0xc2, 0x10, 0x00);                    /* ret $16 */
	init_regs(&r);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], 0x4242424242ull);
	ck_assert_uint_eq(r.w[R(rsp)], STACK_BASE + 136 + 16);

	p = PLAN(0xf3, 0xc3);                          /* repz ret */
	ck_assert_uint_eq(p.klass, X86_64_CLS_RET);
	init_regs(&r);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], 0x4242424242ull);

	/* ret with rsp out of the stack: fault, nothing changed. */
	init_regs(&r);
	r.w[R(rsp)] = STACK_BASE + STACK_SIZE - 4;
	r0 = r;
	ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, &mem), KT_ERR_MEM);
	same_except(&r, &r0, 0);
}
END_TEST

START_TEST(test_indirect)
{
	struct kt_regs r, r0;
	struct fake_mem m = { 0 };
	struct kt_arch_mem mem = { fake_read, fake_write, &m };
	struct kt_plan p;

	p = PLAN(0xff, 0xd0);                          /* call *%rax */
	ck_assert_uint_eq(p.klass, X86_64_CLS_CALL_IND);
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], r0.w[R(rax)]);
	ck_assert_uint_eq(fake_get(&m, STACK_BASE + 120), ADDR + 2);
	same_except(&r, &r0, PC_BITS | BIT(rsp));

	p = PLAN(0xff, 0xd4);                          /* call *%rsp: old rsp */
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], r0.w[R(rsp)]);

	p = PLAN(0x41, 0xff, 0xe3);                    /* jmp *%r11 */
	ck_assert_uint_eq(p.klass, X86_64_CLS_JMP_IND);
	m.writes = 0;
	init_regs(&r);
	r0 = r;
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], r0.w[R(r11)]);
	same_except(&r, &r0, PC_BITS);
	ck_assert_uint_eq(m.writes, 0);

	/* call *disp(%rip): the pointer is at ADDR + 6 + disp. */
	{
		uint64_t disp = STACK_BASE + 64 - (ADDR + 6);
		uint8_t code[6] = { 0xff, 0x15 };

		memcpy(code + 2, &disp, 4);
		ck_assert_uint_eq((uint64_t)(int64_t)(int32_t)disp, disp);
		p = plan_of(code, 6, ADDR);
		ck_assert_uint_eq(p.klass, X86_64_CLS_CALL_IND);
		init_regs(&r);
		fake_put(&m, STACK_BASE + 64, 0x5151515151ull);
		emulate_ok(&p, &r, &m);
		ck_assert_uint_eq(r.w[R(rip)], 0x5151515151ull);
		ck_assert_uint_eq(fake_get(&m, STACK_BASE + 120), ADDR + 6);
	}
	/* jmp *disp(,%rax,8) */
	p = PLAN(0xff, 0x24, 0xc5, 0x00, 0x00, 0xfe, 0x7f);   /* disp = 0x7ffe0000 */
	ck_assert_uint_eq(p.klass, X86_64_CLS_JMP_IND);
	init_regs(&r);
	r.w[R(rax)] = 3;
	fake_put(&m, STACK_BASE + 24, 0x6161616161ull);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], 0x6161616161ull);
	/* call *8(%rsp): the address uses rsp before the push. */
	p = PLAN(0xff, 0x54, 0x24, 0x08);
	init_regs(&r);
	fake_put(&m, STACK_BASE + 136, 0x7171717171ull);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], 0x7171717171ull);
	ck_assert_uint_eq(r.w[R(rsp)], STACK_BASE + 120);
	/* jmp *%fs:0x28 reads fs_base + 0x28. */
	p = PLAN(0x64, 0xff, 0x24, 0x25, 0x28, 0x00, 0x00, 0x00);
	ck_assert_uint_eq(p.klass, X86_64_CLS_JMP_IND);
	init_regs(&r);
	r.w[R(fs_base)] = STACK_BASE + 8;
	fake_put(&m, STACK_BASE + 0x30, 0x8181818181ull);
	emulate_ok(&p, &r, &m);
	ck_assert_uint_eq(r.w[R(rip)], 0x8181818181ull);
	/* A pointer that cannot be read: nothing changes. */
	p = PLAN(0xff, 0x10);                          /* call *(%rax) */
	init_regs(&r);
	r0 = r;
	ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, &mem), KT_ERR_MEM);
	same_except(&r, &r0, 0);
}
END_TEST

START_TEST(test_loops)
{
	static const struct {
		uint8_t b[3];
		uint8_t n;
		uint64_t rcx;
		uint64_t fl;
		bool taken;
		uint64_t rcx_after;
	} t[] = {
		{ { 0xe2, 0x10 }, 2, 5, 0, true, 4 },                 /* loop */
		{ { 0xe2, 0x10 }, 2, 1, 0, false, 0 },
		{ { 0xe2, 0x10 }, 2, 0, 0, true, ~0ull },
		{ { 0xe1, 0x10 }, 2, 5, FL_ZF, true, 4 },             /* loope */
		{ { 0xe1, 0x10 }, 2, 5, 0, false, 4 },
		{ { 0xe1, 0x10 }, 2, 1, FL_ZF, false, 0 },
		{ { 0xe0, 0x10 }, 2, 5, 0, true, 4 },                 /* loopne */
		{ { 0xe0, 0x10 }, 2, 5, FL_ZF, false, 4 },
		{ { 0xe3, 0x10 }, 2, 0, 0, true, 0 },                 /* jrcxz */
		{ { 0xe3, 0x10 }, 2, 1ull << 32, 0, false, 1ull << 32 },
		{ { 0x67, 0xe3, 0x10 }, 3, 1ull << 32, 0, true, 1ull << 32 }, /* jecxz */
		{ { 0x67, 0xe3, 0x10 }, 3, 1, 0, false, 1 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct kt_plan p = plan_of(t[i].b, t[i].n, ADDR);
		struct kt_regs r, r0;
		struct fake_mem m = { 0 };

		ck_assert_uint_eq(p.klass, X86_64_CLS_LOOP);
		init_regs(&r);
		r.w[R(rcx)] = t[i].rcx;
		r.w[R(eflags)] = 0x202 | t[i].fl;
		r0 = r;
		emulate_ok(&p, &r, &m);
		ck_assert_msg(r.w[R(rip)] == ADDR + t[i].n + (t[i].taken ? 0x10 : 0),
			      "case %u", i);
		ck_assert_uint_eq(r.w[R(rcx)], t[i].rcx_after);
		same_except(&r, &r0, PC_BITS | BIT(rcx));
	}
}
END_TEST

/* ---- rejections ---- */

START_TEST(test_inline)
{
	static const struct { uint8_t b[12]; uint8_t n; uint16_t klass; } t[] = {
		{ { 0xcc }, 1, X86_64_CLS_INLINE_TRAP },
		{ { 0xcd, 0x80 }, 2, X86_64_CLS_INLINE_TRAP },
		{ { 0xcd, 0x03 }, 2, X86_64_CLS_INLINE_TRAP },
		{ { 0xf1 }, 1, X86_64_CLS_INLINE_TRAP },
		{ { 0x0f, 0x0b }, 2, X86_64_CLS_INLINE_TRAP },
		{ { 0xf4 }, 1, X86_64_CLS_INLINE_TRAP },
		{ { 0xfa }, 1, X86_64_CLS_INLINE_PRIV },                 /* cli */
		{ { 0xec }, 1, X86_64_CLS_INLINE_PRIV },                 /* in (%dx),%al */
		{ { 0x0f, 0x30 }, 2, X86_64_CLS_INLINE_PRIV },           /* wrmsr */
		{ { 0xcb }, 1, X86_64_CLS_INLINE_FAR },                  /* lret */
		{ { 0x48, 0xcf }, 2, X86_64_CLS_INLINE_FAR },            /* iretq */
		{ { 0x48, 0xff, 0x2c, 0x25, 0, 0x10, 0, 0 }, 8, X86_64_CLS_INLINE_FAR },
		{ { 0x0f, 0x07 }, 2, X86_64_CLS_INLINE_FAR },            /* sysret */
		{ { 0x66, 0xe9, 0x00, 0x00 }, 4, X86_64_CLS_INLINE_PREFIX },
		{ { 0x66, 0xc3 }, 2, X86_64_CLS_INLINE_PREFIX },
		{ { 0x66, 0x74, 0x10 }, 3, X86_64_CLS_INLINE_PREFIX },
		{ { 0x67, 0xe2, 0x10 }, 3, X86_64_CLS_INLINE_PREFIX },   /* loop on ecx */
		{ { 0x67, 0xff, 0x10 }, 3, X86_64_CLS_INLINE_PREFIX },   /* call *(%eax) */
		{ { 0x67, 0x8b, 0x05, 0x10, 0, 0, 0 }, 7, X86_64_CLS_INLINE_PREFIX }, /* eip-rel */
		{ { 0x64, 0x48, 0x8b, 0x05, 0x10, 0, 0, 0 }, 8, X86_64_CLS_INLINE_SEG_RIPREL },
		{ { 0x65, 0x8b, 0x05, 0x10, 0, 0, 0 }, 7, X86_64_CLS_INLINE_SEG_RIPREL },
		{ { 0x62, 0xf1, 0xfe, 0x48, 0x6f, 0x05, 0x10, 0, 0, 0 }, 10,
		  X86_64_CLS_INLINE_EVEX },                              /* vmovdqu64 (%rip) */
		{ { 0xc7, 0xf8, 0x10, 0, 0, 0 }, 6, X86_64_CLS_INLINE_TSX },  /* xbegin */
		{ { 0xc6, 0xf8, 0x05 }, 3, X86_64_CLS_INLINE_TSX },      /* xabort */
		{ { 0x62, 0xf2, 0x7d, 0x48, 0x50, 0xc1 }, 6, X86_64_CLS_INLINE_UNDECODABLE },
		{ { 0xd6 }, 1, X86_64_CLS_INLINE_UNDECODABLE },          /* salc: invalid */
		{ { 0x8f, 0xe9, 0x78, 0xc0, 0x05, 0x10, 0, 0, 0, 0x05 }, 10,
		  X86_64_CLS_INLINE_UNDECODABLE },                       /* XOP */
		{ { 0x0f }, 1, X86_64_CLS_INLINE_UNDECODABLE },          /* truncated */
		{ { 0xf0, 0x90 }, 2, X86_64_CLS_INLINE_UNDECODABLE },    /* lock nop: #UD */
		{ { 0xf0, 0x48, 0x83, 0xc4, 0x08 }, 5, X86_64_CLS_INLINE_UNDECODABLE },
		{ { 0x8e, 0xd0 }, 2, X86_64_CLS_INLINE_PRIV },           /* mov %eax,%ss */
		{ { 0x0f, 0x34 }, 2, X86_64_CLS_INLINE_FAR },            /* sysenter */
		{ { 0x0f, 0xb9, 0xc0 }, 3, X86_64_CLS_INLINE_TRAP },     /* ud1 */
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct kt_plan p = plan_of(t[i].b, t[i].n, ADDR);
		struct kt_regs r;
		uint8_t slot[X86_64_SLOT_SIZE];
		size_t n = 0;
		bool done;

		ck_assert_msg(p.kind == KT_PLAN_INLINE, "case %u: kind %d", i, p.kind);
		ck_assert_msg(p.why != NULL, "case %u: no reason", i);
		ck_assert_msg(p.klass == t[i].klass, "case %u: class %s", i,
			      x86_64_class_name(p.klass));
		ck_assert_str_ne(x86_64_class_name(p.klass), "?");
		init_regs(&r);
		ck_assert_int_eq(x86_64_emulate(&p, ADDR, &r, NULL), KT_ERR_INVAL);
		ck_assert_int_eq(x86_64_ool_build(&p, ADDR, 0x1000, slot, &n), KT_ERR_INVAL);
		ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, 0x1000, &r, &r, &done),
				 KT_ERR_INVAL);
	}
	{
		struct kt_plan p;

		ck_assert_int_eq(x86_64_plan(ADDR, NULL, 4, &p), KT_ERR_INVAL);
		ck_assert_int_eq(x86_64_plan(ADDR, (const uint8_t *)"\x90", 0, &p),
				 KT_ERR_INVAL);
	}
	/* rdtsc/rdtscp are user instructions capstone files as privileged. */
	ck_assert_int_eq(PLAN(0x0f, 0x01, 0xf9).kind, KT_PLAN_OOL);
	ck_assert_int_eq(PLAN(0x0f, 0x31).kind, KT_PLAN_OOL);
}
END_TEST

START_TEST(test_class_names)
{
	for (unsigned k = 0; k < X86_64_CLS_COUNT; k++) {
		const char *n = x86_64_class_name((uint16_t)k);

		ck_assert_ptr_nonnull(n);
		ck_assert_str_ne(n, "?");
		for (unsigned j = 0; j < k; j++)
			ck_assert_str_ne(n, x86_64_class_name((uint16_t)j));
	}
	ck_assert_str_eq(x86_64_class_name(X86_64_CLS_COUNT), "?");
	ck_assert_str_eq(x86_64_class_name(0xffff), "?");
	ck_assert_str_eq(x86_64_class_name(X86_64_CLS_OOL_RIPREL), "ool-riprel");
}
END_TEST

/* ---- out of line: layout, and running slots for real ---- */

START_TEST(test_ool_plain_layout)
{
	struct kt_plan p = PLAN(0x48, 0x01, 0xd8);     /* add %rbx,%rax */
	uint8_t slot[X86_64_SLOT_SIZE];
	size_t n = 0;
	uint64_t ret;
	int32_t disp;
	struct kt_regs r;

	ck_assert_int_eq(p.kind, KT_PLAN_OOL);
	ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_PLAIN);
	memset(slot, 0, sizeof(slot));
	ck_assert_int_eq(x86_64_ool_build(&p, ADDR, 0x10000, slot, &n), KT_OK);
	ck_assert_uint_le(n, X86_64_SLOT_SIZE);
	ck_assert_mem_eq(slot, "\x48\x01\xd8\xff\x25", 5);
	memcpy(&disp, slot + 5, 4);
	ck_assert_int_eq(disp % 8, (8 - 9 % 8) % 8);   /* 8-aligned quad */
	memcpy(&ret, slot + 9 + disp, 8);
	ck_assert_uint_eq(ret, ADDR + 3);
	init_regs(&r);
	x86_64_ool_enter(&p, ADDR, 0x10000, &r);
	ck_assert_uint_eq(r.w[R(rip)], 0x10000);
	ck_assert_uint_eq(r.w[R(orig_rax)], (uint64_t)-1);
}
END_TEST

/* CPU state for the trampoline, hardware register order. */
struct cpu {
	uint64_t r[16];
	uint64_t flags;
	uint8_t ymm0[32];
	uint64_t want_ymm;
};

void kt_test_run_slot(struct cpu *c, uint64_t entry);
extern const char kt_test_slot_return[];

/*
 * kt_test_run_slot(c, entry): load every register but rsp from C (and the
 * flags), jump to ENTRY; the slot jumps back to kt_test_slot_return, which
 * stores every register, the flags and, if asked, ymm0 into C.
 */
__asm__(
	".text\n"
	".globl kt_test_run_slot\n"
	".type kt_test_run_slot,@function\n"
	"kt_test_run_slot:\n"
	"	push %rbp\n	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rdi\n"
	"	push %rsi\n"
	"	pushq 128(%rdi)\n	popfq\n"
	"	mov 0(%rdi),%rax\n	mov 8(%rdi),%rcx\n	mov 16(%rdi),%rdx\n"
	"	mov 24(%rdi),%rbx\n	mov 40(%rdi),%rbp\n	mov 48(%rdi),%rsi\n"
	"	mov 64(%rdi),%r8\n	mov 72(%rdi),%r9\n	mov 80(%rdi),%r10\n"
	"	mov 88(%rdi),%r11\n	mov 96(%rdi),%r12\n	mov 104(%rdi),%r13\n"
	"	mov 112(%rdi),%r14\n	mov 120(%rdi),%r15\n"
	"	mov 56(%rdi),%rdi\n"
	"	jmp *(%rsp)\n"
	".globl kt_test_slot_return\n"
	"kt_test_slot_return:\n"
	"	pushfq\n"
	"	push %rdi\n"
	"	mov 24(%rsp),%rdi\n"
	"	mov %rax,0(%rdi)\n	mov %rcx,8(%rdi)\n	mov %rdx,16(%rdi)\n"
	"	mov %rbx,24(%rdi)\n	mov %rbp,40(%rdi)\n	mov %rsi,48(%rdi)\n"
	"	mov %r8,64(%rdi)\n	mov %r9,72(%rdi)\n	mov %r10,80(%rdi)\n"
	"	mov %r11,88(%rdi)\n	mov %r12,96(%rdi)\n	mov %r13,104(%rdi)\n"
	"	mov %r14,112(%rdi)\n	mov %r15,120(%rdi)\n"
	"	lea 16(%rsp),%rax\n	mov %rax,32(%rdi)\n"
	"	pop %rax\n	mov %rax,56(%rdi)\n"
	"	pop %rax\n	mov %rax,128(%rdi)\n"
	"	cmpq $0,168(%rdi)\n	je 1f\n	vmovdqu %ymm0,136(%rdi)\n	vzeroupper\n"
	"1:	add $16,%rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n	pop %rbp\n"
	"	ret\n"
	".size kt_test_run_slot, .-kt_test_run_slot\n");

static volatile uint64_t riprel_data[8] __attribute__((aligned(32)));

/* An RWX page more than 2 GB away from riprel_data and from this code. */
static uint8_t *
far_page(void)
{
	uintptr_t data = (uintptr_t)riprel_data;

	for (int k = 0; k < 16; k++) {
		uintptr_t hint = k == 0 ? 0 : (data + ((uintptr_t)k << 33)) & ~(uintptr_t)0xfff;
		uint8_t *p = mmap((void *)hint, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uintptr_t a = (uintptr_t)p, dist;

		if (p == MAP_FAILED)
			continue;
		dist = a > data ? a - data : data - a;
		if (dist > (3ull << 30))
			return p;
		munmap(p, 4096);
	}
	ck_abort_msg("cannot map a page more than 2 GB away from the data");
	return NULL;
}

/*
 * Plan CODE as if it sat right before kt_test_slot_return, build its slot in
 * a far page, run it with the registers in C; return the plan.
 */
static struct kt_plan
run_relocated(const uint8_t *code, size_t len, struct cpu *c, uint8_t *page)
{
	uint64_t at = (uint64_t)(uintptr_t)kt_test_slot_return - len;
	uint64_t slot = (uint64_t)(uintptr_t)page;
	struct kt_plan p = plan_of(code, len, at);
	size_t n = 0;

	ck_assert_int_eq(p.kind, KT_PLAN_OOL);
	memset(page, 0xcc, 4096);
	ck_assert_int_eq(x86_64_ool_build(&p, at, slot, page, &n), KT_OK);
	ck_assert_uint_le(n, X86_64_SLOT_SIZE);
	__builtin___clear_cache((char *)page, (char *)page + n);
	kt_test_run_slot(c, slot);
	return p;
}

/* disp32 from the end of an instruction ending at kt_test_slot_return to P. */
static int32_t
disp_to(const volatile void *p)
{
	int64_t d = (int64_t)((uintptr_t)p - (uintptr_t)kt_test_slot_return);

	ck_assert(d == (int32_t)d);
	return (int32_t)d;
}

static void
init_cpu(struct cpu *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < 16; i++)
		c->r[i] = 0x0101010101010101ull * (i + 1) + 0x1000 * i;
	c->flags = 0x202;
}

/* Decode the relocated instruction in a RIP-relative slot: base must be TMP. */
static void
check_rewrite(const struct kt_plan *p, const uint8_t *page, uint64_t slot, int32_t disp)
{
	csh h;
	cs_insn *insn;
	size_t n;
	unsigned tmp_hw = (page[8] & 7) | ((page[7] & 1) << 3);
	const cs_x86 *x;
	bool found = false;

	ck_assert_uint_eq(p->klass, X86_64_CLS_OOL_RIPREL);
	ck_assert(cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK);
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	/* Prologue: mov %tmp,save(%rip); movabs $next,%tmp. */
	n = cs_disasm(h, page, 17, slot, 2, &insn);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(insn[0].mnemonic, "mov");
	ck_assert_str_eq(insn[1].mnemonic, "movabs");
	cs_free(insn, n);
	n = cs_disasm(h, page + 17, p->len, slot + 17, 1, &insn);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(insn->size, p->len);
	x = &insn->detail->x86;
	for (unsigned i = 0; i < x->op_count; i++) {
		if (x->operands[i].type != X86_OP_MEM)
			continue;
		ck_assert_int_eq(x->operands[i].mem.disp, disp);
		ck_assert_int_eq(x->operands[i].mem.index, X86_REG_INVALID);
		ck_assert_int_ne(x->operands[i].mem.base, X86_REG_RIP);
		found = true;
		{
			static const unsigned regs64[16] = {
				X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
				X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
				X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
				X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15,
			};

			ck_assert_uint_eq(x->operands[i].mem.base, regs64[tmp_hw]);
		}
	}
	ck_assert(found);
	ck_assert(tmp_hw != 0 && tmp_hw != 1 && tmp_hw != 2 && tmp_hw != 4 && tmp_hw != 12);
	cs_free(insn, n);
	cs_close(&h);
}

/* All registers of A and B equal except hardware number SKIP (and rsp). */
static void
cpu_same_except(const struct cpu *a, const struct cpu *b, int skip)
{
	for (int i = 0; i < 16; i++) {
		if (i == skip || i == 4)
			continue;
		ck_assert_msg(a->r[i] == b->r[i], "reg %d: %#llx != %#llx", i,
			      (unsigned long long)a->r[i], (unsigned long long)b->r[i]);
	}
}

START_TEST(test_riprel_run)
{
	uint8_t *page = far_page();
	uint64_t slot = (uint64_t)(uintptr_t)page;
	unsigned ran = 0;

	for (unsigned n = 0; n < 16; n++) {
		uint8_t rex = (uint8_t)(0x48 | (n >= 8 ? 0x04 : 0));
		uint8_t modrm = (uint8_t)(0x05 | (n & 7) << 3);
		int32_t d = disp_to(&riprel_data[1]);
		uint8_t code[7] = { rex, 0, modrm };
		struct cpu c, c0;
		struct kt_plan p;

		memcpy(code + 3, &d, 4);
		/* rsp cannot be loaded or used by the trampoline: plan only. */
		if (n == 4) {
			for (unsigned k = 0; k < 3; k++) {
				code[1] = (uint8_t[]){ 0x8b, 0x89, 0x8d }[k];
				p = plan_of(code, 7, ADDR);
				ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_RIPREL);
			}
			continue;
		}
		/* load: mov disp(%rip),%rN */
		code[1] = 0x8b;
		riprel_data[1] = 0x1122334455667788ull ^ n;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 7, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(c.r[n], 0x1122334455667788ull ^ n);
		cpu_same_except(&c, &c0, (int)n);
		/* store: mov %rN,disp(%rip) */
		code[1] = 0x89;
		riprel_data[1] = 0;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 7, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(riprel_data[1], c0.r[n]);
		cpu_same_except(&c, &c0, -1);
		/* lea disp(%rip),%rN */
		code[1] = 0x8d;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 7, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(c.r[n], (uint64_t)(uintptr_t)&riprel_data[1]);
		cpu_same_except(&c, &c0, (int)n);
		/* cmp %rN,disp(%rip): flags of data - rN */
		code[1] = 0x39;
		riprel_data[1] = 0x0101010101010101ull * 5;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 7, &c, page);
		check_rewrite(&p, page, slot, d);
		{
			uint64_t res, fl = cpu_alu(riprel_data[1], c0.r[n], 1, 0x202, &res);

			ck_assert_uint_eq(c.flags & FL_ARITH, fl & FL_ARITH);
		}
		cpu_same_except(&c, &c0, -1);
		ran += 4;
	}
	ck_assert_uint_eq(ran, 60);

	/* cmpq $imm32,disp(%rip): the displacement is followed by an immediate. */
	for (int k = 0; k < 3; k++) {
		int32_t d = disp_to(&riprel_data[2]);
		int32_t imm = 0x12345678;
		uint8_t code[11] = { 0x48, 0x81, 0x3d };
		struct cpu c, c0;
		struct kt_plan p;
		uint64_t res, fl;

		memcpy(code + 3, &d, 4);
		memcpy(code + 7, &imm, 4);
		riprel_data[2] = (uint64_t)(0x12345677 + k);    /* <, ==, > */
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 11, &c, page);
		check_rewrite(&p, page, slot, d);
		fl = cpu_alu(riprel_data[2], (uint64_t)imm, 1, 0x202, &res);
		ck_assert_uint_eq(c.flags & FL_ARITH, fl & FL_ARITH);
		ck_assert_uint_eq(!!(c.flags & FL_ZF), k == 1);
		ck_assert_uint_eq(!!(c.flags & FL_CF), k == 0);
		cpu_same_except(&c, &c0, -1);
	}
	/* addl $7,disp(%rip) with a short immediate: a read-modify-write. */
	{
		int32_t d = disp_to(&riprel_data[3]);
		uint8_t code[8] = { 0x83, 0x05, 0, 0, 0, 0, 0x07 };
		struct cpu c, c0;
		struct kt_plan p;

		memcpy(code + 2, &d, 4);
		riprel_data[3] = 0xffffffff00000010ull;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 7, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(riprel_data[3], 0xffffffff00000017ull);
		cpu_same_except(&c, &c0, -1);
	}
	/* mov disp(%rip),%ah: no REX, ah..bh keep their meaning. */
	{
		int32_t d = disp_to(&riprel_data[4]);
		uint8_t code[6] = { 0x8a, 0x25 };
		struct cpu c, c0;
		struct kt_plan p;

		memcpy(code + 2, &d, 4);
		riprel_data[4] = 0x5a;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 6, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(c.r[0], (c0.r[0] & ~0xff00ull) | 0x5a00);
		cpu_same_except(&c, &c0, 0);
	}
	/* cmpxchg16b disp(%rip) uses rbx/rcx/rdx/rax implicitly. */
	{
		int32_t d = disp_to(&riprel_data[6]);
		uint8_t code[8] = { 0x48, 0x0f, 0xc7, 0x0d };
		struct cpu c, c0;
		struct kt_plan p;

		memcpy(code + 4, &d, 4);
		init_cpu(&c);
		riprel_data[6] = c.r[0];
		riprel_data[7] = c.r[2];
		c0 = c;
		p = run_relocated(code, 8, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(riprel_data[6], c0.r[3]);
		ck_assert_uint_eq(riprel_data[7], c0.r[1]);
		ck_assert(c.flags & FL_ZF);
		cpu_same_except(&c, &c0, -1);
	}
	munmap(page, 4096);
}
END_TEST

START_TEST(test_riprel_every_temp)
{
	/*
	 * With a REX the temp is r11 unless the instruction uses it (then
	 * r10...); without one it is rsi, or rdi if rsi is used.
	 */
	static const struct { uint8_t b[4]; uint8_t n; unsigned reg, tmp; } t[] = {
		{ { 0x48, 0x8b, 0x05 }, 3, 0, 11 },    /* mov x(%rip),%rax */
		{ { 0x4c, 0x8b, 0x1d }, 3, 11, 10 },   /* mov x(%rip),%r11 */
		{ { 0x8b, 0x05 }, 2, 0, 6 },           /* mov x(%rip),%eax */
		{ { 0x8b, 0x35 }, 2, 6, 7 },           /* mov x(%rip),%esi */
	};
	uint8_t *page = far_page();
	uint64_t slot = (uint64_t)(uintptr_t)page;
	int32_t d = disp_to(&riprel_data[1]);

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t code[8];
		struct cpu c, c0;
		struct kt_plan p;
		unsigned tmp_hw;

		memcpy(code, t[i].b, t[i].n);
		memcpy(code + t[i].n, &d, 4);
		riprel_data[1] = 0x8877665544332211ull;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, t[i].n + 4u, &c, page);
		check_rewrite(&p, page, slot, d);
		tmp_hw = (page[8] & 7) | (page[7] & 1) << 3;
		ck_assert_msg(tmp_hw == t[i].tmp, "case %u: temp %u", i, tmp_hw);
		ck_assert_uint_eq(c.r[t[i].reg], t[i].b[0] == 0x8b ? 0x44332211ull
								 : 0x8877665544332211ull);
		cpu_same_except(&c, &c0, (int)t[i].reg);
	}
	munmap(page, 4096);
}
END_TEST

/* andn disp(%rip),%rbx,%rax: VEX3 with vvvv naming a GPR. */
START_TEST(test_riprel_vex)
{
	uint8_t *page = far_page();
	uint64_t slot = (uint64_t)(uintptr_t)page;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx")) {
		/* vmovdqu disp(%rip),%ymm0 (VEX2) */
		int32_t d = disp_to(&riprel_data[0]);
		uint8_t code[8] = { 0xc5, 0xfe, 0x6f, 0x05 };
		struct cpu c, c0;
		struct kt_plan p;

		memcpy(code + 4, &d, 4);
		for (unsigned i = 0; i < 4; i++)
			riprel_data[i] = 0x0102030405060708ull * (i + 3);
		init_cpu(&c);
		c.want_ymm = 1;
		c0 = c;
		p = run_relocated(code, 8, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(page[7], 0x48);          /* VEX2: a low temp */
		ck_assert_mem_eq(c.ymm0, (const void *)riprel_data, 32);
		cpu_same_except(&c, &c0, -1);
		/* vmovdqu %ymm0,disp(%rip) back into riprel_data[4..7] */
		d = disp_to(&riprel_data[4]);
		code[2] = 0x7f;
		memcpy(code + 4, &d, 4);
		memset((void *)&riprel_data[4], 0, 32);
		init_cpu(&c);
		c.want_ymm = 1;
		p = run_relocated(code, 8, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_mem_eq((const void *)&riprel_data[4], c.ymm0, 32);
		/* VEX3 form of the load (c4 e1 7e 6f) */
		{
			uint8_t c3[9] = { 0xc4, 0xe1, 0x7e, 0x6f, 0x05 };

			d = disp_to(&riprel_data[0]);
			memcpy(c3 + 5, &d, 4);
			init_cpu(&c);
			c.want_ymm = 1;
			p = run_relocated(c3, 9, &c, page);
			check_rewrite(&p, page, slot, d);
			ck_assert_mem_eq(c.ymm0, (const void *)riprel_data, 32);
		}
	} else {
		fprintf(stderr, "check_x86_step: SKIP vmovdqu: the CPU has no AVX\n");
	}
	if (__builtin_cpu_supports("bmi")) {
		int32_t d = disp_to(&riprel_data[1]);
		/* c4 e2 e0 f2 05: andn disp(%rip),%rbx,%rax (vvvv = ~0b1100 -> rbx) */
		uint8_t code[9] = { 0xc4, 0xe2, 0xe0, 0xf2, 0x05 };
		struct cpu c, c0;
		struct kt_plan p;

		memcpy(code + 5, &d, 4);
		riprel_data[1] = 0xff00ff00ff00ff00ull;
		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, 9, &c, page);
		check_rewrite(&p, page, slot, d);
		ck_assert_uint_eq(page[7], 0x49);          /* VEX3: temp r11 */
		ck_assert_uint_eq(c.r[0], ~c0.r[3] & 0xff00ff00ff00ff00ull);
		cpu_same_except(&c, &c0, 0);
	} else {
		fprintf(stderr, "check_x86_step: SKIP andn: the CPU has no BMI1\n");
	}
	munmap(page, 4096);
}
END_TEST

START_TEST(test_plain_and_syscall_run)
{
	uint8_t *page = far_page();
	struct cpu c, c0;
	struct kt_plan p;

	/* imul %rbx,%rax */
	{
		static const uint8_t code[] = { 0x48, 0x0f, 0xaf, 0xc3 };

		init_cpu(&c);
		c0 = c;
		p = run_relocated(code, sizeof(code), &c, page);
		ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_PLAIN);
		ck_assert_uint_eq(c.r[0], c0.r[0] * c0.r[3]);
		cpu_same_except(&c, &c0, 0);
	}
	/* syscall: getpid */
	{
		static const uint8_t code[] = { 0x0f, 0x05 };

		init_cpu(&c);
		c.r[0] = 39;
		c0 = c;
		p = run_relocated(code, sizeof(code), &c, page);
		ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_SYSCALL);
		ck_assert_uint_eq(c.r[0], (uint64_t)getpid());
		/* the kernel clobbers rcx and r11 */
		c.r[1] = c0.r[1];
		c.r[11] = c0.r[11];
		cpu_same_except(&c, &c0, 0);
	}
	munmap(page, 4096);
}
END_TEST

/* ---- leaving a slot early ---- */

START_TEST(test_ool_leave_riprel)
{
	static const uint8_t code[] = { 0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 };
	struct kt_plan p = plan_of(code, sizeof(code), ADDR);
	const uint64_t slot = 0x7f0000001000ull;
	uint8_t buf[X86_64_SLOT_SIZE];
	size_t n = 0;
	unsigned tmp_hw, tmp;
	struct kt_regs hit, r;
	bool done = true;

	ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_RIPREL);
	ck_assert_int_eq(x86_64_ool_build(&p, ADDR, slot, buf, &n), KT_OK);
	tmp_hw = (buf[8] & 7) | (buf[7] & 1) << 3;
	tmp = hw_word[tmp_hw];
	init_regs(&hit);

	/* Stopped before the prologue ran (a signal on entry). */
	r = hit;
	x86_64_ool_enter(&p, ADDR, slot, &r);
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR);
	same_except(&r, &hit, BIT(orig_rax));

	/* Stopped on the relocated instruction (it faulted): temp restored. */
	r = hit;
	r.w[R(rip)] = slot + 17;
	r.w[tmp] = ADDR + 7;
	r.w[R(orig_rax)] = (uint64_t)-1;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR);
	ck_assert_uint_eq(r.w[tmp], hit.w[tmp]);
	ck_assert_uint_eq(r.w[R(orig_rax)], (uint64_t)-1);

	/* Stopped after it (before the temp restore): done, result kept. */
	r = hit;
	r.w[R(rip)] = slot + 17 + 7;
	r.w[tmp] = ADDR + 7;
	r.w[R(rax)] = 0x99;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 7);
	ck_assert_uint_eq(r.w[tmp], hit.w[tmp]);
	ck_assert_uint_eq(r.w[R(rax)], 0x99);
	ck_assert_uint_eq(r.w[R(orig_rax)], (uint64_t)-1);

	/* On the jump back: done too. */
	r = hit;
	r.w[R(rip)] = slot + 17 + 7 + 7;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 7);

	/* Outside the slot's code, or inside an instruction: refused. */
	r = hit;
	r.w[R(rip)] = slot - 1;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_ERR_INVAL);
	ck_assert_uint_eq(r.w[R(rip)], slot - 1);
	r.w[R(rip)] = slot + 17 + 7 + 7 + 6;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_ERR_INVAL);
	r.w[R(rip)] = slot + 19;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_ERR_INVAL);
}
END_TEST

START_TEST(test_ool_leave_plain)
{
	const uint64_t slot = 0x7f0000001000ull;
	struct kt_regs hit, r;
	bool done = true;
	struct kt_plan p;

	/* rep movsq interrupted half way: progress kept, not done. */
	p = PLAN(0xf3, 0x48, 0xa5);
	ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_PLAIN);
	init_regs(&hit);
	r = hit;
	r.w[R(rip)] = slot;
	r.w[R(rcx)] = 3;
	r.w[R(rsi)] += 40;
	r.w[R(rdi)] += 40;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR);
	ck_assert_uint_eq(r.w[R(rcx)], 3);
	ck_assert_uint_eq(r.w[R(rsi)], hit.w[R(rsi)] + 40);
	ck_assert_uint_eq(r.w[R(orig_rax)], (uint64_t)-1);
	/* ... and finished: done. */
	r.w[R(rip)] = slot + 3;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 3);

	/* syscall interrupted for a restart: orig_rax kept, pc at ADDR + 2. */
	p = PLAN(0x0f, 0x05);
	ck_assert_uint_eq(p.klass, X86_64_CLS_OOL_SYSCALL);
	r = hit;
	r.w[R(rip)] = slot + 2;
	r.w[R(rax)] = (uint64_t)-512;      /* -ERESTARTSYS */
	r.w[R(orig_rax)] = 7;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR + 2);
	ck_assert_uint_eq(r.w[R(orig_rax)], 7);
	ck_assert_uint_eq(r.w[R(rax)], (uint64_t)-512);
	/* A signal before the syscall ran: not done. */
	r = hit;
	r.w[R(rip)] = slot;
	ck_assert_int_eq(x86_64_ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(r.w[R(rip)], ADDR);
}
END_TEST

static Suite *
x86_step_suite(void)
{
	Suite *s = suite_create("x86_step");
	TCase *tc = tcase_create("emulate");

	tcase_add_test(tc, test_nops);
	tcase_add_test(tc, test_push_reg);
	tcase_add_test(tc, test_push_imm_and_fault);
	tcase_add_test(tc, test_pop);
	tcase_add_test(tc, test_mov_reg);
	tcase_add_test(tc, test_alu_flags);
	tcase_add_test(tc, test_jcc_all);
	tcase_add_test(tc, test_jmp_call_ret);
	tcase_add_test(tc, test_indirect);
	tcase_add_test(tc, test_loops);
	suite_add_tcase(s, tc);

	tc = tcase_create("plan");
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_class_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("ool");
	tcase_add_test(tc, test_ool_plain_layout);
	tcase_add_test(tc, test_riprel_run);
	tcase_add_test(tc, test_riprel_every_temp);
	tcase_add_test(tc, test_riprel_vex);
	tcase_add_test(tc, test_plain_and_syscall_run);
	tcase_add_test(tc, test_ool_leave_riprel);
	tcase_add_test(tc, test_ool_leave_plain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(x86_step_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif
