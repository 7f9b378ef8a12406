/* SPDX-License-Identifier: MIT */
/*
 * os_linux.c - the OS table over Linux: ptrace requests, waitpid with a
 * signalfd so SIGINT/SIGTERM/SIGHUP wake the tracer without races,
 * memory through process_vm_readv, /proc/PID/mem and PEEK/POKE, and the
 * address-space map from /proc/PID/maps.  The only file that calls ptrace
 * or waitpid.
 */
#include "attr.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include <elf.h>

struct os_linux {
	struct kt_os base;
	int sigfd;
	sigset_t sigset;            /* what sigfd reads: SIGINT, SIGTERM, SIGHUP, SIGCHLD */
	sigset_t ends;              /* SIGINT, SIGTERM, SIGHUP: see wake_tracer */
	struct sigaction old_hup;
	bool drained;               /* see lx_wait */
	bool held;                  /* an exit event kept while a signal went first */
	struct kt_os_event held_ev;
	sigset_t old_mask;          /* as kitrace found them, for children */
	struct sigaction old_int, old_term;
	pid_t mem_pid; /* the process mem_fd is open for, or 0 */
	int mem_fd;
};

static struct os_linux *
L(struct kt_os *os)
{
	return (struct os_linux *)os;
}

static KT_HOT kt_status
ptrace_status(long rc)
{
	return rc == -1 ? kt_status_from_errno(errno) : KT_OK;
}

/*
 * The requests of every breakpoint hit (GETSIGINFO, GETREGSET, SETREGSET,
 * CONT) go straight to the system call: glibc's ptrace() walks a va_list
 * and special-cases the PEEK requests, which none of these is.
 */
static KT_HOT long
pt(int req, pid_t tid, void *addr, void *data)
{
	return syscall(SYS_ptrace, (long)req, (long)tid, addr, data);
}

/*
 * Waiting costs system calls on every breakpoint hit, so it is frugal.
 *
 * Without a time limit it is one blocking waitpid.  SIGINT, SIGTERM and
 * SIGHUP must still end it, and a signal that arrives just before the
 * waitpid must not be lost: wake_tracer, their handler, keeps the signal
 * (blocked and raised again, to be taken with its number later) and
 * starts a child that exits at once.  That exit is an event waitpid
 * returns whenever it is called, and each exit event makes lx_wait look
 * for a kept signal.  The handler uses SA_RESTART, so nothing else in
 * kitrace sees EINTR.
 *
 * With a time limit: every tracee state change raises SIGCHLD, blocked
 * and kept pending until taken.  Once a waitpid(WNOHANG) has found
 * nothing ("drained"), any later event raises a SIGCHLD not yet taken, so
 * the wait goes straight to sigtimedwait().  Taking a SIGCHLD, or anyone
 * else reading the signalfd, ends the drained state.
 */
static void
wake_tracer(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int e = errno;

	sigaddset(&uc->uc_sigmask, sig); /* still blocked after we return */
	raise(sig);                      /* pending again, for take_end */
	if (_Fork() == 0)
		_exit(0);
	errno = e;
}

/* Take a kept SIGINT/SIGTERM/SIGHUP, if any, and let the next one in. */
static int
take_end(struct os_linux *l)
{
	static const struct timespec now = {0, 0};
	siginfo_t si;
	int sig = sigtimedwait(&l->ends, &si, &now);

	if (sig <= 0)
		return 0;
	sigprocmask(SIG_UNBLOCK, &l->ends, NULL);
	return sig;
}

static KT_HOT kt_status
event(struct os_linux *l, pid_t tid, int status, enum kt_wake *wake, struct kt_os_event *ev,
      int *sig)
{
	l->drained = false;
	ev->tid = tid;
	ev->status = status;
	*wake = KT_WAKE_EVENT;
	if ((WIFEXITED(status) || WIFSIGNALED(status)) && (*sig = take_end(l)) != 0) {
		/* A signal to the tracer (its wake-up child's exit, or a real
		 * one's with a signal waiting): the signal goes first. */
		l->held = true;
		l->held_ev = *ev;
		*wake = KT_WAKE_SIGNAL;
	}
	return KT_OK;
}

