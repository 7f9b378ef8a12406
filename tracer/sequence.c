/* SPDX-License-Identifier: MIT */
/*
 * sequence.c - stepping over the start of a sequence no stop may interrupt
 * (arch->atomic_sequence; AArch64: load-exclusive ... store-exclusive, where
 * any exception return clears the exclusive monitor): instead of a single
 * step, the thread runs the whole sequence to temporary patches at its
 * ends, with every other thread held, as GDB's software single-step does.
 */
#include "stepper.h"

#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "run.h"

/* See stepper.h. */
kt_status
kt_stepper_run_sequence(struct kt_session *s, struct kt_thread *t, const uint64_t *ends,
			size_t n, int *sigout, siginfo_t *si, bool *gone)
{
	const struct kt_arch *a = s->arch;
	uint8_t saved[2][KT_INSN_MAX];
	bool mine[2] = {false, false};
	kt_status st = KT_OK;

	for (size_t i = 0; i < n && i < 2; i++) {
		size_t got = 0;
		mine[i] = !kt_stepper_is_patch(s, ends[i]) && a->patch_len <= KT_INSN_MAX &&
			  s->os->ops->read(s->os, s->pid, ends[i], saved[i], a->patch_len,
					   &got) == KT_OK &&
			  s->os->ops->write(s->os, s->pid, ends[i], a->patch, a->patch_len) ==
				  KT_OK;
	}
	for (;;) {
		int sig = 0;
		enum kt_resumed r = kt_stepper_resume_wait(s, t, false, &sig, si, gone, &st);
		if (*gone)
			return KT_OK;
		if (r == KT_RESUMED_END)
			break;
		if (r == KT_RESUMED_AGAIN)
			continue;
		if (sig == SIGTRAP && kt_thread_regs(s, t) == KT_OK) {
			uint64_t pc = kt_regs_pc(a, &t->regs);
			size_t i = 0;
			while (i < n && pc != ends[i] && pc != ends[i] + a->patch_len)
				i++;
			if (i < n) { /* arrived: pc onto the end, as after a step */
				a->set_pc(&t->regs, ends[i]);
				kt_thread_set_regs(s, t);
				break;
			}
		}
		if (sig == SIGTRAP || kt_stepper_sync_fault(sig, si)) {
			*sigout = sig;
			break;
		}
		t->pending_sig = sig;
		t->pending_si = *si;
		break;
	}
	for (size_t i = 0; i < n && i < 2; i++)
		if (mine[i] && !s->exited)
			s->os->ops->write(s->os, s->pid, ends[i], saved[i], a->patch_len);
	t->regs_valid = false;
	return st;
}

/* See stepper.h. */
size_t
kt_stepper_sequence_at(struct kt_session *s, struct kt_thread *t, uint64_t ends[2])
{
	uint8_t code[64];
	size_t got = 0;

	if (!s->arch->atomic_sequence || kt_thread_regs(s, t) != KT_OK)
		return 0;
	uint64_t pc = kt_regs_pc(s->arch, &t->regs);
	if (kt_mem_read(s, pc, code, sizeof(code), &got) != KT_OK && got == 0)
		return 0;
	return s->arch->atomic_sequence(code, got, pc, ends);
}
