/* SPDX-License-Identifier: MIT */
/*
 * check_arch_a64.c - unit tests of the AArch64 operations table
 * (arch/aarch64/aarch64.c) and its displaced stepping (arch/aarch64/step.c),
 * run on any host: instruction words in, plans and register files out.
 * Covers the table itself, register names and w-register writes, trap
 * classification (our BRK, brk #0xf000, brk #1, brk #1000, udf, steps,
 * hardware traps), set_pc, disassembly with targets, call detection,
 * prologue skipping, the frame-pointer step over a fake stack, system call
 * injection, and for displaced stepping every emulated class with its
 * register results (all conditions both ways, W/X compares, bits 0/31/63,
 * ADRP across a page boundary, literal loads through a fake memory), every
 * in-line class, the out-of-line slot and the mapping back from it.
 *
 * Every instruction word below was encoded by hand from the A64 encoding
 * tables and cross-checked with llvm-mc-14 -show-encoding; test_disassemble
 * checks a few of them against capstone too.
 */
#include <check.h>
#include <elf.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "aarch64/step.h"

static const struct kt_arch *const a64 = &kt_arch_aarch64;

#define PC A64_W_PC
#define SP A64_W_SP
#define PSTATE A64_W_PSTATE
#define LR 30
#define FLAG_N (1ull << 31)
#define FLAG_Z (1ull << 30)
#define FLAG_C (1ull << 29)
#define FLAG_V (1ull << 28)

static void
le(uint8_t *p, uint32_t w)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(w >> (8 * i));
}

/* ----- a fake memory: BASE .. BASE + sizeof(bytes) ----- */

struct fake_mem {
	uint64_t base;
	uint8_t bytes[512];
	int reads;
};

static kt_status
fm_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	m->reads++;
	if (addr < m->base || addr + len > m->base + sizeof(m->bytes))
		return KT_ERR_MEM;
	memcpy(buf, m->bytes + (addr - m->base), len);
	return KT_OK;
}

static kt_status
fm_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct fake_mem *m = ctx;

	if (addr < m->base || addr + len > m->base + sizeof(m->bytes))
		return KT_ERR_MEM;
	memcpy(m->bytes + (addr - m->base), buf, len);
	return KT_OK;
}

static void
fm_put64(struct fake_mem *m, uint64_t addr, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		m->bytes[addr - m->base + i] = (uint8_t)(v >> (8 * i));
}

/* ----- trap classification ----- */

struct trap {
	struct kt_trap_in in;
	struct kt_trap_out out;
	uint64_t patch_at;
	uint8_t at[4]; /* the memory: nat bytes at pc */
	size_t nat;
	int reads;     /* how often the classifier read memory */
};

static bool
is_patch(void *ctx, uint64_t addr)
{
	return addr == ((const struct trap *)ctx)->patch_at;
}

/* kt_trap_in.read over the nat bytes at pc; KT_ERR_MEM outside them. */
static kt_status
read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct trap *t = ctx;

	t->reads++;
	if (addr < t->in.pc || addr + len > t->in.pc + t->nat)
		return KT_ERR_MEM;
	memcpy(buf, t->at + (addr - t->in.pc), len);
	return KT_OK;
}

static void
classify(struct trap *t, int signo, int code, uint64_t pc, bool stepping, uint32_t word,
	 size_t nat, uint64_t patch_at)
{
	memset(t, 0, sizeof(*t));
	le(t->at, word);
	t->nat = nat;
	t->patch_at = patch_at;
	t->in.signo = signo;
	t->in.si_code = code;
	t->in.pc = pc;
	t->in.fault_addr = pc;
	t->in.stepping = stepping;
	t->in.is_patch = is_patch;
	t->in.read = read_mem;
	t->in.ctx = t;
	memset(&t->out, 0x5a, sizeof(t->out));
	a64->classify_trap(&t->in, &t->out);
}

#define W_NOP 0xd503201fu
#define W_PATCH 0xd420f960u   /* brk #0x7cb */

START_TEST(test_table)
{
	ck_assert_str_eq(a64->name, "aarch64");
	ck_assert_int_eq(a64->id, KT_ARCH_AARCH64);
	ck_assert_uint_eq(a64->elf_machine, 183);
	ck_assert_uint_eq(a64->elf_machine, EM_AARCH64);
	ck_assert_uint_eq(a64->prstatus_size, 34 * 8);
	ck_assert_uint_eq(a64->patch_len, 4);
	ck_assert_uint_eq(a64->insn_align, 4);
	/* brk #0x7cb, little endian (llvm-mc: 60 f9 20 d4) */
	static const uint8_t brk[4] = {0x60, 0xf9, 0x20, 0xd4};
	ck_assert_mem_eq(a64->patch, brk, 4);
	ck_assert_int_eq(a64->reg_pc, 32);
	ck_assert_int_eq(a64->reg_sp, 31);
	ck_assert_int_eq(a64->reg_fp, 29);
	ck_assert_int_eq(a64->reg_ret, 0);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(a64->reg_args[i], i);
	ck_assert_ptr_eq(kt_arch_for_elf_machine(EM_AARCH64), &kt_arch_aarch64);
	ck_assert_ptr_eq(kt_arch_for_elf_machine(EM_X86_64), &kt_arch_x86_64);
	ck_assert_ptr_null(kt_arch_for_elf_machine(EM_ARM));
#if defined(__aarch64__)
	ck_assert_ptr_eq(kt_arch_host(), &kt_arch_aarch64);
#endif
	/* Every register name is unique and within struct user_pt_regs. */
	for (size_t i = 0; i < a64->nregs; i++) {
		ck_assert_uint_lt(a64->regs[i].index, a64->prstatus_size / 8);
		for (size_t k = i + 1; k < a64->nregs; k++)
			ck_assert_str_ne(a64->regs[i].name, a64->regs[k].name);
	}
	/* syscall injection */
	static const uint8_t svc[4] = {0x01, 0x00, 0x00, 0xd4};
	ck_assert_uint_eq(a64->syscall_len, 4);
	ck_assert_mem_eq(a64->syscall_insn, svc, 4);
	ck_assert_int_eq(a64->nr_mmap, 222);
	ck_assert_int_eq(a64->nr_munmap, 215);
	ck_assert_ptr_nonnull(a64->plan);
	ck_assert_ptr_nonnull(a64->emulate);
	ck_assert_ptr_nonnull(a64->ool_build);
	ck_assert_ptr_nonnull(a64->ool_enter);
	ck_assert_ptr_nonnull(a64->ool_leave);
	ck_assert_uint_ge(a64->slot_size, 8);
	ck_assert_str_eq(a64->class_name(A64_CLS_BCOND), "bcond");
	ck_assert_str_eq(a64->class_name(A64_CLS_COUNT), "?");
	for (unsigned k = 0; k < A64_CLS_COUNT; k++)
		ck_assert_ptr_nonnull(a64->class_name((uint16_t)k));
}
END_TEST

START_TEST(test_syscall)
{
	struct kt_regs r;
	const uint64_t args[6] = {11, 22, 33, 44, 55, 66};

	memset(&r, 0, sizeof(r));
	r.w[PC] = 0x1000;
	r.w[6] = 0x666;
	a64->set_syscall(&r, 222, args);
	ck_assert_uint_eq(r.w[8], 222);
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(r.w[i], args[i]);
	ck_assert_uint_eq(r.w[6], 0x666);
	ck_assert_uint_eq(r.w[PC], 0x1000);
	r.w[0] = (uint64_t)-12;
	ck_assert_int_eq(a64->syscall_result(&r), -12);
}
END_TEST

