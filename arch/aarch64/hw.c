/* SPDX-License-Identifier: MIT */
/*
 * hw.c - the AArch64 debug registers: encoding hardware breakpoints and
 * watchpoints into the address/control pairs of struct user_hwdebug_state
 * (NT_ARM_HW_BREAK, NT_ARM_HW_WATCH), and deciding which one a hit was.
 * Pure functions; the OS layer writes the registers (PTRACE_SETREGSET).
 *
 * Control word: bit 0 enable; bits 1-2 privilege (0b10: EL0); for
 * watchpoints bits 3-4 load/store control (01 load, 10 store, 11 both);
 * byte address select from bit 5.  A breakpoint's address is the 4-aligned
 * instruction with BAS 0b1111.  A watchpoint's address is 8-aligned and
 * BAS selects the watched bytes inside that doubleword, so a range may not
 * cross an 8-byte boundary.  The kernel reports a watchpoint hit with
 * si_code TRAP_HWBKPT and si_addr the data address the access used, which
 * may lie before the watched bytes for a wide access (stp, ldp).
 */
#include "hw.h"

kt_status
a64_hw_check(const struct kt_hw_point *p, const char **why)
{
	if (p->kind == KT_HW_EXEC) {
		if (p->addr % 4 != 0) {
			*why = "an A64 instruction address is 4-aligned";
			return KT_ERR_INVAL;
		}
		return KT_OK;
	}
	if (p->len < 1 || p->len > 8) {
		*why = "AArch64 watchpoints watch 1 to 8 bytes";
		return KT_ERR_INVAL;
	}
	if ((p->addr & 7) + p->len > 8) {
		*why = "the watched bytes cross an 8-byte boundary";
		return KT_ERR_INVAL;
	}
	return KT_OK;
}

static uint32_t
lsc(enum kt_hw_kind kind)
{
	switch (kind) {
	case KT_HW_WRITE:
		return A64_HW_LSC_STORE;
	case KT_HW_READ:
		return A64_HW_LSC_LOAD;
	default:
		return A64_HW_LSC_LOAD | A64_HW_LSC_STORE;
	}
}

kt_status
a64_hw_encode(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs, int *slot)
{
	kt_status st = kt_hw_prepare(p, n, regs, 1, slot, a64_hw_check);
	if (st != KT_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		int bank = slot[i] / KT_HW_MAX, k = slot[i] % KT_HW_MAX;
		if (p[i].kind == KT_HW_EXEC) {
			regs->addr[0][k] = p[i].addr;
			regs->ctrl[0][k] = A64_HW_ENABLE | A64_HW_EL0 | 0xfu << A64_HW_BAS_SHIFT;
			continue;
		}
		uint64_t base = p[i].addr & ~(uint64_t)7;
		uint32_t bas = ((1u << p[i].len) - 1) << (p[i].addr & 7);
		regs->addr[bank][k] = base;
		regs->ctrl[bank][k] =
			A64_HW_ENABLE | A64_HW_EL0 | lsc(p[i].kind) | bas << A64_HW_BAS_SHIFT;
	}
	return KT_OK;
}

/* The watched bytes of watchpoint slot K: [*lo, *hi). */
static bool
watched(const struct kt_hw_regs *regs, int k, uint64_t *lo, uint64_t *hi)
{
	uint32_t c = regs->ctrl[1][k];
	uint32_t bas = (c >> A64_HW_BAS_SHIFT) & 0xff;

	if (!(c & A64_HW_ENABLE) || !bas)
		return false;
	int first = __builtin_ctz(bas), last = 31 - __builtin_clz(bas);
	*lo = regs->addr[1][k] + (uint64_t)first;
	*hi = regs->addr[1][k] + (uint64_t)last + 1;
	return true;
}

int
a64_hw_decode(const struct kt_hw_regs *regs, const struct kt_trap_in *in, uint64_t status)
{
	(void)status;
	unsigned nb = regs->n[0] < KT_HW_MAX ? regs->n[0] : KT_HW_MAX;
	unsigned nw = regs->n[1] < KT_HW_MAX ? regs->n[1] : KT_HW_MAX;
	uint64_t a = in->fault_addr;
	int best = -1;
	uint64_t best_dist = UINT64_MAX;

	for (unsigned k = 0; k < nb; k++)
		if ((regs->ctrl[0][k] & A64_HW_ENABLE) && regs->addr[0][k] == in->pc &&
		    a == in->pc)
			return KT_HW_SLOT(0, (int)k);
	/* The watchpoint whose bytes hold the address, else the nearest one
	 * at most 16 bytes above it (a wide access starting below). */
	for (unsigned k = 0; k < nw; k++) {
		uint64_t lo, hi;
		if (!watched(regs, (int)k, &lo, &hi))
			continue;
		if (a >= lo && a < hi)
			return KT_HW_SLOT(1, (int)k);
		if (a < lo && lo - a <= 16 && lo - a < best_dist) {
			best_dist = lo - a;
			best = KT_HW_SLOT(1, (int)k);
		}
	}
	if (best >= 0)
		return best;
	for (unsigned k = 0; k < nb; k++)
		if ((regs->ctrl[0][k] & A64_HW_ENABLE) && regs->addr[0][k] == in->pc)
			return KT_HW_SLOT(0, (int)k);
	return -1;
}

void
a64_hw_disable(const struct kt_hw_regs *regs, int slot, struct kt_hw_regs *out)
{
	*out = *regs;
	if (slot >= 0 && slot < 2 * KT_HW_MAX)
		out->ctrl[slot / KT_HW_MAX][slot % KT_HW_MAX] &= ~A64_HW_ENABLE;
}
