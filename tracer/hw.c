/* SPDX-License-Identifier: MIT */
/*
 * hw.c - hardware breakpoints and watchpoints (see hw.h).  Debug registers
 * are per thread: s->hw is what every thread should hold and s->hw_gen its
 * version; a thread records the version it holds (t->hw_gen), so threads
 * that were running or not yet born when the points changed are armed just
 * before they next resume.
 *
 * A watchpoint remembers the value it last saw (bp->hw_old).  A hit reads
 * the value after the access: x86-64 reports data breakpoints as traps,
 * after the instruction; on AArch64 the hit stops before the access, so
 * the thread is stepped past it with its slot disabled first (as GDB does).
 */
#include "attr.h"
#include "hw.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cond.h"
#include "patch.h"
#include "run.h"
#include "stepper.h"

static kt_status
write_thread(struct kt_session *s, struct kt_thread *t, const struct kt_hw_regs *r)
{
	if (!s->os->ops->hw_set)
		return KT_ERR_UNSUPPORTED;
	return s->os->ops->hw_set(s->os, t->tid, r);
}

static KT_HOT bool
live_stopped(const struct kt_thread *t)
{
	return t->state == KT_TS_STOPPED && !t->exited;
}

kt_status
kt_hw_update(struct kt_session *s, const char **why)
{
	struct kt_hw_point pts[2 * KT_HW_MAX];
	struct kt_bp *owner[2 * KT_HW_MAX];
	int slot[2 * KT_HW_MAX];
	size_t n = 0;
	const char *dummy;
	kt_status st;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!s->arch->hw_encode || !s->os->ops->hw_slots) {
		*why = "this target has no hardware debug registers";
		return KT_ERR_UNSUPPORTED;
	}
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (!kt_bp_is_hw(bp) || !bp->enabled)
			continue;
		if (n == 2 * KT_HW_MAX) {
			*why = "no free debug register";
			return KT_ERR_BUSY;
		}
		enum kt_hw_kind kind = KT_HW_EXEC;
		if (bp->type == KT_BP_WATCH)
			kind = KT_HW_WRITE;
		else if (bp->type == KT_BP_RWATCH)
			kind = KT_HW_READ;
		else if (bp->type == KT_BP_AWATCH)
			kind = KT_HW_ACCESS;
		pts[n] = (struct kt_hw_point){kind, bp->hw_addr, bp->hw_len};
		owner[n++] = bp;
	}
	if (n > 0 && !s->hw_fires) {
		bool fires = true;
		if (s->os->ops->hw_probe &&
		    s->os->ops->hw_probe(s->os, s->arch, &fires) == KT_OK && !fires)
			s->hw_fires = -1;
		else
			s->hw_fires = 1; /* fired, or could not tell: trust the hardware */
	}
	if (n > 0 && s->hw_fires < 0) {
		*why = "debug registers do not fire on this machine (a hypervisor that does "
		       "not pass debug traps through to the guest)";
		return KT_ERR_UNSUPPORTED;
	}
	struct kt_hw_regs r;
	memset(&r, 0, sizeof(r));
	if (s->hw.n[0] + s->hw.n[1] == 0) {
		struct kt_thread *via = kt_run_any_stopped(s);
		if (!via) {
			*why = "no stopped thread";
			return KT_ERR_STATE;
		}
		if ((st = s->os->ops->hw_slots(s->os, via->tid, s->hw.n)) != KT_OK) {
			*why = "cannot read the debug registers";
			return st;
		}
	}
	r.n[0] = s->hw.n[0];
	r.n[1] = s->hw.n[1];
	if ((st = s->arch->hw_encode(pts, n, &r, slot)) != KT_OK) {
		*why = st == KT_ERR_BUSY ? "no free debug register"
					 : "the hardware cannot watch that address and length";
		return st;
	}
	for (size_t i = 0; i < s->bps.n; i++)
		s->bps.v[i]->hw_slot = -1;
	for (size_t i = 0; i < n; i++)
		owner[i]->hw_slot = slot[i];
	s->hw = r;
	s->hw_gen++;
	s->hw_any = n > 0;
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (live_stopped(t) && write_thread(s, t, &s->hw) == KT_OK)
			t->hw_gen = s->hw_gen;
	}
	return KT_OK;
}

KT_HOT void
kt_hw_sync_thread(struct kt_session *s, struct kt_thread *t)
{
	if (t->hw_gen == s->hw_gen || !live_stopped(t))
		return;
	/* A thread that never held anything needs nothing while nothing is armed. */
	if (t->hw_gen == 0 && !s->hw_any) {
		t->hw_gen = s->hw_gen;
		return;
	}
	if (write_thread(s, t, &s->hw) == KT_OK)
		t->hw_gen = s->hw_gen;
}

