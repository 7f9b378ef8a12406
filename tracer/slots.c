/* SPDX-License-Identifier: MIT */
/*
 * slots.c - scratch slot areas in the inferior (see slots.h): mapping
 * them with injected system calls, one next to the code when the arch's
 * way back cannot reach far, handing each thread its slot, and unmapping
 * them at detach and in fork children.
 */
#include "attr.h"
#include "slots.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepper.h"

#define AREA_PAGES 16
#define PAGE 4096u
#define MAX_NEAR_FAILURES 4
/* mmap flags as the inferior's kernel reads them (x86-64 and AArch64 alike). */
#define MAP_PRIVATE_ANON 0x22u
#define MAP_FIXED_NOREPLACE_ 0x100000u
#define PROT_RWX 7u

KT_HOT bool
kt_slots_ready(const struct kt_session *s)
{
	return s->slots && s->slots->nareas > 0;
}

KT_HOT bool
kt_slots_contain(const struct kt_session *s, uint64_t addr)
{
	const struct kt_slots *sl = s->slots;

	for (size_t k = 0; sl && k < sl->nareas; k++)
		if (addr >= sl->area[k].base && addr < sl->area[k].base + sl->area[k].len)
			return true;
	return false;
}

/* Run mmap in T at AT (or its pc if 0); the address, or 0 on failure. */
static uint64_t
map_area(struct kt_session *s, struct kt_thread *t, uint64_t at, uint64_t hint, size_t len)
{
	uint64_t flags = MAP_PRIVATE_ANON | (hint ? MAP_FIXED_NOREPLACE_ : 0);
	uint64_t args[6] = {hint, len, PROT_RWX, flags, (uint64_t)-1, 0};
	int64_t addr = 0;

	if (kt_stepper_inject_syscall(s, t, s->pid, at, s->arch->nr_mmap, args, &addr) != KT_OK ||
	    (addr < 0 && addr > -4096) || addr == 0)
		return 0;
	return (uint64_t)addr;
}

static kt_status
add_area(struct kt_slots *sl, uint64_t base, size_t len)
{
	struct kt_slot_area *a = &sl->area[sl->nareas];

	a->holds = calloc(sl->count, sizeof(*a->holds));
	if (!a->holds)
		return KT_ERR_NOMEM;
	a->base = base;
	a->len = len;
	sl->nareas++;
	return KT_OK;
}

kt_status
kt_slots_setup(struct kt_session *s, struct kt_thread *via)
{
	const struct kt_arch *a = s->arch;
	size_t len = AREA_PAGES * PAGE;

	if (!a->plan || !a->ool_build || !a->set_syscall || kt_slots_ready(s))
		return KT_OK;
	uint64_t base = map_area(s, via, 0, 0, len);
	if (!base)
		return KT_ERR_PERM;
	struct kt_slots *sl = calloc(1, sizeof(*sl));
	if (!sl)
		return KT_ERR_NOMEM;
	sl->slot_size = a->slot_size;
	sl->count = len / a->slot_size;
	sl->far_only = getenv("KT_FAR_SLOTS") != NULL;
	sl->owner = calloc(sl->count, sizeof(*sl->owner));
	if (!sl->owner || add_area(sl, base, len) != KT_OK) {
		free(sl->owner);
		free(sl);
		return KT_ERR_NOMEM;
	}
	kt_slots_forget(s);
	s->slots = sl;
	return KT_OK;
}

/* T's slot index (given on first use), or -1 if every one is taken. */
static ssize_t
index_of(struct kt_slots *sl, pid_t tid)
{
	ssize_t free_i = -1;

	for (size_t i = 0; i < sl->count; i++) {
		if (sl->owner[i] == tid)
			return (ssize_t)i;
		if (!sl->owner[i] && free_i < 0)
			free_i = (ssize_t)i;
	}
	if (free_i >= 0) {
		sl->owner[free_i] = tid;
		for (size_t k = 0; k < sl->nareas; k++)
			sl->area[k].holds[free_i] = 0;
	}
	return free_i;
}

/* Every byte of AREA within REACH of CODE (REACH 0: any distance is). */
static KT_HOT bool
in_reach(const struct kt_slot_area *area, uint64_t code, uint64_t reach)
{
	if (!reach)
		return true;
	uint64_t lo = area->base, hi = area->base + area->len;
	uint64_t far = code > lo ? code - lo : lo - code;
	uint64_t far2 = code > hi ? code - hi : hi - code;
	return (far > far2 ? far : far2) < reach;
}

/* Context of near_hint's walk over the process's mappings. */
struct hint {
	uint64_t code, len, reach;
	uint64_t prev_hi, best;
	bool after_heap;
};

static bool
hint_gap(void *ctx, const struct kt_mapping *m)
{
	struct hint *h = ctx;

	if (m->lo < h->prev_hi)
		return true;
	if (m->lo > h->code)
		return false;
	if (!h->after_heap && m->lo - h->prev_hi >= h->len + 2 * PAGE) {
		uint64_t c = m->lo - PAGE - h->len;
		if (h->code - c < h->reach)
			h->best = c;
	}
	h->prev_hi = m->hi;
	h->after_heap = strcmp(m->path, "[heap]") == 0;
	return true;
}

/*
 * A free place for LEN bytes below CODE and within REACH of it, a page
 * clear of its neighbours: the highest such in /proc/PID/maps.  Never in
 * the gap above [heap] (brk grows there).  0 if there is none.
 */
static uint64_t
near_hint(struct kt_session *s, uint64_t code, size_t len, uint64_t reach)
{
	/* Nothing below 0x10000: the usual mmap_min_addr. */
	struct hint h = {code, len, reach, 0x10000, 0, false};

	if (!s->os->ops->mappings || s->os->ops->mappings(s->os, s->pid, hint_gap, &h) != KT_OK)
		return 0;
	return h.best;
}

