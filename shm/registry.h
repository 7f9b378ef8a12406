/* SPDX-License-Identifier: MIT */
/*
 * registry.h - the kitjit registry ABI: the byte layout of the shared
 * registry a JIT process writes and kitrace reads, and the three sets of
 * pure functions over it: the writer the inferior library uses, the
 * validating reader the tracer uses, and the helpers the tracer uses to
 * write its own part (breakpoint-name filter, patch journal).
 *
 * This header is the only place the layout is defined; man/kitjit-registry.7
 * describes the same bytes in prose.  Everything here works on a byte range
 * (base, len) and makes no system call, so it is tested on plain buffers.
 * All multi-byte fields are native-endian; the registry never leaves the
 * machine.  Fields that change after formatting are read and written with
 * atomic operations (acquire/release), everything else is written once
 * before it is published.
 */
#ifndef KT_SHM_REGISTRY_H
#define KT_SHM_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* ---- the layout (ABI version 1) ---- */

#define KT_JREG_MAGIC "KITJITRG" /* 8 bytes, no NUL */
#define KT_JREG_VERSION 1u	 /* bumped only for incompatible changes */
#define KT_JREG_MIN_SIZE (256u * 1024u)
#define KT_JREG_DEFAULT_SIZE (1ull << 30)
#define KT_JREG_NAME_MAX 4095u /* longer names are truncated */
#define KT_JREG_FILE_MAX 4095u /* longer file names are truncated */
#define KT_JREG_LINES_MAX (1u << 24)
#define KT_JREG_CFI_MAX (1u << 20)
#define KT_JREG_PATCH_MAX 16u /* bytes of one journal record's patch */

/* Fixed regions, in bytes, at the start of every registry. */
#define KT_JREG_HEADER_AREA 4096u
#define KT_JREG_FILTER_BYTES 4096u /* 32768 Bloom bits */
#define KT_JREG_FILTER_HASHES 3u
#define KT_JREG_JOURNAL_MAX 256u

/*
 * The header, at offset 0.  Layout fields are written once by the library
 * before the magic; the writer counters sit on their own cache lines; the
 * tracer-owned words are written only by the tracer.  A reader accepts any
 * header_size >= sizeof(struct kt_jreg_header) and entry_size >= 64 with the
 * same version (newer libraries append fields), and refuses other versions.
 */
struct kt_jreg_header {
	char magic[8];		/* KT_JREG_MAGIC, stored last (release) */
	uint32_t version;	/* KT_JREG_VERSION */
	uint32_t header_size;	/* sizeof(struct kt_jreg_header) */
	uint32_t entry_size;	/* sizeof(struct kt_jreg_entry) */
	uint32_t patch_size;	/* sizeof(struct kt_jreg_patch) */
	uint64_t total_size;	/* bytes of the whole registry */
	uint32_t pid;		/* process that formatted it */
	uint32_t flags;		/* none defined yet; 0 */
	uint64_t filter_off;	/* Bloom bitmap */
	uint32_t filter_bytes;	/* power of two */
	uint32_t filter_hashes; /* bits set per name */
	uint64_t journal_off;	/* struct kt_jreg_patch[journal_max] */
	uint32_t journal_max;
	uint32_t pad0;
	uint64_t entries_off; /* struct kt_jreg_entry[entries_max] */
	uint64_t entries_max;
	uint64_t log_off;  /* uint64_t[log_max], the change log */
	uint64_t log_max;  /* == 2 * entries_max */
	uint64_t heap_off; /* names, line tables, CFI */
	uint64_t heap_end;
	uint64_t scratch_addr; /* displaced-step slots (RWX), 0 if none */
	uint32_t scratch_slot_size;
	uint32_t scratch_slots;
	uint64_t layout_pad[7]; /* the layout ends at byte 192 */

	/* writer-owned counters (atomic) */
	uint64_t entries_reserved; /* next entry index (may exceed max) */
	uint64_t wpad1[7];
	uint64_t log_reserved; /* next log index (<= log_max) */
	uint64_t wpad2[7];
	uint64_t heap_next;   /* next free heap offset (may exceed end) */
	uint64_t adds_failed; /* kitjit_add calls refused for space */
	uint64_t wpad3[6];

