/* SPDX-License-Identifier: MIT */
/*
 * jitemit.h - the machine code that the JIT test programs (kj_stress,
 * kj_heal, kj_scribble) write, for x86-64 and AArch64.  Those programs build
 * each function from jit_enter(), one body and jit_leave(). The shapes are
 * the same on both machines: a frame-pointer frame and the same return
 * values. Each emitter writes at P and returns the number of bytes it wrote.
 *
 *   x86-64:  push %rbp; mov %rsp,%rbp;       BODY; pop %rbp; ret
 *   AArch64: stp x29, x30, [sp, #-16]!; mov x29, sp; BODY; ldp x29, x30, [sp], #16; ret
 *
 * JIT_FP_PROLOGUE is the length of that frame set-up. It is the value for
 * kitjit_info.unwind.prologue_len, and kitrace's `break NAME` stops at
 * NAME+JIT_FP_PROLOGUE. JIT_FILL is a byte that fills unused code space
 * (int3 on x86-64; on AArch64, 0x00000000 is udf #0). jit_ready() must run
 * after code is written and before it is called: on AArch64 it cleans the
 * D-cache and invalidates the I-cache for those bytes; on x86-64 it does
 * nothing. AArch64 code must start on a 4-byte boundary.
 */
#ifndef KT_PROGS_JITEMIT_H
#define KT_PROGS_JITEMIT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "jitemit.h: x86-64 and AArch64 only"
#endif

#if defined(__x86_64__)
#define JIT_FP_PROLOGUE 4
#define JIT_FILL 0xcc
#else
#define JIT_FP_PROLOGUE 8
#define JIT_FILL 0x00
#endif

/* Copy the N bytes of BYTES to P; return N. */
static inline size_t
jit_put(unsigned char *p, const void *bytes, size_t n)
{
	memcpy(p, bytes, n);
	return n;
}

#if defined(__aarch64__)
/* Append the A64 instruction word W (little-endian) at P; return 4. */
static inline size_t
jit_w(unsigned char *p, uint32_t w)
{
	return jit_put(p, &w, 4);
}

/* movz/movk: 0x52800000 movz w, 0x72800000 movk w, | 0x80000000 for x; hw
 * selects the 16-bit slot (lsl #16*hw). */
static inline uint32_t
a64_mov16(uint32_t op, int rd, unsigned hw, uint32_t imm16)
{
	return op | hw << 21 | (imm16 & 0xffff) << 5 | (uint32_t)rd;
}
#endif

/* The frame set-up: JIT_FP_PROLOGUE bytes. */
static inline size_t
jit_enter(unsigned char *p)
{
#if defined(__x86_64__)
	static const unsigned char b[] = { 0x55, 0x48, 0x89, 0xe5 };
	return jit_put(p, b, sizeof b);
#else
	size_t n = jit_w(p, 0xa9bf7bfd); /* stp x29, x30, [sp, #-16]! */
	return n + jit_w(p + n, 0x910003fd); /* mov x29, sp */
#endif
}

/* The frame tear-down and the return. */
static inline size_t
jit_leave(unsigned char *p)
{
#if defined(__x86_64__)
	static const unsigned char b[] = { 0x5d, 0xc3 };
	return jit_put(p, b, sizeof b);
#else
	size_t n = jit_w(p, 0xa8c17bfd); /* ldp x29, x30, [sp], #16 */
	return n + jit_w(p + n, 0xd65f03c0); /* ret */
#endif
}

/* The 32-bit return value is IMM, in one of two encodings of different
 * lengths (SHAPE 0 or 1), so the same memory holds different bytes.
 *   x86-64:  0: mov $imm,%eax          1: xor %eax,%eax; add $imm,%eax
 *   AArch64: 0: movz w0, #lo; movk w0, #hi, lsl #16
 *            1: mov w0, wzr; movz w1, #hi, lsl #16; movk w1, #lo; add w0, w0, w1 */
