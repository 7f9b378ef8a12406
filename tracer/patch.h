/* SPDX-License-Identifier: MIT */
/*
 * patch.h - the patch sites kitrace plants (INT3 / BRK) and the inferior
 * memory view that hides them.
 *
 * One site per address, shared by every breakpoint and internal user there
 * (reference counted).  Invariants kept here and nowhere else:
 *  - what kt_mem_read() returns never shows a patch (DESIGN.md inv. 1);
 *  - a patch is restored only if the bytes there are still ours (inv. 2);
 *  - patches are written with PTRACE_POKETEXT, read-modify-write of whole
 *    words, so neighbouring bytes are untouched.
 * Writes go through a stopped thread VIA (PEEK/POKE need one).
 */
#ifndef KT_PATCH_H
#define KT_PATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"
#include "status.h"

struct kt_session;

struct kt_patch {
	uint64_t addr;
	uint8_t orig[KT_INSN_MAX]; /* original bytes at addr (patch_len used) */
	unsigned users;
	bool planted;
	bool plan_ready;           /* plan is computed */
	struct kt_plan plan;       /* how to step over it */
	unsigned long hits;        /* times a thread stopped on it */
	uint32_t journal;          /* registry journal record + 1, 0 = none */
};

struct kt_patches {
	struct kt_patch *v; /* sorted by addr */
	size_t n, cap;
	size_t last;        /* where kt_patch_find found one last (a hint) */
};

struct kt_patch *kt_patch_find(struct kt_session *s, uint64_t addr);
/* Take a reference on the site at ADDR, planting it if new. */
kt_status kt_patch_get(struct kt_session *s, pid_t via, uint64_t addr);
/* Drop a reference; the last one restores the original bytes (if still ours). */
kt_status kt_patch_put(struct kt_session *s, pid_t via, uint64_t addr);
/* Temporarily restore / re-plant a site (in-line step-over). */
kt_status kt_patch_lift(struct kt_session *s, pid_t via, struct kt_patch *p);
kt_status kt_patch_replant(struct kt_session *s, pid_t via, struct kt_patch *p);
/* Restore every site (detach, kill, quit); the table stays. */
kt_status kt_patches_lift_all(struct kt_session *s, pid_t via);
/* Re-plant every site lifted by kt_patches_lift_all. */
kt_status kt_patches_replant_all(struct kt_session *s, pid_t via);
/* Restore every site in another process (a fork child) sharing none of our memory. */
void kt_patches_clean_child(struct kt_session *s, pid_t child);
/* Forget the site at ADDR without touching memory: its code was retracted
 * and may belong to someone else now (invariant 3). */
void kt_patch_forget(struct kt_session *s, uint64_t addr);
/* Forget every site without touching memory (after exec: a new address space). */
void kt_patches_forget(struct kt_session *s);
void kt_patches_free(struct kt_session *s);

/* True if a patch at ADDR was removed since every thread last stopped: a
 * trap from it may still be on its way (GDB's "moribund" locations). */
bool kt_patch_moribund(struct kt_session *s, uint64_t addr);
/* Every thread has stopped since: no trap from a removed patch is pending. */
void kt_patch_moribund_clear(struct kt_session *s);

/* The instruction bytes at ADDR as if no patch were planted, for planning. */
kt_status kt_patch_plan(struct kt_session *s, struct kt_patch *p);

/* Memory as the program sees it, patches hidden.  *got may be NULL. */
kt_status kt_mem_read(struct kt_session *s, uint64_t addr, void *buf, size_t len, size_t *got);
/* Write program memory; bytes under a patch update the saved original. */
kt_status kt_mem_write(struct kt_session *s, uint64_t addr, const void *buf, size_t len);
/* Raw memory, patches visible (trap classification). */
kt_status kt_mem_read_raw(struct kt_session *s, uint64_t addr, void *buf, size_t len, size_t *got);

#endif
