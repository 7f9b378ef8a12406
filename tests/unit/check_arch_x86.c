/* SPDX-License-Identifier: MIT */
/*
 * check_arch_x86.c - unit tests of the x86-64 operations table
 * (arch/x86_64/x86_64.c) and the shared register helpers (arch/arch.c):
 * trap classification (our INT3, the program's int3 and int $3, single-step
 * completion, user SIGTRAPs, hardware breakpoints, ud2 and other SIGILLs),
 * set_pc cancelling syscall restart, register lookup and sub-register reads
 * and writes (eax zero-extends, ah writes bits 8..15 only), disassembly of
 * known bytes, instruction length, call detection, prologue skipping, the
 * frame-pointer step over a fake stack (normal frames, function entry, after
 * push, at ret, the outermost frame, corrupt chains, unreadable memory) and
 * the table lookup by ELF machine.
 */
#include <check.h>
#include <elf.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "x86_64/regs.h"

#include "arch.h"

#define R(field) (offsetof(struct kt_x64_user_regs, field) / 8)

static const struct kt_arch *const x86 = &kt_arch_x86_64;

/* ----- trap classification ----- */

struct trap {
	struct kt_trap_in in;
	struct kt_trap_out out;
	uint64_t patch_at;
	const uint8_t *before, *at; /* the memory: nb bytes ending at pc, na from pc */
	size_t nb, na;
	int reads;                  /* how often the classifier read memory */
};

static bool
is_patch(void *ctx, uint64_t addr)
{
	return addr == ((const struct trap *)ctx)->patch_at;
}

/* kt_trap_in.read over the two windows around pc; KT_ERR_MEM outside them. */
static kt_status
read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct trap *t = ctx;
	uint64_t lo = t->in.pc - t->nb, hi = t->in.pc + t->na;
	uint8_t *out = buf;

	t->reads++;
	if (addr < lo || addr + len > hi)
		return KT_ERR_MEM;
	for (size_t i = 0; i < len; i++) {
		uint64_t a = addr + i;
		out[i] = a < t->in.pc ? t->before[t->nb - (t->in.pc - a)] : t->at[a - t->in.pc];
	}
	return KT_OK;
}

/* Classify a trap at PC with BEFORE (bytes ending at pc) and AT (bytes at pc). */
static void
classify(struct trap *t, int signo, int code, uint64_t pc, bool stepping, const uint8_t *before,
	 size_t nb, const uint8_t *at, size_t na, uint64_t patch_at)
{
	memset(t, 0, sizeof(*t));
	t->patch_at = patch_at;
	t->before = before;
	t->nb = nb;
	t->at = at;
	t->na = na;
	t->in.signo = signo;
	t->in.si_code = code;
	t->in.pc = pc;
	t->in.fault_addr = 0;
	t->in.stepping = stepping;
	t->in.is_patch = is_patch;
	t->in.read = read_mem;
	t->in.ctx = t;
	memset(&t->out, 0x5a, sizeof(t->out)); /* must be overwritten */
	x86->classify_trap(&t->in, &t->out);
}

static const uint8_t nops[] = {0x90, 0x90, 0x90, 0x90};
static const uint8_t int3_before[] = {0x90, 0x90, 0x90, 0xcc};
static const uint8_t int_3_before[] = {0x90, 0x90, 0xcd, 0x03};
static const uint8_t ud2[] = {0x0f, 0x0b, 0x90};

START_TEST(test_classify_patch)
{
	struct trap t;

	/* Our patch: the byte before pc is ours (memory shows our 0xcc). */
	classify(&t, SIGTRAP, SI_KERNEL, 0x401001, false, int3_before, 4, nops, 4, 0x401000);
	ck_assert_int_eq(t.out.kind, KT_TRAP_PATCH);
	ck_assert_uint_eq(t.out.addr, 0x401000);
	ck_assert_uint_eq(t.out.imm, 0);
	ck_assert_ptr_nonnull(t.out.what);
	ck_assert_int_eq(t.reads, 0); /* the patch table answered: no memory read */
	/* Even while stepping (a step that landed on a patch and executed it). */
	classify(&t, SIGTRAP, SI_KERNEL, 0x401001, true, int3_before, 4, nops, 4, 0x401000);
	ck_assert_int_eq(t.out.kind, KT_TRAP_PATCH);
	ck_assert_uint_eq(t.out.addr, 0x401000);
}
END_TEST

