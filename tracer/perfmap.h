/* SPDX-License-Identifier: MIT */
/*
 * perfmap.h - perf map files (/tmp/perf-PID.map), the symbol source of
 * last resort: JITs that speak no other protocol (node --perf-basic-prof,
 * the JVM's perf agents, LuaJIT, ...) write one line per code object,
 * "START SIZE NAME", START and SIZE in hex without "0x", NAME the rest of
 * the line (it may contain spaces).
 *
 * Two layers.  The index (struct kt_perfmap_index) is pure: it parses
 * text into entries and answers "which entry covers this address", a
 * later entry winning wherever it overlaps an earlier one (a JIT writes a
 * new line when code moves or is recompiled into reused memory).  It keeps
 * the covered address space as sorted disjoint pieces for binary search;
 * new lines are sorted among themselves and merged in, the old pieces are
 * never re-sorted.  The file layer (struct kt_perfmap) follows one file:
 * it reads only what was appended since the last look, and starts over
 * when the file shrank, was replaced (another inode) or its already-read
 * tail changed.
 *
 * The file is untrusted input (invariant 5): lines longer than
 * KT_PERFMAP_MAX_LINE, malformed lines and entries past the caps are
 * skipped, at most KT_PERFMAP_MAX_FILE bytes of a file are read; a hostile
 * file costs bounded memory and time, and yields "no information".
 */
#ifndef KT_PERFMAP_H
#define KT_PERFMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"

struct kt_session;
struct kt_symbol_info;

#define KT_PERFMAP_MAX_LINE 4096             /* bytes, newline included */
#define KT_PERFMAP_MAX_ENTRIES (2u << 20)    /* accepted lines per file */
#define KT_PERFMAP_MAX_FILE (128ull << 20)   /* bytes read from one file */
#define KT_PERFMAP_MAX_POOL (256ull << 20)   /* bytes of names kept, all reads */
#define KT_PERFMAP_POOL_BLOCK (1u << 20)
#define KT_PERFMAP_MAX_CODE (1ull << 30)     /* larger SIZE fields are malformed */

/* One piece of the covered address space: [lo, hi) belongs to the entry
 * that starts at START, SIZE bytes long, named at pool offset NAME. */
struct kt_perfmap_seg {
	uint64_t lo, hi, start;
	uint32_t size, name;
};

/* A parsed line not merged yet. */
struct kt_perfmap_ent {
	uint64_t lo, hi;
	uint32_t seq, name;
};

struct kt_perfmap_index {
	struct kt_perfmap_seg *seg; /* sorted, disjoint */
	size_t nseg;
	struct kt_perfmap_ent *batch; /* parsed, waiting for commit */
	size_t nbatch, capbatch;
	char **blocks;              /* names, NUL-terminated, never moved */
	size_t nblocks, used;       /* blocks; bytes used in the last one */
	size_t nentries;            /* lines accepted so far */
	size_t max_entries;         /* cap on nentries */
	size_t malformed;           /* lines skipped as malformed or too long */
	bool skipping;              /* inside a too-long line: drop up to its newline */
};

/* An empty index accepting at most MAX_ENTRIES lines (0: the default cap). */
void kt_perfmap_index_init(struct kt_perfmap_index *idx, size_t max_entries);
/*
 * Forget every entry (the file is read again from the start), but keep the
 * names: a name handed out by a lookup stays valid until fini, so frames
 * symbolised before a re-read keep their names.  The names of all reads
 * together are capped at KT_PERFMAP_MAX_POOL; past it new lines are dropped.
 */
void kt_perfmap_index_clear(struct kt_perfmap_index *idx);
/* Free everything; the index is empty (and usable) afterwards. */
void kt_perfmap_index_fini(struct kt_perfmap_index *idx);

/*
 * Parse the complete lines at the start of BUF[0..LEN) into the batch and
 * return how many bytes were consumed: up to and including the last
 * newline, or everything when a line without newline is already longer
 * than KT_PERFMAP_MAX_LINE (it is skipped through its newline in the next
 * call).  A final partial line is left for the caller to pass again with
 * what follows it.  AT_EOF: treat a final partial line as complete.
 * Malformed lines count in idx->malformed; lines past the entry cap are
 * dropped.  Nothing is visible to lookups before kt_perfmap_index_commit().
 */
size_t kt_perfmap_index_feed(struct kt_perfmap_index *idx, const char *buf, size_t len,
			     bool at_eof);

/*
 * Merge the batch into the index, in the batch's order after everything
 * already there.  KT_ERR_NOMEM leaves the index as it was without the
 * batch (the batch is dropped either way).
 */
kt_status kt_perfmap_index_commit(struct kt_perfmap_index *idx);

/*
 * The entry covering ADDR (the latest one written, where several do):
 * true and *start, *size, *name (pointing into the index, valid until
 * kt_perfmap_index_fini); false if none does.
 */
bool kt_perfmap_index_lookup(const struct kt_perfmap_index *idx, uint64_t addr, uint64_t *start,
			     uint64_t *size, const char **name);

/* One followed file. */
struct kt_perfmap {
	pid_t pid;                  /* whose file (kt_perfmap_symbolize) */
	bool open;                  /* dev, ino, off, tail describe a file read */
	dev_t dev;
	ino_t ino;
	uint64_t off;               /* bytes consumed */
	uint64_t size;              /* file size at the last look */
	uint8_t tail[32];           /* the last consumed bytes, to notice rewrites */
	size_t ntail;
	unsigned full_reads;        /* how many times it was read from the start */
	struct kt_perfmap_index idx;
};

/*
 * Bring PM up to date with the file at PATH: read what was appended, or
 * start over if the file was replaced, shrank or rewritten.  A missing or
 * unreadable file, or one that is not a regular file, empties the index
 * (KT_ERR_NOTFOUND or the open's status); a later call picks it up again.
 */
kt_status kt_perfmap_refresh(struct kt_perfmap *pm, const char *path);
/* Forget the file and clear the index (names stay; see index_clear). */
void kt_perfmap_reset(struct kt_perfmap *pm);

/*
 * The session's source: fill OUT's function, start, size, offset and
 * source ("perf-map") from /tmp/perf-PID.map if an entry covers ADDR,
 * leaving its other fields alone; false (OUT untouched) otherwise.  The
 * file is looked at (stat) on every call and read when it changed; the
 * name stays valid until kt_perfmap_free() or a lookup for another pid.
 */
bool kt_perfmap_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out);
/* Drop the session's perf map and its names (exec, end of session). */
void kt_perfmap_free(struct kt_session *s);

#endif
