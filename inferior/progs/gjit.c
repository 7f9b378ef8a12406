/* SPDX-License-Identifier: MIT */
/*
 * gjit.c - a JIT that announces N small in-memory ELF objects through the
 * GDB JIT interface, the way LLVM's RuntimeDyld does: each is a copy of
 * TEMPLATE (a relocatable object whose .text starts with "int
 * gj_0000000(void (*cb)(void)) { cb(); return 1; }", with its DWARF and
 * .eh_frame, compiled with gcc -c -g by the test or benchmark; .text must
 * need no relocation), its .text copied into an executable arena, and
 * sh_addr of .text (and .eh_frame after it) patched to where that copy
 * lives.  The function is renamed gj_NNNNNNN in place (in the symbol table
 * and the DWARF strings).
 * Used by tests/e2e/50_gdbjit.sh and bench/gdbjit.sh.
 *
 *   gjit TEMPLATE N          register N objects, print the time, exit 0
 *   gjit TEMPLATE N hold     ... then call the last object's function, which
 *                            calls back into a pause() loop ("gjit: holding")
 *   gjit TEMPLATE N unreg    ... call gj_0000000, unregister its object
 *                            ("gjit: unregistered"), call gj_0000001, exit 0
 *   gjit TEMPLATE N cycle|bigsize|garbage
 *                         ... corrupt the list (its last entry's next points
 *                            back to its head / the first object registered
 *                            claims a 1 TiB image / its image is zeros but
 *                            the ELF magic), then call the last object's
 *                            function (intact), whose callback stores
 *                            through a null pointer: SIGSEGV
 *
 * Prints "gjit: N objects, X ms" (the registration loop only).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct jit_code_entry {
	struct jit_code_entry *next_entry;
	struct jit_code_entry *prev_entry;
	const char *symfile_addr;
	uint64_t symfile_size;
};

struct jit_descriptor {
	uint32_t version;
	uint32_t action_flag;
	struct jit_code_entry *relevant_entry;
	struct jit_code_entry *first_entry;
};

void __jit_debug_register_code(void);
struct jit_descriptor __jit_debug_descriptor = {1, 0, NULL, NULL};

__attribute__((noinline)) void
__jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}

static void
hold_cb(void)
{
	puts("gjit: holding");
	fflush(stdout);
	for (;;)
		pause();
}

static void
nop_cb(void)
{
}

static void
crash_cb(void)
{
	*(volatile int *)0 = 1;
}

static struct jit_code_entry *entries[2]; /* the first and the last */

/* Announce action ACTION (1 register, 2 unregister) of entry E. */
static void
announce(struct jit_code_entry *e, uint32_t action)
{
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = action;
	__jit_debug_register_code();
}

int
main(int argc, char **argv)
{
	FILE *f;
	long n;
	unsigned char *tpl;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *shstr;
	int text = -1, eh_frame = -1;
	size_t names[16], nnames = 0, len, slot;
	struct timespec t0, t1;

	if (argc < 3 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: gjit TEMPLATE.o N [hold|unreg|cycle|bigsize|garbage]\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	tpl = malloc(len);
	if (!tpl || fread(tpl, 1, len, f) != len)
		return 2;
	fclose(f);
	n = atol(argv[2]);
	eh = (Elf64_Ehdr *)tpl;
	sh = (Elf64_Shdr *)(tpl + eh->e_shoff);
	shstr = (const char *)tpl + sh[eh->e_shstrndx].sh_offset;
	for (int i = 1; i < eh->e_shnum; i++) {
		if (!strcmp(shstr + sh[i].sh_name, ".text"))
			text = i;
		if (!strcmp(shstr + sh[i].sh_name, ".eh_frame"))
			eh_frame = i;
	}
	/* every "gj_0000000" in the image: the symbol's and the DWARF's name */
	for (const char *p = (const char *)tpl; nnames < 16 &&
	     (p = memmem(p, len - (size_t)(p - (const char *)tpl), "gj_0000000", 11)) != NULL;
	     p += 11)
		names[nnames++] = (size_t)(p - (const char *)tpl) + 3;
	slot = text >= 0 ? (sh[text].sh_size + 15) / 16 * 16 : 0;
	if (text < 0 || slot == 0 || !nnames || n <= 0) {
		fprintf(stderr, "gjit: bad template\n");
		return 2;
	}
	unsigned char *arena = mmap(NULL, (size_t)n * slot, PROT_READ | PROT_WRITE | PROT_EXEC,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		unsigned char *img = malloc(len);
		struct jit_code_entry *e = malloc(sizeof(*e));
		Elf64_Shdr *s;
		char digits[8];
		uint64_t at = (uint64_t)(uintptr_t)(arena + i * slot);

		memcpy(img, tpl, len);
		s = (Elf64_Shdr *)(img + eh->e_shoff);
		memcpy(arena + i * slot, tpl + sh[text].sh_offset, sh[text].sh_size);
		s[text].sh_addr = at;
		if (eh_frame >= 0)
			s[eh_frame].sh_addr = at + sh[text].sh_size; /* near: PC32 */
		snprintf(digits, sizeof(digits), "%07ld", i % 10000000);
		for (size_t k = 0; k < nnames; k++)
			memcpy(img + names[k], digits, 7);
		e->symfile_addr = (const char *)img;
		e->symfile_size = len;
		e->prev_entry = NULL;
		e->next_entry = __jit_debug_descriptor.first_entry;
		if (e->next_entry)
			e->next_entry->prev_entry = e;
		__jit_debug_descriptor.first_entry = e;
		announce(e, 1);
		if (i == 0)
			entries[0] = e;
		entries[1] = e;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("gjit: %ld objects, %.1f ms\n", n,
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	fflush(stdout);
	const char *mode = argc > 3 ? argv[3] : "";
	int (*last)(void (*)(void)) = (int (*)(void (*)(void)))(void *)(arena + (n - 1) * slot);
	int (*first)(void (*)(void)) = (int (*)(void (*)(void)))(void *)arena;
	if (!strcmp(mode, "hold"))
		return last(hold_cb);
	if (!strcmp(mode, "unreg") && n >= 2) {
		struct jit_code_entry *e = entries[0]; /* the tail of the list */
		first(nop_cb);
		if (e->prev_entry)
			e->prev_entry->next_entry = e->next_entry;
		announce(e, 2);
		puts("gjit: unregistered");
		fflush(stdout);
		int (*second)(void (*)(void)) = (int (*)(void (*)(void)))(void *)(arena + slot);
		return second(nop_cb) - 1;
	}
	if (!strcmp(mode, "cycle"))
		entries[0]->next_entry = entries[1];
	else if (!strcmp(mode, "bigsize"))
		entries[0]->symfile_size = 1ull << 40;
	else if (!strcmp(mode, "garbage"))
		memset((char *)entries[0]->symfile_addr + 4, 0, len - 4);
	else if (mode[0])
		return 2;
	if (mode[0])
		return last(crash_cb);
	return 0;
}