START_TEST(test_classify_patch)
{
	struct trap t;

	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400100, false, W_PATCH, 4, 0x400100);
	ck_assert_int_eq(t.out.kind, KT_TRAP_PATCH);
	ck_assert_uint_eq(t.out.addr, 0x400100);  /* pc is AT the brk */
	ck_assert_uint_eq(t.out.imm, 0x7cb);
	ck_assert_ptr_nonnull(t.out.what);
	ck_assert_int_eq(t.reads, 0); /* the patch table answered: no memory read */
	/* A step that landed on our patch and executed it. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400100, true, W_PATCH, 4, 0x400100);
	ck_assert_int_eq(t.out.kind, KT_TRAP_PATCH);
	/* Our brk word where the tracer has no patch (a stale copy): a trap. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400100, false, W_PATCH, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_uint_eq(t.out.imm, 0x7cb);
}
END_TEST

START_TEST(test_classify_program_traps)
{
	struct trap t;

	/* brk #0xf000: clang __builtin_debugtrap: report, resume after it. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, 0xd43e0000u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_DEBUGTRAP);
	ck_assert_uint_eq(t.out.addr, 0x400200);
	ck_assert_uint_eq(t.out.resume_pc, 0x400204);
	ck_assert_uint_eq(t.out.imm, 0xf000);
	ck_assert_str_eq(t.out.what, "brk #0xf000");
	/* brk #1: clang __builtin_trap: a crash. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, 0xd4200020u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_uint_eq(t.out.addr, 0x400200);
	ck_assert_uint_eq(t.out.imm, 1);
	ck_assert_str_eq(t.out.what, "brk #0x1");
	/* brk #1000: gcc __builtin_trap. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, 0xd4207d00u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_uint_eq(t.out.imm, 1000);
	ck_assert_str_eq(t.out.what, "brk #0x3e8");
	/* brk #0 */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, 0xd4200000u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_uint_eq(t.out.imm, 0);
	/* Some other immediate: imm carries it. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, 0xd4200000u | 0x1234u << 5, 4,
		 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_uint_eq(t.out.imm, 0x1234);
	ck_assert_str_eq(t.out.what, "brk");
	/* TRAP_BRKPT with no brk at pc and not stepping: a signal. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, W_NOP, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	/* Bytes at pc unknown: never read them. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400200, false, 0xd43e0000u, 0, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	/* udf #0 and udf #1: SIGILL at the udf. */
	classify(&t, SIGILL, ILL_ILLOPC, 0x400300, false, 0x00000000u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_str_eq(t.out.what, "udf");
	ck_assert_uint_eq(t.out.addr, 0x400300);
	classify(&t, SIGILL, ILL_ILLOPC, 0x400300, false, 0x00000001u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_uint_eq(t.out.imm, 1);
	/* Another SIGILL (an unallocated word): a plain signal. */
	classify(&t, SIGILL, ILL_ILLOPC, 0x400300, false, 0xffffffffu, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
}
END_TEST

START_TEST(test_classify_step)
{
	struct trap t;

	classify(&t, SIGTRAP, TRAP_TRACE, 0x400104, true, W_NOP, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_STEP);
	ck_assert_uint_eq(t.out.addr, 0x400104);
	classify(&t, SIGTRAP, TRAP_TRACE, 0x400104, false, W_NOP, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	/* Stepping onto the program's brk: its trap, not the step. */
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x400104, true, 0xd4200020u, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	/* A user SIGTRAP is a signal even stepping, even on our patch. */
	classify(&t, SIGTRAP, SI_USER, 0x400100, true, W_PATCH, 4, 0x400100);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	/* Hardware breakpoint / watchpoint. */
	classify(&t, SIGTRAP, TRAP_HWBKPT, 0x400108, false, W_NOP, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_HW);
	/* Other signals. */
	classify(&t, SIGSEGV, SEGV_MAPERR, 0x400108, false, W_PATCH, 4, 0x400108);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	ck_assert_uint_eq(t.out.addr, 0x400108);
}
END_TEST

/* ----- registers ----- */

START_TEST(test_register_names)
{
	const struct kt_reg_desc *d;
	char name[8];

	for (int i = 0; i <= 30; i++) {
		snprintf(name, sizeof(name), "x%d", i);
		d = kt_arch_reg_by_name(a64, name, strlen(name));
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(d->index, (unsigned)i);
		ck_assert_uint_eq(d->bits, 64);
		ck_assert_int_eq(d->dwarf, i);
		ck_assert(d->flags & KT_REG_SHOWN);
		snprintf(name, sizeof(name), "w%d", i);
		d = kt_arch_reg_by_name(a64, name, strlen(name));
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(d->index, (unsigned)i);
		ck_assert_uint_eq(d->bits, 32);
		ck_assert_uint_eq(d->shift, 0);
	}
	d = kt_arch_reg_by_name(a64, "sp", 2);
	ck_assert_uint_eq(d->index, 31);
	ck_assert_int_eq(d->dwarf, 31);
	ck_assert(d->flags & KT_REG_ADDR);
	d = kt_arch_reg_by_name(a64, "pc", 2);
	ck_assert_uint_eq(d->index, 32);
	ck_assert(d->flags & KT_REG_ADDR);
	d = kt_arch_reg_by_name(a64, "pstate", 6);
	ck_assert_uint_eq(d->index, 33);
	d = kt_arch_reg_by_name(a64, "fp", 2);
	ck_assert_uint_eq(d->index, 29);
	ck_assert(d->flags & KT_REG_ADDR);
	ck_assert(!(d->flags & KT_REG_SHOWN));  /* shown once, as x29 */
	d = kt_arch_reg_by_name(a64, "lr", 2);
	ck_assert_uint_eq(d->index, 30);
	/* No x86 names, no x31/w31 (31 is sp or zr by context). */
	ck_assert_ptr_null(kt_arch_reg_by_name(a64, "rax", 3));
	ck_assert_ptr_null(kt_arch_reg_by_name(a64, "x31", 3));
	ck_assert_ptr_null(kt_arch_reg_by_name(a64, "w31", 3));
	/* Prefix matching is exact: "x1" is not "x10". */
	d = kt_arch_reg_by_name(a64, "x10", 2);
	ck_assert_uint_eq(d->index, 1);
}
END_TEST

START_TEST(test_subregisters)
{
	struct kt_regs r;
	const struct kt_reg_desc *x0 = kt_arch_reg_by_name(a64, "x0", 2);
	const struct kt_reg_desc *w0 = kt_arch_reg_by_name(a64, "w0", 2);

	memset(&r, 0, sizeof(r));
	r.w[0] = 0x1122334455667788ull;
	ck_assert_uint_eq(kt_reg_get(&r, w0), 0x55667788u);
	/* A W write zero-extends into the X register, as in A64. */
	kt_reg_set(&r, w0, 0xdeadbeefcafef00dull);
	ck_assert_uint_eq(r.w[0], 0xcafef00du);
	kt_reg_set(&r, x0, 0xffffffffffffffffull);
	ck_assert_uint_eq(kt_reg_get(&r, x0), 0xffffffffffffffffull);
	ck_assert_uint_eq(kt_reg_get(&r, w0), 0xffffffffu);
}
END_TEST

START_TEST(test_set_pc)
{
	struct kt_regs r;

	memset(&r, 0x11, sizeof(r));
	a64->set_pc(&r, 0x400abc);
	ck_assert_uint_eq(r.w[PC], 0x400abc);
	/* Nothing else changes: no restart word to cancel on AArch64. */
	for (int i = 0; i < KT_REGS_WORDS; i++)
		if (i != PC)
			ck_assert_uint_eq(r.w[i], 0x1111111111111111ull);
}
END_TEST

/* ----- disassembly, length, calls ----- */

START_TEST(test_disassemble)
{
	static const uint32_t words[] = {
		0x14000040u, /* 0x1000: b 0x1100 */
		0x94000400u, /* 0x1004: bl 0x2004 */
		0x54000080u, /* 0x1008: b.eq 0x1018 */
		0x34000043u, /* 0x100c: cbz w3, 0x1014 */
		0xb6f80065u, /* 0x1010: tbz x5, #63, 0x101c */
		0xd63f0100u, /* 0x1014: blr x8 (no target) */
		0x91000420u, /* 0x1018: add x0, x1, #1 */
		0xd503233fu, /* 0x101c: paciasp (capstone 4: hint #0x19) */
		0xd63f083fu, /* 0x1020: blraaz x1 (capstone 4: cannot) */
		0xc8e0fc41u, /* 0x1024: casal x0, x1, [x2] (capstone 4: cannot) */
		0xd65f03c0u, /* 0x1028: ret */
	};
	uint8_t code[sizeof(words)];
	struct kt_insn_text t[16];

	for (size_t i = 0; i < sizeof(words) / 4; i++)
		le(code + 4 * i, words[i]);
	size_t n = a64->disassemble(code, sizeof(code), 0x1000, t, 16);
	ck_assert_uint_eq(n, 11);
	ck_assert_str_eq(t[0].mnemonic, "b");
	ck_assert(t[0].has_target);
	ck_assert_uint_eq(t[0].target, 0x1100);
	ck_assert_str_eq(t[1].mnemonic, "bl");
	ck_assert(t[1].has_target);
	ck_assert_uint_eq(t[1].target, 0x2004);
	ck_assert_str_eq(t[2].mnemonic, "b.eq");
	ck_assert(t[2].has_target);
	ck_assert_uint_eq(t[2].target, 0x1018);
	ck_assert_str_eq(t[3].mnemonic, "cbz");
	ck_assert_uint_eq(t[3].target, 0x1014);
	ck_assert_str_eq(t[4].mnemonic, "tbz");
	ck_assert(t[4].has_target);
	ck_assert_uint_eq(t[4].target, 0x101c);
	ck_assert_str_eq(t[5].mnemonic, "blr");
	ck_assert(!t[5].has_target);
	ck_assert_str_eq(t[6].mnemonic, "add");
	ck_assert(!t[6].has_target);
	ck_assert_str_eq(t[7].mnemonic, "paciasp");
	ck_assert_str_eq(t[8].mnemonic, "blraaz");
	ck_assert_str_eq(t[8].operands, "x1");
	ck_assert_str_eq(t[9].mnemonic, ".inst");
	ck_assert_str_eq(t[9].operands, "0xc8e0fc41");
	ck_assert_str_eq(t[10].mnemonic, "ret");
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(t[i].addr, 0x1000 + 4 * i);
		ck_assert_uint_eq(t[i].len, 4);
		ck_assert_mem_eq(t[i].bytes, code + 4 * i, 4);
	}
	/* max is honoured; a trailing partial word is not an instruction. */
	ck_assert_uint_eq(a64->disassemble(code, sizeof(code), 0x1000, t, 2), 2);
	ck_assert_uint_eq(a64->disassemble(code, 7, 0x1000, t, 16), 1);
	ck_assert_uint_eq(a64->disassemble(code, 3, 0x1000, t, 16), 0);
	/* bti c: mnemonic and operand */
	le(code, 0xd503245fu);
	ck_assert_uint_eq(a64->disassemble(code, 4, 0x1000, t, 1), 1);
	ck_assert_str_eq(t[0].mnemonic, "bti");
	ck_assert_str_eq(t[0].operands, "c");
	/* ADRP operand is the page (capstone), cross-checking the encoding. */
	le(code, 0xb0000000u); /* adrp x0, +1 page */
	ck_assert_uint_eq(a64->disassemble(code, 4, 0x401ff8, t, 1), 1);
	ck_assert_str_eq(t[0].mnemonic, "adrp");
	ck_assert_ptr_nonnull(strstr(t[0].operands, "0x402000"));
}
END_TEST

START_TEST(test_insn_length_is_call)
{
	uint8_t c[4];

	le(c, 0x91000420u);
	ck_assert_uint_eq(a64->insn_length(c, 4, 0x1000), 4);
	ck_assert_uint_eq(a64->insn_length(c, 3, 0x1000), 0);
	ck_assert_uint_eq(a64->insn_length(c, 4, 0x1002), 0);
	ck_assert(!a64->is_call(c, 4, 0x1000));
	static const struct { uint32_t w; bool call; } k[] = {
		{0x94000400u, true},  /* bl */
		{0x97ffffffu, true},  /* bl -4 */
		{0xd63f0100u, true},  /* blr x8 */
		{0xd63f03c0u, true},  /* blr x30 */
		{0xd63f083fu, true},  /* blraaz x1 */
		{0xd63f0c3fu, true},  /* blrabz x1 */
		{0xd73f0822u, true},  /* blraa x1, x2 */
		{0xd73f0c22u, true},  /* blrab x1, x2 */
		{0x14000040u, false}, /* b */
		{0xd61f0200u, false}, /* br x16 */
		{0xd71f0822u, false}, /* braa x1, x2 */
		{0xd61f083fu, false}, /* braaz x1 */
		{0xd65f03c0u, false}, /* ret */
		{0xd65f0bffu, false}, /* retaa */
		{0x54000080u, false}, /* b.eq */
		{0xd4000001u, false}, /* svc #0 */
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		le(c, k[i].w);
		ck_assert_msg(a64->is_call(c, 4, 0x1000) == k[i].call, "word %08x", k[i].w);
	}
	le(c, 0x94000400u);
	ck_assert(!a64->is_call(c, 3, 0x1000));
}
END_TEST

/* ----- prologues and frames ----- */

static size_t
put_words(uint8_t *buf, const uint32_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		le(buf + 4 * i, w[i]);
	return 4 * n;
}

#define W_STP16 0xa9bf7bfdu    /* stp x29, x30, [sp, #-16]! */
#define W_STP48 0xa9bd7bfdu    /* stp x29, x30, [sp, #-48]! */
#define W_MOVFP 0x910003fdu    /* mov x29, sp */
#define W_PACIASP 0xd503233fu
#define W_AUTIASP 0xd50323bfu
#define W_BTIC 0xd503245fu
#define W_RET 0xd65f03c0u

START_TEST(test_skip_prologue)
{
	uint8_t b[32];
	size_t n;

	n = put_words(b, (const uint32_t[]){W_STP16, W_MOVFP, 0x91000420u}, 3);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 8);
	n = put_words(b, (const uint32_t[]){W_PACIASP, W_STP48, W_MOVFP, W_NOP}, 4);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 12);
	n = put_words(b, (const uint32_t[]){W_BTIC, W_PACIASP, W_STP16, W_MOVFP}, 4);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 16);
	/* clang: sub sp, sp, #48; stp x29, x30, [sp, #32]; add x29, sp, #32 */
	n = put_words(b, (const uint32_t[]){W_BTIC, 0xd100c3ffu, 0xa9027bfdu, 0x910083fdu}, 4);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 16);
	/* ... with a mismatched add: no prologue */
	n = put_words(b, (const uint32_t[]){0xd100c3ffu, 0xa9027bfdu, 0x910043fdu}, 3);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 0);
	/* No frame: nothing to skip, also with a lone bti c. */
	n = put_words(b, (const uint32_t[]){W_BTIC, 0x91000420u, W_RET}, 3);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 0);
	/* stp without mov; truncated bytes */
	n = put_words(b, (const uint32_t[]){W_STP16, W_NOP}, 2);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 0);
	n = put_words(b, (const uint32_t[]){W_STP16, W_MOVFP}, 2);
	ck_assert_uint_eq(a64->skip_prologue(b, 7, 0x1000), 0);
	/* stp with a positive (post-decrement-free) writeback is not a push */
	n = put_words(b, (const uint32_t[]){0xa9817bfdu, W_MOVFP}, 2);
	ck_assert_uint_eq(a64->skip_prologue(b, n, 0x1000), 0);
}
END_TEST

