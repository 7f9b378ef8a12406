/* SPDX-License-Identifier: MIT */
/*
 * libnolines.so - a shared library built without debug information
 * (-g0, Makefile): "step" into nolines_twice() from lines.c finds no line
 * information and steps over it.  nolines_twice(v) returns 2 * v.
 */
int nolines_twice(int v);

int
nolines_twice(int v)
{
	return 2 * v;
}
