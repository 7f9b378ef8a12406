/* SPDX-License-Identifier: MIT */
/*
 * t_a64.c - compiled for AArch64 by tests/unit/check_dwarf.c when clang and
 * ld.lld can (never run): CFI of a leaf and of a frame-pointer function.
 */
volatile int sink;

__attribute__((noinline)) int
a64_leaf(int a)
{
	return a * 5 + 1;
}

__attribute__((noinline)) int
a64_nonleaf(int a)
{
	int b = a64_leaf(a);

	sink = b;
	return a64_leaf(b) + a;
}
