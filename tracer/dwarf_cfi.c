/* SPDX-License-Identifier: MIT */
/*
 * dwarf_cfi.c - one step of CFI unwinding: libdwarf finds the FDE and
 * evaluates the rules to a row; this file applies the row to registers and
 * memory (with a small DWARF expression evaluator for the expression rules).
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <string.h>

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

#define EXPR_STACK 64
#define EXPR_STEPS 10000

static void
load_cfi(struct kt_dw_file *f, bool eh)
{
	Dwarf_Error err = NULL;

	if (f->cfi_loaded || !f->dbg)
		return;
	f->cfi_loaded = true;
	if (eh && dwarf_get_fde_list_eh(f->dbg, &f->eh_cies, &f->eh_ncie, &f->eh_fdes,
					&f->eh_nfde, &err) != DW_DLV_OK) {
		kt_dw_err(f->dbg, &err);
		f->eh_cies = NULL;
		f->eh_fdes = NULL;
		f->eh_ncie = f->eh_nfde = 0;
	}
	if (dwarf_get_fde_list(f->dbg, &f->df_cies, &f->df_ncie, &f->df_fdes, &f->df_nfde,
			       &err) != DW_DLV_OK) {
		kt_dw_err(f->dbg, &err);
		f->df_cies = NULL;
		f->df_fdes = NULL;
		f->df_ncie = f->df_nfde = 0;
	}
}

static bool
fde_at(Dwarf_Debug dbg, Dwarf_Fde *fdes, Dwarf_Signed n, uint64_t pc, Dwarf_Fde *out)
{
	Dwarf_Error err = NULL;
	Dwarf_Addr lo = 0, hi = 0;

	if (!fdes || n <= 0)
		return false;
	if (dwarf_get_fde_at_pc(fdes, pc, out, &lo, &hi, &err) != DW_DLV_OK) {
		kt_dw_err(dbg, &err);
		return false;
	}
	return true;
}

/* ---- DWARF expressions (the subset CFI uses) ---- */

struct expr_env {
	const struct kt_dwarf_regs *regs;
	const struct kt_arch_mem *mem;
};

static kt_status
read_word(const struct kt_arch_mem *mem, uint64_t addr, size_t size, uint64_t *v)
{
	uint8_t buf[8];
	uint64_t r = 0;
	kt_status st;

	if (!mem || !mem->read || size == 0 || size > 8)
		return KT_ERR_MEM;
	st = mem->read(mem->ctx, addr, buf, size);
	if (st != KT_OK)
		return st;
	for (size_t i = 0; i < size; i++)
		r |= (uint64_t)buf[i] << (8 * i); /* little-endian targets */
	*v = r;
	return KT_OK;
}

static kt_status
reg_value(const struct kt_dwarf_regs *r, uint64_t n, uint64_t *v)
{
	if (n >= KT_DWARF_NREGS || !(r->known & (1ull << n)))
		return KT_ERR_UNSUPPORTED;
	*v = r->v[n];
	return KT_OK;
}