#define STACK 0x7ff000

static struct kt_arch_mem
mem_of(struct fake_mem *m)
{
	return (struct kt_arch_mem){fm_read, fm_write, m};
}

START_TEST(test_fp_standard)
{
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_fp_frame f = {0x401010, STACK + 0x20, STACK + 0x40}, c;
	uint8_t fn[8], at[4];

	put_words(fn, (const uint32_t[]){W_STP16, W_MOVFP}, 2);
	le(at, 0x91000420u);
	/* frame record at fp: {caller fp, return address} */
	fm_put64(&m, STACK + 0x40, STACK + 0x80);
	fm_put64(&m, STACK + 0x48, 0x402220);
	fm_put64(&m, STACK + 0x80, 0);
	fm_put64(&m, STACK + 0x88, 0x403330);
	ck_assert_int_eq(a64->fp_step(&f, 0x10, fn, 8, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x402220);
	ck_assert_uint_eq(c.fp, STACK + 0x80);
	ck_assert_uint_eq(c.sp, STACK + 0x50);
	/* Unknown function: the chain alone. */
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x402220);
	/* Next frame: caller fp 0 ends the chain after it. */
	f = c;
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x403330);
	ck_assert_uint_eq(c.fp, 0);
	f = c;
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_NOTFOUND);
	/* pc 0: outermost */
	f = (struct kt_fp_frame){0, STACK, STACK + 0x40};
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_NOTFOUND);
	/* A zero return address ends the chain. */
	fm_put64(&m, STACK + 0x48, 0);
	f = (struct kt_fp_frame){0x401010, STACK + 0x20, STACK + 0x40};
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_NOTFOUND);
	/* A PAC-signed return address is stripped to 48 bits. */
	fm_put64(&m, STACK + 0x48, 0x002d000000402220ull);
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x402220);
}
END_TEST

