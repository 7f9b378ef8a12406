/* SPDX-License-Identifier: MIT */
/*
 * bp_loop - a breakpoint-throughput inferior.  main calls hot(i) for
 * i = 0 .. N-1 (N = argv[1], default 100000), sums the results, then calls
 * cold(sum) once and prints:
 *
 *	sum=<sum of hot(i)>
 *	cold=<cold(sum)>
 *
 * hot(x) returns x*2+1, so sum = N*N exactly; cold(x) returns x+1.  Both are
 * noinline frame-pointer functions beginning with push %rbp, so a breakpoint
 * on hot is hit exactly N times and one on cold exactly once.  bench/ uses
 * it as the breakpoint benchmark and the tests as a hit counter.
 */
#include <stdio.h>
#include <stdlib.h>

long hot(long x);
long cold(long x);

__attribute__((noinline)) long
hot(long x)
{
	return x * 2 + 1;
}

__attribute__((noinline)) long
cold(long x)
{
	return x + 1;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : 100000;
	long sum = 0;

	for (long i = 0; i < n; i++)
		sum += hot(i);
	printf("sum=%ld\n", sum);
	printf("cold=%ld\n", cold(sum));
	return 0;
}
