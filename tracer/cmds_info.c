/* SPDX-License-Identifier: MIT */
/*
 * cmds_info.c - commands that show the process: backtrace, thread, info
 * threads, info registers, info sharedlibrary, and the signal policy
 * (handle, info signals).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "format.h"
#include "jit.h"
#include "modules.h"
#include "signals.h"
#include "frames.h"

static void
bt_thread(struct kt_cli *c, struct kt_thread *t, size_t limit)
{
	struct kt_frame *fr = calloc(KT_MAX_FRAMES, sizeof(*fr));

	if (!fr)
		return;
	size_t n = kt_frames(c->s, t, fr, limit && limit < KT_MAX_FRAMES ? limit : KT_MAX_FRAMES);
	for (size_t i = 0; i < n; i++)
		kt_print_frame(c->s, c->s->out, i, &fr[i]);
	if (n == 0)
		fputs("No stack.\n", c->s->out);
	free(fr);
}

kt_status
kt_cmd_backtrace(struct kt_cli *c, const char *args)
{
	bool all = false;
	unsigned long limit = 0;
	const char *p = args;

	while (*p) {
		size_t n = strcspn(p, " \t");
		if ((n == 3 && strncmp(p, "all", 3) == 0) || (n == 4 && strncmp(p, "full", 4) == 0)) {
			all = all || p[0] == 'a';
		} else {
			const char *e = kt_parse_uint(p, &limit);
			if (!e || (*e && *e != ' ' && *e != '\t')) {
				kt_cli_error(c, "Bad backtrace argument: '%.*s' (use: bt [all] [N])",
					     (int)n, p);
				return KT_ERR_SYNTAX;
			}
		}
		p = kt_skip_ws(p + n);
	}
	if (!all) {
		if (!c->s->cur)
			return KT_ERR_STATE;
		bt_thread(c, c->s->cur, limit);
		return KT_OK;
	}
	for (size_t i = 0; i < c->s->nthreads; i++) {
		struct kt_thread *t = c->s->threads[i];
		char name[64];
		if (t->exited)
			continue;
		kt_thread_name(c->s, t, name, sizeof(name));
		fprintf(c->s->out, "\nThread %d (tid %d) \"%s\":\n", t->num, (int)t->tid, name);
		bt_thread(c, t, limit);
	}
	return KT_OK;
}

static void
thread_line(struct kt_cli *c, struct kt_thread *t, bool mark)
{
	struct kt_symbol_info sym;
	char name[64], where[256];

	kt_thread_name(c->s, t, name, sizeof(name));
	uint64_t pc = kt_thread_regs(c->s, t) == KT_OK ? kt_regs_pc(c->s->arch, &t->regs) : 0;
	kt_symbolize(c->s, pc, &sym);
	fprintf(c->s->out, "%s %-3d Thread %d \"%s\" 0x%016" PRIx64 " in %s\n", mark ? "*" : " ",
		t->num, (int)t->tid, name, pc, kt_fmt_sym(&sym, pc, where, sizeof(where)));
}

kt_status
kt_cmd_info_threads(struct kt_cli *c, const char *args)
{
	fputs("  Id  Target Id                         Frame\n", c->s->out);
	for (size_t i = 0; i < c->s->nthreads; i++)
		if (!c->s->threads[i]->exited)
			thread_line(c, c->s->threads[i], c->s->threads[i] == c->s->cur);
	return KT_OK;
}

kt_status
kt_cmd_thread(struct kt_cli *c, const char *args)
{
	unsigned long num;

	if (!*args) {
		if (c->s->cur)
			fprintf(c->s->out, "[Current thread is %d (tid %d)]\n", c->s->cur->num,
				(int)c->s->cur->tid);
		return KT_OK;
	}
	const char *e = kt_parse_uint(args, &num);
	if (!e || *kt_skip_ws(e)) {
		kt_cli_error(c, "Invalid thread ID: %s", args);
		return KT_ERR_SYNTAX;
	}
	struct kt_thread *t = num < 1000000 ? kt_thread_by_num(c->s, (int)num) : NULL;
	if (!t || t->exited) {
		kt_cli_error(c, "Invalid thread ID: %lu", num);
		return KT_ERR_NOTFOUND;
	}
	c->s->cur = t;
	c->s->frame = 0;
	fprintf(c->s->out, "[Switching to thread %d (tid %d)]\n", t->num, (int)t->tid);
	thread_line(c, t, true);
	return KT_OK;
}

/* One register of the selected frame; "<not saved>" if unwinding lost it. */
static void
reg_line(struct kt_cli *c, const struct kt_reg_desc *d, const struct kt_regs *r, uint64_t known)
{
	uint64_t v = kt_reg_get(r, d);

	if (d->index >= 64 || !(known & ((uint64_t)1 << d->index))) {
		fprintf(c->s->out, "%-10s <not saved>\n", d->name);
		return;
	}
	fprintf(c->s->out, "%-10s 0x%-18" PRIx64 " %" PRId64 "\n", d->name, v, (int64_t)v);
}

