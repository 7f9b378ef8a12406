/* SPDX-License-Identifier: MIT */
/*
 * check_hwdebug.c - hardware breakpoints and watchpoints: the debug
 * register encoders and decoders of both arches (arch/x86_64/hw.c,
 * arch/aarch64/hw.c), and the tracer's use of them (tracer/hw.c) against
 * a fake OS that records every debug register write: arming every
 * thread, threads armed later, the slot limit, release on detach, GDB's
 * rules for which hits stop, and the AArch64 step past a hit with the
 * slot disabled.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "aarch64/hw.h"
#include "arch.h"
#include "fake_os.h"
#include "hw.h"
#include "patch.h"
#include "session.h"
#include "x86_64/hw.h"

/* ---- x86-64 encoder ---- */

START_TEST(test_x86_encode)
{
	struct kt_hw_point p[4] = {
		{KT_HW_WRITE, 0x1000, 4},
		{KT_HW_ACCESS, 0x2008, 8},
		{KT_HW_EXEC, 0x401234, 1},
		{KT_HW_READ, 0x3001, 1},
	};
	struct kt_hw_regs r = {.n = {4, 0}};
	int slot[4];

	ck_assert_int_eq(x86_64_hw_encode(p, 4, &r, slot), KT_OK);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(slot[i], i);
	ck_assert_uint_eq(r.addr[0][0], 0x1000);
	ck_assert_uint_eq(r.addr[0][1], 0x2008);
	ck_assert_uint_eq(r.addr[0][2], 0x401234);
	ck_assert_uint_eq(r.addr[0][3], 0x3001);
	/* L0..L3; slot 0 RW=01 LEN=11, slot 1 RW=11 LEN=10, slot 2 exec 00/00,
	 * slot 3 read as RW=11 LEN=00 */
	uint64_t want = 0x55 | (0x1ull | 0x3 << 2) << 16 | (0x3ull | 0x2 << 2) << 20 |
			0x0ull << 24 | 0x3ull << 28;
	ck_assert_uint_eq(r.dr7, want);
	/* two bytes: LEN=01 */
	struct kt_hw_point two = {KT_HW_WRITE, 0x1002, 2};
	ck_assert_int_eq(x86_64_hw_encode(&two, 1, &r, slot), KT_OK);
	ck_assert_uint_eq(r.dr7, 0x1 | (0x1ull | 0x1 << 2) << 16);
	ck_assert_uint_eq(r.addr[0][1], 0); /* rewritten: free slots cleared */
}
END_TEST

START_TEST(test_x86_refuse)
{
	struct kt_hw_point p[5];
	struct kt_hw_regs r = {.n = {4, 0}};
	const char *why = NULL;
	int slot[5];

	for (int i = 0; i < 5; i++)
		p[i] = (struct kt_hw_point){KT_HW_WRITE, 0x1000 + 8 * (uint64_t)i, 8};
	ck_assert_int_eq(x86_64_hw_encode(p, 5, &r, slot), KT_ERR_BUSY);
	ck_assert_int_eq(x86_64_hw_encode(p, 4, &r, slot), KT_OK);

	struct kt_hw_point bad = {KT_HW_WRITE, 0x1001, 4};
	ck_assert_int_eq(x86_64_hw_check(&bad, &why), KT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "aligned"));
	bad = (struct kt_hw_point){KT_HW_WRITE, 0x1000, 3};
	ck_assert_int_eq(x86_64_hw_check(&bad, &why), KT_ERR_INVAL);
	ck_assert_int_eq(x86_64_hw_encode(&bad, 1, &r, slot), KT_ERR_INVAL);
	/* execution ignores the length */
	bad = (struct kt_hw_point){KT_HW_EXEC, 0x401233, 0};
	ck_assert_int_eq(x86_64_hw_check(&bad, &why), KT_OK);
}
END_TEST