	/* tracer-owned words (atomic) */
	uint32_t filter_active; /* KT_JREG_FILTER_* */
	uint32_t filter_seq;	/* odd while the tracer rewrites the bits */
	uint32_t tracer_pid;	/* informational */
	uint32_t tpad0;
	uint64_t tpad[6];
};

enum kt_jreg_filter_mode {
	KT_JREG_FILTER_OFF = 0,	  /* no pending names: never call the hook */
	KT_JREG_FILTER_BLOOM = 1, /* call the hook when the name may be in the bitmap */
	KT_JREG_FILTER_ALL = 2,	  /* call the hook on every registration */
};

/* One code range, 64 bytes, written once before its ADD record is logged;
 * afterwards only state changes (LIVE -> DEAD, one compare-and-swap). */
struct kt_jreg_entry {
	uint64_t start;
	uint64_t size;
	uint64_t generation; /* generation of its ADD record */
	uint32_t state;	     /* KT_JREG_ENTRY_* (atomic) */
	uint32_t name_len;   /* bytes, excluding the NUL */
	uint64_t name_off;   /* registry offset of name, NUL-terminated */
	uint64_t lines_off;  /* struct kt_jreg_lines_blob, or 0 */
	uint64_t unwind_off; /* struct kt_jreg_unwind_blob, or 0 */
	uint64_t reserved;
};

enum kt_jreg_entry_state {
	KT_JREG_ENTRY_FREE = 0, /* never published */
	KT_JREG_ENTRY_LIVE = 1,
	KT_JREG_ENTRY_DEAD = 2,
};

/*
 * The change log: log[i] is 0 until published, then
 * (kind << 62) | (entry index + 1), stored with release semantics.  The
 * change at log[i] has generation i + 1.  An entry's ADD record always
 * precedes its REMOVE record.  A NOP record (the whole word) stands for
 * nothing: a fork child writes it over a record its parent had reserved
 * but not published when it forked.
 */
#define KT_JREG_LOG_ADD 1ull
#define KT_JREG_LOG_REMOVE 2ull
#define KT_JREG_LOG_NOP (3ull << 62)
#define KT_JREG_LOG_KIND_SHIFT 62
#define KT_JREG_LOG_INDEX_MASK ((1ull << 62) - 1)

/* Heap blob of a line table: header, file name (NUL-terminated, padded to
 * 8 bytes), then nrows rows of {uint32 offset, uint32 line}. */
struct kt_jreg_lines_blob {
	uint32_t nrows;
	uint32_t file_len; /* excluding the NUL; 0 means no file name */
};

/* Heap blob of an unwind rule: header, then cfi_len bytes. */
struct kt_jreg_unwind_blob {
	uint32_t kind; /* enum kitjit_unwind_kind: 1 FP, 2 CFI */
	uint32_t prologue_len;
	uint64_t cfi_len;
};

/* One patch the tracer planted, 64 bytes.  The tracer fills the record,
 * then stores state ARMED (release) before writing the patch to memory,
 * and stores FREE after it restored the original bytes. */
struct kt_jreg_patch {
	uint32_t state; /* KT_JREG_PATCH_* (atomic) */
	uint8_t len;	/* 1..KT_JREG_PATCH_MAX */
	uint8_t pad[3];
	uint64_t addr;
	uint8_t orig[KT_JREG_PATCH_MAX];
	uint8_t patch[KT_JREG_PATCH_MAX];
	uint64_t entry_generation; /* registry entry it belongs to, 0 if none */
	uint64_t reserved;
};

enum kt_jreg_patch_state {
	KT_JREG_PATCH_FREE = 0,
	KT_JREG_PATCH_ARMED = 1,
};

/*
 * The anchor: a struct exported by libkitjit as the symbol kitjit_anchor,
 * found by a tracer through the ELF dynamic symbol table.  Each copy of the
 * library in a process has its own anchor and its own registry.
 */
#define KT_ANCHOR_MAGIC "KITJITAN"
#define KT_ANCHOR_VERSION 1u