kt_status
kt_cmd_info_registers(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	struct kt_regs r;
	uint64_t known;

	if (!s->cur || kt_frame_regs(s, s->cur, s->frame, &r, &known, NULL) != KT_OK) {
		kt_cli_error(c, "cannot read registers");
		return KT_ERR_STATE;
	}
	if (!*args) {
		for (size_t i = 0; i < s->arch->nregs; i++)
			if (s->arch->regs[i].flags & KT_REG_SHOWN)
				reg_line(c, &s->arch->regs[i], &r, known);
		return KT_OK;
	}
	const char *p = args;
	while (*p) {
		size_t n = strcspn(p, " \t");
		const char *name = *p == '$' ? p + 1 : p;
		size_t len = *p == '$' ? n - 1 : n;
		const struct kt_reg_desc *d = kt_arch_reg_by_name(s->arch, name, len);
		if (!d) {
			kt_cli_error(c, "Invalid register `%.*s'", (int)len, name);
			return KT_ERR_NOTFOUND;
		}
		reg_line(c, d, &r, known);
		p = kt_skip_ws(p + n);
	}
	return KT_OK;
}

kt_status
kt_cmd_info_sharedlibrary(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;

	kt_modules_refresh(s, NULL);
	fputs("From                To                  Syms  Path\n", s->out);
	for (size_t i = 0; s->mods && i < s->mods->n; i++) {
		struct kt_module *m = s->mods->v[i];
		kt_module_load(s, m);
		fprintf(s->out, "0x%016" PRIx64 "  0x%016" PRIx64 "  %-5zu %s\n", m->lo, m->hi,
			m->nsyms, m->path);
	}
	return KT_OK;
}

static void
policy_line(struct kt_cli *c, int sig)
{
	const struct kt_sig_policy *p = kt_signal_policy(c->s, sig);

	fprintf(c->s->out, "%-13s %-5s %-6s %-14s %s\n", kt_signal_name(sig), p->stop ? "Yes" : "No",
		p->print ? "Yes" : "No", p->pass ? "Yes" : "No", kt_signal_desc(sig));
}

kt_status
kt_cmd_info_signals(struct kt_cli *c, const char *args)
{
	fputs("Signal        Stop  Print  Pass to program Description\n", c->s->out);
	if (*args) {
		int sig = kt_signal_number(args);
		if (!sig) {
			kt_cli_error(c, "Only signals 1-64 are valid as numeric signals: %s", args);
			return KT_ERR_NOTFOUND;
		}
		policy_line(c, sig);
		return KT_OK;
	}
	for (int sig = 1; sig < KT_NSIG; sig++)
		if (sig < 32 || sig == 34 || sig == 64)
			policy_line(c, sig);
	return KT_OK;
}

kt_status
kt_cmd_handle(struct kt_cli *c, const char *args)
{
	size_t n = strcspn(args, " \t");
	char name[32];

	if (n == 0 || n >= sizeof(name)) {
		kt_cli_error(c, "Argument required (signal and actions to apply).");
		return KT_ERR_SYNTAX;
	}
	memcpy(name, args, n);
	name[n] = '\0';
	int sig = kt_signal_number(name);
	if (!sig || sig == SIGKILL || sig == SIGSTOP) {
		kt_cli_error(c, sig ? "%s cannot be caught or ignored" : "Unrecognized signal: %s",
			     name);
		return KT_ERR_INVAL;
	}
	struct kt_sig_policy p = c->s->set.sig[sig];
	const char *a = kt_skip_ws(args + n);
	while (*a) {
		size_t k = strcspn(a, " \t");
		if (k == 4 && !strncmp(a, "stop", 4)) {
			p.stop = p.print = true;
		} else if (k == 6 && !strncmp(a, "nostop", 6)) {
			p.stop = false;
		} else if (k == 5 && !strncmp(a, "print", 5)) {
			p.print = true;
		} else if (k == 7 && !strncmp(a, "noprint", 7)) {
			p.print = p.stop = false;
		} else if (k == 4 && !strncmp(a, "pass", 4)) {
			p.pass = true;
		} else if (k == 6 && !strncmp(a, "nopass", 6)) {
			p.pass = false;
		} else {
			kt_cli_error(c, "Unrecognized or ambiguous flag word: \"%.*s\".", (int)k, a);
			return KT_ERR_SYNTAX;
		}
		a = kt_skip_ws(a + k);
	}
	c->s->set.sig[sig] = p;
	fputs("Signal        Stop  Print  Pass to program Description\n", c->s->out);
	policy_line(c, sig);
	return KT_OK;
}

kt_status
kt_cmd_info_jit(struct kt_cli *c, const char *args)
{
	kt_jit_info(c->s, c->s->out);
	return KT_OK;
}
