/* SPDX-License-Identifier: MIT */
/* gone.c - 24_step.sh builds it, then deletes it: a program whose source
   is gone.  The test names lines 6 (in g) and 10 (the call in main). */
int g(int x)
{
	return x + 1;
}
int main(void)
{
	int v = g(1);
	return v - 2;
}
