/* SPDX-License-Identifier: MIT */
/*
 * report.c - crash, hang and exit reports (see report.h).
 */
#include "report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "json.h"
#include "signals.h"
#include "frames.h"

static void
print_regs(struct kt_session *s, FILE *f, struct kt_thread *t)
{
	int col = 0;

	if (kt_thread_regs(s, t) != KT_OK)
		return;
	for (size_t i = 0; i < s->arch->nregs; i++) {
		const struct kt_reg_desc *d = &s->arch->regs[i];
		if (!(d->flags & KT_REG_SHOWN))
			continue;
		fprintf(f, "  %-7s 0x%016" PRIx64 "%s", d->name, kt_reg_get(&t->regs, d),
			++col % 3 == 0 ? "\n" : "");
	}
	if (col % 3)
		fputc('\n', f);
}

static void
thread_header(struct kt_session *s, FILE *f, struct kt_thread *t, bool crashed)
{
	char name[64];

	kt_thread_name(s, t, name, sizeof(name));
	fprintf(f, "Thread %d \"%s\" (tid %d)%s:\n", t->num, name, (int)t->tid,
		crashed ? " (crashed)" : "");
}

void
kt_report_text(struct kt_session *s, FILE *f, enum kt_report_event ev,
	       const struct kt_stop *stop)
{
	struct kt_frame *frames = calloc(KT_MAX_FRAMES, sizeof(*frames));
	struct kt_thread *crashed = stop && ev == KT_REPORT_CRASH ? stop->thread : NULL;

	if (!frames)
		return;
	fputs("\n=== kitrace report ===\n", f);
	if (ev == KT_REPORT_CRASH && stop) {
		fputs("Program received signal ", f);
		kt_print_signal(f, stop->signo, &stop->si);
		if (stop->trap)
			fprintf(f, " (trap instruction %s)", stop->trap_what);
		fputs(".\n", f);
	} else if (ev == KT_REPORT_HANG) {
		fprintf(f, "Program still running after the timeout (%d s): hang.\n",
			s->set.timeout_sec);
	}
	if (crashed && !crashed->exited) {
		fputs("\nRegisters of the crashing thread:\n", f);
		print_regs(s, f, crashed);
		fputs("\nCode:\n", f);
		kt_print_code_around(s, f, kt_regs_pc(s->arch, &crashed->regs), 4, 3);
	}
	fputs("\n", f);
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		if (t->exited)
			continue;
		thread_header(s, f, t, t == crashed);
		size_t n = kt_frames(s, t, frames, KT_MAX_FRAMES);
		for (size_t k = 0; k < n; k++)
			kt_print_frame(s, f, k, &frames[k]);
		fputc('\n', f);
	}
	free(frames);
	fflush(f);
}

static void
json_frames(struct kt_session *s, struct kt_json *j, struct kt_thread *t, struct kt_frame *fr)
{
	size_t n = kt_frames(s, t, fr, KT_MAX_FRAMES);

	kt_json_arr(j, "frames");
	for (size_t k = 0; k < n; k++) {
		kt_json_obj(j, NULL);
		kt_json_int(j, "index", (long long)k);
		kt_json_hex(j, "pc", fr[k].pc);
		kt_json_str(j, "function", fr[k].sym.function);
		if (fr[k].sym.function)
			kt_json_int(j, "offset", (long long)fr[k].sym.offset);
		else
			kt_json_null(j, "offset");
		kt_json_str(j, "module", fr[k].sym.module_path);
		kt_json_str(j, "file", fr[k].sym.file);
		if (fr[k].sym.line)
			kt_json_int(j, "line", fr[k].sym.line);
		else
			kt_json_null(j, "line");
		kt_json_str(j, "symbol_source", fr[k].sym.source);
		kt_json_str(j, "unwind", fr[k].unwind);
		kt_json_bool(j, "inlined", fr[k].inlined);
		kt_json_end_obj(j);
	}
	kt_json_end_arr(j);
}

static void
json_regs(struct kt_session *s, struct kt_json *j, struct kt_thread *t)
{
	kt_json_obj(j, "registers");
	if (kt_thread_regs(s, t) == KT_OK)
		for (size_t i = 0; i < s->arch->nregs; i++) {
			const struct kt_reg_desc *d = &s->arch->regs[i];
			if (d->flags & KT_REG_SHOWN)
				kt_json_hex(j, d->name, kt_reg_get(&t->regs, d));
		}
	kt_json_end_obj(j);
}

kt_status
kt_report_json(struct kt_session *s, const char *path, enum kt_report_event ev,
	       const struct kt_stop *stop, int exit_status)
{
	static const char *const events[] = {"crash", "hang", "exit"};
	FILE *f = fopen(path, "we");
	struct kt_json j;

	if (!f)
		return KT_ERR_SYS;
	struct kt_frame *frames = calloc(KT_MAX_FRAMES, sizeof(*frames));
	kt_json_init(&j, f);
	kt_json_obj(&j, NULL);
	kt_json_str(&j, "kitrace", KT_VERSION);
	kt_json_int(&j, "report_version", KT_REPORT_VERSION);
	kt_json_str(&j, "event", events[ev]);
	kt_json_int(&j, "pid", s->pid);
	kt_json_str(&j, "arch", s->arch ? s->arch->name : NULL);
	if (exit_status >= 0)
		kt_json_int(&j, "exit_status", exit_status);
	else
		kt_json_null(&j, "exit_status");
	if (stop && (ev == KT_REPORT_CRASH || stop->kind == KT_STOP_KILLED)) {
		kt_json_obj(&j, "signal");
		kt_json_int(&j, "number", stop->signo);
		kt_json_str(&j, "name", kt_signal_name(stop->signo));
		kt_json_str(&j, "code", ev == KT_REPORT_CRASH
						? kt_si_code_name(stop->signo, stop->si.si_code)
						: NULL);
		if (ev == KT_REPORT_CRASH && kt_signal_has_addr(stop->signo) &&
		    stop->si.si_code > 0)
			kt_json_hex(&j, "address", (uint64_t)(uintptr_t)stop->si.si_addr);
		else
			kt_json_null(&j, "address");
		if (stop->trap)
			kt_json_str(&j, "trap", stop->trap_what);
		kt_json_end_obj(&j);
	} else {
		kt_json_null(&j, "signal");
	}
	kt_json_arr(&j, "threads");
	for (size_t i = 0; frames && ev != KT_REPORT_EXIT && i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		char name[64];
		if (t->exited)
			continue;
		kt_thread_name(s, t, name, sizeof(name));
		kt_json_obj(&j, NULL);
		kt_json_int(&j, "tid", t->tid);
		kt_json_int(&j, "number", t->num);
		kt_json_str(&j, "name", name);
		kt_json_bool(&j, "crashed", stop && t == stop->thread && ev == KT_REPORT_CRASH);
		json_frames(s, &j, t, frames);
		json_regs(s, &j, t);
		kt_json_end_obj(&j);
	}
	kt_json_end_arr(&j);
	kt_json_end_obj(&j);
	free(frames);
	if (fclose(f) != 0)
		return KT_ERR_SYS;
	return KT_OK;
}