START_TEST(test_fp_prologue_epilogue)
{
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_fp_frame f, c;
	uint8_t fn[16], at[4];

	/* At function entry: the return address is in lr: unsupported here. */
	put_words(fn, (const uint32_t[]){W_STP48, W_MOVFP, W_NOP}, 3);
	le(at, W_STP48);
	f = (struct kt_fp_frame){0x401000, STACK + 0x60, STACK + 0x100};
	ck_assert_int_eq(a64->fp_step(&f, 0, fn, 12, at, 4, &mem, &c), KT_ERR_UNSUPPORTED);
	/* ... also with no function bytes, or no recognisable prologue (a leaf) */
	ck_assert_int_eq(a64->fp_step(&f, 0, NULL, 0, NULL, 0, &mem, &c), KT_ERR_UNSUPPORTED);
	le(fn, 0x91000420u);
	ck_assert_int_eq(a64->fp_step(&f, 0, fn, 4, fn, 4, &mem, &c), KT_ERR_UNSUPPORTED);
	/* With paciasp first: at the stp (offset 4) lr still holds it. */
	put_words(fn, (const uint32_t[]){W_PACIASP, W_STP48, W_MOVFP, W_NOP}, 4);
	f.pc = 0x401004;
	ck_assert_int_eq(a64->fp_step(&f, 4, fn, 16, at, 4, &mem, &c), KT_ERR_UNSUPPORTED);
	/* After the stp, before mov x29, sp: the record is at sp. */
	fm_put64(&m, STACK + 0x30, STACK + 0x100);  /* saved x29 */
	fm_put64(&m, STACK + 0x38, 0x405554);      /* saved x30 */
	le(at, W_MOVFP);
	f = (struct kt_fp_frame){0x401008, STACK + 0x30, 0x1234 /* caller's, stale */};
	ck_assert_int_eq(a64->fp_step(&f, 8, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x405554);
	ck_assert_uint_eq(c.fp, STACK + 0x100);
	ck_assert_uint_eq(c.sp, STACK + 0x60);  /* sp + 48 */
	/* At ret (after ldp x29, x30, [sp], #N): lr holds it. */
	le(at, W_RET);
	f = (struct kt_fp_frame){0x401040, STACK + 0x60, STACK + 0x100};
	ck_assert_int_eq(a64->fp_step(&f, 0x40, fn, 16, at, 4, &mem, &c),
			 KT_ERR_UNSUPPORTED);
	le(at, 0xd65f0bffu); /* retaa */
	ck_assert_int_eq(a64->fp_step(&f, 0x40, fn, 16, at, 4, &mem, &c),
			 KT_ERR_UNSUPPORTED);
	le(at, W_AUTIASP);
	ck_assert_int_eq(a64->fp_step(&f, 0x3c, fn, 16, at, 4, &mem, &c),
			 KT_ERR_UNSUPPORTED);
	/* Past the prologue, in the body: the chain. */
	fm_put64(&m, STACK + 0x100, 0);
	fm_put64(&m, STACK + 0x108, 0x406664);
	le(at, W_NOP);
	f = (struct kt_fp_frame){0x40100c, STACK + 0x30, STACK + 0x100};
	ck_assert_int_eq(a64->fp_step(&f, 12, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x406664);
	ck_assert_uint_eq(c.sp, STACK + 0x130);  /* fp + N: exact, the prologue is known */
	/* Outer frames (offset unknown): fp + 16, a lower bound. */
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, fn, 16, NULL, 0, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.sp, STACK + 0x110);
}
END_TEST

START_TEST(test_fp_clang_shape)
{
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_fp_frame f, c;
	uint8_t fn[16], at[4];

	/* bti c; sub sp, sp, #48; stp x29, x30, [sp, #32]; add x29, sp, #32 */
	put_words(fn, (const uint32_t[]){W_BTIC, 0xd100c3ffu, 0xa9027bfdu, 0x910083fdu}, 4);
	le(at, W_NOP);
	f = (struct kt_fp_frame){0x401004, STACK + 0x30, STACK + 0x100};
	/* at the sub and at the stp: lr */
	ck_assert_int_eq(a64->fp_step(&f, 4, fn, 16, at, 4, &mem, &c), KT_ERR_UNSUPPORTED);
	ck_assert_int_eq(a64->fp_step(&f, 8, fn, 16, at, 4, &mem, &c), KT_ERR_UNSUPPORTED);
	/* at the add: the record is at sp + 32 */
	fm_put64(&m, STACK + 0x50, STACK + 0x100);
	fm_put64(&m, STACK + 0x58, 0x407770);
	ck_assert_int_eq(a64->fp_step(&f, 12, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x407770);
	ck_assert_uint_eq(c.fp, STACK + 0x100);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	/* in the body, fp = sp + 32: the caller's sp is fp + 16 */
	f = (struct kt_fp_frame){0x401020, STACK + 0x30, STACK + 0x50};
	ck_assert_int_eq(a64->fp_step(&f, 0x20, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x407770);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	/* epilogue: ldp x29, x30, [sp, #32]; add sp, sp, #48 (pc here); ret */
	le(at, 0x9100c3ffu);
	ck_assert_int_eq(a64->fp_step(&f, 0x30, fn, 16, at, 4, &mem, &c), KT_ERR_UNSUPPORTED);
	/* a misaligned saved lr in the half-built frame */
	fm_put64(&m, STACK + 0x58, 0x407772);
	le(at, W_NOP);
	f = (struct kt_fp_frame){0x40100c, STACK + 0x30, STACK + 0x100};
	ck_assert_int_eq(a64->fp_step(&f, 12, fn, 16, at, 4, &mem, &c), KT_ERR_CORRUPT);
	/* unreadable stack there */
	f.sp = 0x100000;
	ck_assert_int_eq(a64->fp_step(&f, 12, fn, 16, at, 4, &mem, &c), KT_ERR_MEM);
}
END_TEST

START_TEST(test_fp_corrupt)
{
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_fp_frame f, c;

	/* misaligned fp */
	f = (struct kt_fp_frame){0x401010, STACK + 0x20, STACK + 0x44};
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_CORRUPT);
	/* fp below sp */
	f = (struct kt_fp_frame){0x401010, STACK + 0x80, STACK + 0x40};
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_CORRUPT);
	/* non-increasing chain */
	f = (struct kt_fp_frame){0x401010, STACK + 0x20, STACK + 0x40};
	fm_put64(&m, STACK + 0x40, STACK + 0x40);
	fm_put64(&m, STACK + 0x48, 0x402220);
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_CORRUPT);
	fm_put64(&m, STACK + 0x40, STACK + 0x10);
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_CORRUPT);
	/* misaligned return address */
	fm_put64(&m, STACK + 0x40, STACK + 0x80);
	fm_put64(&m, STACK + 0x48, 0x402223);
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c),
			 KT_ERR_CORRUPT);
	/* unreadable */
	f = (struct kt_fp_frame){0x401010, 0x100000, 0x100040};
	ck_assert_int_eq(a64->fp_step(&f, UINT64_MAX, NULL, 0, NULL, 0, &mem, &c), KT_ERR_MEM);
}
END_TEST

/* ----- displaced stepping ----- */

#define ADDR 0x400800ull

static struct kt_plan
plan_of(uint64_t addr, uint32_t w)
{
	struct kt_plan p;
	uint8_t c[4];

	le(c, w);
	memset(&p, 0x77, sizeof(p));
	ck_assert_int_eq(a64->plan(addr, c, 4, &p), KT_OK);
	return p;
}

static void
regs_init(struct kt_regs *r, uint64_t pc)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i <= 30; i++)
		r->w[i] = 0x1000 + (uint64_t)i;
	r->w[SP] = STACK + 0x100;
	r->w[PC] = pc;
	r->w[PSTATE] = 0x60000000;
}

/* Emulate W at ADDR on R; return the status. */
static kt_status
emu(uint32_t w, struct kt_regs *r, struct fake_mem *m)
{
	struct kt_plan p = plan_of(ADDR, w);
	struct kt_arch_mem mem = mem_of(m);

	ck_assert_int_eq(p.kind, KT_PLAN_EMULATE);
	ck_assert_ptr_null(p.why);
	ck_assert_uint_eq(p.len, 4);
	return a64->emulate(&p, ADDR, r, &mem);
}

/* Everything but the words in SKIP (up to 3, -1 padding) equals BEFORE. */
static void
assert_unchanged(const struct kt_regs *a, const struct kt_regs *b, int s1, int s2, int s3)
{
	for (int i = 0; i < KT_REGS_WORDS; i++)
		if (i != s1 && i != s2 && i != s3)
			ck_assert_msg(a->w[i] == b->w[i], "word %d changed", i);
}

START_TEST(test_emulate_b_bl)
{
	struct kt_regs r, before;
	struct fake_mem m = {.base = STACK};

	regs_init(&r, ADDR);
	before = r;
	ck_assert_int_eq(emu(0x14000040u, &r, &m), KT_OK); /* b +0x100 */
	ck_assert_uint_eq(r.w[PC], ADDR + 0x100);
	assert_unchanged(&r, &before, PC, -1, -1);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x17fffffeu, &r, &m), KT_OK); /* b -8 */
	ck_assert_uint_eq(r.w[PC], ADDR - 8);
	/* bl +0x1000: lr = addr + 4 */
	regs_init(&r, ADDR);
	before = r;
	ck_assert_int_eq(emu(0x94000400u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 0x1000);
	ck_assert_uint_eq(r.w[LR], ADDR + 4);
	assert_unchanged(&r, &before, PC, LR, -1);
	/* the largest reach: b -128 MiB */
	regs_init(&r, 0x10000000);
	struct kt_plan p = plan_of(0x10000000, 0x16000000u);
	struct kt_arch_mem mem = mem_of(&m);
	ck_assert_int_eq(a64->emulate(&p, 0x10000000, &r, &mem), KT_OK);
	ck_assert_uint_eq(r.w[PC], 0x10000000 - 0x8000000);
	ck_assert_str_eq(a64->class_name(p.klass), "b");
	/* Emulation clears PSTATE.BTYPE (a landing pad's pending BTYPE). */
	regs_init(&r, ADDR);
	r.w[PSTATE] |= 3u << 10;
	ck_assert_int_eq(emu(0x14000040u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PSTATE], 0x60000000);
}
END_TEST

/* b.eq +16 with condition COND */
#define W_BCOND(cond) (0x54000080u | (cond))

