/* SPDX-License-Identifier: MIT */
/*
 * mkcorpus.c - writes the seed corpus of fuzz_registry: small registries
 * made by the real writer (with a compact layout, so the fuzzer mutates
 * kilobytes, not the 256 KiB minimum a library registry has), one
 * full-size registry, and corrupt variants of each kind the reader must
 * refuse.  Usage: mkcorpus DIR.  Run by hand when the layout changes;
 * the output is kept in tests/fuzz/corpus_registry/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "registry.h"

static const char *dir;

static void
dump(const char *name, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Lay out a compact registry of LEN bytes at P by hand. */
static void
compact_layout(void *p, size_t len)
{
	struct kt_jreg_header *h = p;
	uint64_t off = (sizeof(*h) + 63) & ~63ull;

	memset(p, 0, len);
	h->version = KT_JREG_VERSION;
	h->header_size = sizeof(*h);
	h->entry_size = sizeof(struct kt_jreg_entry);
	h->patch_size = sizeof(struct kt_jreg_patch);
	h->total_size = len;
	h->pid = 4242;
	h->filter_off = off;
	h->filter_bytes = 64;
	h->filter_hashes = KT_JREG_FILTER_HASHES;
	off += 64;
	h->journal_off = off;
	h->journal_max = 2;
	off += 2 * sizeof(struct kt_jreg_patch);
	h->entries_off = off;
	h->entries_max = 6;
	off += 6 * sizeof(struct kt_jreg_entry);
	h->log_off = off;
	h->log_max = 12;
	off += 12 * 8;
	h->heap_off = off;
	h->heap_end = len;
	h->heap_next = off;
	memcpy(h->magic, KT_JREG_MAGIC, 8);
}

static void
populate(struct kt_jreg_writer *w, void *p, size_t len)
{
	uint32_t rows[6] = {0, 3, 5, 4, 12, 9}, idx;
	static const uint8_t cfi[12] = {0x10, 0, 0, 0, 0, 0, 0, 0, 1, 'z', 'R', 0};
	struct kt_jreg_extra fp = {
		.file = "demo.js", .lines = rows, .nlines = 3, .unwind_kind = 1, .prologue_len = 4};
	struct kt_jreg_extra cf = {.unwind_kind = 2, .cfi = cfi, .cfi_len = sizeof(cfi)};
	const char *names[1] = {"main"};
	uint32_t slot;

	kt_jreg_writer_add(w, "main", 0x7f0000001000, 0x80, &fp, &idx, NULL);
	kt_jreg_writer_add(w, "helper", 0x7f0000002000, 0x40, &cf, NULL, NULL);
	kt_jreg_writer_add(w, "gone", 0x7f0000003000, 0x10, NULL, &idx, NULL);
	kt_jreg_writer_remove(w, idx, NULL);
	kt_jreg_filter_set(p, len, names, 1, false);
	kt_jreg_journal_add(p, len, 0x7f0000001000, "\x55", "\xcc", 1, 1, &slot);
}

int
main(int argc, char **argv)
{
	static uint64_t small[2048 / 8];
	const size_t slen = sizeof(small);
	struct kt_jreg_writer w;
	struct kt_jreg_header *h = (struct kt_jreg_header *)small;
	struct kt_jreg_entry *e;
	void *big;

	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	dir = argv[1];

	compact_layout(small, slen);
	if (kt_jreg_writer_attach(&w, small, slen) != KT_OK) {
		fprintf(stderr, "mkcorpus: compact layout rejected\n");
		return 1;
	}
	dump("empty", small, slen);
	populate(&w, small, slen);
	dump("small", small, slen);

	big = mmap(NULL, KT_JREG_MIN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (big == MAP_FAILED || kt_jreg_writer_format(&w, big, KT_JREG_MIN_SIZE, 1) != KT_OK)
		return 1;
	populate(&w, big, KT_JREG_MIN_SIZE);
	dump("full", big, KT_JREG_MIN_SIZE);

	/* A NOP record, as a fork child writes over a hole. */
	{
		uint64_t *log = (uint64_t *)((uint8_t *)small + h->log_off), save = log[2];

		log[2] = KT_JREG_LOG_NOP;
		dump("nop_record", small, slen);
		log[2] = save;
	}

	/* Corrupt variants of the small one. */
	dump("truncated", small, slen - 100);
	dump("header_only", small, sizeof(*h));
	h->magic[0] = 'k';
	dump("bad_magic", small, slen);
	h->magic[0] = 'K';
	h->version = 2;
	dump("bad_version", small, slen);
	h->version = KT_JREG_VERSION;
	h->log_reserved = UINT64_MAX;
	dump("huge_count", small, slen);
	h->log_reserved = 4;
	h->entries_max = UINT64_MAX / 64;
	dump("huge_entries", small, slen);
	h->entries_max = 6;
	h->heap_end = slen * 2;
	dump("heap_past_end", small, slen);
	h->heap_end = slen;
	e = (struct kt_jreg_entry *)((uint8_t *)small + h->entries_off);
	e->name_off = slen - 2;
	dump("name_past_end", small, slen);
	e->name_off = h->heap_off;
	((char *)small)[h->heap_off + e->name_len] = 'X';
	dump("name_unterminated", small, slen);
	((char *)small)[h->heap_off + e->name_len] = 0;
	e->lines_off = slen - 8;
	dump("lines_past_end", small, slen);
	return 0;
}
