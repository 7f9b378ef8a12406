/* SPDX-License-Identifier: MIT */
/*
 * kitjit.h - the public interface of libkitjit, the library a JIT links to
 * tell kitrace where its code lives.
 *
 * A JIT calls kitjit_add() after it has written a function's machine code
 * and before the code first runs, and kitjit_remove() before it frees or
 * reuses the memory.  Both are safe from any thread at once, make no system
 * call on the fast path and never stop the process; kitrace reads the
 * registry out of process.  See kitjit(3) and kitjit-registry(7).
 *
 * The registry is created when the library loads (or by the first
 * kitjit_add(), if that comes first).  A tracer finds it through the
 * exported symbol kitjit_anchor and breaks on kitjit_debug_hook(); both
 * are described in kitjit-registry(7), not here, because a JIT never uses
 * them.  None of these functions is async-signal-safe.
 */
#ifndef KITJIT_H
#define KITJIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One published code range; opaque. */
typedef struct kitjit_code kitjit_code;

/* One row of a line table: code at OFFSET (from the range start) and
 * onwards, up to the next row's offset, comes from source line LINE. */
struct kitjit_line {
	uint32_t offset;
	uint32_t line;
};

/* How a debugger unwinds out of a frame of this code. */
enum kitjit_unwind_kind {
	KITJIT_UNWIND_NONE = 0, /* no rule: the debugger guesses */
	KITJIT_UNWIND_FP = 1,   /* frame-pointer frame: push fp; mov fp, sp (x86-64)
	                           or stp x29, x30, [sp, #-N]!; mov x29, sp (AArch64),
	                           set up within the first prologue_len bytes */
	KITJIT_UNWIND_CFI = 2,  /* DWARF CFI: cfi points to .eh_frame-format bytes
	                           (one CIE and FDEs) describing the range */
};

struct kitjit_unwind {
	enum kitjit_unwind_kind kind;
	uint32_t prologue_len;  /* KITJIT_UNWIND_FP */
	const void *cfi;        /* KITJIT_UNWIND_CFI: copied at publication */
	size_t cfi_len;
};

/* Optional extras for kitjit_add_ex(); everything is copied. */
struct kitjit_info {
	size_t struct_size;                 /* sizeof(struct kitjit_info) */
	const char *file;                   /* source file of the line table, or NULL */
	const struct kitjit_line *lines;    /* sorted by offset, or NULL */
	size_t nlines;
	struct kitjit_unwind unwind;
};

/*
 * Publish SIZE bytes of code at START under NAME (a function name; copied,
 * truncated at 4095 bytes).  Returns a handle for kitjit_remove(), or NULL
 * with errno set (EINVAL for a NULL name, a zero size or a range that
 * wraps, ENOMEM when the registry is full or could not be created).  A
 * NULL return is not fatal: the code just stays invisible to kitrace.
 */
kitjit_code *kitjit_add(const char *name, const void *start, size_t size);

/* As kitjit_add(), with a line table and an unwind rule (INFO may be
 * NULL).  EINVAL also for a bad INFO: struct_size too small for the
 * fields before unwind, more than 2^24 lines, an unknown unwind kind, or
 * a CFI rule without bytes or with more than 1 MiB. */
kitjit_code *kitjit_add_ex(const char *name, const void *start, size_t size,
			   const struct kitjit_info *info);

/* Retract CODE (NULL is ignored, a second call for the same handle too).
 * After it returns, a debugger forgets any breakpoint it had in the range
 * and never writes there again.  Handles stay valid in a fork child. */
void kitjit_remove(kitjit_code *code);

/*
 * Opt in to self-healing: install a SIGTRAP handler (chained to any handler
 * already installed) that, if a debugger died and left a patch behind,
 * restores the original instruction and resumes as if never patched.
 * Returns 0, or -1 with errno set.  Also enabled by KITJIT_HEAL=1 in the
 * environment when the library loads.
 */
int kitjit_heal_install(void);

/*
 * Also announce every range through the GDB JIT interface
 * (__jit_debug_register_code), for gdb users.  Off by default; also
 * enabled by KITJIT_GDB=1 in the environment.  Returns the previous setting.
 */
int kitjit_gdb_announce(int on);

#ifdef __cplusplus
}
#endif

#endif