START_TEST(test_emulate_bcond)
{
	/* For each condition: a PSTATE where it holds and one where it does not. */
	static const struct { unsigned cond; uint64_t yes, no; } k[] = {
		{0x0, FLAG_Z, 0},                        /* eq */
		{0x1, 0, FLAG_Z},                        /* ne */
		{0x2, FLAG_C, 0},                        /* cs/hs */
		{0x3, 0, FLAG_C},                        /* cc/lo */
		{0x4, FLAG_N, 0},                        /* mi */
		{0x5, 0, FLAG_N},                        /* pl */
		{0x6, FLAG_V, 0},                        /* vs */
		{0x7, 0, FLAG_V},                        /* vc */
		{0x8, FLAG_C, FLAG_C | FLAG_Z},          /* hi: C && !Z */
		{0x9, FLAG_C | FLAG_Z, FLAG_C},          /* ls */
		{0xa, FLAG_N | FLAG_V, FLAG_N},          /* ge: N == V */
		{0xb, FLAG_V, FLAG_N | FLAG_V},          /* lt */
		{0xc, FLAG_N | FLAG_V, FLAG_Z},          /* gt: !Z && N == V */
		{0xd, FLAG_Z | FLAG_N | FLAG_V, FLAG_N | FLAG_V}, /* le */
	};
	struct kt_regs r;
	struct fake_mem m = {.base = STACK};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		regs_init(&r, ADDR);
		r.w[PSTATE] = k[i].yes | 0x1000;  /* SSBS etc. do not matter */
		ck_assert_int_eq(emu(W_BCOND(k[i].cond), &r, &m), KT_OK);
		ck_assert_msg(r.w[PC] == ADDR + 16, "cond %u taken", k[i].cond);
		regs_init(&r, ADDR);
		r.w[PSTATE] = k[i].no | 0x1000;
		ck_assert_int_eq(emu(W_BCOND(k[i].cond), &r, &m), KT_OK);
		ck_assert_msg(r.w[PC] == ADDR + 4, "cond %u not taken", k[i].cond);
		ck_assert_uint_eq(r.w[PSTATE], k[i].no | 0x1000);
	}
	/* al and nv: always, whatever the flags. */
	for (uint64_t fl = 0; fl < 16; fl++) {
		regs_init(&r, ADDR);
		r.w[PSTATE] = fl << 28;
		ck_assert_int_eq(emu(W_BCOND(0xe), &r, &m), KT_OK);
		ck_assert_uint_eq(r.w[PC], ADDR + 16);
		regs_init(&r, ADDR);
		r.w[PSTATE] = fl << 28;
		ck_assert_int_eq(emu(W_BCOND(0xf), &r, &m), KT_OK);
		ck_assert_uint_eq(r.w[PC], ADDR + 16);
		/* Exhaustively against the definitions. */
		bool n = fl & 8, z = fl & 4, c = fl & 2, v = fl & 1;
		bool want[14] = {z, !z, c, !c, n, !n, v, !v, c && !z, !(c && !z),
				 n == v, n != v, !z && n == v, !(!z && n == v)};
		for (unsigned cond = 0; cond < 14; cond++)
			ck_assert(a64_condition_holds(cond, fl << 28) == want[cond]);
	}
	/* backwards: b.ne -0x100; bc.eq (FEAT_HBC) behaves the same */
	regs_init(&r, ADDR);
	r.w[PSTATE] = 0;
	ck_assert_int_eq(emu(0x54000000u | (0x7ffc0u << 5) | 1, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR - 0x100);
	regs_init(&r, ADDR);
	r.w[PSTATE] = FLAG_Z;
	ck_assert_int_eq(emu(0x54000090u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 16);
}
END_TEST

START_TEST(test_emulate_cbz)
{
	struct kt_regs r;
	struct fake_mem m = {.base = STACK};

	/* cbz w3, +8: only the low 32 bits count. */
	regs_init(&r, ADDR);
	r.w[3] = 0xffffffff00000000ull;
	ck_assert_int_eq(emu(0x34000043u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 8);
	/* cbz x3, +8 with the same value: not zero */
	regs_init(&r, ADDR);
	r.w[3] = 0xffffffff00000000ull;
	ck_assert_int_eq(emu(0xb4000043u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	regs_init(&r, ADDR);
	r.w[3] = 0;
	ck_assert_int_eq(emu(0xb4000043u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 8);
	/* cbnz x3 / cbnz w3 */
	regs_init(&r, ADDR);
	r.w[3] = 0x100000000ull;
	ck_assert_int_eq(emu(0xb5000043u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 8);
	regs_init(&r, ADDR);
	r.w[3] = 0x100000000ull;
	ck_assert_int_eq(emu(0x35000043u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	regs_init(&r, ADDR);
	r.w[3] = 1;
	ck_assert_int_eq(emu(0x35000043u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 8);
	/* cbz xzr (Rt = 31) is always taken, whatever sp holds */
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0xb400005fu, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 8);
	/* cbnz x0, -4 */
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0xb5ffffe0u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR - 4);
}
END_TEST

START_TEST(test_emulate_tbz)
{
	static const struct { uint32_t w; unsigned bit; bool nz; } k[] = {
		{0x36000065u, 0, false},  /* tbz w5, #0, +12 */
		{0x37000065u, 0, true},   /* tbnz w5, #0, +12 */
		{0x36f80065u, 31, false}, /* tbz w5, #31, +12 */
		{0x37f80065u, 31, true},  /* tbnz w5, #31, +12 */
		{0xb6f80065u, 63, false}, /* tbz x5, #63, +12 */
		{0xb7f80065u, 63, true},  /* tbnz x5, #63, +12 */
		{0xb6000065u, 32, false}, /* tbz x5, #32, +12 */
	};
	struct kt_regs r;
	struct fake_mem m = {.base = STACK};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		for (int set = 0; set < 2; set++) {
			regs_init(&r, ADDR);
			/* every other bit the opposite of the tested one */
			uint64_t b = (uint64_t)1 << k[i].bit;
			r.w[5] = set ? b : ~b;
			ck_assert_int_eq(emu(k[i].w, &r, &m), KT_OK);
			bool taken = k[i].nz ? set : !set;
			ck_assert_msg(r.w[PC] == (taken ? ADDR + 12 : ADDR + 4),
				      "word %08x bit %u set %d", k[i].w, k[i].bit, set);
		}
	}
}
END_TEST

START_TEST(test_emulate_adr_adrp)
{
	struct kt_regs r, before;
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_plan p;

	regs_init(&r, ADDR);
	before = r;
	ck_assert_int_eq(emu(0x10000081u, &r, &m), KT_OK); /* adr x1, +16 */
	ck_assert_uint_eq(r.w[1], ADDR + 16);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	assert_unchanged(&r, &before, 1, PC, -1);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x70000002u, &r, &m), KT_OK); /* adr x2, +3 */
	ck_assert_uint_eq(r.w[2], ADDR + 3);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x10ffffe1u, &r, &m), KT_OK); /* adr x1, -4 */
	ck_assert_uint_eq(r.w[1], ADDR - 4);
	/* adrp x0, +1 page from the last word of a page: the next page */
	p = plan_of(0x401ffc, 0xb0000000u);
	ck_assert_int_eq(p.kind, KT_PLAN_EMULATE);
	regs_init(&r, 0x401ffc);
	ck_assert_int_eq(a64->emulate(&p, 0x401ffc, &r, &mem), KT_OK);
	ck_assert_uint_eq(r.w[0], 0x402000);
	ck_assert_uint_eq(r.w[PC], 0x402000);
	/* ... and from the first word of the next page: one further */
	regs_init(&r, 0x402000);
	ck_assert_int_eq(a64->emulate(&p, 0x402000, &r, &mem), KT_OK);
	ck_assert_uint_eq(r.w[0], 0x403000);
	/* adrp x0, -1 page */
	p = plan_of(0x402000, 0xf0ffffe0u);
	regs_init(&r, 0x402000);
	ck_assert_int_eq(a64->emulate(&p, 0x402000, &r, &mem), KT_OK);
	ck_assert_uint_eq(r.w[0], 0x401000);
	/* adr xzr: nothing written */
	regs_init(&r, ADDR);
	before = r;
	ck_assert_int_eq(emu(0x1000009fu, &r, &m), KT_OK);
	assert_unchanged(&r, &before, PC, -1, -1);
}
END_TEST

START_TEST(test_emulate_addsub_imm)
{
	struct kt_regs r, before;
	struct fake_mem m = {.base = STACK};

	regs_init(&r, ADDR);
	r.w[31] = STACK + 0x100;
	before = r;
	ck_assert_int_eq(emu(0xd10043ffu, &r, &m), KT_OK); /* sub sp, sp, #0x10 */
	ck_assert_uint_eq(r.w[31], STACK + 0xf0);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	assert_unchanged(&r, &before, 31, PC, -1);
	ck_assert_int_eq(emu(0x910003fdu, &r, &m), KT_OK); /* mov x29, sp */
	ck_assert_uint_eq(r.w[29], STACK + 0xf0);
	ck_assert_int_eq(emu(0x910083fdu, &r, &m), KT_OK); /* add x29, sp, #32 */
	ck_assert_uint_eq(r.w[29], STACK + 0x110);
	r.w[1] = 0xfffffffffull;
	ck_assert_int_eq(emu(0x11000420u, &r, &m), KT_OK); /* add w0, w1, #1: 32 bits */
	ck_assert_uint_eq(r.w[0], 0);
	r.w[1] = 0x5000;
	ck_assert_int_eq(emu(0xd1400420u, &r, &m), KT_OK); /* sub x0, x1, #1, lsl #12 */
	ck_assert_uint_eq(r.w[0], 0x4000);
	ck_assert_str_eq(a64->class_name(plan_of(ADDR, 0xd10043ffu).klass), "add-sub-imm");
	/* The flags are untouched (adds/subs run out of line). */
	ck_assert_uint_eq(r.w[33] & 0xf0000000u, before.w[33] & 0xf0000000u);
}
END_TEST

START_TEST(test_emulate_ldr_literal)
{
	struct kt_regs r, before;
	struct fake_mem m = {.base = ADDR};

	/* the literal at ADDR + 8 */
	fm_put64(&m, ADDR + 8, 0x80000000fffffffeull);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x58000042u, &r, &m), KT_OK); /* ldr x2, +8 */
	ck_assert_uint_eq(r.w[2], 0x80000000fffffffeull);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x18000042u, &r, &m), KT_OK); /* ldr w2, +8 */
	ck_assert_uint_eq(r.w[2], 0xfffffffeu);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x98000042u, &r, &m), KT_OK); /* ldrsw x2, +8 */
	ck_assert_uint_eq(r.w[2], 0xfffffffffffffffeull);
	fm_put64(&m, ADDR + 8, 0x7ffffffeu);
	regs_init(&r, ADDR);
	ck_assert_int_eq(emu(0x98000042u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[2], 0x7ffffffe);
	/* prfm (literal): no register, no memory access */
	regs_init(&r, ADDR);
	before = r;
	m.reads = 0;
	struct kt_plan p = plan_of(ADDR, 0xd8000040u);
	ck_assert_int_eq(p.kind, KT_PLAN_EMULATE);
	ck_assert_str_eq(a64->class_name(p.klass), "prfm-literal");
	ck_assert_int_eq(emu(0xd8000040u, &r, &m), KT_OK);
	ck_assert_int_eq(m.reads, 0);
	assert_unchanged(&r, &before, PC, -1, -1);
	/* Unreadable literal: KT_ERR_MEM and nothing changed. */
	regs_init(&r, ADDR);
	before = r;
	ck_assert_int_eq(emu(0x58800002u, &r, &m), KT_ERR_MEM); /* ldr x2, -1 MiB */
	assert_unchanged(&r, &before, -1, -1, -1);
}
END_TEST