static KT_HOT kt_status
lx_wait(struct kt_os *os, int timeout_ms, enum kt_wake *wake, struct kt_os_event *ev, int *sig)
{
	struct os_linux *l = L(os);
	int status;
	pid_t tid;

	if (l->held) {
		l->held = false;
		*ev = l->held_ev;
		*wake = KT_WAKE_EVENT;
		return KT_OK;
	}
	if (timeout_ms < 0) {
		do
			tid = waitpid(-1, &status, __WALL);
		while (tid < 0 && errno == EINTR);
		if (tid < 0)
			return errno == ECHILD ? KT_ERR_NOTFOUND : KT_ERR_SYS;
		return event(l, tid, status, wake, ev, sig);
	}
	for (;;) {
		if (!l->drained || timeout_ms == 0) {
			tid = waitpid(-1, &status, __WALL | WNOHANG);
			if (tid > 0)
				return event(l, tid, status, wake, ev, sig);
			if (tid < 0 && errno == ECHILD)
				return KT_ERR_NOTFOUND;
			if (tid < 0 && errno != EINTR)
				return KT_ERR_SYS;
			l->drained = tid == 0;
			if (timeout_ms == 0) {
				/* A poll for events already there: no signal round trip. */
				*wake = KT_WAKE_TIMEOUT;
				return KT_OK;
			}
			if (!l->drained)
				continue;
		}

		struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
		siginfo_t si;
		int signo = sigtimedwait(&l->sigset, &si, &ts);
		if (signo < 0 && errno == EAGAIN) {
			*wake = KT_WAKE_TIMEOUT;
			return KT_OK;
		}
		if (signo < 0 && errno != EINTR)
			return KT_ERR_SYS;
		if (signo == SIGCHLD) {
			l->drained = false;
		} else if (signo > 0) {
			sigprocmask(SIG_UNBLOCK, &l->ends, NULL);
			*wake = KT_WAKE_SIGNAL;
			*sig = signo;
			return KT_OK;
		}
	}
}

static kt_status
lx_seize(struct kt_os *os, pid_t tid, unsigned long options)
{
	return ptrace_status(ptrace(PTRACE_SEIZE, tid, 0, (void *)options));
}

static kt_status
lx_interrupt(struct kt_os *os, pid_t tid)
{
	return ptrace_status(ptrace(PTRACE_INTERRUPT, tid, 0, 0));
}

static KT_HOT kt_status
lx_cont(struct kt_os *os, pid_t tid, int sig)
{
	os->resumes++;
	return ptrace_status(pt(PTRACE_CONT, tid, 0, (void *)(long)sig));
}

static kt_status
lx_step(struct kt_os *os, pid_t tid, int sig)
{
	os->resumes++;
	return ptrace_status(ptrace(PTRACE_SINGLESTEP, tid, 0, (void *)(long)sig));
}

static kt_status
lx_listen(struct kt_os *os, pid_t tid)
{
	os->resumes++;
	return ptrace_status(ptrace(PTRACE_LISTEN, tid, 0, 0));
}

static kt_status
lx_detach(struct kt_os *os, pid_t tid, int sig)
{
	return ptrace_status(ptrace(PTRACE_DETACH, tid, 0, (void *)(long)sig));
}

static KT_HOT kt_status
lx_get_regs(struct kt_os *os, pid_t tid, void *buf, size_t len)
{
	struct iovec iov = {buf, len};

	return ptrace_status(pt(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov));
}

static KT_HOT kt_status
lx_set_regs(struct kt_os *os, pid_t tid, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};

	return ptrace_status(pt(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov));
}

static KT_HOT kt_status
lx_siginfo(struct kt_os *os, pid_t tid, siginfo_t *si)
{
	return ptrace_status(pt(PTRACE_GETSIGINFO, tid, 0, si));
}

static kt_status
lx_set_siginfo(struct kt_os *os, pid_t tid, const siginfo_t *si)
{
	return ptrace_status(ptrace(PTRACE_SETSIGINFO, tid, 0, si));
}

