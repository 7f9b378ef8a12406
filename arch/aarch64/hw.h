/* SPDX-License-Identifier: MIT */
/*
 * hw.h - the AArch64 debug-register encoders (hw.c); they fill the hw_*
 * slots of kt_arch_aarch64 and are unit-tested directly.
 */
#ifndef KT_AARCH64_HW_H
#define KT_AARCH64_HW_H

#include "arch.h"

/* Control word fields (DBGBCR<n>_EL1 / DBGWCR<n>_EL1). */
#define A64_HW_ENABLE 0x1u
#define A64_HW_EL0 (0x2u << 1)      /* PMC/PAC: match at EL0 only */
#define A64_HW_LSC_LOAD (0x1u << 3) /* watchpoints: trap loads */
#define A64_HW_LSC_STORE (0x2u << 3)
#define A64_HW_BAS_SHIFT 5

kt_status a64_hw_check(const struct kt_hw_point *p, const char **why);
kt_status a64_hw_encode(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs,
			int *slot);
int a64_hw_decode(const struct kt_hw_regs *regs, const struct kt_trap_in *in, uint64_t status);
void a64_hw_disable(const struct kt_hw_regs *regs, int slot, struct kt_hw_regs *out);

#endif
