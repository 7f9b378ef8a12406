/* SPDX-License-Identifier: MIT */
/*
 * step.c - source-level stepping (see step.h): the line decision, and the
 * engine that single-steps one thread through a line, runs calls to their
 * return with a return-address breakpoint, and recognises a return to the
 * caller by the stack pointer reaching the frame's CFA.
 */
#include "step.h"

#include <string.h>

#include "location.h"
#include "modules.h"
#include "patch.h"
#include "run.h"
#include "unwind.h"

/* How many frames without lines "step" runs out of before giving up. */
#define MAX_STEP_OUT 16

static bool
same_line(const char *fa, int la, const char *fb, int lb)
{
	return la == lb && fa && fb && (fa == fb || strcmp(fa, fb) == 0);
}

enum kt_step_verdict
kt_step_decide(const struct kt_step_line *from, const struct kt_step_pc *now)
{
	if (!now->file || now->line <= 0)
		return KT_STEP_STOP;
	if (from->floor && now->pc < from->floor)
		return KT_STEP_GO_ON;
	if (same_line(from->file, from->line, now->file, now->line))
		return KT_STEP_GO_ON;
	if (!now->line_addr)
		return KT_STEP_STOP;
	if (now->pc != now->line_addr)
		return KT_STEP_ADOPT;
	return now->stmt ? KT_STEP_STOP : KT_STEP_GO_ON;
}

static bool
has_lines(const struct kt_symbol_info *si)
{
	return si->file && si->line > 0;
}

/* T's pc and sp, read fresh. */
static kt_status
pc_sp(struct kt_session *s, struct kt_thread *t, uint64_t *pc, uint64_t *sp)
{
	kt_status st = kt_thread_regs(s, t);

	if (st != KT_OK)
		return st;
	*pc = kt_regs_pc(s->arch, &t->regs);
	*sp = kt_regs_sp(s->arch, &t->regs);
	return KT_OK;
}

/* The sp T's current frame returns with (its CFA), UINT64_MAX if unknown;
 * *RET the pc it returns to. */
static uint64_t
frame_cfa(struct kt_session *s, struct kt_thread *t, uint64_t *ret)
{
	struct kt_frame fr[2];

	if (kt_unwind(s, t, fr, 2) != 2) {
		*ret = 0;
		return UINT64_MAX;
	}
	*ret = fr[1].pc;
	return fr[1].sp;
}

/*
 * One instruction of T.  Arriving on a user breakpoint is a hit, as GDB
 * counts it: when it stops, STOP is that breakpoint's stop.
 */
static kt_status
step_insn(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop)
{
	kt_status st = kt_run_stepi(s, t, stop);

	if (st == KT_OK && stop->kind == KT_STOP_STEP && stop->thread == t &&
	    kt_thread_regs(s, t) == KT_OK)
		kt_run_step_hit(s, t, kt_regs_pc(s->arch, &t->regs), stop);
	return st;
}

/* Run T out of code without lines until it is back in code with lines. */
static kt_status
step_out(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop, bool *new_frame)
{
	for (int i = 0; i < MAX_STEP_OUT; i++) {
		struct kt_frame fr[2];
		struct kt_symbol_info si;
		uint64_t pc, sp;
		if (kt_unwind(s, t, fr, 2) < 2)
			return KT_ERR_NOTFOUND;
		kt_status st = kt_run_finish(s, t, fr[1].pc, fr[1].sp, stop);
		stop->finish_value = false;
		if (st != KT_OK || stop->kind != KT_STOP_STEP || stop->thread != t)
			return st;
		*new_frame = true;
		if ((st = pc_sp(s, t, &pc, &sp)) != KT_OK)
			return st;
		kt_symbolize(s, pc, &si);
		if (has_lines(&si))
			return KT_OK;
	}
	return KT_OK;
}

/*
 * T is at the entry of code without lines that a call reached: follow a
 * trampoline (a PLT stub: jumps only, the stack pointer as at entry) for
 * at most MAX_TRAMPOLINE instructions to code with lines.  *FOUND says T
 * got there.  A lazy binding's resolver pushes: the walk ends there.
 */
#define MAX_TRAMPOLINE 16
static kt_status
through_trampoline(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop, bool *found)
{
	uint64_t pc, sp, entry_sp;
	struct kt_symbol_info si;
	kt_status st = pc_sp(s, t, &pc, &entry_sp);

	*found = false;
	for (int i = 0; st == KT_OK && i < MAX_TRAMPOLINE; i++) {
		if ((st = step_insn(s, t, stop)) != KT_OK || stop->kind != KT_STOP_STEP ||
		    (st = pc_sp(s, t, &pc, &sp)) != KT_OK || sp != entry_sp)
			break;
		kt_symbolize(s, pc, &si);
		if (has_lines(&si)) {
			*found = true;
			break;
		}
	}
	return st;
}

/*
 * The instructions one step has decoded, by address: a line loop executes
 * the same few again and again, so each is read from the process once.
 */
#define INSN_CACHE 64
struct insn_cache {
	uint64_t addr[INSN_CACHE]; /* 0: empty */
	uint8_t len[INSN_CACHE];
	bool call[INSN_CACHE];
};

/* Is the instruction at PC a call?  *LEN its length (0 if unreadable). */
static bool
is_call_at(struct kt_session *s, struct insn_cache *ic, uint64_t pc, size_t *len)
{
	size_t k = (size_t)(pc ^ (pc >> 6)) % INSN_CACHE, got = 0;
	uint8_t code[KT_INSN_MAX];

	if (ic->addr[k] == pc && pc) {
		*len = ic->len[k];
		return ic->call[k];
	}
	kt_mem_read(s, pc, code, sizeof(code), &got);
	bool call = got && s->arch->is_call(code, got, pc);
	*len = call ? s->arch->insn_length(code, got, pc) : 0;
	ic->addr[k] = pc;
	ic->len[k] = (uint8_t)*len;
	ic->call[k] = call;
	return call;
}

