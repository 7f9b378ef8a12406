/* SPDX-License-Identifier: MIT */
/*
 * check_dwarf_mem.c - unit tests of kt_dwarf_open_mem (tracer/dwarf_obj.c):
 * DWARF and CFI from a relocatable object in memory, the way LLVM's
 * RuntimeDyld hands it to debuggers.  tests/unit/dwarf/t_basic.c is
 * compiled with "gcc -c -g" at test time (-O0 and -O2) by
 * tests/unit/dwarf/build.sh, or taken from $KT_FIXTURES/dwarf_mem when that
 * is set (the emulated AArch64 guest, which has no compiler); the test loads the
 * object, gives every allocated section a different load address by
 * patching sh_addr (as RuntimeDyld does), and asks for functions, source
 * lines and CFI steps at those load addresses, with a file opened by
 * libdwarf's ELF reader alongside (it leaves global state).  Then truncated and
 * bit-flipped copies must not crash.  Also: an address query on a file
 * indexes only its compilation unit.  Exits 77 (skip) without gcc or
 * KT_FIXTURES.
 */
#include <check.h>
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KT_DWARF_INTERNAL /* white-box: which units were indexed */
#include "dwarf.h"
#include "dwarf_fixtures.h"

static char tmp[256];
static char srcdir[1024];

#define TEXT_BASE 0x7f1200040000ull
/* within 2 GiB of .text: .eh_frame refers to it PC-relative (32 bits) */
#define OTHER_BASE 0x7f1200400000ull

/* The object as read from disk, and where its .text went. */
struct image {
	unsigned char *buf;
	size_t len;
	uint64_t text; /* load address of .text */
};

/* Load NAME and "load" it: .text at TEXT_BASE, every other allocated
 * section somewhere else, far away. */
static struct image
load(const char *name)
{
	char path[512];
	struct image im;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *shstr;
	uint64_t next = OTHER_BASE;

	snprintf(path, sizeof path, "%s/%s", tmp, name);
	im.buf = slurp(path, &im.len);
	eh = (Elf64_Ehdr *)im.buf;
	ck_assert_int_eq(eh->e_type, ET_REL);
	sh = (Elf64_Shdr *)(im.buf + eh->e_shoff);
	shstr = (const char *)im.buf + sh[eh->e_shstrndx].sh_offset;
	im.text = 0;
	for (unsigned i = 1; i < eh->e_shnum; i++) {
		if (!(sh[i].sh_flags & SHF_ALLOC))
			continue;
		if (!strcmp(shstr + sh[i].sh_name, ".text")) {
			sh[i].sh_addr = TEXT_BASE;
			im.text = TEXT_BASE;
		} else {
			sh[i].sh_addr = next;
			next += 0x10000;
		}
	}
	ck_assert(im.text != 0);
	return im;
}

/* Load address of function SYM (its section's sh_addr + st_value). */
static uint64_t
sym_value(const struct image *im, const char *sym)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)im->buf;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(im->buf + eh->e_shoff);

	for (unsigned i = 1; i < eh->e_shnum; i++) {
		const Elf64_Sym *s;
		const char *str;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		s = (const Elf64_Sym *)(im->buf + sh[i].sh_offset);
		str = (const char *)im->buf + sh[sh[i].sh_link].sh_offset;
		for (size_t k = 0; k < sh[i].sh_size / sizeof *s; k++)
			if (!strcmp(str + s[k].st_name, sym) && s[k].st_shndx < eh->e_shnum)
				return sh[s[k].st_shndx].sh_addr + s[k].st_value;
	}
	ck_abort_msg("no symbol %s", sym);
	return 0;
}

static int
marker(const char *name)
{
	char path[2048], line[512], want[128];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/t_basic.c", srcdir);
	snprintf(want, sizeof want, "@%s */", name);
	f = fopen(path, "r");
	ck_assert(f != NULL);
	while (fgets(line, sizeof line, f)) {
		n++;
		if (strstr(line, want)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("no marker %s", name);
	return -1;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);

	return s && a >= b && !strcmp(s + a - b, suffix);
}

/* ---- a fake stack for CFI steps ---- */

#define STACK_BASE 0x7ffd00001000ull
static uint64_t stack[64];

static kt_status
stack_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < STACK_BASE || addr + len > STACK_BASE + sizeof stack)
		return KT_ERR_MEM;
	memcpy(buf, (const char *)stack + (addr - STACK_BASE), len);
	return KT_OK;
}