START_TEST(test_x86_decode_disable)
{
	struct kt_hw_point p[3] = {
		{KT_HW_WRITE, 0x1000, 4}, {KT_HW_WRITE, 0x1008, 8}, {KT_HW_EXEC, 0x4000, 1}};
	struct kt_hw_regs r = {.n = {4, 0}}, off;
	struct kt_trap_in in = {.signo = SIGTRAP};
	int slot[3];

	ck_assert_int_eq(x86_64_hw_encode(p, 3, &r, slot), KT_OK);
	ck_assert_int_eq(x86_64_hw_decode(&r, &in, 0x2), 1);
	ck_assert_int_eq(x86_64_hw_decode(&r, &in, 0x4 | 0x4000), 2);
	ck_assert_int_eq(x86_64_hw_decode(&r, &in, 0x4000), -1); /* BS alone: a step */
	ck_assert_int_eq(x86_64_hw_decode(&r, &in, 0x8), -1);    /* DR3 not armed */
	ck_assert_int_eq(x86_64_hw_decode(&r, &in, 0), -1);
	x86_64_hw_disable(&r, 1, &off);
	ck_assert_uint_eq(off.dr7, r.dr7 & ~(0x3ull << 2 | 0xfull << 20));
	ck_assert_int_eq(x86_64_hw_decode(&off, &in, 0x2), -1);
	ck_assert_int_eq(x86_64_hw_decode(&off, &in, 0x1), 0);
}
END_TEST

START_TEST(test_x86_skip_exec)
{
	struct kt_regs r;

	memset(&r, 0, sizeof(r));
	r.w[18] = 0x246; /* eflags */
	ck_assert(x86_64_hw_skip_exec(&r, true));
	ck_assert_uint_eq(r.w[18], 0x10246);
	ck_assert(!x86_64_hw_skip_exec(&r, true)); /* already set: no write needed */
	ck_assert(x86_64_hw_skip_exec(&r, false));
	ck_assert_uint_eq(r.w[18], 0x246);
	ck_assert_ptr_eq(kt_arch_x86_64.hw_skip_exec, x86_64_hw_skip_exec);
	ck_assert_ptr_null(kt_arch_aarch64.hw_skip_exec);
	ck_assert(kt_arch_aarch64.hw_stops_before);
}
END_TEST

/* ---- AArch64 encoder ---- */

START_TEST(test_a64_encode)
{
	struct kt_hw_point p[4] = {
		{KT_HW_EXEC, 0x400000, 4},
		{KT_HW_WRITE, 0x1004, 4},
		{KT_HW_READ, 0x1007, 1},
		{KT_HW_ACCESS, 0x2000, 8},
	};
	struct kt_hw_regs r = {.n = {6, 4}};
	int slot[4];

	ck_assert_int_eq(a64_hw_encode(p, 4, &r, slot), KT_OK);
	ck_assert_int_eq(slot[0], KT_HW_SLOT(0, 0));
	ck_assert_int_eq(slot[1], KT_HW_SLOT(1, 0));
	ck_assert_int_eq(slot[2], KT_HW_SLOT(1, 1));
	ck_assert_int_eq(slot[3], KT_HW_SLOT(1, 2));
	/* breakpoint: enable, EL0 (0b10 << 1), BAS 0b1111 << 5 */
	ck_assert_uint_eq(r.addr[0][0], 0x400000);
	ck_assert_uint_eq(r.ctrl[0][0], 0x1 | 0x4 | 0xf << 5);
	/* store, 4 bytes at offset 4 of the doubleword at 0x1000 */
	ck_assert_uint_eq(r.addr[1][0], 0x1000);
	ck_assert_uint_eq(r.ctrl[1][0], 0x1 | 0x4 | 0x2 << 3 | 0xf0 << 5);
	/* load, the last byte */
	ck_assert_uint_eq(r.addr[1][1], 0x1000);
	ck_assert_uint_eq(r.ctrl[1][1], 0x1 | 0x4 | 0x1 << 3 | 0x80 << 5);
	/* load and store, all 8 */
	ck_assert_uint_eq(r.addr[1][2], 0x2000);
	ck_assert_uint_eq(r.ctrl[1][2], 0x1 | 0x4 | 0x3 << 3 | 0xff << 5);
	ck_assert_uint_eq(r.ctrl[1][3], 0);
	ck_assert_uint_eq(r.ctrl[0][1], 0);
	ck_assert_uint_eq(r.dr7, 0);
}
END_TEST

