/* SPDX-License-Identifier: MIT */
/*
 * heal.c - self-healing: an opt-in SIGTRAP handler that repairs a patch a
 * dead tracer left behind.  On a trap whose instruction address is in the
 * registry's patch journal and still holds the journalled patch bytes, it
 * writes the original bytes back (pwrite to /proc/self/mem, which works on
 * read-only code; then process_vm_writev for writable code; mprotect as
 * the last resort), points the pc at the repaired
 * instruction and returns, so the program runs on as if never patched.
 * Any other SIGTRAP goes to the handler that was installed before, or, if
 * there was none, kills the process with the default action as usual.
 *
 * Process-wide state (documented): the previous SIGTRAP disposition and
 * the /proc/self/mem descriptor, written once by kitjit_heal_install()
 * before the handler is installed.
 */
#include "kitjit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "kitjit_int.h"
#include "registry.h"

static struct sigaction heal_old;
static int heal_mem_fd = -1;
static pid_t heal_mem_pid; /* the fd names this process's memory only */
static int heal_state;	   /* 0 not installed, 1 installing, 2 installed */

/* The pc in UC, and where the trap instruction starts given that pc. */
static uint64_t
uc_pc(void *uc)
{
#if defined(__x86_64__)
	return (uint64_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uint64_t)((ucontext_t *)uc)->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

static void
uc_set_pc(void *uc, uint64_t pc)
{
#if defined(__x86_64__)
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] = (greg_t)pc;
#elif defined(__aarch64__)
	((ucontext_t *)uc)->uc_mcontext.pc = pc;
#else
	(void)uc;
	(void)pc;
#endif
}

static uint64_t
trap_addr(uint64_t pc)
{
#if defined(__x86_64__)
	return pc - 1; /* int3 reports the address after itself */
#else
	return pc; /* BRK reports its own address */
#endif
}

/* Write N bytes at ADDR in our own code. 0 or -1. Async-signal-safe. */
static int
write_code(uint64_t addr, const uint8_t *bytes, size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t lo, hi;
	int fd = heal_mem_fd, ok;

	/* After fork the descriptor still names the parent's memory. */
	if (fd < 0 || getpid() != heal_mem_pid)
		fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ok = fd >= 0 && pwrite(fd, bytes, n, (off_t)addr) == (ssize_t)n;
	if (fd >= 0 && fd != heal_mem_fd)
		close(fd);
	if (ok)
		goto done;
	/* Writable code (RWX JIT pages): a plain write, probed safely. */
	{
		struct iovec local = {(void *)(uintptr_t)bytes, n};
		struct iovec remote = {(void *)(uintptr_t)addr, n};

		if (process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n)
			goto done;
	}
	/* Not writable, so it was r-x (we executed it): open it up, write,
	 * and put r-x back. */
	if (page <= 0)
		return -1;
	lo = (uintptr_t)addr & ~((uintptr_t)page - 1);
	hi = ((uintptr_t)addr + n + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
		return -1;
	memcpy((void *)(uintptr_t)addr, bytes, n);
	mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC);
done:
	__builtin___clear_cache((char *)(uintptr_t)addr, (char *)(uintptr_t)(addr + n));
	return 0;
}

/* Repair the patch at ADDR if the journal has it.  1 if the thread may
 * resume at ADDR, 0 if the trap is not ours. */
static int
heal(uint64_t addr)
{
	const struct kt_jreg_writer *w = kj_writer_if_ready();
	uint8_t orig[KT_JREG_PATCH_MAX], patch[KT_JREG_PATCH_MAX];
	uint32_t slot;
	size_t n;

	if (!w || !addr)
		return 0;
	n = kt_jreg_writer_journal_find(w, addr, orig, patch, &slot);
	if (n == 0)
		return 0;
	if (memcmp((const void *)(uintptr_t)addr, orig, n) == 0)
		return 1; /* another thread healed it already */
	/* Invariant 2: restore only what is still our patch. */
	if (memcmp((const void *)(uintptr_t)addr, patch, n) != 0)
		return 0;
	if (write_code(addr, orig, n) != 0)
		return 0;
	kt_jreg_writer_journal_release(w, slot);
	return 1;
}

static void
heal_handler(int sig, siginfo_t *info, void *uc)
{
	int err = errno;

	if (heal(trap_addr(uc_pc(uc)))) {
		uc_set_pc(uc, trap_addr(uc_pc(uc)));
		errno = err;
		return;
	}
	errno = err;
	if (heal_old.sa_flags & SA_SIGINFO) {
		if (heal_old.sa_sigaction) {
			heal_old.sa_sigaction(sig, info, uc);
			return;
		}
	} else if (heal_old.sa_handler == SIG_IGN) {
		return;
	} else if (heal_old.sa_handler != SIG_DFL) {
		heal_old.sa_handler(sig);
		return;
	}
	/* No one else wants it: die of it as if we had never been here. */
	signal(SIGTRAP, SIG_DFL);
	raise(SIGTRAP);
}

KJ_EXPORT int
kitjit_heal_install(void)
{
	struct sigaction sa;
	int expect = 0;

	if (!__atomic_compare_exchange_n(&heal_state, &expect, 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&heal_state, __ATOMIC_ACQUIRE) == 1)
			;
		return 0;
	}
	if (!kj_writer()) {
		__atomic_store_n(&heal_state, 0, __ATOMIC_RELEASE);
		return -1;
	}
	heal_mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	heal_mem_pid = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = heal_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTRAP, &sa, &heal_old) != 0) {
		int err = errno;

		if (heal_mem_fd >= 0)
			close(heal_mem_fd);
		heal_mem_fd = -1;
		__atomic_store_n(&heal_state, 0, __ATOMIC_RELEASE);
		errno = err;
		return -1;
	}
	__atomic_store_n(&heal_state, 2, __ATOMIC_RELEASE);
	return 0;
}

void
kj_heal_from_env(void)
{
	const char *s = getenv("KITJIT_HEAL");

	if (s && strcmp(s, "1") == 0)
		kitjit_heal_install();
}