static void
check_object(const char *name, bool optimized)
{
	char path[512];
	struct kt_dwarf_loc floc;

	/* A file opened through libdwarf's own ELF reader first: it leaves
	   process-wide state behind that in-memory objects must not trip on. */
	snprintf(path, sizeof path, "%s/%s", tmp, name);
	struct kt_dwarf *file = kt_dwarf_open(path);
	ck_assert(file != NULL);
	kt_dwarf_addr2line(file, 0, &floc);

	struct image im = load(name);
	uint64_t compute = sym_value(&im, "compute");
	uint64_t mainf = sym_value(&im, "main");
	struct kt_dwarf *d = kt_dwarf_open_mem(im.buf, im.len);
	struct kt_dwarf_loc loc;
	uint64_t entry = 0, ap = 0;

	ck_assert(d != NULL);
	/* functions and lines at load addresses */
	ck_assert(kt_dwarf_function(d, "compute", &entry, &ap));
	ck_assert_uint_eq(entry, compute);
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_str_eq(loc.function, "compute");
	ck_assert_uint_eq(loc.func_lo, compute);
	ck_assert(ends_with(loc.file, "/t_basic.c"));
	if (optimized) {
		ck_assert_int_ge(loc.line, marker("compute_first") - 3);
		ck_assert_int_le(loc.line, marker("compute_ret"));
	} else {
		ck_assert_int_eq(loc.line, marker("compute_first"));
	}
	ck_assert(kt_dwarf_function(d, "main", &entry, &ap));
	ck_assert_uint_eq(entry, mainf);
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_str_eq(loc.function, "main");
	if (!optimized)
		ck_assert_int_eq(loc.line, marker("main_first"));
	/* nothing at the section-relative address libdwarf's ELF reader gives */
	ck_assert(!kt_dwarf_addr2line(d, compute - TEXT_BASE, &loc));

	/* CFI at the entry of compute: CFA = rsp + 8, return address at rsp */
	struct kt_dwarf_regs in = {{0}, 0}, out;
	struct kt_arch_mem mem = {stack_read, NULL, NULL};
	uint64_t cfa = 0;

	memset(stack, 0, sizeof stack);
	stack[4] = 0x401234;
	in.v[7] = STACK_BASE + 4 * 8; /* rsp */
	in.v[6] = 0x5555;             /* rbp */
	in.known = 1u << 7 | 1u << 6;
	ck_assert_int_eq(kt_dwarf_cfi_step(d, 0, compute, true, &in, 16, 7, &mem, &out, &cfa),
			 KT_OK);
	ck_assert_uint_eq(cfa, STACK_BASE + 5 * 8);
	ck_assert(out.known & (1u << 16));
	ck_assert_uint_eq(out.v[16], 0x401234);
	ck_assert_uint_eq(out.v[7], cfa);
	/* no FDE at the unrelocated address */
	ck_assert_int_eq(kt_dwarf_cfi_step(d, 0, compute - TEXT_BASE, true, &in, 16, 7,
					   &mem, &out, &cfa),
			 KT_ERR_NOTFOUND);
	kt_dwarf_close(d);
	kt_dwarf_close(file);
}

START_TEST(test_mem_O0)
{
	check_object("t_basic_O0.o", false);
}
END_TEST

START_TEST(test_mem_O2)
{
	check_object("t_basic_O2.o", true);
}
END_TEST

