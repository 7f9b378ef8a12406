/* SPDX-License-Identifier: MIT */
/* gj.c - the template object of 00_progs.sh's gjit check: gjit registers
   copies of gj_0000000 as GDB JIT objects and calls them. */
int gj_0000000(void (*cb)(void))
{
	cb();
	return 1;
}
