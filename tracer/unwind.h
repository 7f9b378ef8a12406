/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - backtraces: one frame at a time from ordered unwinders (a
 * signal's saved context, the JIT registry's rule, DWARF CFI, frame
 * pointers, then, below unknown code only, a scan of the stack for a
 * return address), each frame saying how it was found and where its
 * symbol came from (invariant 8).
 */
#ifndef KT_UNWIND_H
#define KT_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwarf.h"
#include "modules.h"
#include "session.h"

#define KT_MAX_FRAMES 256

struct kt_frame {
	uint64_t pc;     /* frame 0: the pc; others: the return address */
	uint64_t sp, fp; /* the frame's stack and frame pointer */
	struct kt_dwarf_regs regs; /* what is known of its registers (DWARF numbers) */
	struct kt_symbol_info sym;
	const char *unwind; /* how this frame was found: "regs", "cfi",
	                       "registry" (the JIT rule), "fp", "sigframe" (the
	                       context a signal interrupted, from the frame
	                       below: the trampoline, sym.source "sigtramp");
	                       "inlined" (frames.c) */
	bool inlined;    /* an inlined call (frames.c): pc, sp and regs are its
	                    function's physical frame's */
};

/* Unwind thread T (stopped) into FRAMES; returns the number of frames. */
size_t kt_unwind(struct kt_session *s, struct kt_thread *t, struct kt_frame *frames, size_t max);

#endif
