/* SPDX-License-Identifier: MIT */
/*
 * cmds_hw.c - commands for hardware points: hbreak, thbreak, watch,
 * rwatch, awatch, and "info debug-registers" (what each thread's debug
 * registers really hold, read back from the kernel).  The points live in
 * the breakpoint table, so delete, disable, enable, condition, ignore and
 * commands work on them as on any breakpoint; hw.c arms them.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "eval.h"
#include "format.h"
#include "hw.h"
#include "location.h"
#include "modules.h"
#include "run.h"

const char *
kt_bp_type_name(const struct kt_bp *bp)
{
	switch (bp->type) {
	case KT_BP_HBREAK:
	case KT_BP_THBREAK:
		return "hw breakpoint";
	case KT_BP_WATCH:
		return "hw watchpoint";
	case KT_BP_RWATCH:
		return "read watchpoint";
	case KT_BP_AWATCH:
		return "acc watchpoint";
	default:
		return "breakpoint";
	}
}

/* "Hardware watchpoint", ... as GDB announces each kind. */
static const char *
announce(const struct kt_bp *bp)
{
	switch (bp->type) {
	case KT_BP_WATCH:
		return "Hardware watchpoint";
	case KT_BP_RWATCH:
		return "Hardware read watchpoint";
	case KT_BP_AWATCH:
		return "Hardware access (read/write) watchpoint";
	case KT_BP_THBREAK:
		return "Temporary hardware breakpoint";
	default:
		return "Hardware assisted breakpoint";
	}
}

/* Arm the table with BP in it; on failure say why and delete BP. */
static kt_status
arm_new(struct kt_cli *c, struct kt_bp *bp)
{
	const char *why;
	kt_status st = kt_hw_update(c->s, &why);

	if (st == KT_OK)
		return KT_OK;
	kt_cli_error(c, "%s %d: could not insert: %s", announce(bp), bp->num, why);
	kt_bp_delete(&c->s->bps, bp->num);
	return st;
}

kt_status
kt_hw_enable(struct kt_cli *c, struct kt_bp *bp)
{
	const char *why;
	kt_status st = kt_hw_update(c->s, &why);

	if (st != KT_OK) {
		bp->enabled = false;
		kt_cli_error(c, "%s %d: could not insert: %s", announce(bp), bp->num, why);
	}
	return st;
}

/* Common start: a live process, the condition parsed. */
static kt_status
begin(struct kt_cli *c, const char *args, char *what, size_t len, struct kt_expr **cond,
      const char **cond_text)
{
	struct kt_session *s = c->s;

	*cond = NULL;
	if (!s->pid || s->exited || !kt_run_any_stopped(s)) {
		kt_cli_error(c, "The program is not being run: hardware points need a process.");
		return KT_ERR_STATE;
	}
	kt_split_if(args, what, len, cond_text);
	if (!what[0]) {
		kt_cli_error(c, "Argument required (expression to compute).");
		return KT_ERR_SYNTAX;
	}
	if (*cond_text && (!**cond_text || kt_parse_cond(c, *cond_text, cond) != KT_OK)) {
		if (!**cond_text)
			kt_cli_error(c, "Argument required (boolean expression after \"if\").");
		return KT_ERR_SYNTAX;
	}
	return KT_OK;
}

static kt_status
set_hbreak(struct kt_cli *c, const char *args, enum kt_bp_type type)
{
	struct kt_session *s = c->s;
	char loc[512], msg[256];
	const char *cond_text;
	struct kt_expr *cond;
	uint64_t *addrs = NULL;
	size_t n = 0;
	kt_status st = begin(c, args, loc, sizeof(loc), &cond, &cond_text);

	if (st != KT_OK)
		return st;
	if ((st = kt_location_resolve(s, loc, &addrs, &n, msg, sizeof(msg))) != KT_OK || !n) {
		kt_cli_error(c, "%s", st != KT_OK ? msg : "No location found.");
		kt_expr_free(cond);
		free(addrs);
		return st != KT_OK ? st : KT_ERR_NOTFOUND;
	}
	struct kt_bp *bp = kt_bp_new(&s->bps, type, loc);
	if (!bp) {
		kt_expr_free(cond);
		free(addrs);
		return KT_ERR_NOMEM;
	}
	if (cond_text)
		kt_bp_set_cond(bp, cond_text, cond);
	bp->hw_addr = addrs[0];
	bp->hw_len = 1;
	free(addrs);
	if ((st = arm_new(c, bp)) != KT_OK)
		return st;
	struct kt_symbol_info sym;
	char name[256];
	kt_symbolize(s, bp->hw_addr, &sym);
	fprintf(s->out, "%s %d at 0x%" PRIx64 ": %s", announce(bp), bp->num, bp->hw_addr,
		kt_fmt_sym(&sym, bp->hw_addr, name, sizeof(name)));
	if (sym.module)
		fprintf(s->out, " (%s)", sym.module);
	if (n > 1)
		fprintf(s->out, " (the first of %zu locations)", n);
	fputc('\n', s->out);
	return KT_OK;
}

kt_status
kt_cmd_hbreak(struct kt_cli *c, const char *args)
{
	return set_hbreak(c, args, KT_BP_HBREAK);
}

kt_status
kt_cmd_thbreak(struct kt_cli *c, const char *args)
{
	return set_hbreak(c, args, KT_BP_THBREAK);
}

/* True if TEXT is one C identifier. */
static bool
is_ident(const char *text)
{
	if (!isalpha((unsigned char)*text) && *text != '_')
		return false;
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			return false;
	return true;
}

/*
 * Where EXPR lives and how wide it is: "*POINTER-EXPR" (the pointee's
 * size and signedness; *N of a plain integer is an int, as in GDB) or a
 * data symbol of the program (its ELF size).
 */