START_TEST(test_emulate_register_branches)
{
	struct kt_regs r, before;
	struct fake_mem m = {.base = STACK};

	/* br x16 */
	regs_init(&r, ADDR);
	r.w[16] = 0x555000;
	before = r;
	ck_assert_int_eq(emu(0xd61f0200u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], 0x555000);
	ck_assert_uint_eq(r.w[PSTATE], 0x60000000 | 1u << 10);  /* BTYPE 01 */
	assert_unchanged(&r, &before, PC, PSTATE, -1);
	/* blr x8 */
	regs_init(&r, ADDR);
	r.w[8] = 0x666000;
	before = r;
	ck_assert_int_eq(emu(0xd63f0100u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], 0x666000);
	ck_assert_uint_eq(r.w[LR], ADDR + 4);
	ck_assert_uint_eq(r.w[PSTATE], 0x60000000 | 2u << 10);  /* BTYPE 10 */
	assert_unchanged(&r, &before, PC, LR, PSTATE);
	/* blr x30: the target is read before lr is written */
	regs_init(&r, ADDR);
	r.w[LR] = 0x777000;
	ck_assert_int_eq(emu(0xd63f03c0u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], 0x777000);
	ck_assert_uint_eq(r.w[LR], ADDR + 4);
	/* ret, ret x5 */
	regs_init(&r, ADDR);
	r.w[LR] = 0x888000;
	r.w[PSTATE] |= 3u << 10;
	ck_assert_int_eq(emu(W_RET, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], 0x888000);
	ck_assert_uint_eq(r.w[PSTATE], 0x60000000);
	regs_init(&r, ADDR);
	r.w[5] = 0x999000;
	ck_assert_int_eq(emu(0xd65f00a0u, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], 0x999000);
	/* nop */
	regs_init(&r, ADDR);
	before = r;
	ck_assert_int_eq(emu(W_NOP, &r, &m), KT_OK);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	assert_unchanged(&r, &before, PC, -1, -1);
}
END_TEST

START_TEST(test_plan_inline)
{
	static const struct { uint32_t w; uint16_t klass; } k[] = {
		{0xc85f7c20u, A64_CLS_INLINE_EXCLUSIVE},   /* ldxr x0, [x1] */
		{0xc85ffc20u, A64_CLS_INLINE_EXCLUSIVE},   /* ldaxr x0, [x1] */
		{0xc8027c20u, A64_CLS_INLINE_EXCLUSIVE},   /* stxr w2, x0, [x1] */
		{0xc802fc20u, A64_CLS_INLINE_EXCLUSIVE},   /* stlxr w2, x0, [x1] */
		{0xc87f0c20u, A64_CLS_INLINE_EXCLUSIVE},   /* ldxp x0, x3, [x1] */
		{0xc87f8c20u, A64_CLS_INLINE_EXCLUSIVE},   /* ldaxp x0, x3, [x1] */
		{0xc8220c20u, A64_CLS_INLINE_EXCLUSIVE},   /* stxp w2, x0, x3, [x1] */
		{0x085ffc20u, A64_CLS_INLINE_EXCLUSIVE},   /* ldaxrb w0, [x1] */
		{0xd65f0bffu, A64_CLS_INLINE_PAC_BRANCH},  /* retaa */
		{0xd65f0fffu, A64_CLS_INLINE_PAC_BRANCH},  /* retab */
		{0xd61f083fu, A64_CLS_INLINE_PAC_BRANCH},  /* braaz x1 */
		{0xd63f083fu, A64_CLS_INLINE_PAC_BRANCH},  /* blraaz x1 */
		{0xd63f0c3fu, A64_CLS_INLINE_PAC_BRANCH},  /* blrabz x1 */
		{0xd73f0822u, A64_CLS_INLINE_PAC_BRANCH},  /* blraa x1, x2 */
		{0xd73f0c22u, A64_CLS_INLINE_PAC_BRANCH},  /* blrab x1, x2 */
		{0xd71f0822u, A64_CLS_INLINE_PAC_BRANCH},  /* braa x1, x2 */
		{0x1c000040u, A64_CLS_INLINE_SIMD_LIT},    /* ldr s0, +8 */
		{0x5c000040u, A64_CLS_INLINE_SIMD_LIT},    /* ldr d0, +8 */
		{0x9c000040u, A64_CLS_INLINE_SIMD_LIT},    /* ldr q0, +8 */
		{0xdc000040u, A64_CLS_INLINE_UNDECODABLE}, /* unallocated literal */
		{0xd4200000u, A64_CLS_INLINE_TRAP},        /* brk #0 */
		{0xd420f960u, A64_CLS_INLINE_TRAP},        /* brk #0x7cb */
		{0xd43e0000u, A64_CLS_INLINE_TRAP},        /* brk #0xf000 */
		{0xd4400000u, A64_CLS_INLINE_TRAP},        /* hlt #0 */
		{0xd4000002u, A64_CLS_INLINE_TRAP},        /* hvc #0 */
		{0xd4000003u, A64_CLS_INLINE_TRAP},        /* smc #0 */
		{0x00000000u, A64_CLS_INLINE_TRAP},        /* udf #0 */
		{0x0000abcdu, A64_CLS_INLINE_TRAP},        /* udf #0xabcd */
		{0xd69f03e0u, A64_CLS_INLINE_ERET},        /* eret */
		{0xd6bf03e0u, A64_CLS_INLINE_ERET},        /* drps */
		{0xd69f0bffu, A64_CLS_INLINE_ERET},        /* eretaa */
		{0x19010440u, A64_CLS_INLINE_MOPS},        /* cpyfp [x0]!, [x1]!, x2! */
		{0x19410440u, A64_CLS_INLINE_MOPS},        /* cpyfm [x0]!, [x1]!, x2! */
		{0x19c20420u, A64_CLS_INLINE_MOPS},        /* setp [x0]!, x1!, x2 */
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct kt_plan p = plan_of(ADDR, k[i].w);
		ck_assert_msg(p.kind == KT_PLAN_INLINE, "word %08x: kind %d", k[i].w, p.kind);
		ck_assert_msg(p.klass == k[i].klass, "word %08x: %s", k[i].w,
			      a64->class_name(p.klass));
		ck_assert_ptr_nonnull(p.why);
		ck_assert_uint_eq(p.len, 4);
		/* Neither emulate nor ool_build accepts it. */
		struct kt_regs r;
		struct fake_mem m = {.base = STACK};
		struct kt_arch_mem mem = mem_of(&m);
		uint8_t code[A64_SLOT_SIZE];
		size_t len = sizeof(code);
		regs_init(&r, ADDR);
		ck_assert_int_eq(a64->emulate(&p, ADDR, &r, &mem), KT_ERR_INVAL);
		ck_assert_uint_eq(r.w[PC], ADDR);
		ck_assert_int_eq(a64->ool_build(&p, ADDR, ADDR + 0x1000, code, &len),
				 KT_ERR_INVAL);
	}
	struct kt_plan p = plan_of(ADDR, 0xc85f7c20u);
	ck_assert_str_eq(p.why, "exclusive sequence: step the whole sequence");
	/* Short input and unaligned addresses. */
	uint8_t c[4];
	le(c, W_NOP);
	ck_assert_int_eq(a64->plan(ADDR, c, 3, &p), KT_OK);
	ck_assert_int_eq(p.kind, KT_PLAN_INLINE);
	ck_assert_uint_eq(p.len, 0);
	ck_assert_int_eq(a64->plan(ADDR + 2, c, 4, &p), KT_OK);
	ck_assert_int_eq(p.kind, KT_PLAN_INLINE);
	ck_assert_int_eq(a64->plan(ADDR, c, 0, &p), KT_ERR_INVAL);
	ck_assert_int_eq(a64->plan(ADDR, NULL, 4, &p), KT_ERR_INVAL);
	ck_assert_int_eq(a64->plan(ADDR, c, 4, NULL), KT_ERR_INVAL);
}
END_TEST

