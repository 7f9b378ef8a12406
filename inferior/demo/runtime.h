/* SPDX-License-Identifier: MIT */
/*
 * runtime.h - what JIT code calls at run time, and the code memory (runtime.c).
 */
#ifndef KD_RUNTIME_H
#define KD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* print(x): X in decimal and a newline on stdout, in one write(2). */
void kd_rt_print(int64_t x);

/* x / 0 on AArch64 (sdiv does not trap): raise SIGFPE in the calling thread. */
void kd_rt_divzero(void);

/*
 * Copy LEN bytes of machine code into a fresh mapping: mapped read-write,
 * filled, then made read-execute (W^X) and the instruction cache synced.
 * Returns the code's address, or NULL with errno set.
 */
void *kd_code_map(const void *code, size_t len);

/* Unmap code mapped by kd_code_map() (publications must be removed first). */
void kd_code_unmap(void *code, size_t len);

#endif
