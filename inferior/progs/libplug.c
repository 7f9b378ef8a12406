/* SPDX-License-Identifier: MIT */
/*
 * libplug - the shared object dlmain loads at run time, to test breakpoints
 * on code that is not mapped when the process starts (pending breakpoints,
 * shared-library events).  plug_fn(x) returns x*7.
 */

int plug_fn(int x);

__attribute__((noinline)) int
plug_fn(int x)
{
	return x * 7;
}