START_TEST(test_plan_ool)
{
	static const uint32_t ool[] = {
		0xca020020u, /* eor x0, x1, x2 */
		0xaa0103e0u, /* mov x0, x1 */
		0xb1000420u, /* adds x0, x1, #1 (sets flags) */
		0xf94007e0u, /* ldr x0, [sp, #8] */
		0xa9bf7bfdu, /* stp x29, x30, [sp, #-16]! */
		0xc8dffc20u, /* ldar x0, [x1] (not exclusive) */
		0xc89ffc20u, /* stlr x0, [x1] */
		0xc8a07c41u, /* cas x0, x1, [x2] */
		0x48207c82u, /* casp x0, x1, x2, x3, [x4] */
		0xf8200041u, /* ldadd x0, x1, [x2] */
		0xf8bfc020u, /* ldapr x0, [x1] */
		0xd9400020u, /* ldapur x0, [x1] (near the MOPS space) */
		0xd503233fu, /* paciasp: uses lr and sp, never pc */
		0xd50323bfu, /* autiasp */
		0xd503245fu, /* bti c */
		0xd503203fu, /* yield */
		0xd53bd040u, /* mrs x0, tpidr_el0 */
		0xd51b4200u, /* msr nzcv, x0 */
		0x1e602820u, /* fadd d0, d1, d0 */
	};
	for (size_t i = 0; i < sizeof(ool) / sizeof(ool[0]); i++) {
		struct kt_plan p = plan_of(ADDR, ool[i]);
		ck_assert_msg(p.kind == KT_PLAN_OOL, "word %08x: %s", ool[i],
			      a64->class_name(p.klass));
		ck_assert_uint_eq(p.klass, A64_CLS_OOL_PLAIN);
		ck_assert_ptr_null(p.why);
	}
	struct kt_plan p = plan_of(ADDR, 0xd4000001u); /* svc #0 */
	ck_assert_int_eq(p.kind, KT_PLAN_OOL);
	ck_assert_str_eq(a64->class_name(p.klass), "ool-svc");
}
END_TEST

static uint32_t
word_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(test_ool_slot)
{
	struct kt_plan p = plan_of(ADDR, 0xca020020u);  /* eor x0, x1, x2 */
	uint8_t code[64];
	size_t len = 0;
	uint64_t slot = 0x7f0000;

	memset(code, 0xee, sizeof(code));
	ck_assert_int_eq(a64->ool_build(&p, ADDR, slot, code, &len), KT_OK);
	ck_assert_uint_eq(len, A64_SLOT_SIZE);
	ck_assert_uint_le(len, a64->slot_size);
	ck_assert_uint_eq(word_at(code), 0xca020020u);
	/* b ADDR + 4 from slot + 4: imm26 = (ADDR - slot) / 4 */
	uint32_t b = word_at(code + 4);
	ck_assert_uint_eq(b & 0xfc000000u, 0x14000000u);
	int64_t off = (int64_t)(b & 0x03ffffffu);
	if (off & 0x02000000)
		off -= 0x04000000;
	ck_assert_uint_eq(slot + 4 + (uint64_t)(off * 4), ADDR + 4);
	ck_assert_uint_eq(word_at(code + 8), 0xd420f980u);  /* brk #0x7cc guard */
	ck_assert_uint_eq(code[16], 0xee);
	/* The jump, cross-checked with capstone through disassemble. */
	struct kt_insn_text t;
	ck_assert_uint_eq(a64->disassemble(code + 4, 4, slot + 4, &t, 1), 1);
	ck_assert_str_eq(t.mnemonic, "b");
	ck_assert_uint_eq(t.target, ADDR + 4);
	/* A slot above the code works the same. */
	slot = ADDR + 0x7000000;
	ck_assert_int_eq(a64->ool_build(&p, ADDR, slot, code, &len), KT_OK);
	ck_assert_uint_eq(a64->disassemble(code + 4, 4, slot + 4, &t, 1), 1);
	ck_assert_uint_eq(t.target, ADDR + 4);
	/* Out of b's reach (+-128 MiB): the way home is brk #0x7cd at +4. */
	const uint32_t home = 0xd420f9a0u; /* brk #0x7cd */
	ck_assert_int_eq(a64->ool_build(&p, ADDR, ADDR + 0x8000000, code, &len), KT_OK);
	ck_assert_uint_eq(word_at(code + 4) >> 26, 0x05); /* b */
	ck_assert_int_eq(a64->ool_build(&p, ADDR, ADDR + 0x8000004, code, &len), KT_OK);
	ck_assert_uint_eq(word_at(code + 4), home);
	ck_assert_uint_eq(word_at(code), 0xca020020u);
	ck_assert_int_eq(a64->ool_build(&p, 0x10000000 + 0x7fffffc, 0x10000000, code, &len),
			 KT_OK);
	ck_assert_uint_eq(word_at(code + 4) >> 26, 0x05);
	ck_assert_int_eq(a64->ool_build(&p, 0x10000000 + 0x8000000, 0x10000000, code, &len),
			 KT_OK);
	ck_assert_uint_eq(word_at(code + 4), home);
	ck_assert_int_eq(a64->ool_build(&p, 0x7f0000000000ull, 0x400000, code, &len), KT_OK);
	ck_assert_uint_eq(word_at(code + 4), home);
	ck_assert_uint_eq(len, 16);
	/* The home trap's stop (pc at slot+4) is a completed step. */
	{
		struct kt_regs r = {0};
		bool done = false;
		r.w[A64_W_PC] = 0x400000 + 4;
		ck_assert_int_eq(a64->ool_leave(&p, 0x7f0000000000ull, 0x400000, &r, &r, &done),
				 KT_OK);
		ck_assert(done);
		ck_assert_uint_eq(r.w[A64_W_PC], 0x7f0000000004ull);
	}
	ck_assert_int_eq(a64->ool_build(&p, ADDR, slot + 2, code, &len), KT_ERR_INVAL);
	/* An emulate plan is not for a slot. */
	struct kt_plan e = plan_of(ADDR, W_NOP);
	ck_assert_int_eq(a64->ool_build(&e, ADDR, slot, code, &len), KT_ERR_INVAL);
}
END_TEST

START_TEST(test_ool_enter_leave)
{
	struct kt_plan p = plan_of(ADDR, 0xd4000001u);  /* svc #0 */
	struct kt_regs hit, r;
	uint64_t slot = 0x7f0010;
	bool done = true;

	regs_init(&hit, ADDR);
	r = hit;
	a64->ool_enter(&p, ADDR, slot, &r);
	ck_assert_uint_eq(r.w[PC], slot);
	assert_unchanged(&r, &hit, PC, -1, -1);
	/* Stopped before it ran (or rewound for a restart): back to ADDR. */
	r.w[0] = 0xabc;
	ck_assert_int_eq(a64->ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(!done);
	ck_assert_uint_eq(r.w[PC], ADDR);
	ck_assert_uint_eq(r.w[0], 0xabc);  /* current values are kept */
	/* Stopped after it (at the b back): ADDR + 4. */
	r.w[PC] = slot + 4;
	ck_assert_int_eq(a64->ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_OK);
	ck_assert(done);
	ck_assert_uint_eq(r.w[PC], ADDR + 4);
	/* Anywhere else: not ours, unchanged. */
	r.w[PC] = slot + 8;
	ck_assert_int_eq(a64->ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_ERR_INVAL);
	ck_assert_uint_eq(r.w[PC], slot + 8);
	r.w[PC] = slot - 4;
	ck_assert_int_eq(a64->ool_leave(&p, ADDR, slot, &hit, &r, &done), KT_ERR_INVAL);
	struct kt_plan e = plan_of(ADDR, W_NOP);
	r.w[PC] = slot;
	ck_assert_int_eq(a64->ool_leave(&e, ADDR, slot, &hit, &r, &done), KT_ERR_INVAL);
}
END_TEST

START_TEST(test_emulate_rejects_other_kinds)
{
	struct kt_plan p = plan_of(ADDR, 0xca020020u); /* eor x0, x1, x2: out of line */
	struct kt_regs r;
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);

	regs_init(&r, ADDR);
	ck_assert_int_eq(a64->emulate(&p, ADDR, &r, &mem), KT_ERR_INVAL);
	ck_assert_uint_eq(r.w[PC], ADDR);
}
END_TEST

/* ----- signal frames ----- */

