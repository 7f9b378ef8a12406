/* SPDX-License-Identifier: MIT */
/* other.h - the half of the "lines" program in lines/other.c. */
int other_add(int a, int b);
