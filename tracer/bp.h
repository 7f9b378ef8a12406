/* SPDX-License-Identifier: MIT */
/*
 * bp.h - the breakpoint table: numbering, enable/disable/delete,
 * conditions, ignore counts, hit counts, and the decision "does this hit
 * stop?".  Pure bookkeeping: planting patches is patch.c's job and
 * resolving locations is the symbol layer's; this file never touches the
 * inferior, so it is unit-tested alone.
 */
#ifndef KT_BP_H
#define KT_BP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr.h"
#include "status.h"

struct kt_arch;
struct kt_reg_desc;

enum kt_bp_type {
	KT_BP_BREAK,  /* break */
	KT_BP_TBREAK, /* tbreak: deleted after its first stop */
	KT_BP_HBREAK, /* hbreak: a debug register, no patch */
	KT_BP_THBREAK,
	KT_BP_WATCH,  /* watch: stops when a write changes the value */
	KT_BP_RWATCH, /* rwatch: stops on a read */
	KT_BP_AWATCH, /* awatch: stops on a read or a write */
};

struct kt_bp {
	int num;
	enum kt_bp_type type;
	bool enabled;
	char *spec;             /* the location as typed: "main", "*0x401000" */
	char *cond_text;        /* NULL: unconditional */
	struct kt_expr *cond;   /* parsed cond_text */
	/* cond as cond.c compiled it for hits: 0 not yet, 1 a comparison of
	 * register cond_reg (of cond_arch) as cond_cmp says, -1 evaluated.
	 * kt_bp_set_cond resets it. */
	int cond_form;
	const struct kt_arch *cond_arch;
	const struct kt_reg_desc *cond_reg;
	struct kt_expr_regcmp cond_cmp;
	unsigned long ignore;   /* hits still to ignore */
	unsigned long hits;     /* hits whose condition held */
	uint64_t *addrs;        /* resolved locations; none = pending */
	size_t naddrs;
	char **commands;        /* "commands N": lines to run when it stops */
	size_t ncommands;
	/* Hardware points (kt_bp_is_hw): no patch, no addrs; hw.c arms them. */
	uint64_t hw_addr;       /* the instruction, or the first watched byte */
	uint8_t hw_len;         /* bytes watched (1, 2, 4 or 8) */
	bool hw_signed;         /* the watched value is shown signed */
	int hw_slot;            /* debug register slot while armed, -1 if none */
	uint64_t hw_old;        /* watched value as last seen */
	uint64_t hw_prev;       /* ... and before the last reported hit */
	bool hw_changed;        /* the last reported hit changed the value */
};

struct kt_bptab {
	struct kt_bp **v;
	size_t n, cap;
	int next_num;
};

/* What a hit whose condition evaluated to COND_TRUE means. */
enum kt_hit {
	KT_HIT_IGNORE,    /* condition false: resume silently, not counted */
	KT_HIT_COUNTED,   /* counted, but the ignore count swallowed it */
	KT_HIT_STOP,      /* stop and report */
};

void kt_bptab_init(struct kt_bptab *t);
/* Free every breakpoint (and their parsed conditions). */
void kt_bptab_fini(struct kt_bptab *t);

/* Create a breakpoint numbered t->next_num++ (spec is copied); NULL on ENOMEM. */
struct kt_bp *kt_bp_new(struct kt_bptab *t, enum kt_bp_type type, const char *spec);
/* Look up by number; NULL if there is none. */
struct kt_bp *kt_bp_find(const struct kt_bptab *t, int num);
/* Remove and free breakpoint NUM; KT_ERR_NOTFOUND if there is none. */
kt_status kt_bp_delete(struct kt_bptab *t, int num);
/* Replace the condition (NULL or "" removes it); takes ownership of COND. */
kt_status kt_bp_set_cond(struct kt_bp *bp, const char *text, struct kt_expr *cond);
/* Add a resolved location (duplicates are ignored). */
kt_status kt_bp_add_addr(struct kt_bp *bp, uint64_t addr);
/* Forget all resolved locations (after exec): the breakpoint becomes pending. */
void kt_bp_clear_addrs(struct kt_bp *bp);
bool kt_bp_has_addr(const struct kt_bp *bp, uint64_t addr);
/* Replace the command list (takes ownership of LINES). */
void kt_bp_set_commands(struct kt_bp *bp, char **lines, size_t n);

/* Apply one hit whose condition was COND_TRUE: update counts, decide. */
enum kt_hit kt_bp_hit(struct kt_bp *bp, bool cond_true);

/* A hardware breakpoint or watchpoint (armed in debug registers). */
bool kt_bp_is_hw(const struct kt_bp *bp);
/* A watchpoint of any kind. */
bool kt_bp_is_watch(const struct kt_bp *bp);
/* Deleted after its first stop (tbreak, thbreak). */
bool kt_bp_is_temp(const struct kt_bp *bp);

/* True if any enabled breakpoint has a location at ADDR. */
bool kt_bptab_wants(const struct kt_bptab *t, uint64_t addr);

#endif
