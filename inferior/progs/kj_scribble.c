/* SPDX-License-Identifier: MIT */
/*
 * kj_scribble - a libkitjit program that corrupts its own JIT registry, then
 * crashes in JIT code.  A debugger must survive it: warn, and still report
 * the crash (the JIT frames unnamed).
 *
 *   kj_scribble MODE
 *
 * The program publishes three real functions (outer -> middle -> crasher,
 * frame-pointer frames, x86-64 or AArch64 code (jitemit.h); crasher loads
 * from address 0x10), calls
 * checkpoint() (a C function: a place for a breakpoint that lets the
 * debugger read the good registry first), applies MODE, calls
 * checkpoint2(), then calls outer(): SIGSEGV at 0x10 three JIT frames deep.
 *
 *   none     no corruption
 *   entries  the entry array becomes garbage
 *   log      every change-log word (and many after) becomes garbage
 *   header   the header's offsets and sizes become huge
 *   magic    the header magic is overwritten
 *   anchor   the anchor's registry address and size become garbage
 *   names    no corruption, but the three functions (and 200 more) have
 *            hostile names: 4095 bytes long, control characters, escapes,
 *            format directives, invalid UTF-8, empty-looking
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jitemit.h"
#include "kitjit.h"

/* The start of the anchor and of the registry header (kitjit-registry(7)):
 * redeclared here on purpose, so this program depends only on the ABI. */
struct anchor {
	char magic[8];
	uint32_t version, anchor_size, state;
	int32_t memfd;
	uint64_t registry_addr, registry_size;
};
extern struct anchor kitjit_anchor;

struct header {
	char magic[8];
	uint32_t version, header_size, entry_size, patch_size;
	uint64_t total_size;
	uint32_t pid, flags;
	uint64_t filter_off;
	uint32_t filter_bytes, filter_hashes;
	uint64_t journal_off;
	uint32_t journal_max, pad0;
	uint64_t entries_off, entries_max, log_off, log_max, heap_off, heap_end;
};

__attribute__((noinline)) void checkpoint(void);
__attribute__((noinline)) void checkpoint2(void);
void
checkpoint(void)
{
	__asm__ volatile("" ::: "memory");
}
void
checkpoint2(void)
{
	__asm__ volatile("" ::: "memory");
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
garbage(void *p, size_t n)
{
	unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)rnd();
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "none";
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *code = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED)
		return 2;
	memset(code, JIT_FILL, (size_t)pg);
	/* crasher at 0 loads from 0x10; middle at 64 calls crasher, outer at
	 * 128 calls middle: frame-pointer frames (jitemit.h). */
	size_t len[3];
	len[0] = jit_func(code, jit_body_load_0x10);
	for (int i = 1; i <= 2; i++) {
		unsigned char *f = code + 64 * i;
		size_t n = jit_enter(f);
		n += jit_body_call(f + n, (uint64_t)(uintptr_t)(code + 64 * (i - 1)));
		len[i] = n + jit_leave(f + n);
	}
	jit_ready(code, 64 * 2 + len[2]);
	if (mprotect(code, (size_t)pg, PROT_READ | PROT_EXEC))
		return 2;

	int hostile = !strcmp(mode, "names");
	static char longname[4096];
	memset(longname, 'A', sizeof longname - 1);
	memcpy(longname, "crasher_", 8);
	const char *names[3] = { "crasher", "middle", "outer" };
	if (hostile) {
		names[0] = longname;
		names[1] = "mid\x1b[31mdle\r\n#0 0x0 in fake_frame \"%s%n%x\\\"";
		names[2] = "\xff\xfe\xc3(outer\x01\x7f";
	}
	struct kitjit_info info = {
		.struct_size = sizeof info,
		.unwind = { .kind = KITJIT_UNWIND_FP, .prologue_len = JIT_FP_PROLOGUE },
	};
	for (int i = 0; i < 3; i++)
		if (!kitjit_add_ex(names[i], code + 64 * i, len[i], &info)) {
			perror("kitjit_add_ex");
			return 2;
		}
	if (hostile) {
		/* 200 more long-named ranges over the rest of the page */
		static char n[4096];
		for (int i = 0; i < 200; i++) {
			memset(n, 'a' + i % 26, sizeof n - 1);
			snprintf(n, 32, "long_%d_", i);
			n[strlen(n)] = 'x';
			if (!kitjit_add(n, code + 256 + 8 * (i % 400), 8))
				return 2;
		}
	}
	checkpoint();

	struct anchor *a = &kitjit_anchor;
	unsigned char *reg = (unsigned char *)(uintptr_t)a->registry_addr;
	struct header *h = (struct header *)reg;
	if (!strcmp(mode, "entries")) {
		size_t n = (size_t)h->entry_size * 64;
		garbage(reg + h->entries_off, n);
	} else if (!strcmp(mode, "log")) {
		garbage(reg + h->log_off, 8 * 4096);
	} else if (!strcmp(mode, "header")) {
		h->entries_off = 0x7ffffffffffff000ull;
		h->log_off = 0xfffffffffffffff8ull;
		h->heap_off = 1ull << 62;
		h->heap_end = ~0ull;
		h->entries_max = ~0ull / 3;
		h->log_max = 0xffffffff;
		h->total_size = ~0ull;
	} else if (!strcmp(mode, "magic")) {
		memcpy(h->magic, "garbage!", 8);
	} else if (!strcmp(mode, "anchor")) {
		a->registry_addr = 0xdead0000beef0000ull;
		a->registry_size = ~0ull;
		a->memfd = 1000;
	} else if (strcmp(mode, "none") && !hostile) {
		fprintf(stderr, "kj_scribble: unknown mode %s\n", mode);
		return 2;
	}
	printf("kj_scribble: %s done\n", mode);
	fflush(stdout);
	checkpoint2();
	((void (*)(void))(void *)(code + 128))();
	return 0;
}