START_TEST(test_a64_refuse)
{
	struct kt_hw_point p[8];
	struct kt_hw_regs r = {.n = {6, 4}};
	const char *why = NULL;
	int slot[8];

	for (int i = 0; i < 5; i++)
		p[i] = (struct kt_hw_point){KT_HW_WRITE, 0x1000 + 8 * (uint64_t)i, 8};
	ck_assert_int_eq(a64_hw_encode(p, 5, &r, slot), KT_ERR_BUSY);
	/* four watchpoints and four breakpoints fit: separate banks */
	for (int i = 4; i < 8; i++)
		p[i] = (struct kt_hw_point){KT_HW_EXEC, 0x400000 + 4 * (uint64_t)i, 4};
	ck_assert_int_eq(a64_hw_encode(p, 4, &r, slot), KT_OK);
	struct kt_hw_point mix[8];
	memcpy(mix, p, 4 * sizeof(p[0]));
	memcpy(mix + 4, p + 4, 4 * sizeof(p[0]));
	ck_assert_int_eq(a64_hw_encode(mix, 8, &r, slot), KT_OK);
	ck_assert_int_eq(slot[7], KT_HW_SLOT(0, 3));
	/* the kernel's counts bound it: no watchpoint slots at all */
	struct kt_hw_regs none = {.n = {6, 0}};
	ck_assert_int_eq(a64_hw_encode(p, 1, &none, slot), KT_ERR_BUSY);

	struct kt_hw_point bad = {KT_HW_WRITE, 0x1006, 4};
	ck_assert_int_eq(a64_hw_check(&bad, &why), KT_ERR_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "8-byte"));
	bad = (struct kt_hw_point){KT_HW_EXEC, 0x400002, 4};
	ck_assert_int_eq(a64_hw_check(&bad, &why), KT_ERR_INVAL);
	bad = (struct kt_hw_point){KT_HW_WRITE, 0x1001, 3};
	ck_assert_int_eq(a64_hw_check(&bad, &why), KT_OK); /* BAS 0b1110 */
	ck_assert_int_eq(a64_hw_encode(&bad, 1, &r, slot), KT_OK);
	ck_assert_uint_eq(r.ctrl[1][0] >> 5 & 0xff, 0x0e);
}
END_TEST

START_TEST(test_a64_decode_disable)
{
	struct kt_hw_point p[3] = {
		{KT_HW_EXEC, 0x400100, 4}, {KT_HW_WRITE, 0x1004, 4}, {KT_HW_WRITE, 0x1040, 8}};
	struct kt_hw_regs r = {.n = {6, 4}}, off;
	int slot[3];

	ck_assert_int_eq(a64_hw_encode(p, 3, &r, slot), KT_OK);
	/* si_addr inside the watched bytes */
	struct kt_trap_in in = {.signo = SIGTRAP, .si_code = 4, .pc = 0x400500,
				.fault_addr = 0x1006};
	ck_assert_int_eq(a64_hw_decode(&r, &in, 0), KT_HW_SLOT(1, 0));
	in.fault_addr = 0x1047;
	ck_assert_int_eq(a64_hw_decode(&r, &in, 0), KT_HW_SLOT(1, 1));
	/* an stp of 16 bytes at 0x1000 reports its start: the nearest above */
	in.fault_addr = 0x1000;
	ck_assert_int_eq(a64_hw_decode(&r, &in, 0), KT_HW_SLOT(1, 0));
	in.fault_addr = 0x1038;
	ck_assert_int_eq(a64_hw_decode(&r, &in, 0), KT_HW_SLOT(1, 1));
	/* far from every watchpoint and not at a breakpoint */
	in.fault_addr = 0x8000;
	ck_assert_int_eq(a64_hw_decode(&r, &in, 0), -1);
	/* a breakpoint: si_addr is the pc */
	in.pc = in.fault_addr = 0x400100;
	ck_assert_int_eq(a64_hw_decode(&r, &in, 0), KT_HW_SLOT(0, 0));
	a64_hw_disable(&r, KT_HW_SLOT(1, 0), &off);
	ck_assert_uint_eq(off.ctrl[1][0], r.ctrl[1][0] & ~1u);
	ck_assert_uint_eq(off.ctrl[1][1], r.ctrl[1][1]);
	ck_assert_uint_eq(off.ctrl[0][0], r.ctrl[0][0]);
	in.fault_addr = 0x1006;
	in.pc = 0x400500;
	ck_assert_int_eq(a64_hw_decode(&off, &in, 0), -1);
	a64_hw_disable(&r, KT_HW_SLOT(0, 0), &off);
	ck_assert_uint_eq(off.ctrl[0][0], r.ctrl[0][0] & ~1u);
}
END_TEST

