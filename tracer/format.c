/* SPDX-License-Identifier: MIT */
/*
 * format.c - text rendering of frames, stops and code (see format.h).
 */
#include "format.h"
#include "hw.h"

#include <inttypes.h>
#include <string.h>

#include "modules.h"
#include "patch.h"
#include "signals.h"

const char *
kt_fmt_name(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		char esc[8];
		size_t n = 1;
		if (*p >= 0x20 && *p < 0x7f)
			esc[0] = (char)*p;
		else
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		if (o + n > len - 4) {
			/* Room is kept for "..." and the NUL. */
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}

const char *
kt_fmt_sym(const struct kt_symbol_info *sym, uint64_t addr, char *buf, size_t len)
{
	char name[256];

	if (sym->function && sym->offset)
		snprintf(buf, len, "%s+%" PRIu64, kt_fmt_name(sym->function, name, sizeof(name)),
			 sym->offset);
	else if (sym->function)
		snprintf(buf, len, "%s", kt_fmt_name(sym->function, name, sizeof(name)));
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
	return buf;
}

void
kt_print_frame(struct kt_session *s, FILE *f, size_t idx, const struct kt_frame *fr)
{
	char name[256];

	fprintf(f, "#%-2zu 0x%016" PRIx64 " in %s", idx, fr->pc,
		fr->sym.function ? kt_fmt_sym(&fr->sym, fr->pc, name, sizeof(name)) : "??");
	if (fr->sym.module)
		fprintf(f, " (%s)", fr->sym.module);
	if (fr->sym.file) {
		char file[512];
		fprintf(f, " at %s:%d", kt_fmt_name(fr->sym.file, file, sizeof(file)), fr->sym.line);
	}
	fprintf(f, " [%s, %s]\n", fr->sym.source ? fr->sym.source : "none", fr->unwind);
}

void
kt_print_signal(FILE *f, int signo, const siginfo_t *si)
{
	const char *code = kt_si_code_name(signo, si->si_code);

	fprintf(f, "%s (%s)", kt_signal_name(signo), kt_signal_desc(signo));
	if (code)
		fprintf(f, ", %s", code);
	if (kt_signal_has_addr(signo) && si->si_code > 0)
		fprintf(f, " at address 0x%" PRIxPTR, (uintptr_t)si->si_addr);
}

/* "0xADDR in func+off (module)" for a stop line. */
static void
print_where(struct kt_session *s, FILE *f, uint64_t addr)
{
	struct kt_symbol_info sym;
	char name[256];

	kt_symbolize(s, addr, &sym);
	fprintf(f, "0x%016" PRIx64 " in %s", addr,
		sym.function ? kt_fmt_sym(&sym, addr, name, sizeof(name)) : "??");
	if (sym.module)
		fprintf(f, " (%s)", sym.module);
	if (sym.file) {
		char file[512];
		fprintf(f, " at %s:%d", kt_fmt_name(sym.file, file, sizeof(file)), sym.line);
	}
}

/* GDB's report of a watchpoint hit, then the values. */
static void
print_watch(FILE *f, const struct kt_thread *t, const struct kt_bp *bp)
{
	static const char *const what[] = {
		[KT_BP_WATCH] = "Hardware watchpoint",
		[KT_BP_RWATCH] = "Hardware read watchpoint",
		[KT_BP_AWATCH] = "Hardware access (read/write) watchpoint",
	};
	char a[32], b[32];

	fprintf(f, "Thread %d hit %s %d: %s\n\n", t ? t->num : 0, what[bp->type], bp->num,
		bp->spec);
	if (bp->hw_changed)
		fprintf(f, "Old value = %s\nNew value = %s\n",
			kt_hw_fmt_value(bp, bp->hw_prev, a, sizeof(a)),
			kt_hw_fmt_value(bp, bp->hw_old, b, sizeof(b)));
	else
		fprintf(f, "Value = %s\n", kt_hw_fmt_value(bp, bp->hw_old, a, sizeof(a)));
}

void
kt_print_stop(struct kt_session *s, FILE *f, const struct kt_stop *st)
{
	const struct kt_thread *t = st->thread;

	switch (st->kind) {
	case KT_STOP_BREAKPOINT: {
		const struct kt_bp *bp = kt_bp_find(&s->bps, st->bp_num);
		if (bp && kt_bp_is_watch(bp)) {
			print_watch(f, t, bp);
			print_where(s, f, st->addr);
			fputc('\n', f);
			break;
		}
		fprintf(f, "Thread %d hit %s %d, ", t ? t->num : 0,
			bp && kt_bp_is_temp(bp) ? "Temporary breakpoint" : "Breakpoint",
			st->bp_num);
		print_where(s, f, st->addr);
		fputc('\n', f);
		break;
	}
	case KT_STOP_STEP:
		if (t && t->regs_valid) {
			print_where(s, f, kt_regs_pc(s->arch, &t->regs));
			fputc('\n', f);
		}
		break;
	case KT_STOP_DEBUGTRAP:
		fprintf(f, "Thread %d hit a debug trap (%s) at ", t ? t->num : 0,
			st->trap_what ? st->trap_what : "trap");
		print_where(s, f, st->addr);
		fputc('\n', f);
		break;
	case KT_STOP_SIGNAL:
		fprintf(f, "Thread %d received signal ", t ? t->num : 0);
		kt_print_signal(f, st->signo, &st->si);
		if (st->trap)
			fprintf(f, " (trap instruction %s)", st->trap_what);
		fputs(".\n", f);
		print_where(s, f, st->addr);
		fputc('\n', f);
		break;
	case KT_STOP_EXITED:
		fprintf(f, "[Process %d exited with status %d]\n", (int)s->pid, st->exit_code);
		break;
	case KT_STOP_KILLED:
		fprintf(f, "[Process %d killed by signal %s (%s)]\n", (int)s->pid,
			kt_signal_name(st->signo), kt_signal_desc(st->signo));
		break;
	case KT_STOP_INTERRUPT:
		fprintf(f, "Interrupted. Thread %d at ", t ? t->num : 0);
		if (t && kt_thread_regs(s, (struct kt_thread *)t) == KT_OK)
			print_where(s, f, kt_regs_pc(s->arch, &t->regs));
		fputc('\n', f);
		break;
	case KT_STOP_TIMEOUT:
		fprintf(f, "Timeout: program still running; every thread stopped.\n");
		break;
	case KT_STOP_TERMINATE:
		fprintf(f, "kitrace received %s: cleaning up.\n", kt_signal_name(st->signo));
		break;
	case KT_STOP_DETACHED:
		fprintf(f, "[Detached from process %d]\n", (int)s->pid);
		break;
	case KT_STOP_NONE:
		break;
	}
}

static void
print_insn(struct kt_session *s, FILE *f, const struct kt_insn_text *in, uint64_t mark)
{
	struct kt_symbol_info sym;
	char name[256];

	kt_symbolize(s, in->addr, &sym);
	fprintf(f, "%s 0x%016" PRIx64, in->addr == mark ? "=>" : "  ", in->addr);
	if (sym.function)
		fprintf(f, " <%s>", kt_fmt_sym(&sym, in->addr, name, sizeof(name)));
	fprintf(f, ":\t%s\t%s", in->mnemonic, in->operands);
	if (in->has_target) {
		struct kt_symbol_info tsym;
		kt_symbolize(s, in->target, &tsym);
		if (tsym.function)
			fprintf(f, " <%s>", kt_fmt_sym(&tsym, in->target, name, sizeof(name)));
	}
	fputc('\n', f);
}

void
kt_print_disas(struct kt_session *s, FILE *f, uint64_t start, size_t len, size_t count,
	       uint64_t mark)
{
	uint8_t buf[4096];
	struct kt_insn_text insn[64];
	uint64_t addr = start, end = start + len;

	if (count)
		end = UINT64_MAX;
	while (addr < end) {
		size_t want = end - addr < sizeof(buf) ? end - addr : sizeof(buf), got = 0;
		kt_mem_read(s, addr, buf, want, &got);
		if (got == 0) {
			fprintf(f, "Cannot access memory at address 0x%" PRIx64 "\n", addr);
			return;
		}
		size_t max = sizeof(insn) / sizeof(insn[0]);
		if (count && count < max)
			max = count;
		size_t n = s->arch->disassemble(buf, got, addr, insn, max);
		if (n == 0) {
			fprintf(f, "   0x%016" PRIx64 ":\t(bad)\n", addr);
			addr += s->arch->insn_align;
			if (count)
				count--;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			print_insn(s, f, &insn[i], mark);
		addr = insn[n - 1].addr + insn[n - 1].len;
		if (count) {
			count -= n;
			if (count == 0)
				return;
		}
	}
}

void
kt_print_code_around(struct kt_session *s, FILE *f, uint64_t pc, size_t before, size_t after)
{
	struct kt_symbol_info sym;
	uint64_t start = pc;

	/* Decode forward from the function start (x86 cannot decode backwards). */
	kt_symbolize(s, pc, &sym);
	if (sym.function && sym.offset < 2048) {
		uint8_t buf[2048 + 16];
		struct kt_insn_text insn[512];
		size_t got = 0;
		kt_mem_read(s, sym.start, buf, sym.offset + 16 < sizeof(buf) ? sym.offset + 16 : sizeof(buf), &got);
		size_t n = s->arch->disassemble(buf, got, sym.start, insn, 512);
		for (size_t i = 0; i < n; i++) {
			if (insn[i].addr == pc) {
				start = insn[i > before ? i - before : 0].addr;
				break;
			}
		}
	}
	size_t count = after + 1;
	for (uint64_t a = start; a < pc;) {
		uint8_t b[16];
		size_t got = 0;
		kt_mem_read(s, a, b, sizeof(b), &got);
		size_t l = got ? s->arch->insn_length(b, got, a) : 0;
		if (!l)
			break;
		a += l;
		count++;
	}
	kt_print_disas(s, f, start, 0, count, pc);
}