static kt_status
lx_event_msg(struct kt_os *os, pid_t tid, unsigned long *msg)
{
	return ptrace_status(ptrace(PTRACE_GETEVENTMSG, tid, 0, msg));
}

static kt_status
lx_peek(struct kt_os *os, pid_t tid, uint64_t addr, uint64_t *word)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKDATA, tid, (void *)addr, 0);
	if (v == -1 && errno != 0)
		return kt_status_from_errno(errno);
	*word = (uint64_t)v;
	return KT_OK;
}

static kt_status
lx_poke(struct kt_os *os, pid_t tid, uint64_t addr, uint64_t word)
{
	return ptrace_status(ptrace(PTRACE_POKEDATA, tid, (void *)addr, (void *)word));
}

static int
mem_fd(struct os_linux *l, pid_t pid)
{
	if (l->mem_pid == pid && l->mem_fd >= 0)
		return l->mem_fd;
	if (l->mem_fd >= 0)
		close(l->mem_fd);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	l->mem_fd = open(path, O_RDWR | O_CLOEXEC);
	l->mem_pid = l->mem_fd >= 0 ? pid : 0;
	return l->mem_fd;
}

static kt_status
lx_read(struct kt_os *os, pid_t pid, uint64_t addr, void *buf, size_t len, size_t *got)
{
	struct iovec local = {buf, len}, remote = {(void *)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	*got = 0;
	if (n == (ssize_t)len) {
		*got = len;
		return KT_OK;
	}
	/* Partial or refused (e.g. PROT_NONE guard, EPERM): try /proc/PID/mem. */
	int fd = mem_fd(L(os), pid);
	if (fd >= 0) {
		size_t done = 0;
		while (done < len) {
			ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
			if (r <= 0)
				break;
			done += (size_t)r;
		}
		*got = done;
		if (done == len)
			return KT_OK;
	} else if (n > 0) {
		*got = (size_t)n;
	}
	return KT_ERR_MEM;
}

static kt_status
lx_write(struct kt_os *os, pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	int fd = mem_fd(L(os), pid);

	if (fd >= 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)addr);
		if (n == (ssize_t)len)
			return KT_OK;
	}
	struct iovec local = {(void *)buf, len}, remote = {(void *)addr, len};
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len)
		return KT_OK;
	return KT_ERR_MEM;
}

static kt_status
lx_tgkill(struct kt_os *os, pid_t pid, pid_t tid, int sig)
{
	return syscall(SYS_tgkill, pid, tid, sig) == 0 ? KT_OK : kt_status_from_errno(errno);
}

static int
lx_flush_signals(struct kt_os *os)
{
	struct signalfd_siginfo ssi;
	int end = 0;

	L(os)->drained = false;
	while (read(L(os)->sigfd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi))
		if (ssi.ssi_signo == SIGTERM || ssi.ssi_signo == SIGHUP)
			end = (int)ssi.ssi_signo;
	sigprocmask(SIG_UNBLOCK, &L(os)->ends, NULL);
	return end;
}

static void
lx_child_prepare(struct kt_os *os)
{
	struct os_linux *l = L(os);

	sigaction(SIGINT, &l->old_int, NULL);
	sigaction(SIGTERM, &l->old_term, NULL);
	sigaction(SIGHUP, &l->old_hup, NULL);
	sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
}

static kt_status
lx_pending(struct kt_os *os, pid_t tid, uint64_t *mask)
{
	char path[64], line[256];
	kt_status st = KT_ERR_NOTFOUND;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? KT_ERR_NOTFOUND : KT_ERR_SYS;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long m;
		if (sscanf(line, "SigPnd: %llx", &m) == 1) {
			*mask = m;
			st = KT_OK;
			break;
		}
	}
	fclose(f);
	return st;
}

