/* SPDX-License-Identifier: MIT */
/*
 * sigcrash - a crash inside a signal handler, for unwinding through the
 * signal trampoline.
 *
 * "sigcrash" (or "sigcrash alarm"): prints "sigcrash: start" (flushed),
 * arms a 50 ms SIGALRM timer and spins in spin_here(), called from main.
 * The SIGALRM handler on_alarm() calls crash_a(), which calls crash_b(),
 * which calls crash_c(), which stores through the bad pointer (int *)0x10:
 * SIGSEGV (SEGV_MAPERR at 0x10) kills the process, with the stack
 * crash_c, crash_b, crash_a, on_alarm, the signal trampoline, spin_here,
 * main.
 *
 * "sigcrash first": prints "sigcrash: start", installs on_segv() for
 * SIGSEGV and calls first_insn_faults(), whose very first instruction
 * faults (x86-64: hlt, a privileged instruction: SIGSEGV, si_code
 * SI_KERNEL; AArch64: a load through its NULL argument, SIGSEGV; not udf,
 * which is a trap instruction and so a crash by itself in batch mode).
 * on_segv() calls crash_a() as above; the SIGSEGV arrives while the first
 * signal is blocked in the handler and kills the process: stack crash_c, crash_b, crash_a,
 * on_segv, the trampoline, first_insn_faults (at offset 0: the interrupted
 * pc is the faulting instruction, not a return address), main.  The
 * function placed just before first_insn_faults is before_first (never
 * called).  Prints nothing after "start".
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

int crash_a(int depth);
int crash_b(int depth);
int crash_c(int depth);
void spin_here(void);
void before_first(void);
void first_insn_faults(int *p); /* p: NULL */

int *volatile bad_ptr = (int *)0x10;
volatile unsigned long spins;

__attribute__((noinline)) int
crash_c(int depth)
{
	int *p = bad_ptr;

	*p = depth; /* SIGSEGV: SEGV_MAPERR at 0x10 */
	return depth + 3;
}

__attribute__((noinline)) int
crash_b(int depth)
{
	return crash_c(depth + 1) + 1;
}

__attribute__((noinline)) int
crash_a(int depth)
{
	return crash_b(depth + 1) + 1;
}

static void
on_alarm(int sig)
{
	crash_a(sig);
}

static void
on_segv(int sig)
{
	crash_a(sig);
}

__attribute__((noinline)) void
spin_here(void)
{
	for (;;)
		spins++;
}

/* Two functions back to back, with call frame information; the second
 * faults on its first instruction.  The first ends with another CFA rule
 * (x86-64: after a push), so an unwinder that took the interrupted pc for
 * a return address (looking up pc - 1) would find a wrong caller. */
#if defined(__x86_64__)
__asm__(".text\n"
	".globl before_first\n.type before_first, @function\n"
	"before_first:\n.cfi_startproc\n\tpush %rbp\n.cfi_def_cfa_offset 16\n\tud2\n"
	".cfi_endproc\n"
	".size before_first, .-before_first\n"
	".globl first_insn_faults\n.type first_insn_faults, @function\n"
	"first_insn_faults:\n.cfi_startproc\n\thlt\n\tret\n.cfi_endproc\n"
	".size first_insn_faults, .-first_insn_faults\n");
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl before_first\n.type before_first, %function\n"
	"before_first:\n.cfi_startproc\n\tret\n.cfi_endproc\n"
	".size before_first, .-before_first\n"
	".globl first_insn_faults\n.type first_insn_faults, %function\n"
	"first_insn_faults:\n.cfi_startproc\n\tldr w1, [x0]\n\tret\n.cfi_endproc\n"
	".size first_insn_faults, .-first_insn_faults\n");
#endif

int
main(int argc, char **argv)
{
	struct sigaction sa;

	printf("sigcrash: start\n");
	fflush(stdout);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	if (argc > 1 && strcmp(argv[1], "first") == 0) {
		sa.sa_handler = on_segv;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGILL, &sa, NULL);
		first_insn_faults(NULL);
		return 1;
	}
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
	spin_here();
	return 1;
}
