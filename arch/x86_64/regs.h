/* SPDX-License-Identifier: MIT */
/*
 * regs.h - the x86-64 NT_PRSTATUS register file (the kernel's struct
 * user_regs_struct, 27 words), spelled out here rather than taken from the
 * host's <sys/user.h>, so the x86-64 table builds and is unit-tested on any
 * host (an AArch64 one included, where <sys/user.h> has the AArch64 layout).
 */
#ifndef KT_ARCH_X86_64_REGS_H
#define KT_ARCH_X86_64_REGS_H

struct kt_x64_user_regs {
	unsigned long long r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	unsigned long long rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags;
	unsigned long long rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};

#endif
