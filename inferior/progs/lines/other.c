/* SPDX-License-Identifier: MIT */
/*
 * other.c - the second file of the "lines" test program (lines.c): a
 * function a step enters across files.  Returns a + b.
 */
#include "other.h"

int
other_add(int a, int b)
{
	int r = a + b; /* L_OTHER_BODY */
	return r;      /* L_OTHER_RET */
}
