/* SPDX-License-Identifier: MIT */
/*
 * cmds_data.c - commands that look at and change the program's data:
 * print, x, set, disassemble.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "eval.h"
#include "format.h"
#include "location.h"
#include "modules.h"
#include "patch.h"

static void
expr_error(struct kt_cli *c, const char *text, const struct kt_expr_err *err, kt_status st)
{
	if (err->msg[0])
		kt_cli_error(c, "%s at %zu in \"%s\"", err->msg, err->pos + 1, text);
	else
		kt_cli_error(c, "cannot evaluate \"%s\": %s", text, kt_strerror(st));
}

/* "/FMT" after a command word; returns the rest. */
static const char *
parse_fmt(const char *args, unsigned long *count, char *fmt, char *size)
{
	if (*args != '/')
		return args;
	const char *p = args + 1;
	if (isdigit((unsigned char)*p)) {
		const char *e = kt_parse_uint(p, count);
		if (!e)
			return NULL;
		p = e;
	}
	while (*p && *p != ' ' && *p != '\t') {
		char ch = *p++;
		if (strchr("bhwg", ch))
			*size = ch;
		else if (strchr("xduotcasiz", ch))
			*fmt = ch;
		else
			return NULL;
	}
	return kt_skip_ws(p);
}

kt_status
kt_cmd_print(struct kt_cli *c, const char *args)
{
	unsigned long count = 1;
	char fmt = 0, size = 0, buf[128];
	struct kt_value v;
	struct kt_expr_err err;
	const char *text = parse_fmt(args, &count, &fmt, &size);

	if (!text || (fmt && strchr("si", fmt))) {
		kt_cli_error(c, "Bad format for print: '%s'", args);
		return KT_ERR_SYNTAX;
	}
	if (!*text) {
		kt_cli_error(c, "print needs an expression");
		return KT_ERR_SYNTAX;
	}
	kt_status st = kt_eval(c->s, c->s->exited ? NULL : c->s->cur, text, &v, &err);
	if (st != KT_OK) {
		expr_error(c, text, &err, st);
		return st;
	}
	kt_value_format(&v, fmt, buf, sizeof(buf));
	int num = kt_history_add(c->s, &v);
	fprintf(c->s->out, "$%d = %s", num, buf);
	if (fmt == 'a' || (!fmt && v.is_pointer)) {
		struct kt_symbol_info sym;
		char name[256];
		if (c->s->pid && !c->s->exited) {
			kt_symbolize(c->s, v.bits, &sym);
			if (sym.function)
				fprintf(c->s->out, " <%s>", kt_fmt_sym(&sym, v.bits, name, sizeof(name)));
		}
	}
	fputc('\n', c->s->out);
	return KT_OK;
}

static void
print_unit(struct kt_cli *c, FILE *f, const uint8_t *p, unsigned size, char fmt)
{
	uint64_t u = 0;
	char buf[96];

	memcpy(&u, p, size);
	struct kt_value v = {.bits = u, .size = (uint8_t)size, .is_signed = fmt == 'd'};
	if (fmt == 'd' && size < 8 && (u >> (size * 8 - 1)) & 1)
		v.bits |= ~(uint64_t)0 << (size * 8);
	if (fmt == 'x') {
		snprintf(buf, sizeof(buf), "0x%0*" PRIx64, (int)size * 2, u);
	} else if (fmt == 'a') {
		struct kt_symbol_info sym;
		char name[256];
		kt_symbolize(c->s, u, &sym);
		if (sym.function)
			snprintf(buf, sizeof(buf), "0x%" PRIx64 " <%s>", u,
				 kt_fmt_sym(&sym, u, name, sizeof(name)));
		else
			snprintf(buf, sizeof(buf), "0x%" PRIx64, u);
	} else {
		kt_value_format(&v, fmt, buf, sizeof(buf));
	}
	fprintf(f, "\t%s", buf);
}

kt_status
kt_cmd_x(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	unsigned long count = 1;
	char fmt = 'x', size = 'w';
	struct kt_value v;
	struct kt_expr_err err;
	const char *text = parse_fmt(args, &count, &fmt, &size);

	if (!text) {
		kt_cli_error(c, "Bad format in \"x%s\": use x/NFU with F in xduotcasiz, U in bhwg",
			     args);
		return KT_ERR_SYNTAX;
	}
	if (!*text) {
		kt_cli_error(c, "Argument required (starting display address).");
		return KT_ERR_SYNTAX;
	}
	if (count == 0 || count > 4096) {
		kt_cli_error(c, "Count must be between 1 and 4096.");
		return KT_ERR_RANGE;
	}
	kt_status st = kt_eval(s, s->cur, text, &v, &err);
	if (st != KT_OK) {
		expr_error(c, text, &err, st);
		return st;
	}
	uint64_t addr = v.bits;
	FILE *f = s->out;
	if (fmt == 'i') {
		kt_print_disas(s, f, addr, 0, count, s->cur && kt_thread_regs(s, s->cur) == KT_OK
								? kt_regs_pc(s->arch, &s->cur->regs)
								: 0);
		return KT_OK;
	}
	if (fmt == 's') {
		for (unsigned long i = 0; i < count; i++) {
			char str[4096];
			size_t got = 0, len = 0;
			kt_mem_read(s, addr, str, sizeof(str) - 1, &got);
			if (got == 0) {
				kt_cli_error(c, "Cannot access memory at address 0x%" PRIx64, addr);
				return KT_ERR_MEM;
			}
			while (len < got && str[len])
				len++;
			fprintf(f, "0x%" PRIx64 ":\t\"", addr);
			for (size_t k = 0; k < len; k++) {
				unsigned char ch = (unsigned char)str[k];
				if (ch == '"' || ch == '\\')
					fprintf(f, "\\%c", ch);
				else if (isprint(ch))
					fputc(ch, f);
				else
					fprintf(f, "\\%03o", ch);
			}
			fputs("\"\n", f);
			addr += len + 1;
		}
		return KT_OK;
	}
	unsigned unit = size == 'b' ? 1 : size == 'h' ? 2 : size == 'g' ? 8 : 4;
	if (fmt == 'c')
		unit = 1;
	if (fmt == 'a')
		unit = 8;
	unsigned per_line = unit == 8 ? 2 : unit == 4 ? 4 : 8;
	size_t total = count * unit;
	uint8_t *buf = malloc(total);
	size_t got = 0;
	if (!buf)
		return KT_ERR_NOMEM;
	kt_mem_read(s, addr, buf, total, &got);
	for (size_t i = 0; i * unit < total; i++) {
		if (i % per_line == 0) {
			if (i)
				fputc('\n', f);
			struct kt_symbol_info sym;
			char name[256];
			uint64_t a = addr + i * unit;
			kt_symbolize(s, a, &sym);
			fprintf(f, "0x%" PRIx64, a);
			if (sym.function)
				fprintf(f, " <%s>", kt_fmt_sym(&sym, a, name, sizeof(name)));
			fputc(':', f);
		}
		if ((i + 1) * unit > got) {
			fputc('\n', f);
			kt_cli_error(c, "Cannot access memory at address 0x%" PRIx64,
				     addr + i * unit);
			free(buf);
			return KT_ERR_MEM;
		}
		print_unit(c, f, buf + i * unit, unit, fmt);
	}
	fputc('\n', f);
	free(buf);
	return KT_OK;
}