static kt_status
lvalue(struct kt_cli *c, const char *expr, uint64_t *addr, uint8_t *len, bool *sign)
{
	struct kt_session *s = c->s;

	if (*expr == '*') {
		struct kt_value v;
		struct kt_expr_err err = {0};
		if (kt_eval(s, s->cur, expr + 1, &v, &err) != KT_OK) {
			kt_cli_error(c, "%s at %zu in \"%s\"", err.msg, err.pos + 2, expr);
			return KT_ERR_SYNTAX;
		}
		*addr = v.bits;
		*len = 4;
		*sign = true;
		if (v.is_pointer) {
			bool deep = v.ptr_levels > 1;
			*len = deep ? 8 : v.pointee_size;
			*sign = deep ? false : v.pointee_signed;
			if (*len == 0) {
				kt_cli_error(c, "Attempt to take contents of a non-pointer value.");
				return KT_ERR_INVAL;
			}
		}
		return KT_OK;
	}
	uint64_t size = 0;
	if (!is_ident(expr) || !kt_lookup_data(s, expr, addr, &size)) {
		kt_cli_error(c, "Cannot watch \"%s\": give a data symbol or *(TYPE *)ADDRESS.", expr);
		return KT_ERR_NOTFOUND;
	}
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		kt_cli_error(c, "Cannot watch \"%s\": its size is %" PRIu64 " bytes; watch "
				"*(TYPE *)&PART for 1, 2, 4 or 8 of them.",
			     expr, size);
		return KT_ERR_RANGE;
	}
	*len = (uint8_t)size;
	*sign = true;
	return KT_OK;
}

static kt_status
set_watch(struct kt_cli *c, const char *args, enum kt_bp_type type)
{
	struct kt_session *s = c->s;
	char expr[512];
	const char *cond_text, *why = NULL;
	struct kt_expr *cond;
	uint64_t addr;
	uint8_t len;
	bool sign;
	kt_status st = begin(c, args, expr, sizeof(expr), &cond, &cond_text);

	if (st != KT_OK)
		return st;
	if ((st = lvalue(c, expr, &addr, &len, &sign)) != KT_OK) {
		kt_expr_free(cond);
		return st;
	}
	struct kt_hw_point p = {KT_HW_WRITE, addr, len};
	if (s->arch->hw_check && s->arch->hw_check(&p, &why) != KT_OK) {
		kt_cli_error(c, "Cannot watch %u bytes at 0x%" PRIx64 ": %s.", len, addr, why);
		kt_expr_free(cond);
		return KT_ERR_INVAL;
	}
	struct kt_bp *bp = kt_bp_new(&s->bps, type, expr);
	if (!bp) {
		kt_expr_free(cond);
		return KT_ERR_NOMEM;
	}
	if (cond_text)
		kt_bp_set_cond(bp, cond_text, cond);
	bp->hw_addr = addr;
	bp->hw_len = len;
	bp->hw_signed = sign;
	if (kt_hw_read_value(s, bp, &bp->hw_old) != KT_OK) {
		kt_cli_error(c, "Cannot access memory at address 0x%" PRIx64, addr);
		kt_bp_delete(&s->bps, bp->num);
		return KT_ERR_MEM;
	}
	if ((st = arm_new(c, bp)) != KT_OK)
		return st;
	fprintf(s->out, "%s %d: %s\n", announce(bp), bp->num, expr);
	return KT_OK;
}

kt_status
kt_cmd_watch(struct kt_cli *c, const char *args)
{
	return set_watch(c, args, KT_BP_WATCH);
}

kt_status
kt_cmd_rwatch(struct kt_cli *c, const char *args)
{
	return set_watch(c, args, KT_BP_RWATCH);
}

kt_status
kt_cmd_awatch(struct kt_cli *c, const char *args)
{
	return set_watch(c, args, KT_BP_AWATCH);
}

kt_status
kt_cmd_info_debug_registers(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;

	(void)args;
	if (!s->os->ops->hw_get) {
		kt_cli_error(c, "This target has no hardware debug registers.");
		return KT_ERR_UNSUPPORTED;
	}
	for (size_t i = 0; i < s->nthreads; i++) {
		struct kt_thread *t = s->threads[i];
		struct kt_hw_regs r;
		if (t->exited || t->state != KT_TS_STOPPED ||
		    s->os->ops->hw_get(s->os, t->tid, &r) != KT_OK) {
			fprintf(s->out, "Thread %d: not readable\n", t->num);
			continue;
		}
		if (r.n[1] == 0) { /* one bank and a control register: x86-64 */
			fprintf(s->out, "Thread %d: dr7 0x%" PRIx64, t->num, r.dr7);
			for (unsigned k = 0; k < r.n[0] && k < KT_HW_MAX; k++)
				fprintf(s->out, " dr%u 0x%" PRIx64, k, r.addr[0][k]);
			fputc('\n', s->out);
			continue;
		}
		unsigned armed = 0;
		for (int b = 0; b < 2; b++)
			for (unsigned k = 0; k < r.n[b] && k < KT_HW_MAX; k++)
				armed += r.ctrl[b][k] & 1;
		fprintf(s->out, "Thread %d: %u armed of %u breakpoint and %u watchpoint slots\n",
			t->num, armed, r.n[0], r.n[1]);
		for (int b = 0; b < 2; b++)
			for (unsigned k = 0; k < r.n[b] && k < KT_HW_MAX; k++)
				if (r.ctrl[b][k] & 1)
					fprintf(s->out, "  %s %u: addr 0x%" PRIx64 " ctrl 0x%x\n",
						b ? "watchpoint" : "breakpoint", k, r.addr[b][k],
						r.ctrl[b][k]);
	}
	return KT_OK;
}