/* ---- the tracer's side, against a fake OS ---- */

#define PID 5000
#define TID2 5001
#define TID3 5002
#define VAR (FAKE_BASE + 0x100)

static struct kt_session s;
static struct fake_os *fos;
static uint8_t *mem;
static FILE *errf;
static struct kt_os_ops hw_ops;

/* Every debug register write, in order. */
static struct {
	pid_t tid;
	struct kt_hw_regs r;
} wlog[64];
static size_t nwlog;
static uint64_t dr6;

static kt_status
fake_hw_slots(struct kt_os *os, pid_t tid, unsigned n[2])
{
	n[0] = s.arch == &kt_arch_x86_64 ? 4 : 6;
	n[1] = s.arch == &kt_arch_x86_64 ? 0 : 4;
	return KT_OK;
}

static kt_status
fake_hw_set(struct kt_os *os, pid_t tid, const struct kt_hw_regs *r)
{
	if (nwlog < sizeof(wlog) / sizeof(wlog[0])) {
		wlog[nwlog].tid = tid;
		wlog[nwlog++].r = *r;
	}
	return KT_OK;
}

static kt_status
fake_hw_status(struct kt_os *os, pid_t tid, uint64_t *status)
{
	*status = dr6;
	return KT_OK;
}

static struct kt_thread *
thread(pid_t tid, enum kt_thread_state st)
{
	struct kt_thread *t = kt_thread_add(&s, tid, st);
	ck_assert_ptr_nonnull(t);
	t->regs_valid = true;
	return t;
}

static void
setup_arch(const struct kt_arch *arch)
{
	memset(&s, 0, sizeof(s));
	kt_bptab_init(&s.bps);
	fos = fake_os_new();
	ck_assert_ptr_nonnull(fos);
	mem = fake_os_add_pid(fos, PID, 0);
	ck_assert_ptr_nonnull(mem);
	hw_ops = *fos->os.ops;
	hw_ops.hw_slots = fake_hw_slots;
	hw_ops.hw_set = fake_hw_set;
	hw_ops.hw_status = fake_hw_status;
	fos->os.ops = &hw_ops;
	errf = tmpfile();
	ck_assert_ptr_nonnull(errf);
	s.os = &fos->os;
	s.arch = arch;
	s.pid = PID;
	s.out = errf;
	s.err = errf;
	nwlog = 0;
	dr6 = 0;
}

static void
setup_x86(void)
{
	setup_arch(&kt_arch_x86_64);
}

static void
setup_a64(void)
{
	setup_arch(&kt_arch_aarch64);
}

static void
teardown(void)
{
	kt_threads_clear(&s);
	free(s.threads);
	kt_bptab_fini(&s.bps);
	kt_patches_free(&s);
	fake_os_free(fos);
	fclose(errf);
}

static struct kt_bp *
watch(enum kt_bp_type type, uint64_t addr, uint8_t len)
{
	struct kt_bp *bp = kt_bp_new(&s.bps, type, "var");
	ck_assert_ptr_nonnull(bp);
	bp->hw_addr = addr;
	bp->hw_len = len;
	bp->hw_signed = true;
	ck_assert_int_eq(kt_hw_read_value(&s, bp, &bp->hw_old), KT_OK);
	return bp;
}

static void
set_var(int32_t v)
{
	memcpy(mem + (VAR - FAKE_BASE), &v, sizeof(v));
}