START_TEST(test_classify_program_traps)
{
	struct trap t;

	/* The program's own int3: not ours. */
	classify(&t, SIGTRAP, SI_KERNEL, 0x401001, false, int3_before, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_DEBUGTRAP);
	ck_assert_uint_eq(t.out.addr, 0x401000);
	ck_assert_uint_eq(t.out.resume_pc, 0x401001);
	ck_assert_str_eq(t.out.what, "int3");
	/* int $3 (CD 03): two bytes back. */
	classify(&t, SIGTRAP, SI_KERNEL, 0x401002, false, int_3_before, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_DEBUGTRAP);
	ck_assert_uint_eq(t.out.addr, 0x401000);
	ck_assert_uint_eq(t.out.resume_pc, 0x401002);
	ck_assert_str_eq(t.out.what, "int $3");
	/* Only the last bytes count: CC CD 03 is int $3, CD 03 CC is int3. */
	static const uint8_t mix1[] = {0xcc, 0xcd, 0x03}, mix2[] = {0xcd, 0x03, 0xcc};
	classify(&t, SIGTRAP, SI_KERNEL, 0x500003, false, mix1, 3, nops, 4, 0x9999);
	ck_assert_uint_eq(t.out.addr, 0x500001);
	classify(&t, SIGTRAP, SI_KERNEL, 0x500003, false, mix2, 3, nops, 4, 0x9999);
	ck_assert_uint_eq(t.out.addr, 0x500002);
	/* A kernel SIGTRAP with no trap instruction before pc: a signal. */
	classify(&t, SIGTRAP, SI_KERNEL, 0x401004, false, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	ck_assert_uint_eq(t.out.addr, 0x401004);
	/* No bytes known before pc: never read them. */
	classify(&t, SIGTRAP, SI_KERNEL, 0x401004, false, NULL, 0, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGTRAP, SI_KERNEL, 0x401004, false, int_3_before + 3, 1, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL); /* "03" alone is not int $3 */
}
END_TEST

START_TEST(test_classify_step)
{
	struct trap t;

	classify(&t, SIGTRAP, TRAP_TRACE, 0x401003, true, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_STEP);
	ck_assert_uint_eq(t.out.addr, 0x401003);
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x401003, true, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_STEP);
	/* Not single-stepping: somebody else's trap, a signal. */
	classify(&t, SIGTRAP, TRAP_TRACE, 0x401003, false, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGTRAP, TRAP_BRKPT, 0x401003, false, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	/* A user SIGTRAP is a signal even right after a 0xcc, even stepping. */
	classify(&t, SIGTRAP, SI_USER, 0x401001, false, int3_before, 4, nops, 4, 0x401000);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGTRAP, SI_USER, 0x401001, true, int3_before, 4, nops, 4, 0x401000);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGTRAP, SI_TKILL, 0x401001, false, int3_before, 4, nops, 4, 0x401000);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGTRAP, TRAP_HWBKPT, 0x401003, false, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_HW);
}
END_TEST