struct kt_jreg_anchor {
	char magic[8];		/* KT_ANCHOR_MAGIC */
	uint32_t version;	/* KT_ANCHOR_VERSION */
	uint32_t anchor_size;	/* sizeof(struct kt_jreg_anchor) */
	uint32_t state;		/* KT_ANCHOR_* (atomic) */
	int32_t memfd;		/* fd of the registry memfd, -1 if none */
	uint64_t registry_addr; /* address of the registry in this process */
	uint64_t registry_size;
	uint64_t hook_addr;  /* &kitjit_debug_hook */
	uint64_t hook_calls; /* times the hook was called (atomic) */
	/* tracer-writable */
	uint32_t tracer_flags; /* KT_ANCHOR_NOTIFY */
	uint32_t tracer_pid;
	uint64_t reserved[4];
};

enum kt_anchor_state {
	KT_ANCHOR_NONE = 0, /* not created yet */
	KT_ANCHOR_CREATING = 1,
	KT_ANCHOR_READY = 2,  /* registry_addr and friends are valid */
	KT_ANCHOR_FAILED = 3, /* creation failed; kitjit_add returns NULL */
};

#define KT_ANCHOR_NOTIFY 0x1u /* call the hook once the registry exists */

/* Reasons passed to kitjit_debug_hook(). */
enum kt_hook_reason {
	KT_HOOK_CREATED = 1, /* the registry was just created */
	KT_HOOK_ADDED = 2,   /* an entry whose name may match was added */
};

/* The hash the Bloom filter uses: 64-bit FNV-1a over the name's bytes. */
uint64_t kt_jreg_hash(const char *name, size_t len);

/* ---- writer side (the inferior library) ---- */

/*
 * The writer's private, trusted copy of the layout.  Everything the
 * writer does is bounded by these fields, never by the header in shared
 * memory (the tracer can write there).
 */
struct kt_jreg_writer {
	uint8_t *base;
	uint64_t len;
	uint64_t filter_off, filter_bytes, filter_hashes;
	uint64_t journal_off, journal_max;
	uint64_t entries_off, entries_max;
	uint64_t log_off, log_max;
	uint64_t heap_off, heap_end;
};

/* Optional data of one registration; all pointers may be NULL. */
struct kt_jreg_extra {
	const char *file;
	const uint32_t *lines; /* nlines pairs {offset, line} */
	size_t nlines;
	uint32_t unwind_kind; /* 0 none, 1 FP, 2 CFI */
	uint32_t prologue_len;
	const void *cfi;
	size_t cfi_len;
};

/*
 * Format LEN bytes at BASE (which must be zero-filled and 8-byte aligned)
 * as an empty registry and fill W.  LEN must be at least KT_JREG_MIN_SIZE.
 * The magic is stored last, with release semantics.  Returns KT_OK or
 * KT_ERR_INVAL.
 */
kt_status kt_jreg_writer_format(struct kt_jreg_writer *w, void *base, uint64_t len, uint32_t pid);

/* Fill W from a registry this process formatted earlier (or inherited);
 * validates it like the reader does.  KT_ERR_CORRUPT/UNSUPPORTED if not. */
kt_status kt_jreg_writer_attach(struct kt_jreg_writer *w, void *base, uint64_t len);

/*
 * Copy the registry of SRC into DST, a registry freshly formatted with
 * the same size (a fork child's own): the used part of the log, entries
 * and heap, the filter, the journal and the scratch slots.  It runs in
 * the child while parent threads may still write SRC, so the copy is
 * made consistent: records the parent had reserved but not published
 * become NOPs, and entries that read dead without a REMOVE record get
 * one.  O(used size).  KT_ERR_INVAL if the layouts differ.
 */
kt_status kt_jreg_writer_clone(struct kt_jreg_writer *dst, const struct kt_jreg_writer *src);

/* Advertise the scratch slots (address 0 means none). */
void kt_jreg_writer_set_scratch(struct kt_jreg_writer *w, uint64_t addr, uint32_t slot_size,
				uint32_t slots);

/*
 * Publish a range.  Lock-free: two fetch-adds, plain stores, one release
 * store.  NAME is copied (truncated at KT_JREG_NAME_MAX); EXTRA may be NULL.
 * On success *INDEX is the entry index and *GEN its generation.  Returns
 * KT_ERR_NOMEM when the registry is full, KT_ERR_INVAL for bad arguments.
 */
kt_status kt_jreg_writer_add(struct kt_jreg_writer *w, const char *name, uint64_t start,
			     uint64_t size, const struct kt_jreg_extra *extra, uint32_t *index,
			     uint64_t *gen);

