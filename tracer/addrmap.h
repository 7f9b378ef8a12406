/* SPDX-License-Identifier: MIT */
/*
 * addrmap.h - an index of code ranges by address: which range, if any,
 * contains an address.  The tracer keeps one per registry (the payload is
 * its own entry number).  Pure code, no I/O.
 *
 * The live ranges in one map never overlap.  The index is a set of sorted
 * levels (a Bentley-Saxe logarithmic method): level i holds at most 2^i
 * ranges; an insert merges full levels upwards, so it costs O(log n)
 * amortised and nothing is ever re-sorted.  A removal marks its range dead
 * (O(log^2 n)); dead ranges are dropped when their level is next merged,
 * and everything is compacted once the dead outnumber the live.  A lookup
 * is one binary search per level, O(log^2 n).  Memory: 24 bytes per range
 * held (live or not yet dropped), plus one merge buffer while inserting.
 */
#ifndef KT_ADDRMAP_H
#define KT_ADDRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define KT_ADDRMAP_LEVELS 48

/* One range: [start, start + size). */
struct kt_addrmap_range {
	uint64_t start;
	uint64_t size;
	uint32_t payload;
	uint32_t dead; /* internal: removed, awaiting a merge */
};

struct kt_addrmap {
	struct kt_addrmap_range *level[KT_ADDRMAP_LEVELS];
	uint64_t n[KT_ADDRMAP_LEVELS];	   /* ranges held in each level */
	uint64_t ndead[KT_ADDRMAP_LEVELS]; /* of which dead */
	uint64_t live;
	uint64_t dead;
};

/* Make M empty.  M needs kt_addrmap_free() once it holds anything. */
void kt_addrmap_init(struct kt_addrmap *m);

/* Free what M holds; M is empty (and reusable) afterwards. */
void kt_addrmap_free(struct kt_addrmap *m);

/*
 * Add [START, START + SIZE) with PAYLOAD.  KT_ERR_INVAL for SIZE 0 or a
 * range past the end of the address space, KT_ERR_EXISTS if it overlaps a
 * live range (M unchanged), KT_ERR_NOMEM (M unchanged).
 */
kt_status kt_addrmap_insert(struct kt_addrmap *m, uint64_t start, uint64_t size, uint32_t payload);

/* Remove the live range that starts at START; its payload in *PAYLOAD
 * (may be NULL).  KT_ERR_NOTFOUND if there is none. */
kt_status kt_addrmap_remove(struct kt_addrmap *m, uint64_t start, uint32_t *payload);

/* The live range containing ADDR, copied to *OUT.  KT_ERR_NOTFOUND. */
kt_status kt_addrmap_lookup(const struct kt_addrmap *m, uint64_t addr,
			    struct kt_addrmap_range *out);

/* Number of live ranges. */
uint64_t kt_addrmap_count(const struct kt_addrmap *m);

#endif