bool
kt_os_linux_parse_mapping(char *line, struct kt_mapping *m)
{
	unsigned long long lo, hi, off;
	char perms[8];
	int pathpos = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms, &off, &pathpos) != 4 ||
	    pathpos == 0 || hi < lo || strlen(perms) < 3)
		return false;
	char *p = line + pathpos;
	p[strcspn(p, "\n")] = '\0';
	size_t n = strlen(p);
	static const char deleted[] = " (deleted)";
	m->deleted = n >= sizeof(deleted) - 1 && strcmp(p + n - (sizeof(deleted) - 1), deleted) == 0;
	if (m->deleted)
		p[n - (sizeof(deleted) - 1)] = '\0';
	m->lo = lo;
	m->hi = hi;
	m->off = off;
	m->read = perms[0] == 'r';
	m->write = perms[1] == 'w';
	m->exec = perms[2] == 'x';
	m->path = p;
	return true;
}

static kt_status
lx_mappings(struct kt_os *os, pid_t pid, bool (*fn)(void *ctx, const struct kt_mapping *m),
	    void *ctx)
{
	char path[64], line[4096 + 256]; /* a PATH_MAX path and the fields before it */
	struct kt_mapping m;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? KT_ERR_GONE : kt_status_from_errno(errno);
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			/* Longer than any path can make it: not ours to guess at. */
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (kt_os_linux_parse_mapping(line, &m) && !fn(ctx, &m))
			break;
	}
	fclose(f);
	return KT_OK;
}

static int
lx_wait_input(struct kt_os *os, int fd)
{
	struct os_linux *l = L(os);
	struct pollfd p[2] = {{fd, POLLIN, 0}, {l->sigfd, POLLIN, 0}};

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo ssi;
			l->drained = false;
			if (read(l->sigfd, &ssi, sizeof(ssi)) == (ssize_t)sizeof(ssi) &&
			    ssi.ssi_signo != SIGCHLD) {
				sigprocmask(SIG_UNBLOCK, &l->ends, NULL);
				return (int)ssi.ssi_signo;
			}
			continue;
		}
		if (p[0].revents)
			return 0;
	}
}

/*
 * Debug registers.  x86-64: DR0..DR3, DR6 and DR7 through PEEKUSER and
 * POKEUSER in struct user; DR7 is cleared first so that no slot is ever
 * armed with a stale address or length.  AArch64: one regset per bank,
 * struct user_hwdebug_state, slot count in the low byte of dbg_info.
 */
#if defined(__x86_64__)
#include <stddef.h>
#include <sys/user.h>
#define DR_OFF(i) (offsetof(struct user, u_debugreg) + (i) * sizeof(long))

static kt_status
lx_hw_slots(struct kt_os *os, pid_t tid, unsigned n[2])
{
	(void)os;
	(void)tid;
	n[0] = 4;
	n[1] = 0;
	return KT_OK;
}

static kt_status
lx_hw_get(struct kt_os *os, pid_t tid, struct kt_hw_regs *r)
{
	(void)os;
	memset(r, 0, sizeof(*r));
	r->n[0] = 4;
	for (int i = 0; i < 8; i++) {
		if (i == 4 || i == 5)
			continue;
		errno = 0;
		long v = ptrace(PTRACE_PEEKUSER, tid, (void *)DR_OFF(i), NULL);
		if (v == -1 && errno)
			return kt_status_from_errno(errno);
		if (i < 4)
			r->addr[0][i] = (uint64_t)v;
		else if (i == 7)
			r->dr7 = (uint64_t)v;
	}
	return KT_OK;
}

static kt_status
lx_hw_set(struct kt_os *os, pid_t tid, const struct kt_hw_regs *r)
{
	kt_status st;

	(void)os;
	if ((st = ptrace_status(ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(7), NULL))) != KT_OK)
		return st;
	for (int i = 0; i < 4; i++) {
		/* Free slots get address 0: nothing of ours is left behind. */
		st = ptrace_status(ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(i),
					  (void *)(uintptr_t)(r->dr7 & (3ull << (2 * i))
								  ? r->addr[0][i]
								  : 0)));
		if (st != KT_OK)
			return st;
	}
	if (!r->dr7)
		return KT_OK;
	return ptrace_status(
		ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(7), (void *)(uintptr_t)r->dr7));
}

