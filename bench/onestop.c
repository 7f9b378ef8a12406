/* SPDX-License-Identifier: MIT */
/*
 * onestop - the cost floor of a ptrace breakpoint on this machine: the least
 * a tracer can do per conditional-breakpoint hit.  bench/bp_bench.sh
 * compares kitrace and gdb with it.
 *
 *	onestop [-s SYMBOL] PROGRAM [ARG...]
 *
 * Starts PROGRAM under ptrace (fork, PTRACE_TRACEME, exec), finds SYMBOL
 * (default "hot") with nm(1), adds the load bias from /proc/PID/maps if the
 * program is PIE, and plants an int3 on its first instruction, which must be
 * push %rbp (0x55); otherwise it refuses.  On each hit it takes exactly one
 * ptrace stop: GETREGS, evaluates the condition "rdi < 0" (counted, never
 * true for bp_loop), emulates the displaced push %rbp (rsp -= 8, [rsp] = rbp,
 * rip = SYMBOL + 1), SETREGS, CONT.  No single-stepping, no re-insertion.
 *
 * On AArch64 the patch is brk #0 on the first instruction, which must be
 * sub sp, sp, #imm (a leaf's frame at -O0); each hit does GETREGSET
 * NT_PRSTATUS, tests "x0 < 0", emulates the sub (sp -= imm, pc += 4) and
 * SETREGSET.  Where nm is missing (the emulated AArch64 guest), the
 * environment variable ONESTOP_VALUE gives the symbol's value in hex.
 *
 * PROGRAM's output passes through.  At the end it prints, on stderr,
 * "onestop: hits=H cond_true=C seconds=S hits_per_sec=R" and exits with
 * PROGRAM's exit status (128+N if a signal killed it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
die(const char *what)
{
	fprintf(stderr, "onestop: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The symbol's st_value, from `nm --defined-only PROGRAM`. */
static uint64_t
symbol_value(const char *prog, const char *sym)
{
	char cmd[PATH_MAX + 64], line[512];
	uint64_t value = 0;
	int found = 0;
	FILE *p;
	const char *given = getenv("ONESTOP_VALUE");

	if (given && *given)
		return strtoull(given, NULL, 16);
	snprintf(cmd, sizeof(cmd), "nm --defined-only '%s' 2>/dev/null", prog);
	p = popen(cmd, "r");
	if (!p)
		die("popen nm");
	while (fgets(line, sizeof(line), p)) {
		char name[256], type;
		uint64_t v;

		if (sscanf(line, "%" SCNx64 " %c %255s", &v, &type, name) == 3 &&
		    (type == 'T' || type == 't') && strcmp(name, sym) == 0) {
			value = v;
			found = 1;
		}
	}
	pclose(p);
	if (!found) {
		fprintf(stderr, "onestop: no function %s in %s (nm)\n", sym, prog);
		exit(2);
	}
	return value;
}

/* 1 if PROGRAM is ET_DYN (PIE), 0 if ET_EXEC. */
static int
is_pie(const char *prog)
{
	unsigned char h[18];
	int fd = open(prog, O_RDONLY);

	if (fd < 0)
		die(prog);
	if (read(fd, h, sizeof(h)) != (ssize_t)sizeof(h) || memcmp(h, "\177ELF", 4) != 0) {
		fprintf(stderr, "onestop: %s: not an ELF file\n", prog);
		exit(2);
	}
	close(fd);
	return h[16] == 3; /* e_type, little-endian: ET_DYN */
}