START_TEST(test_update_every_thread)
{
	struct kt_thread *t1 = thread(PID, KT_TS_STOPPED);
	struct kt_thread *t2 = thread(TID2, KT_TS_STOPPED);
	struct kt_thread *t3 = thread(TID3, KT_TS_NEW);
	const char *why;

	struct kt_bp *bp = watch(KT_BP_WATCH, VAR, 4);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);
	ck_assert_int_eq(bp->hw_slot, 0);
	ck_assert(s.hw_any);
	/* both stopped threads written, the new one not (it cannot be yet) */
	ck_assert_uint_eq(nwlog, 2);
	ck_assert_int_eq(wlog[0].tid, PID);
	ck_assert_int_eq(wlog[1].tid, TID2);
	ck_assert_uint_eq(wlog[0].r.addr[0][0], VAR);
	ck_assert_uint_eq(wlog[0].r.dr7 & 3, 1);
	ck_assert_uint_eq(t1->hw_gen, s.hw_gen);
	ck_assert_uint_ne(t3->hw_gen, s.hw_gen);
	/* its first stop: armed before it runs, once */
	t3->state = KT_TS_STOPPED;
	kt_hw_sync_thread(&s, t3);
	kt_hw_sync_thread(&s, t3);
	kt_hw_sync_thread(&s, t2);
	ck_assert_uint_eq(nwlog, 3);
	ck_assert_int_eq(wlog[2].tid, TID3);
	ck_assert_uint_eq(wlog[2].r.dr7, wlog[0].r.dr7);

	/* detach: every thread that holds something gets zeroes */
	kt_hw_release_all(&s);
	ck_assert_uint_eq(nwlog, 6);
	for (size_t i = 3; i < 6; i++) {
		ck_assert_uint_eq(wlog[i].r.dr7, 0);
		ck_assert_uint_eq(wlog[i].r.addr[0][0], 0);
	}
}
END_TEST

static bool probe_fires;
static unsigned nprobe;

static kt_status
fake_hw_probe(struct kt_os *os, const struct kt_arch *arch, bool *fires)
{
	nprobe++;
	*fires = probe_fires;
	return KT_OK;
}

/* A machine whose debug registers never fire: every point is refused, with
 * the reason, and nothing is written; the probe runs once a session. */
START_TEST(test_update_probe_refuses)
{
	const char *why = NULL;

	thread(PID, KT_TS_STOPPED);
	hw_ops.hw_probe = fake_hw_probe;
	probe_fires = false;
	nprobe = 0;
	struct kt_bp *bp = watch(KT_BP_WATCH, VAR, 4);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "do not fire on this machine"));
	ck_assert_uint_eq(nwlog, 0);
	ck_assert(!s.hw_any);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_ERR_UNSUPPORTED);
	ck_assert_uint_eq(nprobe, 1);
	/* with nothing to arm there is nothing to refuse */
	kt_bp_delete(&s.bps, bp->num);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);

	/* where they fire, the probe is asked once and the point armed */
	s.hw_fires = 0;
	probe_fires = true;
	nprobe = 0;
	watch(KT_BP_WATCH, VAR, 4);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);
	ck_assert_uint_eq(nprobe, 1);
	ck_assert(s.hw_any);
	ck_assert_uint_ge(nwlog, 1);
}
END_TEST

START_TEST(test_update_busy_keeps_state)
{
	thread(PID, KT_TS_STOPPED);
	const char *why = NULL;

	for (int i = 0; i < 4; i++)
		watch(KT_BP_WATCH, VAR + 8 * (uint64_t)i, 4);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);
	struct kt_hw_regs before = s.hw;
	unsigned gen = s.hw_gen;
	size_t writes = nwlog;
	struct kt_bp *fifth = watch(KT_BP_WATCH, VAR + 64, 4);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_ERR_BUSY);
	ck_assert_str_eq(why, "no free debug register");
	ck_assert_uint_eq(nwlog, writes);
	ck_assert_uint_eq(s.hw_gen, gen);
	ck_assert_mem_eq(&s.hw, &before, sizeof(before));
	ck_assert_int_eq(fifth->hw_slot, -1);
	/* deleting one frees its slot for the fifth */
	kt_bp_delete(&s.bps, 2);
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);
	ck_assert_int_eq(fifth->hw_slot, 3);
	/* disabling frees the slot */
	fifth->enabled = false;
	ck_assert_int_eq(kt_hw_update(&s, &why), KT_OK);
	ck_assert_int_eq(fifth->hw_slot, -1);
	ck_assert_uint_eq(s.hw.dr7 & 0xc0, 0);
}
END_TEST

/* A hit of slot SLOT on x86-64 (DR6 bit), pc 0x400010. */
static bool
x86_hit(struct kt_thread *t, int slot, struct kt_stop *stop)
{
	struct kt_trap_in in = {.signo = SIGTRAP, .si_code = 4, .pc = 0x400010};

	dr6 = 1ull << slot;
	t->regs.w[s.arch->reg_pc] = 0x400010;
	t->state = KT_TS_STOPPED;
	t->exited = false;
	memset(stop, 0, sizeof(*stop));
	return kt_hw_hit(&s, t, &in, stop);
}