START_TEST(test_classify_other_signals)
{
	struct trap t;

	classify(&t, SIGILL, ILL_ILLOPN, 0x401010, false, nops, 4, ud2, 3, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_TRAP);
	ck_assert_str_eq(t.out.what, "ud2");
	ck_assert_uint_eq(t.out.addr, 0x401010);
	/* SIGILL anywhere else, or with too few bytes known. */
	classify(&t, SIGILL, ILL_ILLOPN, 0x401010, false, nops, 4, nops, 4, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGILL, ILL_ILLOPN, 0x401010, false, nops, 4, ud2, 1, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGILL, ILL_ILLOPN, 0x401010, false, nops, 4, NULL, 0, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	/* Other signals are never traps, whatever the bytes. */
	classify(&t, SIGSEGV, SEGV_MAPERR, 0x401010, false, int3_before, 4, ud2, 3, 0x40100f);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	ck_assert_uint_eq(t.out.addr, 0x401010);
	ck_assert_uint_eq(t.out.resume_pc, 0x401010);
	classify(&t, SIGBUS, BUS_ADRALN, 0x401010, true, int3_before, 4, ud2, 3, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
	classify(&t, SIGUSR1, SI_USER, 0x401010, true, int3_before, 4, ud2, 3, 0x9999);
	ck_assert_int_eq(t.out.kind, KT_TRAP_SIGNAL);
}
END_TEST

/* ----- registers ----- */

START_TEST(test_table)
{
	ck_assert_str_eq(x86->name, "x86_64");
	ck_assert_int_eq(x86->id, KT_ARCH_X86_64);
	ck_assert_uint_eq(x86->elf_machine, EM_X86_64);
	ck_assert_uint_eq(x86->prstatus_size, sizeof(struct kt_x64_user_regs));
	ck_assert_uint_eq(x86->patch_len, 1);
	ck_assert_uint_eq(x86->patch[0], 0xcc);
	ck_assert_uint_eq(x86->insn_align, 1);
	ck_assert_int_eq(x86->reg_pc, R(rip));
	ck_assert_int_eq(x86->reg_sp, R(rsp));
	ck_assert_int_eq(x86->reg_fp, R(rbp));
	ck_assert_int_eq(x86->reg_ret, R(rax));
	static const int args[] = {R(rdi), R(rsi), R(rdx), R(rcx), R(r8), R(r9), -1};
	for (size_t i = 0; i < 7; i++)
		ck_assert_int_eq(x86->reg_args[i], args[i]);
	ck_assert_ptr_eq(kt_arch_for_elf_machine(EM_X86_64), &kt_arch_x86_64);
	ck_assert_ptr_null(kt_arch_for_elf_machine(EM_386));
	ck_assert_ptr_null(kt_arch_for_elf_machine(EM_NONE));
	ck_assert_ptr_null(kt_arch_for_elf_machine(0xffff));
#if defined(__x86_64__)
	ck_assert_ptr_eq(kt_arch_host(), &kt_arch_x86_64);
#endif
	/* Every register name is unique and within struct kt_regs. */
	for (size_t i = 0; i < x86->nregs; i++) {
		ck_assert_uint_lt(x86->regs[i].index, x86->prstatus_size / 8);
		for (size_t k = i + 1; k < x86->nregs; k++)
			ck_assert_str_ne(x86->regs[i].name, x86->regs[k].name);
	}
}
END_TEST

static const struct kt_reg_desc *
reg(const char *name)
{
	const struct kt_reg_desc *d = kt_arch_reg_by_name(x86, name, strlen(name));

	ck_assert_msg(d != NULL, "no register %s", name);
	return d;
}

START_TEST(test_register_names)
{
	ck_assert_uint_eq(reg("rax")->index, R(rax));
	ck_assert_uint_eq(reg("rax")->bits, 64);
	ck_assert_uint_eq(reg("eax")->index, R(rax));
	ck_assert_uint_eq(reg("eax")->bits, 32);
	ck_assert_uint_eq(reg("ax")->bits, 16);
	ck_assert_uint_eq(reg("al")->bits, 8);
	ck_assert_uint_eq(reg("ah")->shift, 8);
	ck_assert_uint_eq(reg("r15d")->index, R(r15));
	ck_assert_uint_eq(reg("orig_rax")->index, R(orig_rax));
	ck_assert_uint_eq(reg("fs_base")->index, R(fs_base));
	/* Generic aliases. */
	ck_assert_uint_eq(reg("pc")->index, R(rip));
	ck_assert_uint_eq(reg("sp")->index, R(rsp));
	ck_assert_uint_eq(reg("fp")->index, R(rbp));
	ck_assert(reg("pc")->flags & KT_REG_ADDR);
	ck_assert(reg("rsp")->flags & KT_REG_ADDR);
	ck_assert(!(reg("rax")->flags & KT_REG_ADDR));
	ck_assert(reg("rax")->flags & KT_REG_SHOWN);
	ck_assert(!(reg("pc")->flags & KT_REG_SHOWN)); /* shown as rip */
	ck_assert_int_eq(reg("rip")->dwarf, 16);
	ck_assert_int_eq(reg("rsp")->dwarf, 7);
	/* NAME and LEN: not NUL-terminated, exact length. */
	ck_assert_ptr_eq(kt_arch_reg_by_name(x86, "raxyz", 3), reg("rax"));
	ck_assert_ptr_null(kt_arch_reg_by_name(x86, "eax", 2)); /* "ea" */
	ck_assert_ptr_null(kt_arch_reg_by_name(x86, "ra", 2));
	ck_assert_ptr_null(kt_arch_reg_by_name(x86, "RAX", 3));
	ck_assert_ptr_null(kt_arch_reg_by_name(x86, "xmm0", 4));
	ck_assert_ptr_null(kt_arch_reg_by_name(x86, "", 0));
}
END_TEST

START_TEST(test_subregisters)
{
	struct kt_regs r;

	memset(&r, 0, sizeof(r));
	r.w[R(rax)] = 0x1122334455667788ull;
	ck_assert_uint_eq(kt_reg_get(&r, reg("rax")), 0x1122334455667788ull);
	ck_assert_uint_eq(kt_reg_get(&r, reg("eax")), 0x55667788u);
	ck_assert_uint_eq(kt_reg_get(&r, reg("ax")), 0x7788u);
	ck_assert_uint_eq(kt_reg_get(&r, reg("al")), 0x88u);
	ck_assert_uint_eq(kt_reg_get(&r, reg("ah")), 0x77u);

	/* 8-bit high: bits 8..15 only, extra value bits dropped. */
	kt_reg_set(&r, reg("ah"), 0x1ab);
	ck_assert_uint_eq(r.w[R(rax)], 0x112233445566ab88ull);
	/* 8-bit low. */
	kt_reg_set(&r, reg("al"), 0xfff);
	ck_assert_uint_eq(r.w[R(rax)], 0x112233445566abffull);
	/* 16-bit: merges. */
	kt_reg_set(&r, reg("ax"), 0x12345);
	ck_assert_uint_eq(r.w[R(rax)], 0x1122334455662345ull);
	/* 32-bit: zero-extends into the whole register. */
	kt_reg_set(&r, reg("eax"), 0xffffffffdeadbeefull);
	ck_assert_uint_eq(r.w[R(rax)], 0xdeadbeefull);
	kt_reg_set(&r, reg("rax"), 0xfedcba9876543210ull);
	ck_assert_uint_eq(r.w[R(rax)], 0xfedcba9876543210ull);
	/* Neighbours untouched. */
	for (int i = 0; i < KT_REGS_WORDS; i++)
		if (i != (int)R(rax))
			ck_assert_uint_eq(r.w[i], 0);
	/* The aliases read and write the real register. */
	kt_reg_set(&r, reg("pc"), 0x401000);
	ck_assert_uint_eq(r.w[R(rip)], 0x401000);
	ck_assert_uint_eq(kt_regs_pc(x86, &r), 0x401000);
	kt_reg_set(&r, reg("sp"), 0x7ffff000);
	ck_assert_uint_eq(kt_regs_sp(x86, &r), 0x7ffff000);
	ck_assert_uint_eq(kt_reg_get(&r, reg("rsp")), 0x7ffff000);
	r.w[R(rbp)] = 0x7ffff100;
	ck_assert_uint_eq(kt_reg_get(&r, reg("fp")), 0x7ffff100);
	ck_assert_uint_eq(kt_reg_get(&r, reg("ebp")), 0x7ffff100);
	/* r8d..r15d and sil/dil. */
	r.w[R(r9)] = 0xffffffff00000001ull;
	ck_assert_uint_eq(kt_reg_get(&r, reg("r9d")), 1);
	kt_reg_set(&r, reg("r9d"), 2);
	ck_assert_uint_eq(r.w[R(r9)], 2);
	r.w[R(rsi)] = 0x1234;
	ck_assert_uint_eq(kt_reg_get(&r, reg("sil")), 0x34);
}
END_TEST

START_TEST(test_set_pc)
{
	struct kt_regs r;

	memset(&r, 0, sizeof(r));
	r.w[R(orig_rax)] = 39; /* stopped in getpid: a restart would move pc back */
	r.w[R(rax)] = 7;
	x86->set_pc(&r, 0x401234);
	ck_assert_uint_eq(r.w[R(rip)], 0x401234);
	ck_assert_uint_eq(r.w[R(orig_rax)], UINT64_MAX);
	ck_assert_uint_eq(r.w[R(rax)], 7);
	ck_assert_uint_eq(kt_regs_pc(x86, &r), 0x401234);
}
END_TEST

/* ----- instructions ----- */

START_TEST(test_disassemble)
{
	/* push %rbp; mov %rsp,%rbp; call .+0x105; ret */
	static const uint8_t code[] = {0x55, 0x48, 0x89, 0xe5, 0xe8, 0x00, 0x01, 0x00, 0x00, 0xc3};
	struct kt_insn_text t[8];

	size_t n = x86->disassemble(code, sizeof(code), 0x401000, t, 8);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(t[0].addr, 0x401000);
	ck_assert_uint_eq(t[0].len, 1);
	ck_assert_uint_eq(t[0].bytes[0], 0x55);
	ck_assert_ptr_nonnull(strstr(t[0].mnemonic, "push"));
	ck_assert_str_eq(t[0].operands, "%rbp");
	ck_assert(!t[0].has_target);
	ck_assert_uint_eq(t[1].addr, 0x401001);
	ck_assert_uint_eq(t[1].len, 3);
	ck_assert_ptr_nonnull(strstr(t[1].mnemonic, "mov"));
	ck_assert_str_eq(t[1].operands, "%rsp, %rbp");
	ck_assert_uint_eq(t[2].addr, 0x401004);
	ck_assert_uint_eq(t[2].len, 5);
	ck_assert_ptr_nonnull(strstr(t[2].mnemonic, "call"));
	ck_assert(t[2].has_target);
	ck_assert_uint_eq(t[2].target, 0x401009 + 0x100);
	ck_assert_mem_eq(t[2].bytes, code + 4, 5);
	ck_assert_ptr_nonnull(strstr(t[3].mnemonic, "ret"));
	ck_assert(!t[3].has_target);

	/* MAX limits the count. */
	ck_assert_uint_eq(x86->disassemble(code, sizeof(code), 0x401000, t, 2), 2);
	/* A backward jump: jmp .-2 (eb fe) targets itself. */
	static const uint8_t loop[] = {0xeb, 0xfe};
	ck_assert_uint_eq(x86->disassemble(loop, 2, 0x500000, t, 8), 1);
	ck_assert(t[0].has_target);
	ck_assert_uint_eq(t[0].target, 0x500000);
	/* Undecodable first instruction (06 is invalid in 64-bit mode). */
	static const uint8_t bad[] = {0x06, 0x90};
	ck_assert_uint_eq(x86->disassemble(bad, 2, 0x1000, t, 8), 0);
	/* A truncated instruction is not decoded. */
	ck_assert_uint_eq(x86->disassemble(code + 4, 3, 0x1000, t, 8), 0);
}
END_TEST

START_TEST(test_insn_length_is_call)
{
	static const uint8_t push[] = {0x55};
	static const uint8_t movabs[] = {0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t call[] = {0xe8, 0, 0, 0, 0};
	static const uint8_t call_rax[] = {0xff, 0xd0};
	static const uint8_t call_mem[] = {0xff, 0x15, 0x10, 0, 0, 0};
	static const uint8_t jmp[] = {0xe9, 0, 0, 0, 0};
	static const uint8_t bad[] = {0x06};

	ck_assert_uint_eq(x86->insn_length(push, 1, 0x1000), 1);
	ck_assert_uint_eq(x86->insn_length(movabs, sizeof(movabs), 0x1000), 10);
	ck_assert_uint_eq(x86->insn_length(call, sizeof(call), 0x1000), 5);
	ck_assert_uint_eq(x86->insn_length(call_mem, sizeof(call_mem), 0x1000), 6);
	ck_assert_uint_eq(x86->insn_length(bad, 1, 0x1000), 0);
	ck_assert_uint_eq(x86->insn_length(call, 2, 0x1000), 0);
	ck_assert(x86->is_call(call, sizeof(call), 0x1000));
	ck_assert(x86->is_call(call_rax, sizeof(call_rax), 0x1000));
	ck_assert(x86->is_call(call_mem, sizeof(call_mem), 0x1000));
	ck_assert(!x86->is_call(jmp, sizeof(jmp), 0x1000));
	ck_assert(!x86->is_call(push, 1, 0x1000));
	ck_assert(!x86->is_call(bad, 1, 0x1000));
}
END_TEST

START_TEST(test_skip_prologue)
{
	static const uint8_t plain[] = {0x55, 0x48, 0x89, 0xe5, 0x90};
	static const uint8_t alt[] = {0x55, 0x48, 0x8b, 0xec, 0x90};
	static const uint8_t endbr[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5, 0x90};
	static const uint8_t none[] = {0x48, 0x83, 0xec, 0x08, 0x90};
	static const uint8_t push_only[] = {0x55, 0x90, 0x90, 0x90};
	static const uint8_t endbr_only[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x90, 0x90, 0x90};

	ck_assert_uint_eq(x86->skip_prologue(plain, sizeof(plain), 0x1000), 4);
	ck_assert_uint_eq(x86->skip_prologue(plain, 4, 0x1000), 4);
	ck_assert_uint_eq(x86->skip_prologue(alt, sizeof(alt), 0x1000), 4);
	ck_assert_uint_eq(x86->skip_prologue(endbr, sizeof(endbr), 0x1000), 8);
	ck_assert_uint_eq(x86->skip_prologue(none, sizeof(none), 0x1000), 0);
	ck_assert_uint_eq(x86->skip_prologue(push_only, sizeof(push_only), 0x1000), 0);
	ck_assert_uint_eq(x86->skip_prologue(endbr_only, sizeof(endbr_only), 0x1000), 0);
	ck_assert_uint_eq(x86->skip_prologue(plain, 3, 0x1000), 0); /* truncated */
	ck_assert_uint_eq(x86->skip_prologue(plain, 0, 0x1000), 0);
}
END_TEST

/* ----- frame-pointer unwinding ----- */

#define STK 0x7ff000u
#define STK_SIZE 4096u

struct stack {
	uint8_t b[STK_SIZE];
	unsigned reads;
};

static kt_status
stk_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct stack *s = ctx;

	s->reads++;
	if (addr < STK || len > STK_SIZE || addr - STK > STK_SIZE - len)
		return KT_ERR_MEM;
	memcpy(buf, s->b + (addr - STK), len);
	return KT_OK;
}

static kt_status
stk_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
	struct stack *s = ctx;

	if (addr < STK || len > STK_SIZE || addr - STK > STK_SIZE - len)
		return KT_ERR_MEM;
	memcpy(s->b + (addr - STK), buf, len);
	return KT_OK;
}

static void
put(struct stack *s, uint64_t addr, uint64_t v)
{
	ck_assert(addr >= STK && addr + 8 <= STK + STK_SIZE);
	memcpy(s->b + (addr - STK), &v, 8);
}

static struct stack stk;
static const struct kt_arch_mem mem = {stk_read, stk_write, &stk};
static const uint8_t prologue[] = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x10};
static const uint8_t endbr_prologue[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5};
static const uint8_t body[] = {0x90, 0x90};
static const uint8_t ret[] = {0xc3};
static const uint8_t rep_ret[] = {0xf3, 0xc3};