/* Retract entry INDEX: LIVE -> DEAD with one compare-and-swap, then log the
 * removal.  KT_ERR_INVAL for a bad index, KT_ERR_STATE if not live. */
kt_status kt_jreg_writer_remove(struct kt_jreg_writer *w, uint32_t index, uint64_t *gen);

/* True when the tracer's filter says NAME may be a pending breakpoint
 * name (conservative: true while the tracer is rewriting the filter). */
bool kt_jreg_writer_filter_may_match(const struct kt_jreg_writer *w, const char *name, size_t len);

/*
 * Find an armed journal record whose trap instruction is at ADDR; copy its
 * original bytes to ORIG (KT_JREG_PATCH_MAX bytes) and return their count,
 * or 0 if none.  When PATCH is not NULL, copies the patch bytes too.  Only
 * loads: async-signal-safe.  Sets *SLOT to the record index.
 */
size_t kt_jreg_writer_journal_find(const struct kt_jreg_writer *w, uint64_t addr, uint8_t *orig,
				   uint8_t *patch, uint32_t *slot);

/* Mark journal record SLOT free (after healing it). Async-signal-safe. */
void kt_jreg_writer_journal_release(const struct kt_jreg_writer *w, uint32_t slot);

/* ---- reader side (the tracer) ---- */

/* A validated view of a registry's layout.  Cheap to recreate. */
struct kt_jreg_view {
	const uint8_t *base;
	uint64_t len;
	uint32_t version, header_size, entry_size, patch_size, pid;
	uint64_t total_size;
	uint64_t filter_off, filter_bytes, filter_hashes;
	uint64_t journal_off, journal_max;
	uint64_t entries_off, entries_max;
	uint64_t log_off, log_max;
	uint64_t heap_off, heap_end;
	uint64_t scratch_addr;
	uint32_t scratch_slot_size, scratch_slots;
};

enum kt_jreg_change_kind { KT_JREG_ADDED = 1, KT_JREG_REMOVED = 2 };

/* One change, all fields validated.  NAME points into the mapping and is
 * NUL-terminated at NAME[NAME_LEN] (when it was read). */
struct kt_jreg_change {
	enum kt_jreg_change_kind kind;
	uint64_t generation;	   /* of this change */
	uint64_t entry_generation; /* of the entry's ADD record */
	uint32_t index;		   /* entry index */
	bool live;		   /* entry state when the change was read */
	uint64_t start, size;
	const char *name;
	size_t name_len;
	uint64_t lines_off;  /* for kt_jreg_lines(); 0 if none */
	uint64_t unwind_off; /* for kt_jreg_unwind(); 0 if none */
};

/* A validated line table. ROWS points to NROWS {offset, line} uint32 pairs
 * (4-byte aligned when BASE is 8-byte aligned); read with kt_jreg_line_row(). */
struct kt_jreg_lines {
	const char *file; /* NUL-terminated, or NULL */
	size_t file_len;
	const uint8_t *rows;
	uint32_t nrows;
};

struct kt_jreg_unwind {
	uint32_t kind; /* 1 FP, 2 CFI */
	uint32_t prologue_len;
	const uint8_t *cfi; /* CFI only */
	size_t cfi_len;
};

/*
 * Validate the header of the LEN bytes at BASE and fill VIEW.  BASE must
 * be 8-byte aligned (KT_ERR_INVAL otherwise).  Returns KT_ERR_NOTFOUND
 * when the magic is absent (not formatted yet, e.g. all zero),
 * KT_ERR_UNSUPPORTED for another version, KT_ERR_CORRUPT for anything
 * inconsistent (sizes, offsets, overlaps, truncation).
 */
kt_status kt_jreg_open(const void *base, size_t len, struct kt_jreg_view *view);

/*
 * Validate the LEN bytes a tracer read from a process's kitjit_anchor and
 * copy the fields this version knows into OUT.  KT_ERR_NOTFOUND for a
 * wrong magic, KT_ERR_UNSUPPORTED for another version, KT_ERR_CORRUPT for
 * a short anchor or an impossible registry address or size, KT_ERR_STATE
 * when the registry is not (yet) ready: OUT is filled anyway, so the
 * tracer can set KT_ANCHOR_NOTIFY and wait.
 */
kt_status kt_jreg_anchor_parse(const void *buf, size_t len, struct kt_jreg_anchor *out);

