/* SPDX-License-Identifier: MIT */
/*
 * kitjit_int.h - what the files of libkitjit share and nobody else sees:
 * the exported tracer-facing symbols (the anchor and the debug hook, which
 * a tracer finds by name, not through kitjit.h), the access to the
 * process-wide registry writer, and the entry points of the self-healing
 * and GDB JIT parts.
 */
#ifndef KITJIT_INT_H
#define KITJIT_INT_H

#include <stdint.h>

#include "registry.h"

#define KJ_EXPORT __attribute__((visibility("default")))

/* Never inlined nor cloned: a debugger breaks on the real symbol. */
#if defined(__clang__)
#define KJ_HOOK_ATTRS __attribute__((noinline, used))
#else
#define KJ_HOOK_ATTRS __attribute__((noinline, noclone, used))
#endif

/* The anchor a tracer finds by symbol name; see kitjit-registry(7). */
extern KJ_EXPORT struct kt_jreg_anchor kitjit_anchor;

/*
 * The function a tracer breaks on: called with KT_HOOK_ADDED after an
 * entry whose name may match a pending breakpoint was published (GEN is
 * its generation), and with KT_HOOK_CREATED once the registry exists, if
 * the tracer asked for it with KT_ANCHOR_NOTIFY.  It does nothing.
 */
KJ_EXPORT void kitjit_debug_hook(uint32_t reason, const void *registry, uint64_t gen);

/*
 * The registry writer of this process, creating the registry on first use;
 * NULL (errno set) when it cannot be created.  After the first successful
 * call it is one acquire load.
 */
struct kt_jreg_writer *kj_writer(void);

/* The writer if the registry exists, else NULL; never creates it.
 * Async-signal-safe. */
const struct kt_jreg_writer *kj_writer_if_ready(void);

/* Read KITJIT_HEAL; install the handler if it is "1". */
void kj_heal_from_env(void);

/* GDB JIT interface: whether announcing is on; announce entry INDEX;
 * retract it.  Failures are silent (gdb just does not see the range). */
int kj_gdb_enabled(void);
void kj_gdb_from_env(void);
void kj_gdb_register(uint32_t index, const char *name, uint64_t start, uint64_t size);
void kj_gdb_unregister(uint32_t index);

#endif