/* Evaluate the expression [P, P+LEN) with INIT pushed first. */
static kt_status
eval(const struct expr_env *env, const uint8_t *p, size_t len, uint64_t init, bool push_init,
     uint64_t *result)
{
	const uint8_t *start = p, *end = p + len;
	uint64_t st[EXPR_STACK];
	size_t sp = 0;
	kt_status s;

#define NEED(k)                                                                \
	do {                                                                   \
		if (sp < (k))                                                  \
			return KT_ERR_CORRUPT;                                 \
	} while (0)
#define PUSH(x)                                                                \
	do {                                                                   \
		uint64_t x_ = (x);                                             \
		if (sp >= EXPR_STACK)                                          \
			return KT_ERR_CORRUPT;                                 \
		st[sp++] = x_;                                                 \
	} while (0)

	if (!p)
		return KT_ERR_CORRUPT;
	if (push_init)
		PUSH(init);
	for (unsigned steps = 0; p < end; steps++) {
		uint8_t op = *p++;
		uint64_t u = 0, a, b;
		int64_t sv = 0;

		if (steps >= EXPR_STEPS)
			return KT_ERR_CORRUPT;
		if (op >= DW_OP_lit0 && op <= DW_OP_lit31) {
			PUSH((uint64_t)(op - DW_OP_lit0));
			continue;
		}
		if (op >= DW_OP_breg0 && op <= DW_OP_breg31) {
			if (!kt_dw_sleb(&p, end, &sv))
				return KT_ERR_CORRUPT;
			if ((s = reg_value(env->regs, op - DW_OP_breg0, &u)) != KT_OK)
				return s;
			PUSH(u + (uint64_t)sv);
			continue;
		}
		switch (op) {
		case DW_OP_bregx:
			if (!kt_dw_uleb(&p, end, &u) || !kt_dw_sleb(&p, end, &sv))
				return KT_ERR_CORRUPT;
			if ((s = reg_value(env->regs, u, &u)) != KT_OK)
				return s;
			PUSH(u + (uint64_t)sv);
			break;
		case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u:
		case DW_OP_const2s: case DW_OP_const4u: case DW_OP_const4s:
		case DW_OP_const8u: case DW_OP_const8s: {
			size_t n = op <= DW_OP_const1s ? 1 : op <= DW_OP_const2s ? 2
				 : op <= DW_OP_const4s ? 4 : 8;
			bool sgn = (op - DW_OP_const1u) & 1;

			if ((size_t)(end - p) < n)
				return KT_ERR_CORRUPT;
			u = 0;
			for (size_t i = 0; i < n; i++)
				u |= (uint64_t)p[i] << (8 * i);
			p += n;
			if (sgn && n < 8 && (u >> (8 * n - 1)) & 1)
				u |= ~0ull << (8 * n);
			PUSH(u);
			break;
		}
		case DW_OP_constu:
			if (!kt_dw_uleb(&p, end, &u))
				return KT_ERR_CORRUPT;
			PUSH(u);
			break;
		case DW_OP_consts:
			if (!kt_dw_sleb(&p, end, &sv))
				return KT_ERR_CORRUPT;
			PUSH((uint64_t)sv);
			break;
		case DW_OP_dup:
			NEED(1);
			PUSH(st[sp - 1]);
			break;
		case DW_OP_drop:
			NEED(1);
			sp--;
			break;
		case DW_OP_over:
			NEED(2);
			PUSH(st[sp - 2]);
			break;
		case DW_OP_pick:
			if (p >= end)
				return KT_ERR_CORRUPT;
			u = *p++;
			NEED(u + 1);
			PUSH(st[sp - 1 - u]);
			break;
		case DW_OP_swap:
			NEED(2);
			a = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = a;
			break;
		case DW_OP_rot:
			NEED(3);
			a = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = st[sp - 3];
			st[sp - 3] = a;
			break;
		case DW_OP_deref:
		case DW_OP_deref_size:
			NEED(1);
			u = 8;
			if (op == DW_OP_deref_size) {
				if (p >= end)
					return KT_ERR_CORRUPT;
				u = *p++;
			}
			if ((s = read_word(env->mem, st[sp - 1], (size_t)u, &a)) != KT_OK)
				return s;
			st[sp - 1] = a;
			break;
		case DW_OP_plus_uconst:
			NEED(1);
			if (!kt_dw_uleb(&p, end, &u))
				return KT_ERR_CORRUPT;
			st[sp - 1] += u;
			break;
		case DW_OP_abs: case DW_OP_neg: case DW_OP_not:
			NEED(1);
			a = st[sp - 1];
			st[sp - 1] = op == DW_OP_not ? ~a
				   : op == DW_OP_neg ? -a
				   : (int64_t)a < 0 ? -a : a;
			break;
		case DW_OP_and: case DW_OP_div: case DW_OP_minus: case DW_OP_mod:
		case DW_OP_mul: case DW_OP_or: case DW_OP_plus: case DW_OP_shl:
		case DW_OP_shr: case DW_OP_shra: case DW_OP_xor: case DW_OP_eq:
		case DW_OP_ge: case DW_OP_gt: case DW_OP_le: case DW_OP_lt: case DW_OP_ne:
			NEED(2);
			b = st[--sp];
			a = st[sp - 1];
			switch (op) {
			case DW_OP_and: a &= b; break;
			case DW_OP_div:
				if (b == 0 || ((int64_t)a == INT64_MIN && (int64_t)b == -1))
					return KT_ERR_CORRUPT;
				a = (uint64_t)((int64_t)a / (int64_t)b);
				break;
			case DW_OP_minus: a -= b; break;
			case DW_OP_mod:
				if (b == 0)
					return KT_ERR_CORRUPT;
				a %= b;
				break;
			case DW_OP_mul: a *= b; break;
			case DW_OP_or: a |= b; break;
			case DW_OP_plus: a += b; break;
			case DW_OP_shl: a = b >= 64 ? 0 : a << b; break;
			case DW_OP_shr: a = b >= 64 ? 0 : a >> b; break;
			case DW_OP_shra:
				a = (uint64_t)((int64_t)a >> (b >= 63 ? 63 : b));
				break;
			case DW_OP_xor: a ^= b; break;
			case DW_OP_eq: a = a == b; break;
			case DW_OP_ge: a = (int64_t)a >= (int64_t)b; break;
			case DW_OP_gt: a = (int64_t)a > (int64_t)b; break;
			case DW_OP_le: a = (int64_t)a <= (int64_t)b; break;
			case DW_OP_lt: a = (int64_t)a < (int64_t)b; break;
			default: a = a != b; break;
			}
			st[sp - 1] = a;
			break;
		case DW_OP_skip:
		case DW_OP_bra: {
			int16_t off;

			if (end - p < 2)
				return KT_ERR_CORRUPT;
			off = (int16_t)(p[0] | p[1] << 8);
			p += 2;
			if (op == DW_OP_bra) {
				NEED(1);
				if (st[--sp] == 0)
					break;
			}
			if (off < 0 ? (size_t)-off > (size_t)(p - start)
				    : (size_t)off > (size_t)(end - p))
				return KT_ERR_CORRUPT;
			p += off;
			break;
		}
		case DW_OP_nop:
			break;
		default:
			return KT_ERR_UNSUPPORTED;
		}
	}
	NEED(1);
	*result = st[sp - 1];
	return KT_OK;
#undef NEED
#undef PUSH
}