START_TEST(test_watch_rules)
{
	struct kt_thread *t = thread(PID, KT_TS_STOPPED);
	struct kt_stop stop;

	set_var(1);
	struct kt_bp *bp = watch(KT_BP_WATCH, VAR, 4);
	ck_assert_int_eq(kt_hw_update(&s, NULL), KT_OK);
	/* a write of the same value: resumed, not counted */
	ck_assert(!x86_hit(t, 0, &stop));
	ck_assert_uint_eq(bp->hits, 0);
	/* a change: Old and New */
	set_var(-2);
	ck_assert(x86_hit(t, 0, &stop));
	ck_assert_int_eq(stop.kind, KT_STOP_BREAKPOINT);
	ck_assert_int_eq(stop.bp_num, bp->num);
	ck_assert_uint_eq(stop.addr, 0x400010);
	ck_assert(bp->hw_changed);
	ck_assert_uint_eq(bp->hw_prev, 1);
	ck_assert_uint_eq(bp->hw_old, 0xfffffffe);
	char buf[32];
	ck_assert_str_eq(kt_hw_fmt_value(bp, bp->hw_old, buf, sizeof(buf)), "-2");
	ck_assert_uint_eq(bp->hits, 1);
	/* an ignore count swallows the next change, which is remembered */
	bp->ignore = 1;
	set_var(5);
	ck_assert(!x86_hit(t, 0, &stop));
	ck_assert_uint_eq(bp->hw_old, 5);
	set_var(6);
	ck_assert(x86_hit(t, 0, &stop));
	ck_assert_uint_eq(bp->hw_prev, 5);
	/* a DR6 bit of no armed slot: nothing to report */
	ck_assert(!x86_hit(t, 2, &stop));
}
END_TEST

START_TEST(test_rwatch_awatch_x86)
{
	struct kt_thread *t = thread(PID, KT_TS_STOPPED);
	struct kt_stop stop;

	set_var(3);
	struct kt_bp *r = watch(KT_BP_RWATCH, VAR, 4);
	struct kt_bp *a = watch(KT_BP_AWATCH, VAR, 4);
	ck_assert_int_eq(kt_hw_update(&s, NULL), KT_OK);
	ck_assert_int_eq(r->hw_slot, 0);
	ck_assert_int_eq(a->hw_slot, 1);
	/* unchanged: a read */
	ck_assert(x86_hit(t, 0, &stop));
	ck_assert(!r->hw_changed);
	/* changed: x86-64 saw a write through its read/write register */
	set_var(4);
	ck_assert(!x86_hit(t, 0, &stop));
	ck_assert_uint_eq(r->hw_old, 4);
	/* awatch reports both */
	ck_assert(x86_hit(t, 1, &stop));
	ck_assert(a->hw_changed);
	ck_assert(x86_hit(t, 1, &stop));
	ck_assert(!a->hw_changed);
	/* while every thread is being stopped the report is held */
	set_var(9);
	s.collecting = true;
	ck_assert(!x86_hit(t, 1, &stop));
	s.collecting = false;
	ck_assert(t->pending_report);
	ck_assert_int_eq(t->pending_bp, a->num);
}
END_TEST