static kt_status
lx_hw_status(struct kt_os *os, pid_t tid, uint64_t *status)
{
	(void)os;
	errno = 0;
	long v = ptrace(PTRACE_PEEKUSER, tid, (void *)DR_OFF(6), NULL);
	if (v == -1 && errno)
		return kt_status_from_errno(errno);
	*status = (uint64_t)v;
	/* Clear it, as the hardware never does. */
	ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(6), NULL);
	return KT_OK;
}
#elif defined(__aarch64__)
#include <asm/ptrace.h>
#include <stddef.h>

static const int hw_regset[2] = {NT_ARM_HW_BREAK, NT_ARM_HW_WATCH};

static kt_status
hw_read_bank(pid_t tid, int bank, struct user_hwdebug_state *d)
{
	struct iovec iov = {d, sizeof(*d)};

	memset(d, 0, sizeof(*d));
	return ptrace_status(ptrace(PTRACE_GETREGSET, tid, (void *)(long)hw_regset[bank], &iov));
}

static kt_status
lx_hw_slots(struct kt_os *os, pid_t tid, unsigned n[2])
{
	struct user_hwdebug_state d;
	kt_status st;

	(void)os;
	for (int b = 0; b < 2; b++) {
		if ((st = hw_read_bank(tid, b, &d)) != KT_OK)
			return st;
		n[b] = d.dbg_info & 0xff;
		if (n[b] > KT_HW_MAX)
			n[b] = KT_HW_MAX;
	}
	return KT_OK;
}

static kt_status
lx_hw_get(struct kt_os *os, pid_t tid, struct kt_hw_regs *r)
{
	struct user_hwdebug_state d;
	kt_status st;

	(void)os;
	memset(r, 0, sizeof(*r));
	for (int b = 0; b < 2; b++) {
		if ((st = hw_read_bank(tid, b, &d)) != KT_OK)
			return st;
		r->n[b] = d.dbg_info & 0xff;
		if (r->n[b] > KT_HW_MAX)
			r->n[b] = KT_HW_MAX;
		for (unsigned i = 0; i < r->n[b]; i++) {
			r->addr[b][i] = d.dbg_regs[i].addr;
			r->ctrl[b][i] = d.dbg_regs[i].ctrl;
		}
	}
	return KT_OK;
}

static kt_status
lx_hw_set(struct kt_os *os, pid_t tid, const struct kt_hw_regs *r)
{
	struct user_hwdebug_state d;
	kt_status st;

	(void)os;
	for (int b = 0; b < 2; b++) {
		unsigned n = r->n[b] < KT_HW_MAX ? r->n[b] : KT_HW_MAX;
		if (n == 0)
			continue;
		memset(&d, 0, sizeof(d));
		for (unsigned i = 0; i < n; i++) {
			d.dbg_regs[i].addr = r->addr[b][i];
			d.dbg_regs[i].ctrl = r->ctrl[b][i];
		}
		struct iovec iov = {&d, offsetof(struct user_hwdebug_state, dbg_regs) +
					       n * sizeof(d.dbg_regs[0])};
		st = ptrace_status(
			ptrace(PTRACE_SETREGSET, tid, (void *)(long)hw_regset[b], &iov));
		if (st != KT_OK)
			return st;
	}
	return KT_OK;
}

static kt_status
lx_hw_status(struct kt_os *os, pid_t tid, uint64_t *status)
{
	(void)os;
	(void)tid;
	*status = 0;
	return KT_OK;
}
#endif

#if defined(__x86_64__) || defined(__aarch64__)
/*
 * Whether armed debug registers fire at all: some hypervisors accept them
 * and never deliver the trap.  A throw-away child (a fork of kitrace) stops
 * itself, gets an execution breakpoint on probe_target, then calls it.
 */
static __attribute__((noinline)) void
probe_target(void)
{
	__asm__ volatile("" ::: "memory");
}

