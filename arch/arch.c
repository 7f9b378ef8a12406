/* SPDX-License-Identifier: MIT */
/*
 * arch.c - choosing an architecture table, and the register helpers every
 * architecture shares (lookup by name, reading and writing sub-registers).
 */
#include "attr.h"
#include "arch.h"

#include <elf.h>
#include <string.h>

const struct kt_arch *
kt_arch_for_elf_machine(unsigned machine)
{
	switch (machine) {
	case EM_X86_64:
		return &kt_arch_x86_64;
	case EM_AARCH64:
		return &kt_arch_aarch64;
	default:
		return NULL;
	}
}

const struct kt_arch *
kt_arch_host(void)
{
#if defined(__x86_64__)
	return &kt_arch_x86_64;
#elif defined(__aarch64__)
	return &kt_arch_aarch64;
#else
	return NULL;
#endif
}

const struct kt_reg_desc *
kt_arch_reg_by_name(const struct kt_arch *a, const char *name, size_t len)
{
	/* Every breakpoint condition naming a register asks on every hit:
	 * look at the first byte before comparing whole names. */
	for (size_t i = 0; len > 0 && i < a->nregs; i++) {
		const struct kt_reg_desc *d = &a->regs[i];
		if (d->name[0] == name[0] && strncmp(d->name, name, len) == 0 &&
		    d->name[len] == '\0')
			return d;
	}
	return NULL;
}

static uint64_t
reg_mask(const struct kt_reg_desc *d)
{
	return d->bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << d->bits) - 1);
}

KT_HOT uint64_t
kt_reg_get(const struct kt_regs *r, const struct kt_reg_desc *d)
{
	return (r->w[d->index] >> d->shift) & reg_mask(d);
}

void
kt_reg_set(struct kt_regs *r, const struct kt_reg_desc *d, uint64_t v)
{
	uint64_t m = reg_mask(d) << d->shift;

	/* x86-64 semantics: a 32-bit write zero-extends into the full register. */
	if (d->bits == 32 && d->shift == 0)
		r->w[d->index] = v & 0xffffffffu;
	else
		r->w[d->index] = (r->w[d->index] & ~m) | ((v << d->shift) & m);
}

kt_status
kt_hw_prepare(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs, int watch_bank,
	      int *slot, kt_status (*check)(const struct kt_hw_point *p, const char **why))
{
	unsigned used[2] = {0, 0};
	const char *why;

	memset(regs->addr, 0, sizeof(regs->addr));
	memset(regs->ctrl, 0, sizeof(regs->ctrl));
	regs->dr7 = 0;
	for (size_t i = 0; i < n; i++)
		if (check(&p[i], &why) != KT_OK)
			return KT_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		int bank = p[i].kind == KT_HW_EXEC ? 0 : watch_bank;
		unsigned have = regs->n[bank] < KT_HW_MAX ? regs->n[bank] : KT_HW_MAX;
		if (used[bank] >= have)
			return KT_ERR_BUSY;
		slot[i] = KT_HW_SLOT(bank, (int)used[bank]++);
	}
	return KT_OK;
}