START_TEST(test_a64_watch_steps_past)
{
	struct kt_thread *t = thread(PID, KT_TS_STOPPED);
	struct kt_stop stop;

	set_var(1);
	struct kt_bp *bp = watch(KT_BP_WATCH, VAR + 4, 4);
	struct kt_bp *other = watch(KT_BP_AWATCH, VAR + 8, 8);
	ck_assert_int_eq(kt_hw_update(&s, NULL), KT_OK);
	ck_assert_int_eq(bp->hw_slot, KT_HW_SLOT(1, 0));
	ck_assert_int_eq(other->hw_slot, KT_HW_SLOT(1, 1));
	uint32_t armed = s.hw.ctrl[1][0];
	ck_assert_uint_eq(armed & 1, 1);
	size_t before = nwlog;
	set_var(7); /* what the store leaves after the step */
	struct kt_trap_in in = {.signo = SIGTRAP, .si_code = 4, .pc = 0x400020,
				.fault_addr = VAR + 4};
	/* the value read is at VAR + 4: put the new value there */
	int32_t v = 7;
	memcpy(mem + (VAR + 4 - FAKE_BASE), &v, 4);
	t->regs.w[s.arch->reg_pc] = 0x400020;
	bool shown = kt_hw_hit(&s, t, &in, &stop);
	/* the slot disabled for the step, then armed again, for T alone */
	ck_assert_uint_ge(nwlog, before + 2);
	ck_assert_int_eq(wlog[before].tid, PID);
	ck_assert_uint_eq(wlog[before].r.ctrl[1][0], armed & ~1u);
	ck_assert_uint_eq(wlog[before].r.ctrl[1][1], s.hw.ctrl[1][1] & ~1u); /* all off */
	ck_assert_uint_eq(wlog[nwlog - 1].r.ctrl[1][0], armed);
	ck_assert_uint_eq(wlog[nwlog - 1].r.ctrl[1][1] & 1, 1);
	ck_assert_int_eq(t->hw_step, 0);
	ck_assert(shown);
	ck_assert_uint_eq(bp->hw_old, 7);
	/* while collecting, nothing is stepped: the access happens again */
	before = nwlog;
	s.collecting = true;
	ck_assert(!kt_hw_hit(&s, t, &in, &stop));
	s.collecting = false;
	ck_assert_uint_eq(nwlog, before);
	ck_assert(!t->pending_report);
}
END_TEST

START_TEST(test_a64_break_defers_step)
{
	struct kt_thread *t = thread(PID, KT_TS_STOPPED);
	struct kt_stop stop;

	struct kt_bp *bp = kt_bp_new(&s.bps, KT_BP_HBREAK, "f");
	bp->hw_addr = 0x400100;
	bp->hw_len = 4;
	ck_assert_int_eq(kt_hw_update(&s, NULL), KT_OK);
	size_t before = nwlog;
	struct kt_trap_in in = {.signo = SIGTRAP, .si_code = 4, .pc = 0x400100,
				.fault_addr = 0x400100};
	t->regs.w[s.arch->reg_pc] = 0x400100;
	ck_assert(kt_hw_hit(&s, t, &in, &stop));
	ck_assert_int_eq(stop.bp_num, bp->num);
	ck_assert_uint_eq(stop.addr, 0x400100);
	/* the user sees it before the instruction; the step waits for resume */
	ck_assert_int_eq(t->hw_step, KT_HW_SLOT(0, 0) + 1);
	ck_assert_uint_eq(nwlog, before);
	/* resume: disabled, stepped, armed again */
	kt_hw_step_past(&s, t);
	ck_assert_uint_eq(nwlog, before + 2);
	ck_assert_uint_eq(wlog[before].r.ctrl[0][0] & 1, 0);
	ck_assert_uint_eq(wlog[before + 1].r.ctrl[0][0] & 1, 1);
	ck_assert_int_eq(t->hw_step, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *su = suite_create("hwdebug");
	TCase *tc = tcase_create("encode");
	tcase_add_test(tc, test_x86_encode);
	tcase_add_test(tc, test_x86_refuse);
	tcase_add_test(tc, test_x86_decode_disable);
	tcase_add_test(tc, test_x86_skip_exec);
	tcase_add_test(tc, test_a64_encode);
	tcase_add_test(tc, test_a64_refuse);
	tcase_add_test(tc, test_a64_decode_disable);
	suite_add_tcase(su, tc);
	tc = tcase_create("tracer_x86");
	tcase_add_checked_fixture(tc, setup_x86, teardown);
	tcase_add_test(tc, test_update_every_thread);
	tcase_add_test(tc, test_update_busy_keeps_state);
	tcase_add_test(tc, test_update_probe_refuses);
	tcase_add_test(tc, test_watch_rules);
	tcase_add_test(tc, test_rwatch_awatch_x86);
	suite_add_tcase(su, tc);
	tc = tcase_create("tracer_a64");
	tcase_add_checked_fixture(tc, setup_a64, teardown);
	tcase_add_test(tc, test_a64_watch_steps_past);
	tcase_add_test(tc, test_a64_break_defers_step);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