static kt_status
step(uint64_t pc, uint64_t sp, uint64_t fp, uint64_t off, const uint8_t *fn, size_t nfn,
     const uint8_t *at, size_t nat, struct kt_fp_frame *out)
{
	struct kt_fp_frame f = {pc, sp, fp};

	memset(out, 0xee, sizeof(*out));
	return x86->fp_step(&f, off, fn, nfn, at, nat, &mem, out);
}

START_TEST(test_fp_standard)
{
	struct kt_fp_frame c;

	memset(&stk, 0, sizeof(stk));
	put(&stk, STK + 0x100, STK + 0x200); /* saved rbp */
	put(&stk, STK + 0x108, 0x401234);    /* return address */
	put(&stk, STK + 0x200, 0);	     /* outermost: saved rbp 0 */
	put(&stk, STK + 0x208, 0x405678);

	/* In the body, with and without knowing the function. */
	ck_assert_int_eq(step(0x401050, STK + 0xf0, STK + 0x100, 0x50, prologue, sizeof(prologue),
			      body, 2, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401234);
	ck_assert_uint_eq(c.sp, STK + 0x110);
	ck_assert_uint_eq(c.fp, STK + 0x200);
	ck_assert_int_eq(step(0x401050, STK + 0xf0, STK + 0x100, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401234);
	ck_assert_uint_eq(c.sp, STK + 0x110);
	ck_assert_uint_eq(c.fp, STK + 0x200);
	/* fp == sp is fine (right after mov %rsp,%rbp). */
	ck_assert_int_eq(step(0x401004, STK + 0x100, STK + 0x100, 4, prologue, sizeof(prologue),
			      body, 2, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401234);
	/* The next frame: saved rbp 0 still gives a caller. */
	ck_assert_int_eq(step(0x401234, STK + 0x110, STK + 0x200, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x405678);
	ck_assert_uint_eq(c.sp, STK + 0x210);
	ck_assert_uint_eq(c.fp, 0);
	/* Then fp 0: the outermost frame. */
	ck_assert_int_eq(step(0x405678, STK + 0x210, 0, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_NOTFOUND);
	/* pc 0: nothing to unwind. */
	ck_assert_int_eq(step(0, STK + 0x210, STK + 0x100, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_NOTFOUND);
	/* A zero return address ends the chain too. */
	put(&stk, STK + 0x308, 0);
	put(&stk, STK + 0x300, STK + 0x400);
	ck_assert_int_eq(step(0x401000, STK + 0x2f0, STK + 0x300, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_NOTFOUND);
}
END_TEST

START_TEST(test_fp_prologue_epilogue)
{
	struct kt_fp_frame c;

	memset(&stk, 0, sizeof(stk));
	/* At entry: return address on top; rbp is still the caller's. */
	put(&stk, STK + 0x80, 0x401111);
	ck_assert_int_eq(step(0x402000, STK + 0x80, STK + 0x400, 0, prologue, sizeof(prologue),
			      prologue, sizeof(prologue), &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401111);
	ck_assert_uint_eq(c.sp, STK + 0x88);
	ck_assert_uint_eq(c.fp, STK + 0x400);
	/* With endbr64: before the push is offsets 0..4. */
	for (uint64_t off = 0; off <= 4; off++) {
		ck_assert_int_eq(step(0x402000 + off, STK + 0x80, STK + 0x400, off, endbr_prologue,
				      sizeof(endbr_prologue), NULL, 0, &c),
				 KT_OK);
		ck_assert_uint_eq(c.pc, 0x401111);
		ck_assert_uint_eq(c.sp, STK + 0x88);
	}
	/* After push, before mov: saved rbp on top, then the return address. */
	put(&stk, STK + 0x78, STK + 0x300);
	ck_assert_int_eq(step(0x402001, STK + 0x78, STK + 0x400, 1, prologue, sizeof(prologue),
			      prologue + 1, sizeof(prologue) - 1, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401111);
	ck_assert_uint_eq(c.sp, STK + 0x88);
	ck_assert_uint_eq(c.fp, STK + 0x300);
	ck_assert_int_eq(step(0x402005, STK + 0x78, STK + 0x400, 5, endbr_prologue,
			      sizeof(endbr_prologue), NULL, 0, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401111);
	ck_assert_uint_eq(c.fp, STK + 0x300);
	/* At ret (after leave): the return address is on top. */
	ck_assert_int_eq(step(0x402040, STK + 0x80, STK + 0x300, 0x40, prologue, sizeof(prologue),
			      ret, 1, &c),
			 KT_OK);
	ck_assert_uint_eq(c.pc, 0x401111);
	ck_assert_uint_eq(c.sp, STK + 0x88);
	ck_assert_uint_eq(c.fp, STK + 0x300);
	ck_assert_int_eq(
		step(0x402040, STK + 0x80, STK + 0x300, UINT64_MAX, NULL, 0, rep_ret, 2, &c),
		KT_OK);
	ck_assert_uint_eq(c.pc, 0x401111);
	ck_assert_uint_eq(c.sp, STK + 0x88);
	/* At entry, with the entry stack unreadable. */
	ck_assert_int_eq(
		step(0x402000, 0x1000, STK + 0x400, 0, prologue, sizeof(prologue), NULL, 0, &c),
		KT_ERR_MEM);
	ck_assert_int_eq(step(0x402001, STK + STK_SIZE - 8, STK + 0x400, 1, prologue,
			      sizeof(prologue), NULL, 0, &c),
			 KT_ERR_MEM);
	ck_assert_int_eq(step(0x402040, 0x1000, STK + 0x300, UINT64_MAX, NULL, 0, ret, 1, &c),
			 KT_ERR_MEM);
}
END_TEST

START_TEST(test_fp_corrupt)
{
	struct kt_fp_frame c;

	memset(&stk, 0, sizeof(stk));
	put(&stk, STK + 0x100, STK + 0x80); /* saved rbp below the frame: a loop */
	put(&stk, STK + 0x108, 0x401234);
	put(&stk, STK + 0x200, STK + 0x200); /* points at itself */
	put(&stk, STK + 0x208, 0x401234);

	ck_assert_int_eq(step(0x401000, STK + 0xf0, STK + 0x100, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_CORRUPT);
	ck_assert_int_eq(step(0x401000, STK + 0xf0, STK + 0x200, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_CORRUPT);
	/* Misaligned. */
	ck_assert_int_eq(step(0x401000, STK + 0xf0, STK + 0x104, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_CORRUPT);
	/* Below the stack pointer. */
	ck_assert_int_eq(step(0x401000, STK + 0x180, STK + 0x100, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_CORRUPT);
	/* Unreadable: outside the stack, and the return-address word past its end. */
	ck_assert_int_eq(step(0x401000, 0x10000, 0x20000, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_MEM);
	ck_assert_int_eq(step(0x401000, STK, STK + STK_SIZE - 8, UINT64_MAX, NULL, 0, NULL, 0, &c),
			 KT_ERR_MEM);
}
END_TEST

/* ----- signal frames ----- */

static const uint8_t restore_rt[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x90};

static uint64_t
sreg(const struct kt_regs *r, const char *name)
{
	const struct kt_reg_desc *d = kt_arch_reg_by_name(x86, name, strlen(name));

	ck_assert_ptr_nonnull(d);
	return kt_reg_get(r, d);
}

/* A stepped pushf pushed TF: after_single_step clears it, and only then. */
START_TEST(test_after_single_step)
{
	static const uint8_t pushf[] = {0x9c, 0x90}, pushfq_66[] = {0x66, 0x9c},
			     push_rax[] = {0x50, 0x90};
	struct kt_regs r;
	uint64_t w;

	memset(&stk, 0, sizeof(stk));
	memset(&r, 0, sizeof(r));
	r.w[R(rsp)] = STK + 0x100;
	put(&stk, STK + 0x100, 0x346); /* IF, ZF, PF, TF (0x100) */
	x86->after_single_step(pushf, sizeof(pushf), &r, &mem);
	memcpy(&w, stk.b + 0x100, 8);
	ck_assert_uint_eq(w, 0x246);
	put(&stk, STK + 0x100, 0x346);
	x86->after_single_step(pushfq_66, sizeof(pushfq_66), &r, &mem);
	memcpy(&w, stk.b + 0x100, 8);
	ck_assert_uint_eq(w, 0x246);
	/* Not a pushf: the word on the stack is the program's, left alone. */
	put(&stk, STK + 0x100, 0x346);
	x86->after_single_step(push_rax, sizeof(push_rax), &r, &mem);
	memcpy(&w, stk.b + 0x100, 8);
	ck_assert_uint_eq(w, 0x346);
}
END_TEST

START_TEST(test_sigframe)
{
	/* struct sigcontext's order of the general registers. */
	static const char *const sc[] = {"r8",  "r9",  "r10", "r11", "r12", "r13",
					 "r14", "r15", "rdi", "rsi", "rbp", "rbx",
					 "rdx", "rax", "rcx", "rsp", "rip", "eflags"};
	const uint64_t sp = STK + 0x200; /* &uc, after the handler's ret */
	struct kt_regs out;

	memset(&stk, 0, sizeof(stk));
	put(&stk, sp, 0x7);        /* uc_flags */
	put(&stk, sp + 8, 0);      /* uc_link */
	put(&stk, sp + 16, 0xdead); /* uc_stack: not registers */
	for (size_t i = 0; i < 18; i++)
		put(&stk, sp + 40 + 8 * i, 0x1000 + i);
	put(&stk, sp + 40 + 8 * 15, STK + 0x800);       /* rsp */
	put(&stk, sp + 40 + 8 * 16, 0x401234);          /* rip */
	put(&stk, sp + 40 + 8 * 18, 0x2bull << 48 | 0x33); /* cs, gs, fs, ss */
	ck_assert_int_eq(x86->sigframe_step(sp, restore_rt, sizeof(restore_rt), &mem, &out), KT_OK);
	for (size_t i = 0; i < 18; i++)
		if (i != 15 && i != 16)
			ck_assert_uint_eq(sreg(&out, sc[i]), 0x1000 + i);
	ck_assert_uint_eq(kt_regs_pc(x86, &out), 0x401234);
	ck_assert_uint_eq(kt_regs_sp(x86, &out), STK + 0x800);
	ck_assert_uint_eq(sreg(&out, "cs"), 0x33);
	ck_assert_uint_eq(sreg(&out, "ss"), 0x2b);
	ck_assert_uint_eq(out.w[15], UINT64_MAX); /* orig_rax: no restart */

	/* Not the trampoline: another system call, a truncated read, other code. */
	uint8_t other[sizeof(restore_rt)];
	memcpy(other, restore_rt, sizeof(other));
	other[3] = 0x3c; /* mov $60 (exit),%rax */
	ck_assert_int_eq(x86->sigframe_step(sp, other, sizeof(other), &mem, &out), KT_ERR_NOTFOUND);
	ck_assert_int_eq(x86->sigframe_step(sp, restore_rt, 8, &mem, &out), KT_ERR_NOTFOUND);
	ck_assert_int_eq(x86->sigframe_step(sp, body, sizeof(body), &mem, &out), KT_ERR_NOTFOUND);
	ck_assert_int_eq(x86->sigframe_step(sp, NULL, 0, &mem, &out), KT_ERR_NOTFOUND);
	/* A context past the readable stack, or past the address space. */
	ck_assert_int_eq(x86->sigframe_step(STK + STK_SIZE - 64, restore_rt, sizeof(restore_rt),
					    &mem, &out),
			 KT_ERR_MEM);
	ck_assert_int_eq(x86->sigframe_step(UINT64_MAX - 100, restore_rt, sizeof(restore_rt), &mem,
					    &out),
			 KT_ERR_MEM);
}
END_TEST

static Suite *
arch_suite(void)
{
	Suite *s = suite_create("arch_x86");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_classify_patch);
	tcase_add_test(tc, test_classify_program_traps);
	tcase_add_test(tc, test_classify_step);
	tcase_add_test(tc, test_classify_other_signals);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_register_names);
	tcase_add_test(tc, test_subregisters);
	tcase_add_test(tc, test_set_pc);
	tcase_add_test(tc, test_disassemble);
	tcase_add_test(tc, test_insn_length_is_call);
	tcase_add_test(tc, test_skip_prologue);
	tcase_add_test(tc, test_fp_standard);
	tcase_add_test(tc, test_fp_prologue_epilogue);
	tcase_add_test(tc, test_fp_corrupt);
	tcase_add_test(tc, test_sigframe);
	tcase_add_test(tc, test_after_single_step);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(arch_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
