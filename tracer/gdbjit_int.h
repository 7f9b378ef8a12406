/* SPDX-License-Identifier: MIT */
/*
 * gdbjit_int.h - the state of the GDB JIT interface reader, shared by
 * tracer/gdbjit.c (the list, the objects, the queries) and
 * tracer/gdbjit_hook.c (the registration breakpoint, "info jit") only.
 */
#ifndef KT_GDBJIT_INT_H
#define KT_GDBJIT_INT_H

#include "addrmap.h"
#include "gdbjit.h"

#define MAX_DESC 4
#define MAX_ENTRIES (1u << 20)
#define MAX_IMAGE (64u << 20)

/* The GDB manual's layout, version 1, for a 64-bit inferior. */
struct gj_descriptor {
	uint32_t version;
	uint32_t action_flag;
	uint64_t relevant_entry;
	uint64_t first_entry;
};

struct gj_entry {
	uint64_t next, prev;
	uint64_t symfile_addr, symfile_size;
};

struct gj_desc {
	uint64_t addr;      /* __jit_debug_descriptor */
	uint64_t register_fn; /* __jit_debug_register_code of the same module, 0 unknown */
	bool register_tried;  /* register_fn looked up (kt_gj_register_fn) */
	struct gj_descriptor last;
	bool walked;
};

struct gj_obj {
	uint64_t entry, symfile, size;
	uint64_t epoch;     /* walk that last saw it */
	unsigned desc;
	bool used;          /* slot in use */
	bool dw_tried;
	struct kt_gdbjit_image im;
	struct kt_dwarf *dw;
};

struct kt_gdbjit {
	struct gj_desc desc[MAX_DESC];
	size_t ndesc;
	struct gj_obj *obj;
	size_t nobj, capobj, live;
	uint32_t *freel;
	size_t nfree;
	uint64_t *hkey;     /* entry address -> slot + 1 (open addressing) */
	uint32_t *hval;
	size_t hcap;
	struct kt_addrmap index;
	uint64_t epoch;
	uint32_t fresh[64]; /* objects added since the hook last looked */
	size_t nfresh;
	bool fresh_overflow;
	uint64_t hook;
	bool hook_planted;
	bool warned;
	unsigned long hook_hits;
};

/* D's __jit_debug_register_code (in the module holding D), or 0. */
uint64_t kt_gj_register_fn(struct kt_session *s, struct gj_desc *d);
/* The object of entry address KEY, or NULL. */
struct gj_obj *kt_gj_hget(struct kt_gdbjit *g, uint64_t key);
/* Read the image of entry E (at ENTRY_ADDR, in descriptor DESC) into a new
 * object, indexed; NULL when out of memory. */
struct gj_obj *kt_gj_obj_add(struct kt_session *s, struct kt_gdbjit *g, unsigned desc,
			     uint64_t entry_addr, const struct gj_entry *e);
/* Forget object IDX (its index entries, hash entry, DWARF) and the
 * breakpoint locations in its code. */
void kt_gj_obj_drop(struct kt_session *s, struct kt_gdbjit *g, uint32_t idx);
/* Walk descriptor DI's list if it changed (or FORCE); objects not in it
 * any more are dropped, new ones added. */
void kt_gj_walk(struct kt_session *s, struct kt_gdbjit *g, unsigned di, bool force);

#endif
