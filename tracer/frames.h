/* SPDX-License-Identifier: MIT */
/*
 * frames.h - the frames a user sees and selects: the physical frames of
 * kt_unwind(), each expanded into the calls DWARF says were inlined at its
 * pc (GDB's inline frames), and the registers of a selected frame.
 */
#ifndef KT_FRAMES_H
#define KT_FRAMES_H

#include "unwind.h"

/*
 * Unwind T into OUT (at most MAX frames) with inlined calls as frames of
 * their own, innermost first: for a pc inside code inlined from g into f,
 * a frame "g" (inlined true, unwind "inlined", source "dwarf") at the
 * pc's line, then "f" at the line where g was inlined.  An inlined frame
 * shares pc, sp, fp and regs with the physical frame it is part of.
 * Returns the number of frames.
 */
size_t kt_frames(struct kt_session *s, struct kt_thread *t, struct kt_frame *out, size_t max);

/*
 * The frames one physical frame P stands for, into OUT (at most MAX):
 * LOC's inlined calls innermost first (LOC NULL or without inlined calls:
 * P alone), then P at the line of the outermost inlined call.  Returns
 * the count.  Pure: kt_frames() uses it for every frame.
 */
size_t kt_frames_inline(const struct kt_frame *p, const struct kt_dwarf_loc *loc,
			struct kt_frame *out, size_t max);

/*
 * The registers of frame N of T (as kt_frames numbers them): *REGS is a
 * copy of T's with what frame N's unwinding recovered written in (pc, sp,
 * fp at least; callee-saved registers with CFI); bit i of *KNOWN says
 * word i of *REGS is frame N's (all bits for frame 0).  *FR (may be NULL)
 * receives the frame.  KT_ERR_RANGE if T has no frame N.
 */
kt_status kt_frame_regs(struct kt_session *s, struct kt_thread *t, int n, struct kt_regs *regs,
			uint64_t *known, struct kt_frame *fr);

#endif
