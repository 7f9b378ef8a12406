/* SPDX-License-Identifier: MIT */
/*
 * slots.h - the scratch slots displaced steps run in: pages kitrace maps
 * in the inferior with an injected mmap, each cut into one slot per
 * thread.  The first area is mapped wherever the kernel likes, at setup.
 * Where the arch's way back from a slot has a limited reach (AArch64's
 * b: +-128 MiB), more areas are mapped on demand next to the code that
 * needs them, so a step out of line never costs a second stop.
 *
 * A thread owns the same slot index in every area for as long as it
 * lives.  Each slot remembers which instruction's copy it holds, so a
 * thread hitting the same breakpoint again writes nothing.
 */
#ifndef KT_SLOTS_H
#define KT_SLOTS_H

#include "session.h"

#define KT_SLOT_AREAS 8

struct kt_slot_area {
	uint64_t base; /* the mapping in the inferior */
	size_t len;
	uint64_t *holds; /* address whose copy each slot holds, 0 = none */
};

struct kt_slots {
	size_t slot_size, count; /* bytes per slot, slots per area */
	pid_t *owner;            /* thread using each slot index, 0 = free */
	struct kt_slot_area area[KT_SLOT_AREAS];
	size_t nareas;
	unsigned near_failures; /* areas we could not map next to code */
	bool far_only;          /* KT_FAR_SLOTS: map none next to code */
};

/* A slot a thread may use: its address and what it holds. */
struct kt_slot_ref {
	uint64_t addr;
	uint64_t *holds;
};

/* Map the first area through VIA (every thread stopped); KT_OK if the
 * arch has no out-of-line steps. */
kt_status kt_slots_setup(struct kt_session *s, struct kt_thread *via);
/* True once the first area exists. */
bool kt_slots_ready(const struct kt_session *s);
/*
 * The slot of T (stopped; its pc may be anywhere) to run a copy of the
 * instruction at CODE: within the arch's reach of CODE when an area is,
 * or can be mapped, there; else in the first area.  KT_ERR_BUSY when
 * every slot index is taken by other threads.
 */
kt_status kt_slots_take(struct kt_session *s, struct kt_thread *t, uint64_t code,
			struct kt_slot_ref *ref);
/* True if ADDR lies in any area. */
bool kt_slots_contain(const struct kt_session *s, uint64_t addr);
/* The code at ADDR changed or its patch went away: no slot may keep a
 * relocated copy of the old instruction. */
void kt_slots_forget_addr(struct kt_session *s, uint64_t addr);
/* After exec: the areas are gone with the old address space. */
void kt_slots_forget(struct kt_session *s);
/* Detach: move threads out of slots and unmap every area. */
void kt_slots_release_all(struct kt_session *s);
/*
 * A fork child (stopped, not ours): move it out of its parent's slot if
 * it forked from there, and unmap its copies of the areas.
 */
void kt_slots_clean_child(struct kt_session *s, struct kt_thread *parent, pid_t child);

#endif