static kt_status
lx_hw_probe(struct kt_os *os, const struct kt_arch *arch, bool *fires)
{
	struct kt_hw_point pt = {KT_HW_EXEC, (uint64_t)(uintptr_t)probe_target, 1};
	struct kt_hw_regs r;
	kt_status st = KT_ERR_STATE;
	bool reaped = false;
	int status, slot;

	*fires = false;
	pid_t pid = fork();
	if (pid < 0)
		return KT_ERR_SYS;
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 && raise(SIGSTOP) == 0)
			probe_target();
		_exit(0);
	}
	memset(&r, 0, sizeof(r));
	if (waitpid(pid, &status, __WALL) == pid && WIFSTOPPED(status) &&
	    (st = lx_hw_slots(os, pid, r.n)) == KT_OK &&
	    (st = arch->hw_encode(&pt, 1, &r, &slot)) == KT_OK &&
	    (st = lx_hw_set(os, pid, &r)) == KT_OK &&
	    (st = ptrace_status(ptrace(PTRACE_CONT, pid, NULL, NULL))) == KT_OK) {
		if (waitpid(pid, &status, __WALL) != pid)
			st = kt_status_from_errno(errno);
		else if (WIFSTOPPED(status))
			*fires = WSTOPSIG(status) == SIGTRAP;
		else
			reaped = true; /* it ran past the breakpoint and exited */
	}
	if (!reaped) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
			;
	}
	return st;
}
#endif

static const struct kt_os_ops linux_ops = {
#if defined(__x86_64__) || defined(__aarch64__)
	.hw_probe = lx_hw_probe,
	.hw_slots = lx_hw_slots,
	.hw_get = lx_hw_get,
	.hw_set = lx_hw_set,
	.hw_status = lx_hw_status,
#endif
	.child_prepare = lx_child_prepare,
	.flush_signals = lx_flush_signals,
	.wait = lx_wait,
	.seize = lx_seize,
	.interrupt = lx_interrupt,
	.cont = lx_cont,
	.step = lx_step,
	.listen = lx_listen,
	.detach = lx_detach,
	.get_regs = lx_get_regs,
	.set_regs = lx_set_regs,
	.siginfo = lx_siginfo,
	.set_siginfo = lx_set_siginfo,
	.event_msg = lx_event_msg,
	.peek = lx_peek,
	.poke = lx_poke,
	.read = lx_read,
	.write = lx_write,
	.tgkill = lx_tgkill,
	.pending = lx_pending,
	.mappings = lx_mappings,
	.wait_input = lx_wait_input,
};

struct kt_os *
kt_os_linux_new(void)
{
	struct os_linux *l = calloc(1, sizeof(*l));
	sigset_t set;

	if (!l)
		return NULL;
	sigemptyset(&l->ends);
	sigaddset(&l->ends, SIGINT);
	sigaddset(&l->ends, SIGTERM);
	sigaddset(&l->ends, SIGHUP);
	set = l->ends;
	sigaddset(&set, SIGCHLD);
	struct sigaction wake;
	memset(&wake, 0, sizeof(wake));
	wake.sa_sigaction = wake_tracer;
	wake.sa_flags = SA_SIGINFO | SA_RESTART;
	wake.sa_mask = l->ends;
	sigaction(SIGINT, &wake, &l->old_int);
	sigaction(SIGTERM, &wake, &l->old_term);
	sigaction(SIGHUP, &wake, &l->old_hup);
	if (l->old_hup.sa_handler == SIG_IGN)
		sigaction(SIGHUP, &l->old_hup, NULL); /* nohup: it stays ignored */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &l->old_mask) != 0 ||
	    sigprocmask(SIG_UNBLOCK, &l->ends, NULL) != 0) {
		KT_SAVE_ERRNO(free(l));
		return NULL;
	}
	l->sigset = set;
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0) {
		KT_SAVE_ERRNO(free(l));
		return NULL;
	}
	l->mem_fd = -1;
	l->base.ops = &linux_ops;
	return &l->base;
}

void
kt_os_linux_forget(struct kt_os *os, pid_t pid)
{
	struct os_linux *l = L(os);

	if (l->mem_pid == pid && l->mem_fd >= 0) {
		close(l->mem_fd);
		l->mem_fd = -1;
		l->mem_pid = 0;
	}
}

void
kt_os_linux_free(struct kt_os *os)
{
	struct os_linux *l = L(os);

	if (!l)
		return;
	if (l->mem_fd >= 0)
		close(l->mem_fd);
	close(l->sigfd);
	free(l);
}
