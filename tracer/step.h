/* SPDX-License-Identifier: MIT */
/*
 * step.h - source-level stepping: "step", "next" and "until" move one
 * thread to the start of another source line, with the lines taken from
 * kt_symbolize() (DWARF rows, registry line tables, GDB JIT objects alike).
 *
 * Threads: while the stepping thread single-steps the instructions of a
 * line, every other thread stays stopped; a call it steps over (every call
 * for "next", calls into code without lines for "step") runs at full speed
 * with every thread resumed, as "continue" does, until it returns to the
 * call site in the same frame (a return-address breakpoint checked against
 * the stack pointer, so recursion works).  A stop that surfaces meanwhile
 * (a breakpoint, a signal, the exit) ends the step and is shown instead.
 */
#ifndef KT_STEP_H
#define KT_STEP_H

#include <stdbool.h>
#include <stdint.h>

#include "session.h"

enum kt_step_mode {
	KT_STEP_INTO,  /* step: enter functions that have line information */
	KT_STEP_OVER,  /* next: run calls to their return */
	KT_STEP_UNTIL, /* until: next, but a jump back (a loop) never stops */
};

/* The line being stepped away from. */
struct kt_step_line {
	const char *file;
	int line;
	uint64_t floor; /* until: addresses below it keep stepping; 0 otherwise */
};

/* What the line table says of a pc reached in the same frame. */
struct kt_step_pc {
	uint64_t pc;
	const char *file;   /* NULL: no line information */
	int line;
	uint64_t line_addr; /* start of the row covering pc, 0 if unknown */
	bool stmt;          /* that row starts a statement */
};

enum kt_step_verdict {
	KT_STEP_GO_ON, /* the same line, a non-statement row or a jump back: keep going */
	KT_STEP_ADOPT, /* the middle of another line: keep going, away from that line */
	KT_STEP_STOP,  /* the start of a statement of another line, or no lines here */
};

/*
 * The decision after each instruction of a step that stays in its frame,
 * as GDB makes it: stop at the first instruction of an is_stmt row of a
 * different line (any change of line when row starts are unknown); a line
 * entered in its middle (a for loop's condition) becomes the line being
 * stepped away from.  Pure.
 */
enum kt_step_verdict kt_step_decide(const struct kt_step_line *from, const struct kt_step_pc *now);

/*
 * Step thread T by source line in MODE.  On KT_OK, STOP says where it
 * ended: KT_STOP_STEP at the new line, or whatever stop surfaced on the
 * way.  *NEW_FRAME is set when T ended in another function than it
 * started in (entered by "step", or returned to its caller), so the
 * function is shown with the line.  Code without line information at the
 * start is run to its return, and so on out to a caller with lines
 * (GDB's "Single stepping until exit"); KT_ERR_NOTFOUND when its frame
 * cannot be unwound.  SIGINT to kitrace interrupts a long step.
 */
kt_status kt_step_line(struct kt_session *s, struct kt_thread *t, enum kt_step_mode mode,
		       struct kt_stop *stop, bool *new_frame);

/*
 * Run T until it reaches one of the N addresses AT or its current frame
 * returns to its caller ("advance", "until LOCATION").  STOP as above;
 * finish_value is cleared.
 */
kt_status kt_step_advance(struct kt_session *s, struct kt_thread *t, const uint64_t *at, size_t n,
			  struct kt_stop *stop);

#endif