/* ---- one step ---- */

/* Registers that keep their value across a call when no rule says otherwise. */
static uint64_t
callee_saved(unsigned ra_reg)
{
	if (ra_reg == 16) /* x86-64: rbx, rbp, r12-r15 */
		return 1ull << 3 | 1ull << 6 | 0xfull << 12;
	if (ra_reg == 30) /* AArch64: x19-x29, and x30 at a leaf */
		return 0xfffull << 19;
	return ~0ull;
}

kt_status
kt_dwarf_cfi_step(struct kt_dwarf *d, uint64_t bias, uint64_t pc, bool innermost,
		  const struct kt_dwarf_regs *in, unsigned ra_reg, unsigned sp_reg,
		  const struct kt_arch_mem *mem, struct kt_dwarf_regs *out, uint64_t *cfa_out)
{
	struct kt_dwarf_regs cur;
	struct expr_env env;
	Dwarf_Regtable_Entry3 rules[KT_DW_RULES];
	Dwarf_Regtable3 rt;
	Dwarf_Fde fde = NULL;
	Dwarf_Debug dbg = NULL;
	Dwarf_Error err = NULL;
	Dwarf_Addr row_pc = 0;
	uint64_t lpc, cfa = 0, keep;
	kt_status st;
	const Dwarf_Regtable_Entry3 *c;

	if (!d || !in || !out || ra_reg >= KT_DWARF_NREGS || sp_reg >= KT_DWARF_NREGS)
		return KT_ERR_INVAL;
	memset(out, 0, sizeof *out);
	cur = *in;
	cur.known &= (1ull << KT_DWARF_NREGS) - 1;
	if (ra_reg == 16 && !(cur.known & (1ull << 16))) {
		cur.v[16] = pc;
		cur.known |= 1ull << 16;
	}
	env.regs = &cur;
	env.mem = mem;
	lpc = pc - bias;
	if (!innermost && lpc > 0)
		lpc--;

	kt_dw_load(d);
	load_cfi(&d->main, true);
	load_cfi(&d->debug, false);
	if (fde_at(d->main.dbg, d->main.eh_fdes, d->main.eh_nfde, lpc, &fde) ||
	    fde_at(d->main.dbg, d->main.df_fdes, d->main.df_nfde, lpc, &fde))
		dbg = d->main.dbg;
	else if (fde_at(d->debug.dbg, d->debug.df_fdes, d->debug.df_nfde, lpc, &fde))
		dbg = d->debug.dbg;
	else
		return KT_ERR_NOTFOUND;

	memset(&rt, 0, sizeof rt);
	memset(rules, 0, sizeof rules);
	rt.rt3_reg_table_size = KT_DW_RULES;
	rt.rt3_rules = rules;
	if (dwarf_get_fde_info_for_all_regs3(fde, lpc, &rt, &row_pc, &err) != DW_DLV_OK) {
		kt_dw_err(dbg, &err);
		return KT_ERR_CORRUPT;
	}

	/* CFA */
	c = &rt.rt3_cfa_rule;
	if (c->dw_value_type == DW_EXPR_OFFSET) {
		if ((st = reg_value(&cur, c->dw_regnum, &cfa)) != KT_OK)
			return st;
		if (c->dw_offset_relevant)
			cfa += c->dw_offset_or_block_len; /* signed, modulo 2^64 */
	} else if (c->dw_value_type == DW_EXPR_EXPRESSION ||
		   c->dw_value_type == DW_EXPR_VAL_EXPRESSION) {
		st = eval(&env, c->dw_block_ptr, (size_t)c->dw_offset_or_block_len, 0, false,
			  &cfa);
		if (st != KT_OK)
			return st;
	} else {
		return KT_ERR_CORRUPT;
	}

	/* the registers */
	keep = callee_saved(ra_reg);
	for (unsigned r = 0; r < KT_DWARF_NREGS; r++) {
		const Dwarf_Regtable_Entry3 *e = &rules[r];
		uint64_t v = 0, addr = 0;
		bool have = false;

		switch (e->dw_value_type) {
		case DW_EXPR_OFFSET:
			if (e->dw_offset_relevant) {
				st = read_word(mem, cfa + e->dw_offset_or_block_len, 8, &v);
				if (st != KT_OK)
					return st;
				have = true;
			} else if (e->dw_regnum == DW_FRAME_UNDEFINED_VAL) {
				have = false;
			} else if (e->dw_regnum == DW_FRAME_SAME_VAL) {
				if (r == sp_reg) {
					v = cfa;
					have = true;
				} else if ((keep >> r) & 1) {
					have = reg_value(&cur, r, &v) == KT_OK;
				}
			} else {
				have = reg_value(&cur, e->dw_regnum, &v) == KT_OK;
			}
			break;
		case DW_EXPR_VAL_OFFSET:
			v = cfa + e->dw_offset_or_block_len;
			have = true;
			break;
		case DW_EXPR_EXPRESSION:
		case DW_EXPR_VAL_EXPRESSION:
			st = eval(&env, e->dw_block_ptr, (size_t)e->dw_offset_or_block_len, cfa,
				  true, &addr);
			if (st == KT_OK && e->dw_value_type == DW_EXPR_EXPRESSION) {
				st = read_word(mem, addr, 8, &v);
				if (st != KT_OK)
					return st;
			} else {
				v = addr;
			}
			if (st == KT_OK)
				have = true;
			else if (r == ra_reg)
				return st;
			break;
		default:
			if (r == ra_reg)
				return KT_ERR_CORRUPT;
			break;
		}
		if (have) {
			out->v[r] = v;
			out->known |= 1ull << r;
		}
	}
	if (!(out->known & (1ull << sp_reg))) {
		out->v[sp_reg] = cfa;
		out->known |= 1ull << sp_reg;
	}
	if (cfa_out)
		*cfa_out = cfa;
	return KT_OK;
}
