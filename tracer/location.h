/* SPDX-License-Identifier: MIT */
/*
 * location.h - turning a breakpoint location as typed into addresses:
 * FUNCTION (every module and JIT registry that defines it; after its
 * prologue, as GDB does), FILE:LINE (the DWARF line tables of every
 * module) or *ADDRESS (any expression).
 */
#ifndef KT_LOCATION_H
#define KT_LOCATION_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

/*
 * Resolve SPEC.  Returns KT_OK with *n addresses in *out (malloc'd; *n may
 * be 0 for a function not loaded yet: pending), or an error with a message
 * in MSG (LEN bytes).
 */
kt_status kt_location_resolve(struct kt_session *s, const char *spec, uint64_t **out,
			      size_t *n, char *msg, size_t len);
/* As above, without messages; returns the count. */
size_t kt_location_resolve_quiet(struct kt_session *s, const char *spec, uint64_t **out);
/*
 * ADDR, or the start of the sequence no stop may interrupt that ADDR lies
 * inside (AArch64: the load-exclusive of an exclusive window), where a
 * breakpoint must go instead: one planted inside would make the sequence
 * fail and retry forever.
 */
uint64_t kt_location_atomic_start(struct kt_session *s, uint64_t addr);
/*
 * Where "break FUNCTION" goes for the function entered at ENTRY: after its
 * prologue.  By the line table for GDB JIT images; else by the
 * instructions (arch skip_prologue); and where those show no prologue
 * (AArch64 leaf functions), by the line table of the module's DWARF as GDB
 * does (its second row).  ENTRY itself when nothing says more.
 */
uint64_t kt_location_after_prologue(struct kt_session *s, uint64_t entry);
/* True if SPEC names a function (may be pending), false for *ADDRESS. */
bool kt_location_is_function(const char *spec);

#endif