void
kt_hw_release_all(struct kt_session *s)
{
	struct kt_hw_regs none;

	if (s->hw_gen == 0)
		return; /* never armed anything */
	memset(&none, 0, sizeof(none));
	none.n[0] = s->hw.n[0];
	none.n[1] = s->hw.n[1];
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (live_stopped(t) && t->hw_gen != 0)
			write_thread(s, t, &none);
		t->hw_gen = 0;
		t->hw_step = 0;
	}
}

void
kt_hw_exec(struct kt_session *s)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		s->threads[i]->hw_gen = 0;
		s->threads[i]->hw_step = 0;
	}
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (!kt_bp_is_hw(bp) || !bp->enabled)
			continue;
		bp->enabled = false;
		bp->hw_slot = -1;
		fprintf(s->err, "Hardware point %d disabled: its address belonged to the old "
				"program (\"enable %d\" arms it again)\n",
			bp->num, bp->num);
	}
	unsigned n0 = s->hw.n[0], n1 = s->hw.n[1];
	memset(&s->hw, 0, sizeof(s->hw));
	s->hw.n[0] = n0;
	s->hw.n[1] = n1;
	s->hw_any = false;
	s->hw_gen++;
}

kt_status
kt_hw_read_value(struct kt_session *s, const struct kt_bp *bp, uint64_t *v)
{
	uint8_t b[8] = {0};
	size_t len = bp->hw_len <= 8 ? bp->hw_len : 8;
	kt_status st = kt_mem_read(s, bp->hw_addr, b, len, NULL);

	*v = 0;
	for (size_t i = len; i-- > 0;)
		*v = *v << 8 | b[i];
	return st;
}

