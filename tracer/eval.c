/* SPDX-License-Identifier: MIT */
/*
 * eval.c - the bridge between the expression language (expr.c, which
 * knows no process) and the session: register, symbol, memory and
 * history callbacks.  Register writes go straight to the thread.
 */
#include "attr.h"
#include "eval.h"

#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "modules.h"
#include "patch.h"

struct kt_value_history {
	struct kt_value *v;
	size_t n, cap;
};

struct ctx {
	struct kt_session *s;
	struct kt_thread *t;
	int frame; /* registers of this frame of t (s->frame for the current thread) */
};

KT_HOT void
kt_eval_reg_value(const struct kt_reg_desc *d, uint64_t v, struct kt_value *out)
{
	memset(out, 0, sizeof(*out));
	out->size = (uint8_t)(d->bits / 8);
	if (d->flags & KT_REG_ADDR) {
		out->is_pointer = true;
		out->size = 8;
		out->pointee_size = 0;
	} else {
		out->is_signed = true;
		/* Sign-extend from the register's width, as GDB's int64_t/int32_t. */
		if (d->bits < 64 && (v >> (d->bits - 1)) & 1)
			v |= ~(uint64_t)0 << d->bits;
	}
	out->bits = v;
}

static kt_status
get_reg(void *c, const char *name, size_t len, struct kt_value *out)
{
	struct ctx *x = c;
	const struct kt_reg_desc *d;
	kt_status st;

	if (!x->t)
		return KT_ERR_STATE;
	/* A breakpoint's condition names the same register at every hit. */
	d = x->s->last_reg;
	if (!d || strncmp(d->name, name, len) != 0 || d->name[len] != '\0') {
		if (!(d = kt_arch_reg_by_name(x->s->arch, name, len)))
			return KT_ERR_NOTFOUND;
		x->s->last_reg = d;
	}
	if ((st = kt_thread_regs(x->s, x->t)) != KT_OK)
		return st;
	uint64_t v = kt_reg_get(&x->t->regs, d);
	if (x->frame > 0) {
		/* The selected frame's register, as unwinding recovered it. */
		struct kt_regs r;
		uint64_t known;
		if ((st = kt_frame_regs(x->s, x->t, x->frame, &r, &known, NULL)) != KT_OK)
			return st;
		if (d->index >= 64 || !(known & ((uint64_t)1 << d->index)))
			return KT_ERR_UNSUPPORTED; /* GDB's <not saved> */
		v = kt_reg_get(&r, d);
	}
	kt_eval_reg_value(d, v, out);
	return KT_OK;
}

static kt_status
set_reg(void *c, const char *name, size_t len, uint64_t value)
{
	struct ctx *x = c;
	const struct kt_reg_desc *d;
	kt_status st;

	if (!x->t)
		return KT_ERR_STATE;
	/* A breakpoint's condition names the same register at every hit. */
	d = x->s->last_reg;
	if (!d || strncmp(d->name, name, len) != 0 || d->name[len] != '\0') {
		if (!(d = kt_arch_reg_by_name(x->s->arch, name, len)))
			return KT_ERR_NOTFOUND;
		x->s->last_reg = d;
	}
	if ((st = kt_thread_regs(x->s, x->t)) != KT_OK)
		return st;
	if (x->frame > 0)
		return KT_ERR_STATE; /* a caller's registers are not written */
	if (d->index == x->s->arch->reg_pc)
		x->s->arch->set_pc(&x->t->regs, value);
	else
		kt_reg_set(&x->t->regs, d, value);
	return kt_thread_set_regs(x->s, x->t);
}

static kt_status
symbol(void *c, const char *name, size_t len, uint64_t *addr)
{
	struct ctx *x = c;
	uint64_t *v = NULL;
	char buf[512];

	if (len >= sizeof(buf))
		return KT_ERR_NOTFOUND;
	memcpy(buf, name, len);
	buf[len] = '\0';
	size_t n = kt_lookup_function(x->s, buf, &v);
	if (n == 0) {
		uint64_t size;
		/* A data symbol: &counter, as "watch" users write it. */
		return kt_lookup_data(x->s, buf, addr, &size) ? KT_OK : KT_ERR_NOTFOUND;
	}
	*addr = v[0];
	free(v);
	return KT_OK;
}

static kt_status
read_mem(void *c, uint64_t addr, void *buf, size_t len)
{
	struct ctx *x = c;

	return kt_mem_read(x->s, addr, buf, len, NULL);
}

static kt_status
write_mem(void *c, uint64_t addr, const void *buf, size_t len)
{
	struct ctx *x = c;

	return kt_mem_write(x->s, addr, buf, len);
}

static kt_status
history(void *c, long index, struct kt_value *out)
{
	struct ctx *x = c;
	struct kt_value_history *h = x->s->history;
	long n = h ? (long)h->n : 0, i;

	if (index > 0)
		i = index - 1;
	else
		i = n - 1 + index;
	if (i < 0 || i >= n)
		return KT_ERR_NOTFOUND;
	*out = h->v[i];
	return KT_OK;
}

kt_status
kt_eval_compiled(struct kt_session *s, struct kt_thread *t, const struct kt_expr *e,
		 struct kt_value *out, struct kt_expr_err *err)
{
	struct ctx x = {s, t, t && t == s->cur ? s->frame : 0};
	struct kt_expr_env env = {
		.ctx = &x,
		.get_reg = get_reg,
		.set_reg = set_reg,
		.symbol = symbol,
		.read_mem = read_mem,
		.write_mem = write_mem,
		.history = history,
	};

	memset(err, 0, sizeof(*err));
	return kt_expr_eval(e, &env, out, err);
}

kt_status
kt_eval(struct kt_session *s, struct kt_thread *t, const char *text, struct kt_value *out,
	struct kt_expr_err *err)
{
	struct kt_expr *e = NULL;
	kt_status st;

	memset(err, 0, sizeof(*err));
	if ((st = kt_expr_parse(text, &e, err)) != KT_OK)
		return st;
	st = kt_eval_compiled(s, t, e, out, err);
	kt_expr_free(e);
	return st;
}

int
kt_history_add(struct kt_session *s, const struct kt_value *v)
{
	struct kt_value_history *h = s->history;

	if (!h && !(h = s->history = calloc(1, sizeof(*h))))
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 16;
		struct kt_value *nv = realloc(h->v, cap * sizeof(*nv));
		if (!nv)
			return 0;
		h->v = nv;
		h->cap = cap;
	}
	h->v[h->n++] = *v;
	return (int)h->n;
}

void
kt_history_free(struct kt_session *s)
{
	if (s->history)
		free(s->history->v);
	free(s->history);
	s->history = NULL;
}
