/* SPDX-License-Identifier: MIT */
/*
 * jit.h - JIT code as the tracer sees it through libkitjit's shared-memory
 * registries: finding them (the exported kitjit_anchor of each copy of the
 * library), mapping them zero-copy (/proc/PID/fd/N of the registry memfd),
 * following them incrementally by generation, and answering "what JIT
 * function is at this address", "where is function NAME", and "which
 * unwind rule covers this pc".  Pending breakpoints are announced to the
 * library through the registry's name filter, and caught at
 * kitjit_debug_hook.
 *
 * Everything read from a registry is validated by shm/registry_read.c; a
 * registry that turns out corrupt is dropped with one warning and the
 * process simply has no JIT information (invariant 5).
 */
#ifndef KT_JIT_H
#define KT_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modules.h"
#include "session.h"

/* Look for registries in modules not checked yet, and in anchors that were
 * not ready before.  Cheap when nothing is new. */
void kt_jit_discover(struct kt_session *s);
/* Read every registry's changes since the last sync (O(changes)). */
void kt_jit_sync(struct kt_session *s);
/* Fill OUT if ADDR is in a live JIT range; false otherwise. */
bool kt_jit_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out);
/* Start addresses of live JIT functions named NAME; *out malloc'd. */
size_t kt_jit_lookup(struct kt_session *s, const char *name, uint64_t **out);
/*
 * Every thread is stopped: give breakpoints locations in JIT functions of
 * their name published since the last call (VIA: a stopped thread).  Also
 * brings the GDB JIT interface objects up to date (gdbjit.h).
 */
void kt_jit_plant_new(struct kt_session *s, pid_t via);
/*
 * A thread (VIA) stopped in kitjit_debug_hook(reason, REGISTRY, GEN):
 * index what is new, and give breakpoints a location in the entry of
 * generation GEN if its name is theirs, before that code first runs.
 */
void kt_jit_hook(struct kt_session *s, pid_t via, uint64_t registry, uint64_t gen);
/* The unwind rule of the JIT range holding PC: kind 1 = frame pointer. */
bool kt_jit_unwind_rule(struct kt_session *s, uint64_t pc, uint64_t *start, uint32_t *kind,
			uint32_t *prologue_len);
/* Is ADDR a registry's kitjit_debug_hook? */
bool kt_jit_is_hook(struct kt_session *s, uint64_t addr);
/* Rewrite the name filters for the pending breakpoints, and plant or lift
 * the hook breakpoints accordingly (VIA: a stopped thread). */
void kt_jit_update_filter(struct kt_session *s, pid_t via);
/*
 * Record a patch about to be planted in the first registry's journal, so
 * libkitjit can heal it if kitrace dies; returns the record + 1, or 0 when
 * there is no registry (or no room).  kt_jit_journal_clear() after restoring.
 */
uint32_t kt_jit_journal_add(struct kt_session *s, uint64_t addr, const uint8_t *orig,
			    const uint8_t *patch, size_t len);
void kt_jit_journal_clear(struct kt_session *s, uint32_t rec);
/*
 * JIT code went away (WHY: "retracted", "unregistered"): every breakpoint
 * location A with GONE(CTX, A) is forgotten, never restored over what may
 * reuse the memory (invariant 3); a breakpoint left without locations is
 * pending again.  Shared by the libkitjit registry and the GDB JIT reader.
 */
void kt_jit_forget_locations(struct kt_session *s, bool (*gone)(void *ctx, uint64_t addr),
			     void *ctx, const char *why);
/* Print "info jit" to F. */
void kt_jit_info(struct kt_session *s, FILE *f);
/* Forget every registry (exec, detach, end). */
void kt_jit_free(struct kt_session *s);

#endif