static inline size_t
jit_body_const(unsigned char *p, int shape, uint32_t imm)
{
	size_t n = 0;
#if defined(__x86_64__)
	if (shape) {
		static const unsigned char b[] = { 0x31, 0xc0, 0x05 };
		n += jit_put(p, b, sizeof b);
	} else {
		p[n++] = 0xb8;
	}
	n += jit_put(p + n, &imm, 4);
#else
	if (shape) {
		n += jit_w(p, 0x2a1f03e0); /* mov w0, wzr */
		n += jit_w(p + n, a64_mov16(0x52800000, 1, 1, imm >> 16));
		n += jit_w(p + n, a64_mov16(0x72800000, 1, 0, imm));
		n += jit_w(p + n, 0x0b010000); /* add w0, w0, w1 */
	} else {
		n += jit_w(p, a64_mov16(0x52800000, 0, 0, imm));
		n += jit_w(p + n, a64_mov16(0x72800000, 0, 1, imm >> 16));
	}
#endif
	return n;
}

/* a + b (64 bits) of the first two arguments:
 * lea (%rdi,%rsi),%rax / add x0, x0, x1 */
static inline size_t
jit_body_add(unsigned char *p)
{
#if defined(__x86_64__)
	static const unsigned char b[] = { 0x48, 0x8d, 0x04, 0x37 };
	return jit_put(p, b, sizeof b);
#else
	return jit_w(p, 0x8b010000);
#endif
}

/* a * b (64 bits) of the first two arguments:
 * mov %rdi,%rax; imul %rsi,%rax / mul x0, x0, x1 */
static inline size_t
jit_body_mul(unsigned char *p)
{
#if defined(__x86_64__)
	static const unsigned char b[] = { 0x48, 0x89, 0xf8, 0x48, 0x0f, 0xaf, 0xc6 };
	return jit_put(p, b, sizeof b);
#else
	return jit_w(p, 0x9b017c00);
#endif
}

/* The first (int) argument plus 7:
 * mov %edi,%eax; add $7,%eax / add w0, w0, #7 */
static inline size_t
jit_body_add7(unsigned char *p)
{
#if defined(__x86_64__)
	static const unsigned char b[] = { 0x89, 0xf8, 0x83, 0xc0, 0x07 };
	return jit_put(p, b, sizeof b);
#else
	return jit_w(p, 0x11001c00);
#endif
}

/* A 64-bit load from the absolute address 0x10, which faults:
 * mov 0x10,%rax / mov x0, #0x10; ldr x0, [x0] */
static inline size_t
jit_body_load_0x10(unsigned char *p)
{
#if defined(__x86_64__)
	static const unsigned char b[] = { 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00 };
	return jit_put(p, b, sizeof b);
#else
	size_t n = jit_w(p, 0xd2800200); /* mov x0, #0x10 */
	return n + jit_w(p + n, 0xf9400000); /* ldr x0, [x0] */
#endif
}

/* A call to the absolute address TARGET through a scratch register:
 * movabs $target,%rax; call *%rax
 * / movz x16, #t0; movk x16, #t1, lsl #16; ... lsl #48; blr x16 */
static inline size_t
jit_body_call(unsigned char *p, uint64_t target)
{
	size_t n = 0;
#if defined(__x86_64__)
	static const unsigned char mov[] = { 0x48, 0xb8 }, call[] = { 0xff, 0xd0 };
	n += jit_put(p, mov, sizeof mov);
	n += jit_put(p + n, &target, 8);
	n += jit_put(p + n, call, sizeof call);
#else
	for (unsigned hw = 0; hw < 4; hw++)
		n += jit_w(p + n, a64_mov16(hw ? 0xf2800000 : 0xd2800000, 16, hw,
					    (uint32_t)(target >> (16 * hw))));
	n += jit_w(p + n, 0xd63f0200); /* blr x16 */
#endif
	return n;
}

/* A whole function at P: the frame, what BODY (a jit_body_* without
 * arguments) writes, the return. Returns its length. */
static inline size_t
jit_func(unsigned char *p, size_t (*body)(unsigned char *))
{
	size_t n = jit_enter(p);
	n += body(p + n);
	return n + jit_leave(p + n);
}

/* Make the N bytes of code at P, just written, safe to execute. */
static inline void
jit_ready(unsigned char *p, size_t n)
{
	__builtin___clear_cache((char *)p, (char *)p + n);
}

#endif
