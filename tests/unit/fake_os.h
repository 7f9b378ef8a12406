/* SPDX-License-Identifier: MIT */
/*
 * fake_os.h - a fake struct kt_os for unit tests of the tracer core: no
 * ptrace, no processes.  Each known pid owns a 64 KiB "inferior" memory at
 * FAKE_BASE; peek/poke/read/write work on it (peek and poke need whole
 * words inside it, like PTRACE_PEEKDATA on a mapped page), an unknown pid
 * answers KT_ERR_GONE and an address outside the buffer KT_ERR_MEM.  Every
 * other operation fails with KT_ERR_UNSUPPORTED, so a test notices when the
 * code under test reaches for the process.  Counters record how often each
 * memory operation ran; fail_peek/fail_poke make the next ones fail.
 */
#ifndef KT_FAKE_OS_H
#define KT_FAKE_OS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"

#define FAKE_BASE 0x400000ull
#define FAKE_SIZE 65536u
#define FAKE_NPID 4

struct fake_os {
	struct kt_os os; /* first: the code under test sees only this */
	pid_t pids[FAKE_NPID];
	uint8_t *mem[FAKE_NPID];
	unsigned npeek, npoke, nread, nwrite, nother;
	bool fail_peek, fail_poke;
};

static inline struct fake_os *
fake_of(struct kt_os *os)
{
	return (struct fake_os *)os;
}

/* The memory of PID, or NULL if the fake does not know it. */
static inline uint8_t *
fake_mem(struct fake_os *f, pid_t pid)
{
	for (int i = 0; i < FAKE_NPID; i++)
		if (f->pids[i] == pid && f->mem[i])
			return f->mem[i];
	return NULL;
}

static inline bool
fake_in(uint64_t addr, size_t len)
{
	return addr >= FAKE_BASE && len <= FAKE_SIZE && addr - FAKE_BASE <= FAKE_SIZE - len;
}

static inline kt_status
fake_peek(struct kt_os *os, pid_t tid, uint64_t addr, uint64_t *word)
{
	struct fake_os *f = fake_of(os);
	uint8_t *m = fake_mem(f, tid);

	f->npeek++;
	if (f->fail_peek || !m)
		return KT_ERR_GONE;
	if (!fake_in(addr, 8))
		return KT_ERR_MEM;
	memcpy(word, m + (addr - FAKE_BASE), 8);
	return KT_OK;
}

static inline kt_status
fake_poke(struct kt_os *os, pid_t tid, uint64_t addr, uint64_t word)
{
	struct fake_os *f = fake_of(os);
	uint8_t *m = fake_mem(f, tid);

	f->npoke++;
	if (f->fail_poke || !m)
		return KT_ERR_GONE;
	if (!fake_in(addr, 8))
		return KT_ERR_MEM;
	memcpy(m + (addr - FAKE_BASE), &word, 8);
	return KT_OK;
}

static inline kt_status
fake_read(struct kt_os *os, pid_t pid, uint64_t addr, void *buf, size_t len, size_t *got)
{
	struct fake_os *f = fake_of(os);
	uint8_t *m = fake_mem(f, pid);
	size_t n = 0;

	f->nread++;
	*got = 0;
	if (!m)
		return KT_ERR_GONE;
	if (addr >= FAKE_BASE && addr - FAKE_BASE < FAKE_SIZE) {
		n = FAKE_SIZE - (size_t)(addr - FAKE_BASE);
		if (n > len)
			n = len;
		memcpy(buf, m + (addr - FAKE_BASE), n);
	}
	*got = n;
	return n == len ? KT_OK : KT_ERR_MEM;
}

static inline kt_status
fake_write(struct kt_os *os, pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct fake_os *f = fake_of(os);
	uint8_t *m = fake_mem(f, pid);

	f->nwrite++;
	if (!m)
		return KT_ERR_GONE;
	if (!fake_in(addr, len))
		return KT_ERR_MEM;
	memcpy(m + (addr - FAKE_BASE), buf, len);
	return KT_OK;
}

static inline kt_status
fake_wait(struct kt_os *os, int timeout_ms, enum kt_wake *wake, struct kt_os_event *ev, int *sig)
{
	fake_of(os)->nother++;
	return KT_ERR_NOTFOUND;
}

static inline kt_status
fake_tid_op(struct kt_os *os, pid_t tid)
{
	fake_of(os)->nother++;
	return KT_ERR_UNSUPPORTED;
}

static inline kt_status
fake_seize(struct kt_os *os, pid_t tid, unsigned long options)
{
	return fake_tid_op(os, tid);
}

static inline kt_status
fake_sig_op(struct kt_os *os, pid_t tid, int sig)
{
	return fake_tid_op(os, tid);
}

static inline kt_status
fake_get_regs(struct kt_os *os, pid_t tid, void *buf, size_t len)
{
	return fake_tid_op(os, tid);
}

static inline kt_status
fake_set_regs(struct kt_os *os, pid_t tid, const void *buf, size_t len)
{
	return fake_tid_op(os, tid);
}

static inline kt_status
fake_siginfo(struct kt_os *os, pid_t tid, siginfo_t *si)
{
	return fake_tid_op(os, tid);
}

static inline kt_status
fake_event_msg(struct kt_os *os, pid_t tid, unsigned long *msg)
{
	return fake_tid_op(os, tid);
}

static inline int
fake_flush(struct kt_os *os)
{
	(void)os;
	return 0;
}

static inline void
fake_nothing(struct kt_os *os)
{
}

static inline kt_status
fake_tgkill(struct kt_os *os, pid_t pid, pid_t tid, int sig)
{
	return fake_tid_op(os, tid);
}

static const struct kt_os_ops fake_os_ops = {
	.wait = fake_wait,
	.seize = fake_seize,
	.interrupt = fake_tid_op,
	.cont = fake_sig_op,
	.step = fake_sig_op,
	.listen = fake_tid_op,
	.detach = fake_sig_op,
	.get_regs = fake_get_regs,
	.set_regs = fake_set_regs,
	.siginfo = fake_siginfo,
	.event_msg = fake_event_msg,
	.peek = fake_peek,
	.poke = fake_poke,
	.read = fake_read,
	.write = fake_write,
	.flush_signals = fake_flush,
	.child_prepare = fake_nothing,
	.tgkill = fake_tgkill,
};

/* A fake with no process; add them with fake_os_add_pid(). */
static inline struct fake_os *
fake_os_new(void)
{
	struct fake_os *f = calloc(1, sizeof(*f));

	if (f)
		f->os.ops = &fake_os_ops;
	return f;
}

/*
 * Give PID its own memory: a copy of FROM's (a fork) when FROM is known,
 * else zeroes.  Returns that memory, or NULL if the fake is full.
 */
static inline uint8_t *
fake_os_add_pid(struct fake_os *f, pid_t pid, pid_t from)
{
	const uint8_t *src = fake_mem(f, from);

	for (int i = 0; i < FAKE_NPID; i++) {
		if (f->mem[i])
			continue;
		if (!(f->mem[i] = calloc(1, FAKE_SIZE)))
			return NULL;
		if (src)
			memcpy(f->mem[i], src, FAKE_SIZE);
		f->pids[i] = pid;
		return f->mem[i];
	}
	return NULL;
}

static inline void
fake_os_free(struct fake_os *f)
{
	if (!f)
		return;
	for (int i = 0; i < FAKE_NPID; i++)
		free(f->mem[i]);
	free(f);
}

#endif