/* Map an area next to CODE through T (stopped), using its slot I of the
 * first area for the injected call; the new area, or NULL. */
static struct kt_slot_area *
map_near(struct kt_session *s, struct kt_thread *t, size_t i, uint64_t code)
{
	struct kt_slots *sl = s->slots;
	size_t len = AREA_PAGES * PAGE;
	uint64_t hint, base;

	if (sl->nareas == KT_SLOT_AREAS || sl->near_failures >= MAX_NEAR_FAILURES ||
	    sl->far_only)
		return NULL;
	if (!(hint = near_hint(s, code, len, s->arch->ool_reach))) {
		sl->near_failures++;
		return NULL;
	}
	/* The system call instruction goes into T's own slot: no other
	 * thread can run it there. */
	struct kt_slot_area *first = &sl->area[0];
	first->holds[i] = 0;
	base = map_area(s, t, first->base + i * sl->slot_size, hint, len);
	if (base && base != hint) {
		/* A kernel too old for MAP_FIXED_NOREPLACE took it as a hint
		 * and put it elsewhere. */
		uint64_t args[6] = {base, len, 0, 0, 0, 0};
		int64_t ret;
		kt_stepper_inject_syscall(s, t, s->pid, first->base + i * sl->slot_size,
					  s->arch->nr_munmap, args, &ret);
		base = 0;
	}
	if (!base || add_area(sl, base, len) != KT_OK) {
		sl->near_failures++;
		return NULL;
	}
	return &sl->area[sl->nareas - 1];
}

KT_HOT kt_status
kt_slots_take(struct kt_session *s, struct kt_thread *t, uint64_t code, struct kt_slot_ref *ref)
{
	struct kt_slots *sl = s->slots;
	uint64_t reach = s->arch->ool_reach;

	if (!kt_slots_ready(s))
		return KT_ERR_STATE;
	ssize_t i = index_of(sl, t->tid);
	if (i < 0)
		return KT_ERR_BUSY;
	struct kt_slot_area *area = NULL;
	for (size_t k = 0; k < sl->nareas && !area; k++)
		if (in_reach(&sl->area[k], code, reach))
			area = &sl->area[k];
	if (!area && !(area = map_near(s, t, (size_t)i, code)))
		area = &sl->area[0]; /* out of reach: the slot returns with a trap */
	ref->addr = area->base + (size_t)i * sl->slot_size;
	ref->holds = &area->holds[i];
	return KT_OK;
}

void
kt_slots_forget_addr(struct kt_session *s, uint64_t addr)
{
	struct kt_slots *sl = s->slots;

	for (size_t k = 0; sl && k < sl->nareas; k++)
		for (size_t i = 0; i < sl->count; i++)
			if (sl->area[k].holds[i] == addr)
				sl->area[k].holds[i] = 0;
}

void
kt_slots_forget(struct kt_session *s)
{
	struct kt_slots *sl = s->slots;

	if (!sl)
		return;
	for (size_t k = 0; k < sl->nareas; k++)
		free(sl->area[k].holds);
	free(sl->owner);
	free(sl);
	s->slots = NULL;
}

/* Unmap every area in process SPACE through T (stopped, outside them);
 * false if T could not run the calls. */
static bool
unmap_all(struct kt_session *s, struct kt_thread *t, pid_t space)
{
	struct kt_slots *sl = s->slots;

	for (size_t k = sl->nareas; k-- > 0;) {
		uint64_t args[6] = {sl->area[k].base, sl->area[k].len, 0, 0, 0, 0};
		int64_t ret;
		if (kt_stepper_inject_syscall(s, t, space, 0, s->arch->nr_munmap, args, &ret) !=
		    KT_OK)
			return false;
	}
	return true;
}

void
kt_slots_clean_child(struct kt_session *s, struct kt_thread *parent, pid_t child)
{
	struct kt_thread c;

	if (!kt_slots_ready(s))
		return;
	/* A stand-in thread record: the child is not one of ours. */
	memset(&c, 0, sizeof(c));
	c.tid = child;
	c.state = KT_TS_STOPPED;
	if (kt_thread_regs(s, &c) != KT_OK)
		return;
	uint64_t pc = kt_regs_pc(s->arch, &c.regs);
	if (kt_slots_contain(s, pc)) {
		/* It forked from inside its parent's slot (an out-of-line
		 * syscall): put it where the original instruction leaves it. */
		struct kt_patch *p = parent ? kt_patch_find(s, parent->disp_addr) : NULL;
		bool done = false;
		struct kt_regs regs = c.regs;
		if (!p || !p->plan_ready || parent->task != KT_TASK_DISPLACED ||
		    s->arch->ool_leave(&p->plan, p->addr, parent->slot, &parent->disp_regs,
				       &regs, &done) != KT_OK)
			return; /* leave the areas: the child needs them */
		c.regs = regs;
		if (kt_thread_set_regs(s, &c) != KT_OK)
			return;
	}
	unmap_all(s, &c, child);
}

void
kt_slots_release_all(struct kt_session *s)
{
	if (!kt_slots_ready(s))
		return;
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (t->exited || t->state != KT_TS_STOPPED)
			continue;
		t->regs_valid = false;
		if (kt_thread_regs(s, t) == KT_OK && t->task == KT_TASK_DISPLACED)
			kt_stepper_displaced_stop(s, t, 0, NULL);
	}
	/* Unmap through any stopped thread outside every area. */
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (t->exited || t->state != KT_TS_STOPPED ||
		    kt_slots_contain(s, kt_regs_pc(s->arch, &t->regs)))
			continue;
		if (unmap_all(s, t, s->pid))
			break;
	}
	kt_slots_forget(s);
}