const char *
kt_hw_fmt_value(const struct kt_bp *bp, uint64_t v, char *buf, size_t len)
{
	unsigned bits = 8u * (bp->hw_len && bp->hw_len <= 8 ? bp->hw_len : 8);

	if (bp->hw_signed && bits < 64 && (v >> (bits - 1)) & 1)
		v |= ~(uint64_t)0 << bits;
	if (bp->hw_signed)
		snprintf(buf, len, "%" PRId64, (int64_t)v);
	else
		snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

static struct kt_bp *
bp_of_slot(struct kt_session *s, int slot)
{
	if (slot < 0)
		return NULL;
	for (size_t i = 0; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (bp->enabled && kt_bp_is_hw(bp) && bp->hw_slot == slot)
			return bp;
	}
	return NULL;
}

kt_status
kt_hw_step_past(struct kt_session *s, struct kt_thread *t)
{
	struct kt_hw_regs off;
	int slot = t->hw_step - 1;
	int sig = 0;
	siginfo_t si;
	bool gone = false;

	t->hw_step = 0;
	if (!s->arch->hw_disable || slot < 0)
		return KT_OK;
	/* Every slot off for the one step, not only SLOT: another point the
	 * same instruction touches would stop the step with a SIGTRAP. */
	s->arch->hw_disable(&s->hw, slot, &off);
	for (size_t i = 0; i < s->bps.n; i++)
		if (s->bps.v[i]->hw_slot >= 0)
			s->arch->hw_disable(&off, s->bps.v[i]->hw_slot, &off);
	kt_status st = write_thread(s, t, &off);
	if (st != KT_OK)
		return st;
	st = kt_stepper_step_plain(s, t, &sig, &si, &gone);
	if (gone || s->exited)
		return KT_OK;
	if (sig == SIGTRAP && si.si_code == TRAP_HWBKPT)
		sig = 0; /* one of ours after all: never the program's */
	if (sig && !t->pending_sig) {
		t->pending_sig = sig; /* the instruction trapped or faulted: deliver it */
		t->pending_si = si;
	}
	kt_status st2 = write_thread(s, t, &s->hw);
	if (st2 == KT_OK)
		t->hw_gen = s->hw_gen;
	return st != KT_OK ? st : st2;
}

/* Is BP an enabled hardware execution breakpoint that holds a slot? */
static bool
armed_hbreak(const struct kt_bp *bp)
{
	return bp->enabled && bp->hw_slot >= 0 && !kt_bp_is_watch(bp) && kt_bp_is_hw(bp);
}

KT_HOT void
kt_hw_resume_here(struct kt_session *s, struct kt_thread *t)
{
	size_t i;

	if (!s->hw_any || t->cancelled_hit || t->hw_step)
		return;
	/* Registers are read only if some hardware breakpoint is armed. */
	for (i = 0; i < s->bps.n && !armed_hbreak(s->bps.v[i]); i++)
		;
	if (i == s->bps.n || kt_thread_regs(s, t) != KT_OK)
		return;
	uint64_t pc = kt_regs_pc(s->arch, &t->regs);
	for (; i < s->bps.n; i++) {
		struct kt_bp *bp = s->bps.v[i];
		if (!armed_hbreak(bp) || bp->hw_addr != pc)
			continue;
		if (s->arch->hw_stops_before) {
			t->hw_step = bp->hw_slot + 1;
		} else if (s->arch->hw_skip_exec && s->arch->hw_skip_exec(&t->regs, true)) {
			kt_thread_set_regs(s, t); /* the kernel sets RF at a hit itself */
		}
		return;
	}
}

/*
 * A watchpoint BP fired in T and the access has completed: decide by GDB's
 * rules whether it is reported; update what it remembers.
 */
static bool
watch_reports(struct kt_session *s, struct kt_bp *bp)
{
	uint64_t now;

	if (kt_hw_read_value(s, bp, &now) != KT_OK)
		return true; /* cannot tell: show it */
	bool changed = now != bp->hw_old;
	uint64_t prev = bp->hw_old;
	bp->hw_old = now;
	if (bp->type == KT_BP_WATCH && !changed)
		return false; /* a write of the same value */
	if (bp->type == KT_BP_RWATCH && changed && s->arch->hw_read_is_rw)
		return false; /* a write, seen by a read/write register */
	bp->hw_prev = prev;
	bp->hw_changed = changed;
	return true;
}

/* Surface BP's hit in T, or hold it while every thread is being stopped. */
static bool
report(struct kt_session *s, struct kt_thread *t, struct kt_bp *bp, struct kt_stop *stop)
{
	uint64_t pc = kt_regs_pc(s->arch, &t->regs);

	t->stop_pc = pc;
	if (s->collecting) {
		t->pending_report = true;
		t->pending_bp = bp->num;
		return false;
	}
	stop->kind = KT_STOP_BREAKPOINT;
	stop->thread = t;
	stop->addr = pc;
	stop->bp_num = bp->num;
	return true;
}

static void
resume(struct kt_session *s, struct kt_thread *t, bool may_resume)
{
	if (!s->collecting && may_resume)
		kt_run_cont_thread(s, t);
}

/* kt_hw_hit; MAY_RESUME false: T stays stopped whatever the hit means. */
static bool
hit(struct kt_session *s, struct kt_thread *t, const struct kt_trap_in *in, struct kt_stop *stop,
    bool may_resume)
{
	uint64_t status = 0;

	if (s->os->ops->hw_status)
		s->os->ops->hw_status(s->os, t->tid, &status);
	int slot = s->arch->hw_decode ? s->arch->hw_decode(&s->hw, in, status) : -1;
	struct kt_bp *bp = bp_of_slot(s, slot);
	if (!bp) {
		/* A point deleted since it fired: nothing to report. */
		if (slot >= 0 && s->arch->hw_stops_before) {
			t->hw_step = slot + 1;
			if (!s->collecting)
				kt_hw_step_past(s, t);
		}
		resume(s, t, may_resume);
		return false;
	}
	if (!kt_bp_is_watch(bp)) {
		if (s->collecting) {
			/* Cancel: the breakpoint fires again when T resumes.  x86-64:
			 * the kernel set RF so it would not; clear it. */
			if (s->arch->hw_skip_exec && s->arch->hw_skip_exec(&t->regs, false))
				kt_thread_set_regs(s, t);
			t->cancelled_hit = true;
			return false;
		}
		if (s->arch->hw_stops_before)
			t->hw_step = slot + 1;
		s->count.hits++;
		if (kt_bp_hit(bp, kt_cond_true(s, t, bp)) == KT_HIT_STOP)
			return report(s, t, bp, stop);
		resume(s, t, may_resume);
		return false;
	}
	if (s->arch->hw_stops_before) {
		if (s->collecting)
			return false; /* not done yet: it fires again when T resumes */
		t->hw_step = slot + 1;
		kt_hw_step_past(s, t);
		if (s->exited || t->exited)
			return false;
		t->regs_valid = false;
		kt_thread_regs(s, t);
	}
	s->count.hits++;
	if (watch_reports(s, bp) &&
	    kt_bp_hit(bp, kt_cond_true(s, t, bp)) == KT_HIT_STOP)
		return report(s, t, bp, stop);
	resume(s, t, may_resume);
	return false;
}

bool
kt_hw_hit(struct kt_session *s, struct kt_thread *t, const struct kt_trap_in *in,
	  struct kt_stop *stop)
{
	return hit(s, t, in, stop, true);
}

bool
kt_hw_hit_stepping(struct kt_session *s, struct kt_thread *t, const struct kt_trap_in *in,
		   struct kt_stop *stop)
{
	return hit(s, t, in, stop, false);
}

bool
kt_hw_after_step(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop)
{
	uint64_t status = 0;

	if (!s->hw_any || s->arch->hw_stops_before || !s->os->ops->hw_status ||
	    s->os->ops->hw_status(s->os, t->tid, &status) != KT_OK)
		return false;
	struct kt_trap_in in = {.signo = SIGTRAP, .pc = kt_regs_pc(s->arch, &t->regs)};
	struct kt_bp *bp = bp_of_slot(s, s->arch->hw_decode(&s->hw, &in, status));
	if (!bp || !kt_bp_is_watch(bp) || !watch_reports(s, bp) ||
	    kt_bp_hit(bp, kt_cond_true(s, t, bp)) != KT_HIT_STOP)
		return false;
	return report(s, t, bp, stop);
}