/* Start of the lowest mapping of PROGRAM's file in PID (the load bias). */
static uint64_t
load_base(pid_t pid, const char *prog)
{
	char maps[64], line[PATH_MAX + 128], real[PATH_MAX];
	uint64_t base = 0;
	FILE *f;

	if (!realpath(prog, real))
		die(prog);
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "r");
	if (!f)
		die(maps);
	while (fgets(line, sizeof(line), f)) {
		uint64_t lo, off;
		char *path = strchr(line, '/');

		if (!path || sscanf(line, "%" SCNx64 "-%*x %*s %" SCNx64, &lo, &off) != 2)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, real) == 0 && off == 0) {
			base = lo;
			break;
		}
	}
	fclose(f);
	if (!base) {
		fprintf(stderr, "onestop: %s not found in %s\n", real, maps);
		exit(2);
	}
	return base;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *sym = "hot";
	uint64_t addr, hits = 0, cond_true = 0;
	long orig;
	double t0;
	pid_t pid;
	int status, argi = 1;

	if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		sym = argv[2];
		argi = 3;
	}
	if (argi >= argc) {
		fprintf(stderr, "usage: onestop [-s SYMBOL] PROGRAM [ARG...]\n");
		return 2;
	}
	addr = symbol_value(argv[argi], sym);

	t0 = now();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			die("PTRACE_TRACEME");
		execv(argv[argi], &argv[argi]);
		die(argv[argi]);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		fprintf(stderr, "onestop: %s did not stop at exec\n", argv[argi]);
		return 2;
	}
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_EXITKILL);
	if (is_pie(argv[argi]))
		addr += load_base(pid, argv[argi]);

	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)addr, NULL);
	if (errno)
		die("PTRACE_PEEKTEXT");
#if defined(__aarch64__)
	uint32_t first = (uint32_t)orig;
	uint64_t frame = (first >> 10) & 0xfff;
	if ((first & 0xffc003ffu) != 0xd10003ffu) {
		fprintf(stderr, "onestop: %s does not begin with sub sp, sp, #imm but 0x%08x\n",
			sym, first);
		kill(pid, SIGKILL);
		return 2;
	}
	if (ptrace(PTRACE_POKETEXT, pid, (void *)addr,
		   (void *)((orig & ~0xffffffffL) | 0xd4200000L)) < 0) /* brk #0 */
		die("PTRACE_POKETEXT");
#else
	if ((orig & 0xff) != 0x55) {
		fprintf(stderr, "onestop: %s does not begin with push %%rbp (0x55) but 0x%02lx\n",
			sym, orig & 0xff);
		kill(pid, SIGKILL);
		return 2;
	}
	if (ptrace(PTRACE_POKETEXT, pid, (void *)addr, (void *)((orig & ~0xffL) | 0xcc)) < 0)
		die("PTRACE_POKETEXT");
#endif

	for (int sig = 0;;) {
		struct user_regs_struct regs;

		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) < 0)
			die("PTRACE_CONT");
		sig = 0;
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) != SIGTRAP) {
			sig = WSTOPSIG(status);
			continue;
		}
#if defined(__aarch64__)
		struct iovec iov = {&regs, sizeof(regs)};
		if (ptrace(PTRACE_GETREGSET, pid, (void *)(long)NT_PRSTATUS, &iov) < 0)
			die("PTRACE_GETREGSET");
		if (regs.pc != addr) {
			sig = SIGTRAP; /* not ours */
			continue;
		}
		hits++;
		if ((long long)regs.regs[0] < 0)
			cond_true++; /* a real tracer would stop here */
		/* execute the displaced sub sp, sp, #frame */
		regs.sp -= frame;
		regs.pc = addr + 4;
		if (ptrace(PTRACE_SETREGSET, pid, (void *)(long)NT_PRSTATUS, &iov) < 0)
			die("PTRACE_SETREGSET");
#else
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
			die("PTRACE_GETREGS");
		if (regs.rip - 1 != addr) {
			sig = SIGTRAP; /* not ours */
			continue;
		}
		hits++;
		if ((long long)regs.rdi < 0)
			cond_true++; /* a real tracer would stop here */
		/* execute the displaced push %rbp */
		regs.rsp -= 8;
		if (ptrace(PTRACE_POKEDATA, pid, (void *)regs.rsp, (void *)regs.rbp) < 0)
			die("PTRACE_POKEDATA");
		regs.rip = addr + 1;
		if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
			die("PTRACE_SETREGS");
#endif
	}

	double secs = now() - t0;

	fprintf(stderr,
		"onestop: hits=%" PRIu64 " cond_true=%" PRIu64 " seconds=%.3f hits_per_sec=%.0f\n",
		hits, cond_true, secs, secs > 0 ? hits / secs : 0.0);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
