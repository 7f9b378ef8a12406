/* SPDX-License-Identifier: MIT */
/*
 * hwprobe.c - does this machine deliver hardware breakpoint traps?  Some
 * hypervisors accept writes to the debug registers and never fire them;
 * the tests of hbreak and watch skip there, and this program, which shares
 * no code with kitrace, is how they tell.
 *
 * It forks a child that stops itself under PTRACE_TRACEME and then calls
 * target(); the parent arms an execution breakpoint on target() (x86-64:
 * DR0 and DR7 through POKEUSER; AArch64: slot 0 of NT_ARM_HW_BREAK) and
 * continues it.  Prints "hwprobe: fires" and exits 0 if the child stopped
 * with SIGTRAP, prints "hwprobe: does not fire" and exits 1 if it ran
 * past and exited, and exits 2 (with the reason) if it could not tell.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__aarch64__)
#include <asm/ptrace.h>
#endif

static __attribute__((noinline)) void
target(void)
{
	__asm__ volatile("" ::: "memory");
}

static int
arm(pid_t pid, uintptr_t addr)
{
#if defined(__x86_64__)
	size_t dr = offsetof(struct user, u_debugreg);
	if (ptrace(PTRACE_POKEUSER, pid, (void *)dr, (void *)addr) < 0)
		return -1;
	/* L0 set; R/W0 = 00 (execution), LEN0 = 00 */
	return (int)ptrace(PTRACE_POKEUSER, pid, (void *)(dr + 7 * sizeof(long)), (void *)1L);
#elif defined(__aarch64__)
	struct user_hwdebug_state d;
	memset(&d, 0, sizeof(d));
	d.dbg_regs[0].addr = addr;
	/* BAS = 0xf (an A64 instruction), PMC = 0b10 (EL0), E = 1 */
	d.dbg_regs[0].ctrl = (0xfu << 5) | (2u << 1) | 1u;
	struct iovec iov = {&d, offsetof(struct user_hwdebug_state, dbg_regs) + sizeof(d.dbg_regs[0])};
	return (int)ptrace(PTRACE_SETREGSET, pid, (void *)(long)NT_ARM_HW_BREAK, &iov);
#else
	(void)pid;
	(void)addr;
	errno = ENOSYS;
	return -1;
#endif
}

int
main(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("hwprobe: fork");
		return 2;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 && raise(SIGSTOP) == 0)
			target();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		fprintf(stderr, "hwprobe: the child did not stop\n");
		return 2;
	}
	if (arm(pid, (uintptr_t)target) < 0) {
		fprintf(stderr, "hwprobe: cannot arm a debug register: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		return 2;
	}
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	if (waitpid(pid, &status, 0) != pid) {
		perror("hwprobe: waitpid");
		return 2;
	}
	if (WIFSTOPPED(status)) {
		int sig = WSTOPSIG(status);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (sig == SIGTRAP) {
			puts("hwprobe: fires");
			return 0;
		}
		fprintf(stderr, "hwprobe: the child stopped with signal %d\n", sig);
		return 2;
	}
	puts("hwprobe: does not fire");
	return 1;
}