kt_status
kt_cmd_set(struct kt_cli *c, const char *args)
{
	struct kt_value v;
	struct kt_expr_err err;
	const char *text = args;

	if (strncmp(text, "var ", 4) == 0 || strncmp(text, "variable ", 9) == 0)
		text = kt_skip_ws(strchr(text, ' '));
	if (strncmp(text, "displaced-stepping", 18) == 0) {
		const char *val = kt_skip_ws(text + 18);
		if (strcmp(val, "on") == 0 || strcmp(val, "1") == 0) {
			c->s->set.displaced = true;
		} else if (strcmp(val, "off") == 0 || strcmp(val, "0") == 0) {
			c->s->set.displaced = false;
		} else {
			kt_cli_error(c, "\"on\" or \"off\" expected.");
			return KT_ERR_SYNTAX;
		}
		return KT_OK;
	}
	if (!strchr(text, '=')) {
		kt_cli_error(c, "Undefined set command \"%s\": use set $REG = EXPR, "
				"set *(TYPE *)ADDR = EXPR or set displaced-stepping on|off",
			     text);
		return KT_ERR_SYNTAX;
	}
	struct kt_expr *e = NULL;
	kt_status st = kt_expr_parse(text, &e, &err);
	if (st == KT_OK && !kt_expr_is_assignment(e)) {
		kt_expr_free(e);
		kt_cli_error(c, "\"set\" needs an assignment: %s", text);
		return KT_ERR_SYNTAX;
	}
	if (st == KT_OK)
		st = kt_eval_compiled(c->s, c->s->exited ? NULL : c->s->cur, e, &v, &err);
	kt_expr_free(e);
	if (st != KT_OK)
		expr_error(c, text, &err, st);
	return st;
}

kt_status
kt_cmd_disassemble(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	uint64_t addr, end = 0, pc = 0;
	struct kt_symbol_info sym;

	if (s->cur && kt_thread_regs(s, s->cur) == KT_OK)
		pc = kt_regs_pc(s->arch, &s->cur->regs);
	addr = pc;
	const char *comma = strchr(args, ',');
	if (*args) {
		char first[512];
		size_t n = comma ? (size_t)(comma - args) : strlen(args);
		if (n >= sizeof(first)) {
			kt_cli_error(c, "location too long");
			return KT_ERR_RANGE;
		}
		memcpy(first, args, n);
		first[n] = '\0';
		struct kt_value v;
		struct kt_expr_err err;
		const char *e = first[0] == '*' ? first + 1 : first;
		kt_status st = kt_eval(s, s->cur, e, &v, &err);
		if (st != KT_OK) {
			expr_error(c, e, &err, st);
			return st;
		}
		addr = v.bits;
		if (comma) {
			const char *t = kt_skip_ws(comma + 1);
			bool plus = *t == '+';
			st = kt_eval(s, s->cur, plus ? t + 1 : t, &v, &err);
			if (st != KT_OK) {
				expr_error(c, t, &err, st);
				return st;
			}
			end = plus ? addr + v.bits : v.bits;
			if (end <= addr || end - addr > (1u << 20)) {
				kt_cli_error(c, "Bad range: 0x%" PRIx64 ",0x%" PRIx64, addr, end);
				return KT_ERR_RANGE;
			}
		}
	}
	if (!end) {
		kt_symbolize(s, addr, &sym);
		if (!sym.function) {
			kt_cli_error(c, "No function contains specified address 0x%" PRIx64
					".  Give a range: disassemble START,END",
				     addr);
			return KT_ERR_NOTFOUND;
		}
		addr = sym.start;
		end = addr + (sym.size && sym.size < (1u << 20) ? sym.size : 64);
		fprintf(s->out, "Dump of assembler code for function %s (%s):\n", sym.function,
			sym.module ? sym.module : sym.source);
	} else {
		fprintf(s->out, "Dump of assembler code from 0x%" PRIx64 " to 0x%" PRIx64 ":\n",
			addr, end);
	}
	kt_print_disas(s, s->out, addr, end - addr, 0, pc);
	fputs("End of assembler dump.\n", s->out);
	return KT_OK;
}
