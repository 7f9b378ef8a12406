/* SPDX-License-Identifier: MIT */
/*
 * excl.c - AArch64 exclusive windows: the load-exclusive ... store-exclusive
 * sequences no stop may interrupt (every exception return clears the
 * exclusive monitor, so a single step or a breakpoint between the two makes
 * the store fail forever).  It finds where a sequence can be left, so the
 * tracer runs it whole to a temporary breakpoint instead of single-stepping
 * it (GDB's aarch64_software_single_step does the same), and whether an
 * address lies inside one, so no breakpoint is planted there.
 */
#include "step.h"

#include <string.h>

/* Scan at most this many instructions, as GDB does. */
#define A64_SEQ_MAX 16

static uint32_t
word(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 1 for a load-exclusive, 2 for a store-exclusive, 0 otherwise (the
 * same encodings as the plan's inline-exclusive class). */
static int
exclusive_kind(uint32_t w)
{
	if ((w & 0x3f000000u) != 0x08000000u)
		return 0;
	unsigned o2 = (w >> 23) & 1, o1 = (w >> 21) & 1, size = w >> 30;
	if (o2 != 0 || (o1 == 1 && size < 2))
		return 0;
	return (w >> 22) & 1 ? 1 : 2;
}

static int64_t
sext(uint64_t v, unsigned bits)
{
	uint64_t m = (uint64_t)1 << (bits - 1);
	return (int64_t)((v ^ m) - m);
}

/* The target of a conditional branch (b.cond, cbz/cbnz, tbz/tbnz) at ADDR,
 * in *T; false if W is none. */
static bool
cond_branch(uint32_t w, uint64_t addr, uint64_t *t)
{
	if ((w & 0xff000010u) == 0x54000000u || (w & 0x7e000000u) == 0x34000000u) {
		*t = addr + (uint64_t)(sext((w >> 5) & 0x7ffff, 19) * 4);
		return true;
	}
	if ((w & 0x7e000000u) == 0x36000000u) {
		*t = addr + (uint64_t)(sext((w >> 5) & 0x3fff, 14) * 4);
		return true;
	}
	return false;
}

/* Branches, returns and exception-generating words end the scan. */
static bool
leaves(uint32_t w)
{
	return (w & 0x7c000000u) == 0x14000000u || /* b, bl */
	       (w & 0xfe000000u) == 0xd6000000u || /* br, blr, ret, eret... */
	       (w & 0xff000000u) == 0xd4000000u;   /* svc, brk, hlt... */
}

size_t
a64_exclusive_sequence(const uint8_t *code, size_t len, uint64_t addr, uint64_t ends[2])
{
	uint64_t bt = 0, t;
	int nbranch = 0;

	if (len < 4 || (addr & 3) != 0 || exclusive_kind(word(code)) != 1)
		return 0;
	for (size_t i = 4; i + 4 <= len && i < 4 * A64_SEQ_MAX; i += 4) {
		uint32_t w = word(code + i);
		if (exclusive_kind(w) == 2) {
			size_t n = 0;
			ends[n++] = addr + i + 4;
			if (nbranch && (bt < addr || bt > addr + i) && bt != ends[0])
				ends[n++] = bt;
			return n;
		}
		if (cond_branch(w, addr + i, &t)) {
			if (nbranch++)
				return 0;
			bt = t;
		} else if (leaves(w) || exclusive_kind(w) == 1) {
			return 0;
		}
	}
	return 0;
}

uint64_t
a64_exclusive_window(const uint8_t *before, size_t n, uint64_t addr)
{
	n -= n % 4;
	for (size_t i = n; i >= 4 && n - i < 4 * A64_SEQ_MAX; i -= 4) {
		uint32_t w = word(before + i - 4);
		int k = exclusive_kind(w);
		if (k == 1)
			return addr - (n - i) - 4;
		if (k == 2 || leaves(w))
			return 0;
	}
	return 0;
}
