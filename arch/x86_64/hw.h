/* SPDX-License-Identifier: MIT */
/*
 * hw.h - the x86-64 debug-register encoders (hw.c); they fill the hw_*
 * slots of kt_arch_x86_64 and are unit-tested directly.
 */
#ifndef KT_X86_64_HW_H
#define KT_X86_64_HW_H

#include "arch.h"

kt_status x86_64_hw_check(const struct kt_hw_point *p, const char **why);
kt_status x86_64_hw_encode(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs,
			   int *slot);
int x86_64_hw_decode(const struct kt_hw_regs *regs, const struct kt_trap_in *in,
		     uint64_t status);
bool x86_64_hw_skip_exec(struct kt_regs *regs, bool skip);
void x86_64_hw_disable(const struct kt_hw_regs *regs, int slot, struct kt_hw_regs *out);

#endif