/* Does the function entered at PC have a prologue to step through first
 * (where "break FUNCTION" would not stop at its entry)? */
static bool
has_prologue(struct kt_session *s, uint64_t pc)
{
	return kt_location_after_prologue(s, pc) != pc;
}

/* True if the step must end with STOP as it is (not a plain step). */
static bool
ended(const struct kt_stop *stop, struct kt_thread *t)
{
	return stop->kind != KT_STOP_STEP || stop->thread != t;
}

/* A SIGINT to kitrace while stepping: end the step as an interrupt. */
static bool
interrupted(struct kt_session *s, struct kt_thread *t, struct kt_stop *stop)
{
	if (!s->tracer_sig)
		return false;
	memset(stop, 0, sizeof(*stop));
	stop->kind = s->tracer_sig == SIGINT ? KT_STOP_INTERRUPT : KT_STOP_TERMINATE;
	stop->signo = s->tracer_sig;
	stop->thread = t;
	s->tracer_sig = 0;
	return true;
}

kt_status
kt_step_line(struct kt_session *s, struct kt_thread *t, enum kt_step_mode mode,
	     struct kt_stop *stop, bool *new_frame)
{
	struct kt_symbol_info si;
	uint64_t pc, sp;
	kt_status st;

	*new_frame = false;
	memset(stop, 0, sizeof(*stop));
	if ((st = pc_sp(s, t, &pc, &sp)) != KT_OK)
		return st;
	kt_symbolize(s, pc, &si);
	if (!has_lines(&si))
		return step_out(s, t, stop, new_frame);
	struct kt_step_line from = {si.file, si.line, mode == KT_STEP_UNTIL ? pc : 0};
	uint64_t ret_pc, fstart = si.start, cfa = frame_cfa(s, t, &ret_pc);
	struct insn_cache ic;
	memset(&ic, 0, sizeof(ic));
	for (;;) {
		size_t len;
		if (interrupted(s, t, stop))
			return KT_OK;
		if (is_call_at(s, &ic, pc, &len)) {
			uint64_t ret = pc + len, call_sp = sp;
			bool enter = false;
			if (mode == KT_STEP_INTO) {
				if ((st = step_insn(s, t, stop)) != KT_OK || ended(stop, t))
					return st;
				if ((st = pc_sp(s, t, &pc, &sp)) != KT_OK)
					return st;
				kt_symbolize(s, pc, &si);
				if (pc != ret && !has_lines(&si)) {
					bool found;
					st = through_trampoline(s, t, stop, &found);
					if (st != KT_OK || ended(stop, t))
						return st;
					if ((st = pc_sp(s, t, &pc, &sp)) != KT_OK)
						return st;
					kt_symbolize(s, pc, &si);
					if (!found && pc == ret && sp >= call_sp)
						enter = true; /* it returned already */
				}
				enter = enter || pc == ret || has_lines(&si);
				if (pc != ret && enter) {
					/* Into a function with lines: step its prologue
					 * line, if it has a prologue (optimised code
					 * often has none: stop at its entry). */
					*new_frame = true;
					if (!has_prologue(s, pc))
						return KT_OK;
					from = (struct kt_step_line){si.file, si.line, 0};
					fstart = si.start;
					cfa = call_sp;
					ret_pc = ret;
					*new_frame = true;
					continue;
				}
			}
			if (!enter) {
				st = kt_run_finish(s, t, ret, call_sp, stop);
				stop->finish_value = false;
				if (st != KT_OK || ended(stop, t))
					return st;
			}
		} else if ((st = step_insn(s, t, stop)) != KT_OK || ended(stop, t)) {
			return st;
		}
		if ((st = pc_sp(s, t, &pc, &sp)) != KT_OK)
			return st;
		kt_symbolize(s, pc, &si);
		/* Returned to the caller: its sp is back, and it is at the return
		 * address (sp alone is not enough: on AArch64 a callee's sp is
		 * already the caller's at its last instruction, ret); above it
		 * when the frame was left otherwise (longjmp). */
		if (sp > cfa || (sp == cfa && pc == ret_pc)) {
			/* Stop there, in the middle of its line. */
			*new_frame = true;
			return has_lines(&si) ? KT_OK : step_out(s, t, stop, new_frame);
		}
		if (si.start != fstart) {
			/* Jumped into another function (a tail call). */
			if (!has_lines(&si))
				return step_out(s, t, stop, new_frame);
			from = (struct kt_step_line){si.file, si.line, 0};
			fstart = si.start;
			*new_frame = true;
			continue;
		}
		struct kt_step_pc now = {pc, si.file, si.line, si.line_addr, si.line_stmt};
		switch (kt_step_decide(&from, &now)) {
		case KT_STEP_STOP:
			return KT_OK;
		case KT_STEP_ADOPT:
			from.file = si.file;
			from.line = si.line;
			break;
		case KT_STEP_GO_ON:
			break;
		}
	}
}

kt_status
kt_step_advance(struct kt_session *s, struct kt_thread *t, const uint64_t *at, size_t n,
		struct kt_stop *stop)
{
	struct kt_frame fr[2];
	size_t nf = kt_unwind(s, t, fr, 2);

	memset(stop, 0, sizeof(*stop));
	kt_status st =
		kt_run_until(s, t, at, n, nf == 2 ? fr[1].pc : 0, nf == 2 ? fr[1].sp : 0, stop);
	stop->finish_value = false;
	return st;
}