START_TEST(test_sigframe)
{
	/* __kernel_rt_sigreturn: mov x8, #139; svc #0 */
	static const uint8_t tramp[8] = {0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4};
	const uint64_t sp = STACK; /* &rt_sigframe: siginfo, then ucontext */
	const uint64_t sc = sp + 128 + 176; /* uc_mcontext: struct sigcontext */
	struct fake_mem m = {.base = STACK + 256};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_regs out;

	fm_put64(&m, sc, 0x10); /* fault_address: not a register */
	for (int i = 0; i < 31; i++)
		fm_put64(&m, sc + 8 + 8 * (uint64_t)i, 0x5000 + (uint64_t)i);
	fm_put64(&m, sc + 8 + 8 * 31, STACK + 0x1000); /* sp */
	fm_put64(&m, sc + 8 + 8 * 32, 0x400abc);       /* pc */
	fm_put64(&m, sc + 8 + 8 * 33, 0x60000000);     /* pstate */
	ck_assert_int_eq(a64->sigframe_step(sp, tramp, sizeof(tramp), &mem, &out), KT_OK);
	for (int i = 0; i < 31; i++)
		ck_assert_uint_eq(out.w[i], 0x5000 + (uint64_t)i);
	ck_assert_uint_eq(kt_regs_sp(a64, &out), STACK + 0x1000);
	ck_assert_uint_eq(kt_regs_pc(a64, &out), 0x400abc);
	ck_assert_uint_eq(out.w[33], 0x60000000);

	/* mov x8, #93 (exit); svc #0 is not it; nor a truncated read. */
	uint8_t other[8];
	memcpy(other, tramp, sizeof(other));
	le(other, 0xd2800ba8u);
	ck_assert_int_eq(a64->sigframe_step(sp, other, sizeof(other), &mem, &out), KT_ERR_NOTFOUND);
	ck_assert_int_eq(a64->sigframe_step(sp, tramp, 4, &mem, &out), KT_ERR_NOTFOUND);
	/* The saved context out of reach. */
	ck_assert_int_eq(a64->sigframe_step(sp + 0x100, tramp, sizeof(tramp), &mem, &out),
			 KT_ERR_MEM);
	ck_assert_int_eq(a64->sigframe_step(UINT64_MAX - 200, tramp, sizeof(tramp), &mem, &out),
			 KT_ERR_MEM);
}
END_TEST

/* With lr known (the innermost frame), the lr cases give the caller. */
START_TEST(test_fp_lr)
{
	struct fake_mem m = {.base = STACK};
	struct kt_arch_mem mem = mem_of(&m);
	struct kt_fp_frame f, c;
	uint8_t fn[16], at[4];

	/* At entry: caller pc = lr, sp and fp unchanged. */
	put_words(fn, (const uint32_t[]){W_PACIASP, W_STP48, W_MOVFP, W_NOP}, 4);
	le(at, W_PACIASP);
	f = (struct kt_fp_frame){0x401000, STACK + 0x60, STACK + 0x100, 0x405550};
	ck_assert_int_eq(a64->fp_step(&f, 0, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x405550);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	ck_assert_uint_eq(c.fp, STACK + 0x100);
	ck_assert_uint_eq(c.lr, 0);
	/* At the stp after paciasp: lr is signed, and stripped. */
	le(at, W_STP48);
	f.pc = 0x401004;
	f.lr = 0x0012000000405550ull;
	ck_assert_int_eq(a64->fp_step(&f, 4, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x405550);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	/* clang: sub sp, sp, #48 done, stp not yet: caller sp = sp + 48. */
	put_words(fn, (const uint32_t[]){0xd100c3ffu /* sub sp, sp, #48 */,
					 0xa9027bfdu /* stp x29, x30, [sp, #32] */,
					 0x910083fdu /* add x29, sp, #32 */, W_NOP}, 4);
	le(at, 0xa9027bfdu);
	f = (struct kt_fp_frame){0x401004, STACK + 0x30, STACK + 0x100, 0x405550};
	ck_assert_int_eq(a64->fp_step(&f, 4, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	/* At clang's epilogue "add sp, sp, #48": caller sp = sp + 48. */
	le(at, 0x9100c3ffu);
	f = (struct kt_fp_frame){0x401040, STACK + 0x30, STACK + 0x100, 0x405550};
	ck_assert_int_eq(a64->fp_step(&f, 0x40, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.pc, 0x405550);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	/* At ret: sp is the caller's. */
	le(at, W_RET);
	f = (struct kt_fp_frame){0x401044, STACK + 0x60, STACK + 0x100, 0x405550};
	ck_assert_int_eq(a64->fp_step(&f, 0x44, fn, 16, at, 4, &mem, &c), KT_OK);
	ck_assert_uint_eq(c.sp, STACK + 0x60);
	/* A misaligned lr is corrupt. */
	f.lr = 0x405552;
	ck_assert_int_eq(a64->fp_step(&f, 0x44, fn, 16, at, 4, &mem, &c), KT_ERR_CORRUPT);
}
END_TEST

#define W_LDXR 0xc85f7c01u  /* ldxr x1, [x0] */
#define W_LDAXR 0xc85ffc01u /* ldaxr x1, [x0] */
#define W_ADD1 0x91000421u  /* add x1, x1, #1 */
#define W_STXR 0xc8027c01u  /* stxr w2, x1, [x0] */
#define W_CBNZ_BACK3 0x35ffffa2u /* cbnz w2, .-12 */

START_TEST(test_exclusive)
{
	uint8_t b[64];
	uint64_t ends[2] = {0, 0};

	/* ldxr; add; stxr; cbnz: left after the stxr only (the cbnz is after). */
	size_t n = put_words(b, (const uint32_t[]){W_LDXR, W_ADD1, W_STXR, W_CBNZ_BACK3}, 4);
	ck_assert_uint_eq(a64->atomic_sequence(b, n, ADDR, ends), 1);
	ck_assert_uint_eq(ends[0], ADDR + 12);
	/* Only a load-exclusive opens one. */
	ck_assert_uint_eq(a64->atomic_sequence(b + 4, n - 4, ADDR + 4, ends), 0);
	/* No closing store within the bytes: none. */
	ck_assert_uint_eq(a64->atomic_sequence(b, 8, ADDR, ends), 0);
	/* ldaxr; cmp; b.ne out; stxr: two ends, the b.ne target outside. */
	n = put_words(b, (const uint32_t[]){W_LDAXR, 0xeb03003fu /* cmp x1, x3 */,
					    0x54000081u /* b.ne .+16 */, W_STXR, W_NOP, W_NOP},
		      6);
	ck_assert_uint_eq(a64->atomic_sequence(b, n, ADDR, ends), 2);
	ck_assert_uint_eq(ends[0], ADDR + 16);
	ck_assert_uint_eq(ends[1], ADDR + 24);
	/* An unconditional branch or a call inside: not a sequence we run. */
	n = put_words(b, (const uint32_t[]){W_LDXR, 0x94000010u /* bl */, W_STXR}, 3);
	ck_assert_uint_eq(a64->atomic_sequence(b, n, ADDR, ends), 0);
	/* casp (o1 = 1, size 0x) is not exclusive. */
	n = put_words(b, (const uint32_t[]){0x48207c82u, W_STXR}, 2);
	ck_assert_uint_eq(a64->atomic_sequence(b, n, ADDR, ends), 0);

	/* Windows: the add and the stxr are inside; the ldxr and the cbnz not. */
	n = put_words(b, (const uint32_t[]){W_NOP, W_NOP, W_LDXR, W_ADD1, W_STXR, W_CBNZ_BACK3},
		      6);
	uint64_t base = ADDR - 8; /* b[8] (the ldxr) is at ADDR */
	ck_assert_uint_eq(a64->atomic_window(b, 8, ADDR), 0);
	ck_assert_uint_eq(a64->atomic_window(b, 12, ADDR + 4), ADDR);
	ck_assert_uint_eq(a64->atomic_window(b, 16, ADDR + 8), ADDR);
	ck_assert_uint_eq(a64->atomic_window(b, 20, ADDR + 12), 0);
	ck_assert_uint_eq(a64->atomic_window(b, 2, base + 2), 0);
	/* A return between: not a window. */
	n = put_words(b, (const uint32_t[]){W_LDXR, W_RET, W_ADD1}, 3);
	ck_assert_uint_eq(a64->atomic_window(b, 12, ADDR + 12), 0);
	/* x86-64 has none. */
	ck_assert_ptr_null(kt_arch_x86_64.atomic_sequence);
}
END_TEST

static Suite *
a64_suite(void)
{
	Suite *s = suite_create("arch_a64");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_syscall);
	tcase_add_test(tc, test_classify_patch);
	tcase_add_test(tc, test_classify_program_traps);
	tcase_add_test(tc, test_classify_step);
	tcase_add_test(tc, test_register_names);
	tcase_add_test(tc, test_subregisters);
	tcase_add_test(tc, test_set_pc);
	tcase_add_test(tc, test_disassemble);
	tcase_add_test(tc, test_insn_length_is_call);
	tcase_add_test(tc, test_skip_prologue);
	tcase_add_test(tc, test_fp_standard);
	tcase_add_test(tc, test_fp_prologue_epilogue);
	tcase_add_test(tc, test_fp_lr);
	tcase_add_test(tc, test_exclusive);
	tcase_add_test(tc, test_fp_clang_shape);
	tcase_add_test(tc, test_fp_corrupt);
	tcase_add_test(tc, test_sigframe);
	suite_add_tcase(s, tc);

	tc = tcase_create("step");
	tcase_add_test(tc, test_emulate_b_bl);
	tcase_add_test(tc, test_emulate_bcond);
	tcase_add_test(tc, test_emulate_cbz);
	tcase_add_test(tc, test_emulate_tbz);
	tcase_add_test(tc, test_emulate_adr_adrp);
	tcase_add_test(tc, test_emulate_ldr_literal);
	tcase_add_test(tc, test_emulate_addsub_imm);
	tcase_add_test(tc, test_emulate_register_branches);
	tcase_add_test(tc, test_emulate_rejects_other_kinds);
	tcase_add_test(tc, test_plan_inline);
	tcase_add_test(tc, test_plan_ool);
	tcase_add_test(tc, test_ool_slot);
	tcase_add_test(tc, test_ool_enter_leave);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(a64_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
