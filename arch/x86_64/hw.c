/* SPDX-License-Identifier: MIT */
/*
 * hw.c - the x86-64 debug registers: encoding hardware breakpoints and
 * watchpoints into DR0..DR3 and DR7, and reading DR6 after a hit.  Pure
 * functions; the OS layer writes the registers (PTRACE_POKEUSER).
 *
 * DR7 per slot i: local enable L_i at bit 2i; R/W at bits 16+4i (00
 * execute, 01 write, 11 read or write: there is no read-only encoding);
 * LEN at bits 18+4i (00 one byte, 01 two, 11 four, 10 eight; execute
 * must be 00).  A data address must be aligned to its length.  DR6 bits
 * B0..B3 name the slots that fired.
 */
#include "hw.h"

#include <signal.h>

kt_status
x86_64_hw_check(const struct kt_hw_point *p, const char **why)
{
	if (p->kind == KT_HW_EXEC)
		return KT_OK;
	if (p->len != 1 && p->len != 2 && p->len != 4 && p->len != 8) {
		*why = "x86-64 debug registers watch 1, 2, 4 or 8 bytes";
		return KT_ERR_INVAL;
	}
	if (p->addr % p->len != 0) {
		*why = "the address is not aligned to the watched length";
		return KT_ERR_INVAL;
	}
	return KT_OK;
}

static uint64_t
len_bits(uint8_t len)
{
	switch (len) {
	case 2:
		return 1;
	case 4:
		return 3;
	case 8:
		return 2;
	default:
		return 0;
	}
}

static uint64_t
rw_bits(enum kt_hw_kind kind)
{
	switch (kind) {
	case KT_HW_EXEC:
		return 0;
	case KT_HW_WRITE:
		return 1;
	default:
		return 3; /* read and access alike */
	}
}

kt_status
x86_64_hw_encode(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs, int *slot)
{
	kt_status st = kt_hw_prepare(p, n, regs, 0, slot, x86_64_hw_check);
	if (st != KT_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		int k = slot[i];
		uint64_t len = p[i].kind == KT_HW_EXEC ? 0 : len_bits(p[i].len);
		regs->addr[0][k] = p[i].addr;
		regs->dr7 |= (uint64_t)1 << (2 * k);
		regs->dr7 |= (rw_bits(p[i].kind) | len << 2) << (16 + 4 * k);
	}
	return KT_OK;
}

int
x86_64_hw_decode(const struct kt_hw_regs *regs, const struct kt_trap_in *in, uint64_t status)
{
	(void)in;
	for (int k = 0; k < 4; k++)
		if ((status & ((uint64_t)1 << k)) && (regs->dr7 & ((uint64_t)1 << (2 * k))))
			return KT_HW_SLOT(0, k);
	return -1;
}

void
x86_64_hw_disable(const struct kt_hw_regs *regs, int slot, struct kt_hw_regs *out)
{
	*out = *regs;
	if (slot >= 0 && slot < 4)
		out->dr7 &= ~(((uint64_t)3 << (2 * slot)) | ((uint64_t)0xf << (16 + 4 * slot)));
}

/* EFLAGS.RF: the next instruction does not raise an execution breakpoint. */
#define X86_EFLAGS_RF 0x10000u
#define X86_W_EFLAGS 18 /* struct user_regs_struct word of eflags */

bool
x86_64_hw_skip_exec(struct kt_regs *regs, bool skip)
{
	uint64_t was = regs->w[X86_W_EFLAGS];

	if (skip)
		regs->w[X86_W_EFLAGS] |= X86_EFLAGS_RF;
	else
		regs->w[X86_W_EFLAGS] &= ~(uint64_t)X86_EFLAGS_RF;
	return regs->w[X86_W_EFLAGS] != was;
}