/* Queries over a damaged copy of the object: any answer, no crash. */
static void
poke(struct kt_dwarf *d, uint64_t base)
{
	struct kt_dwarf_loc loc;
	struct kt_dwarf_regs in = {{0}, 0}, out;
	struct kt_arch_mem mem = {stack_read, NULL, NULL};
	uint64_t e, a, cfa, *addrs = NULL;

	in.v[7] = STACK_BASE + 8;
	in.known = 1u << 7;
	kt_dwarf_function(d, "compute", &e, &a);
	for (uint64_t off = 0; off < 0x80; off += 7) {
		kt_dwarf_addr2line(d, base + off, &loc);
		kt_dwarf_cfi_step(d, 0, base + off, off == 0, &in, 16, 7, &mem, &out, &cfa);
	}
	kt_dwarf_line2addrs(d, "t_basic.c", 13, &addrs);
	free(addrs);
}

START_TEST(test_mem_truncated)
{
	struct image im = load("t_basic_O0.o");

	for (size_t len = 0; len < im.len; len += 1 + len / 16) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, im.buf, len);
		struct kt_dwarf *d = kt_dwarf_open_mem(copy, len);
		if (d)
			poke(d, im.text);
		kt_dwarf_close(d);
	}
	free(im.buf);
}
END_TEST

START_TEST(test_mem_bitflips)
{
	struct image im = load("t_basic_O0.o");
	unsigned seed = 12345;

	for (int i = 0; i < 400; i++) {
		unsigned char *copy = malloc(im.len);

		memcpy(copy, im.buf, im.len);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % im.len] ^= (unsigned char)(1u << (seed >> 28 & 7));
		}
		struct kt_dwarf *d = kt_dwarf_open_mem(copy, im.len);
		if (d)
			poke(d, im.text);
		kt_dwarf_close(d);
	}
	free(im.buf);
}
END_TEST

/* A file of two units: an address query indexes only its unit (by
 * .debug_aranges); a name query then indexes the rest, without indexing
 * the first unit twice. */
START_TEST(test_index_by_unit)
{
	char path[512];
	struct kt_dwarf *d, *full;
	struct kt_dwarf_loc loc;
	uint64_t entry, ap, other;

	snprintf(path, sizeof path, "%s/two_units", tmp);
	d = kt_dwarf_open(path);
	full = kt_dwarf_open(path);
	ck_assert(d && full);
	ck_assert(kt_dwarf_function(full, "other_unit", &other, &ap));
	ck_assert(kt_dwarf_function(full, "compute", &entry, &ap));
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_str_eq(loc.function, "compute");
	ck_assert_int_eq(loc.line, marker("compute_first"));
	ck_assert(!d->indexed);
	ck_assert_uint_eq(d->ncus_done, 1);
	ck_assert_uint_lt(d->nrows, full->nrows);
	ck_assert(kt_dwarf_addr2line(d, other, &loc));
	ck_assert_str_eq(loc.function, "other_unit");
	ck_assert_uint_eq(d->ncus_done, 2);
	ck_assert(kt_dwarf_function(d, "main", &entry, &ap)); /* everything now */
	ck_assert(d->indexed);
	ck_assert_uint_eq(d->nrows, full->nrows);
	ck_assert_uint_eq(d->nfuncs, full->nfuncs);
	kt_dwarf_close(d);
	kt_dwarf_close(full);
}
END_TEST

START_TEST(test_mem_not_elf)
{
	char *junk = strdup("not an ELF image at all");

	ck_assert(kt_dwarf_open_mem(junk, strlen(junk)) == NULL);
	ck_assert(kt_dwarf_open_mem(NULL, 10) == NULL);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int failed;

	if (!dwarf_srcdir(srcdir, sizeof srcdir, __FILE__))
		return 1;
	snprintf(tmp, sizeof tmp, "/tmp/kt_dwarf_mem.XXXXXX");
	if ((failed = mem_fixtures(tmp, srcdir)) >= 0)
		return failed;
	s = suite_create("dwarf_mem");
	tc = tcase_create("mem");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mem_O0);
	tcase_add_test(tc, test_mem_O2);
	tcase_add_test(tc, test_mem_truncated);
	tcase_add_test(tc, test_mem_bitflips);
	tcase_add_test(tc, test_mem_not_elf);
	tcase_add_test(tc, test_index_by_unit);
	suite_add_tcase(s, tc);
	return mem_run(s, tmp);
}