/* Generation of the newest change visible now (0 for none); O(1), an
 * upper bound: changes being published may still be missing. */
uint64_t kt_jreg_generation(const struct kt_jreg_view *view);

/*
 * Read the change after generation *CURSOR into CHANGE and advance
 * *CURSOR to its generation.  Start with *CURSOR = 0 to get the whole
 * history.  NOP records are skipped (the cursor moves past them).
 * Returns KT_OK, KT_ERR_NOTFOUND when no newer change is published yet
 * (call again later), or KT_ERR_CORRUPT when the record or its entry is
 * invalid (the cursor stays on it).  O(1) per change.
 */
kt_status kt_jreg_next_change(const struct kt_jreg_view *view, uint64_t *cursor,
			      struct kt_jreg_change *change);

/*
 * Read entry INDEX (as the addrmap payload names it) into CHANGE, validated
 * as kt_jreg_next_change() does; kind is ADDED for a live entry, REMOVED
 * for a dead one.  KT_ERR_RANGE for an index past entries_max.
 */
kt_status kt_jreg_entry_get(const struct kt_jreg_view *view, uint32_t index,
			    struct kt_jreg_change *change);

/* Validate and return the line table of CHANGE (KT_ERR_NOTFOUND if none). */
kt_status kt_jreg_lines(const struct kt_jreg_view *view, const struct kt_jreg_change *change,
			struct kt_jreg_lines *lines);

/* Row I of LINES (I < nrows). */
void kt_jreg_line_row(const struct kt_jreg_lines *lines, uint32_t i, uint32_t *offset,
		      uint32_t *line);

/* The line of code offset OFF: the last row whose offset <= OFF (binary
 * search; rows that are not sorted give an unspecified row, never a
 * crash).  KT_ERR_NOTFOUND if OFF precedes every row. */
kt_status kt_jreg_line_at(const struct kt_jreg_lines *lines, uint32_t off, uint32_t *line);
/* The same row as kt_jreg_line_at() finds, by its index into LINES. */
kt_status kt_jreg_line_index(const struct kt_jreg_lines *lines, uint32_t off, uint32_t *index);

/* Validate and return the unwind rule of CHANGE (KT_ERR_NOTFOUND if none). */
kt_status kt_jreg_unwind(const struct kt_jreg_view *view, const struct kt_jreg_change *change,
			 struct kt_jreg_unwind *unwind);

/* Armed journal record SLOT (KT_ERR_NOTFOUND if free, KT_ERR_RANGE if
 * SLOT >= journal_max, KT_ERR_CORRUPT for a bad length). */
kt_status kt_jreg_journal_get(const struct kt_jreg_view *view, uint32_t slot,
			      struct kt_jreg_patch *out);

/* ---- tracer-side writers (the tracer-owned part) ---- */

/*
 * Replace the filter by the N names in NAMES (NULL-terminated strings).
 * Under the filter seqlock: the library treats the filter as "may match"
 * while it is rewritten.  N == 0 turns the filter off.  MATCH_ALL makes
 * every registration call the hook.  BASE/LEN as for kt_jreg_open().
 */
kt_status kt_jreg_filter_set(void *base, size_t len, const char *const *names, size_t n,
			     bool match_all);

/* Add one name to the filter (and turn it on in Bloom mode if it was off). */
kt_status kt_jreg_filter_add(void *base, size_t len, const char *name);

/* Turn the filter off and clear it. */
kt_status kt_jreg_filter_clear(void *base, size_t len);

/* The filter test the library makes, for the tracer's own checks. */
bool kt_jreg_filter_may_match(const void *base, size_t len, const char *name, size_t name_len);

/*
 * Record a patch about to be planted: ADDR, LEN bytes of original and
 * patch bytes, the entry generation (0 if none).  Picks a free record and
 * returns its index in *SLOT.  KT_ERR_BUSY when the journal is full,
 * KT_ERR_INVAL for a bad LEN.  Call before writing the patch to memory.
 */
kt_status kt_jreg_journal_add(void *base, size_t len, uint64_t addr, const void *orig,
			      const void *patch, size_t plen, uint64_t entry_gen, uint32_t *slot);

/* Free record SLOT; call after the original bytes are back. */
kt_status kt_jreg_journal_clear(void *base, size_t len, uint32_t slot);

#endif
