/* SPDX-License-Identifier: MIT */
/*
 * check_dwarf_diecheck.c - unit tests of the DIE check that runs before
 * libdwarf walks a unit (tracer/dwarf_diecheck.c, kt_dw_unit_check) and of
 * the gate in front of every DIE walk (tracer/dwarf_units.c).
 *
 * Hand-built units (DWARF 4 and 5, 32- and 64-bit) must pass; copies with
 * one fault each must not: a missing abbreviation, an unknown form, a DIE
 * cut short by the unit's end, a unit length beyond the section, a
 * DW_AT_sibling at its own DIE (what hung libdwarf 20210528's
 * dwarf_siblingof_b), a reference outside the unit, DW_FORM_indirect to
 * itself.  Every unit gcc wrote for tests/unit/dwarf/t_basic.c must pass
 * (relocatable objects at -O0 and -O2 in memory, a linked program of two
 * units on disk; built by tests/unit/dwarf/build.sh mem, or taken from
 * $KT_FIXTURES/dwarf_mem in the emulated AArch64 guest).  Through the
 * gate: a program whose first unit is damaged still answers for its second
 * unit and nothing for the first, the same program with compressed DWARF
 * answers for both, and the GDB JIT image that hung kitrace
 * (tests/fuzz/corpus_elfmem/regress_siblingof_b) answers at once.  Exits
 * 77 (skip) without gcc or KT_FIXTURES.
 */
#include <check.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KT_DWARF_INTERNAL /* white-box: the checker and the gate */
#include "dwarf.h"
#include "dwarf_fixtures.h"

#include <libdwarf/dwarf.h> /* DW_TAG_*, DW_AT_*, DW_FORM_* */

static char tmp[256];
static char srcdir[1024]; /* tests/unit/dwarf */

/* ---- building units by hand ---- */

struct buf {
	unsigned char b[512];
	size_t n;
};

static void
put(struct buf *o, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		o->b[o->n++] = (unsigned char)(v >> (8 * i));
}

static void
uleb(struct buf *o, uint64_t v)
{
	do {
		unsigned char c = v & 0x7f;

		v >>= 7;
		o->b[o->n++] = c | (v ? 0x80 : 0);
	} while (v);
}

static void
sleb(struct buf *o, int64_t v)
{
	for (;;) {
		unsigned char c = v & 0x7f;

		v >>= 7;
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			o->b[o->n++] = c;
			return;
		}
		o->b[o->n++] = c | 0x80;
	}
}

static void
str(struct buf *o, const char *s)
{
	memcpy(o->b + o->n, s, strlen(s) + 1);
	o->n += strlen(s) + 1;
}

/* What a hand-built unit gets wrong (all false: a good unit). */
struct fault {
	bool missing_abbrev;   /* the variable's DIE names code 9 */
	unsigned unknown_form; /* abbreviation 4 ends with this form */
	bool self_sibling;     /* the subprogram's DW_AT_sibling is itself */
	bool ref_outside;      /* the variable's DW_AT_type is past the unit */
	unsigned indirect;     /* the form DW_FORM_indirect names (0: data1) */
	size_t cut;	       /* the unit (and section) ends CUT bytes early */
	bool long_length;      /* the length says one byte more than there is */
};

/*
 * One unit into INFO and its abbreviations into ABBREV:
 *   compile_unit "t.c" (children)
 *     subprogram "f", DW_AT_sibling -> base_type, low_pc (children)
 *       variable "v", type -> base_type, implicit_const -5, exprloc
 *     base_type, byte_size through DW_FORM_indirect (data1)
 */
static void
build(struct buf *info, struct buf *abbrev, unsigned version, bool dwarf64, struct fault f)
{
	size_t len_at, sib_at, type_at, sub, base, end;
	unsigned offsize = dwarf64 ? 8 : 4;

	memset(info, 0, sizeof *info);
	memset(abbrev, 0, sizeof *abbrev);
	uleb(abbrev, 1), uleb(abbrev, DW_TAG_compile_unit), put(abbrev, 1, 1);
	uleb(abbrev, DW_AT_name), uleb(abbrev, DW_FORM_string);
	uleb(abbrev, DW_AT_language), uleb(abbrev, DW_FORM_data1), put(abbrev, 0, 2);
	uleb(abbrev, 2), uleb(abbrev, DW_TAG_subprogram), put(abbrev, 1, 1);
	uleb(abbrev, DW_AT_name), uleb(abbrev, DW_FORM_string);
	uleb(abbrev, DW_AT_sibling), uleb(abbrev, DW_FORM_ref4);
	uleb(abbrev, DW_AT_low_pc), uleb(abbrev, DW_FORM_addr), put(abbrev, 0, 2);
	uleb(abbrev, 3), uleb(abbrev, DW_TAG_variable), put(abbrev, 0, 1);
	uleb(abbrev, DW_AT_name), uleb(abbrev, DW_FORM_string);
	uleb(abbrev, DW_AT_type), uleb(abbrev, DW_FORM_ref4);
	uleb(abbrev, DW_AT_const_value), uleb(abbrev, DW_FORM_implicit_const), sleb(abbrev, -5);
	uleb(abbrev, DW_AT_location), uleb(abbrev, DW_FORM_exprloc), put(abbrev, 0, 2);
	uleb(abbrev, 4), uleb(abbrev, DW_TAG_base_type), put(abbrev, 0, 1);
	uleb(abbrev, DW_AT_byte_size), uleb(abbrev, DW_FORM_indirect);
	if (f.unknown_form) /* the last attribute of the last DIE */
		uleb(abbrev, DW_AT_encoding), uleb(abbrev, f.unknown_form);
	put(abbrev, 0, 2);
	put(abbrev, 0, 1);

	if (dwarf64)
		put(info, 0xffffffffu, 4);
	len_at = info->n;
	put(info, 0, offsize); /* length, patched below */
	put(info, version, 2);
	if (version >= 5) {
		put(info, DW_UT_compile, 1);
		put(info, 8, 1);
		put(info, 0, offsize);
	} else {
		put(info, 0, offsize);
		put(info, 8, 1);
	}
	uleb(info, 1), str(info, "t.c"), put(info, DW_LANG_C99, 1);
	sub = info->n;
	uleb(info, 2), str(info, "f");
	sib_at = info->n;
	put(info, 0, 4);
	put(info, 0x401000, 8);
	uleb(info, f.missing_abbrev ? 9 : 3), str(info, "v");
	type_at = info->n;
	put(info, 0, 4);
	uleb(info, 1), put(info, DW_OP_call_frame_cfa, 1);
	put(info, 0, 1); /* end of f's children */
	base = info->n;
	uleb(info, 4), uleb(info, f.indirect ? f.indirect : DW_FORM_data1);
	put(info, 4, 1);
	put(info, 0, 1); /* end of the unit's children */
	end = info->n;

	/* offsets relative to the unit, which starts at 0 */
	uint64_t sib = f.self_sibling ? sub : base;
	uint64_t type = f.ref_outside ? end + 16 : base;
	memcpy(info->b + sib_at, &(uint32_t){(uint32_t)sib}, 4);
	memcpy(info->b + type_at, &(uint32_t){(uint32_t)type}, 4);
	info->n = end - f.cut;
	uint64_t len = info->n - (len_at + offsize) + f.long_length;
	memcpy(info->b + len_at, &len, offsize);
}

static bool
check(unsigned version, bool dwarf64, struct fault f)
{
	struct buf info, abbrev;

	build(&info, &abbrev, version, dwarf64, f);
	return kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL);
}

START_TEST(test_good_units)
{
	ck_assert(check(4, false, (struct fault){0}));
	ck_assert(check(5, false, (struct fault){0}));
	ck_assert(check(5, true, (struct fault){0}));
	ck_assert(check(2, false, (struct fault){0}));
	ck_assert(check(3, true, (struct fault){0}));
}
END_TEST

START_TEST(test_missing_abbrev)
{
	ck_assert(!check(4, false, (struct fault){.missing_abbrev = true}));
	ck_assert(!check(5, true, (struct fault){.missing_abbrev = true}));
}
END_TEST

START_TEST(test_unknown_form)
{
	ck_assert(!check(4, false, (struct fault){.unknown_form = 0x7f}));
	ck_assert(!check(5, false, (struct fault){.unknown_form = 0x02})); /* reserved */
	/* LLVM's DW_FORM_LLVM_addrx_offset: libdwarf 20210528 does not know it */
	ck_assert(!check(5, true, (struct fault){.unknown_form = 0x2001}));
}
END_TEST

START_TEST(test_truncated_die)
{
	/* the unit ends inside the base type's DIE: in its value, in the
	   form DW_FORM_indirect names */
	ck_assert(!check(4, false, (struct fault){.cut = 2}));
	ck_assert(!check(5, false, (struct fault){.cut = 3}));
	ck_assert(!check(5, true, (struct fault){.cut = 2}));
	/* it ends after a whole DIE, with lists still open: libdwarf takes
	   that (so the cuts above are refused for the DIE, not for the lists) */
	ck_assert(check(4, false, (struct fault){.cut = 1}));
	ck_assert(check(5, true, (struct fault){.cut = 1}));
}
END_TEST

START_TEST(test_length_beyond_section)
{
	struct buf info, abbrev;
	uint64_t die, next;

	ck_assert(!check(4, false, (struct fault){.long_length = true}));
	ck_assert(!check(5, true, (struct fault){.long_length = true}));
	build(&info, &abbrev, 4, false, (struct fault){.long_length = true});
	ck_assert(!kt_dw_unit_bounds(info.b, info.n, 0, &die, &next));
	ck_assert_uint_eq(next, 0); /* no unit can be found after it */
	build(&info, &abbrev, 4, false, (struct fault){0});
	ck_assert(kt_dw_unit_bounds(info.b, info.n, 0, &die, &next));
	ck_assert_uint_eq(next, info.n);
	ck_assert_uint_eq(die, 11);
}
END_TEST

START_TEST(test_self_sibling)
{
	ck_assert(!check(4, false, (struct fault){.self_sibling = true}));
	ck_assert(!check(5, true, (struct fault){.self_sibling = true}));
}
END_TEST

START_TEST(test_refs_and_indirect)
{
	ck_assert(!check(4, false, (struct fault){.ref_outside = true}));
	ck_assert(!check(5, false, (struct fault){.indirect = DW_FORM_indirect}));
	/* its constant would be read from an abbreviation that has none */
	ck_assert(!check(5, false, (struct fault){.indirect = DW_FORM_implicit_const}));
	ck_assert(check(5, false, (struct fault){.indirect = DW_FORM_flag}));
}
END_TEST

START_TEST(test_header_fields)
{
	struct buf info, abbrev;

	build(&info, &abbrev, 4, false, (struct fault){0});
	ck_assert(kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL));
	ck_assert(!kt_dw_unit_check(info.b, info.n, 0, abbrev.b, 0, NULL)); /* no table */
	ck_assert(!kt_dw_unit_check(info.b, info.n, 1, abbrev.b, abbrev.n, NULL));
	info.b[4] = 6; /* version */
	ck_assert(!kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL));
	info.b[4] = 4;
	info.b[10] = 3; /* address size */
	ck_assert(!kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL));
	info.b[10] = 8;
	info.b[6] = (unsigned char)abbrev.n; /* abbreviation offset: the end */
	ck_assert(!kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL));
	info.b[6] = 0;
	build(&info, &abbrev, 5, false, (struct fault){0});
	info.b[6] = 0x80; /* DW_UT_lo_user */
	ck_assert(!kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL));
	build(&info, &abbrev, 5, false, (struct fault){0});
	abbrev.b[2] = 2; /* DW_CHILDREN 2 */
	ck_assert(!kt_dw_unit_check(info.b, info.n, 0, abbrev.b, abbrev.n, NULL));
}
END_TEST

START_TEST(test_section_names)
{
	struct kt_dw_pick p = {0};
	unsigned info = 0, abbrev = 0;

	ck_assert(kt_dw_sec_name(".debug_info", "info"));
	ck_assert(kt_dw_sec_name(".debug_info.dwo", "info"));
	ck_assert(kt_dw_sec_name(".zdebug_info", "info"));
	ck_assert(kt_dw_sec_name(".zdebug_info.dwo", "info"));
	ck_assert(!kt_dw_sec_name(".debug_infox", "info"));
	ck_assert(!kt_dw_sec_name(".debug_info.dwox", "info"));
	ck_assert(!kt_dw_sec_name(".debug_line", "info"));
	ck_assert(kt_dw_line_name(".debug_line.dwo"));
	/* the .debug_abbrev of the .debug_info's kind */
	kt_dw_pick_see(&p, 3, ".debug_abbrev");
	kt_dw_pick_see(&p, 4, ".debug_info.dwo");
	kt_dw_pick_see(&p, 5, ".debug_abbrev.dwo");
	ck_assert(kt_dw_pick_which(&p, &info, &abbrev));
	ck_assert_uint_eq(info, 4);
	ck_assert_uint_eq(abbrev, 5);
	/* two candidates: which one libdwarf takes is not guessed */
	kt_dw_pick_see(&p, 6, ".debug_info");
	ck_assert(!kt_dw_pick_which(&p, &info, &abbrev));
	memset(&p, 0, sizeof p);
	kt_dw_pick_see(&p, 1, ".zdebug_info");
	kt_dw_pick_see(&p, 2, ".zdebug_abbrev");
	ck_assert(!kt_dw_pick_which(&p, &info, &abbrev));
}
END_TEST

/* ---- what gcc writes ---- */

/* Every unit of INFO passes; returns how many there are. */
static unsigned
all_units_pass(const unsigned char *info, size_t ninfo, const unsigned char *abbrev, size_t nabbrev)
{
	struct kt_dw_abbrevs *cache = NULL;
	uint64_t off = 0, die, next;
	unsigned n = 0;

	ck_assert(info && abbrev);
	while (off < ninfo) {
		ck_assert_msg(kt_dw_unit_bounds(info, ninfo, off, &die, &next), "unit at %#lx",
			      (unsigned long)off);
		ck_assert_msg(kt_dw_unit_check(info, ninfo, off, abbrev, nabbrev, &cache),
			      "unit at %#lx", (unsigned long)off);
		off = next;
		n++;
	}
	kt_dw_abbrevs_free(cache);
	return n;
}

START_TEST(test_gcc_objects)
{
	static const char *const objs[] = {"t_basic_O0.o", "t_basic_O2.o"};

	for (size_t i = 0; i < 2; i++) {
		char path[512];
		size_t len, ninfo, nabbrev;

		snprintf(path, sizeof path, "%s/%s", tmp, objs[i]);
		unsigned char *img = slurp(path, &len);
		struct kt_dwarf *d = kt_dwarf_open_mem(img, len);
		ck_assert(d != NULL);
		kt_dw_load(d);
		const unsigned char *info = kt_dw_mem_section(d, ".debug_info", &ninfo);
		const unsigned char *abbrev = kt_dw_mem_section(d, ".debug_abbrev", &nabbrev);
		ck_assert_uint_eq(all_units_pass(info, ninfo, abbrev, nabbrev), 1);
		ck_assert(kt_dwarf_function(d, "compute", NULL, NULL)); /* and the gate agrees */
		kt_dwarf_close(d);
	}
}
END_TEST

/* Section NAME of E, its header in *SH; the test fails without it. */
static Elf_Scn *
find_scn(Elf *e, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	ck_assert(elf_getshdrstrndx(e, &shstrndx) == 0);
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		ck_assert(gelf_getshdr(scn, sh) != NULL);
		if (!strcmp(elf_strptr(e, shstrndx, sh->sh_name), name))
			return scn;
	}
	ck_abort_msg("no section %s", name);
	return NULL;
}

/* The bytes of section NAME of E (not compressed: gcc's default). */
static unsigned char *
elf_section(Elf *e, const char *name, size_t *size)
{
	GElf_Shdr sh;
	Elf_Data *data = elf_getdata(find_scn(e, name, &sh), NULL);

	ck_assert(!(sh.sh_flags & SHF_COMPRESSED));
	ck_assert(data && data->d_buf);
	*size = data->d_size;
	return data->d_buf;
}

/* two_units on disk; the copy's first unit damaged: its last byte, the end
 * of the unit's children, made abbreviation code 0x7f, which it lacks. */
START_TEST(test_gate_skips_bad_unit)
{
	char path[512], bad[512];
	size_t len, ninfo, nabbrev;
	uint64_t die, next, e, ap;
	unsigned char *img;
	int fd;

	snprintf(path, sizeof path, "%s/two_units", tmp);
	snprintf(bad, sizeof bad, "%s/two_units_bad", tmp);
	ck_assert(elf_version(EV_CURRENT) != EV_NONE);
	fd = open(path, O_RDONLY);
	ck_assert(fd >= 0);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert(elf != NULL);
	unsigned char *info = elf_section(elf, ".debug_info", &ninfo);
	unsigned char *abbrev = elf_section(elf, ".debug_abbrev", &nabbrev);
	ck_assert_uint_ge(all_units_pass(info, ninfo, abbrev, nabbrev), 2);
	ck_assert(kt_dw_unit_bounds(info, ninfo, 0, &die, &next));
	ck_assert_uint_eq(info[next - 1], 0);
	/* the same byte in the file (not compressed: at its offset) */
	GElf_Shdr sh;
	find_scn(elf, ".debug_info", &sh);
	size_t at = sh.sh_offset + next - 1;
	elf_end(elf);
	close(fd);
	img = slurp(path, &len);
	ck_assert(at > 0 && at < len && img[at] == 0);
	img[at] = 0x7f;
	FILE *f = fopen(bad, "wb");
	ck_assert(f && fwrite(img, 1, len, f) == len);
	fclose(f);
	free(img);

	struct kt_dwarf *good = kt_dwarf_open(path), *d = kt_dwarf_open(bad);
	ck_assert(good && d);
	ck_assert(kt_dwarf_function(good, "compute", &e, &ap));
	ck_assert(kt_dwarf_function(good, "other_unit", &e, &ap));
	ck_assert(!kt_dwarf_function(d, "compute", &e, &ap)); /* in the bad unit */
	ck_assert(kt_dwarf_function(d, "other_unit", &e, &ap));
	ck_assert(!kt_dw_off_ok(&d->main, die, true));
	ck_assert(kt_dw_off_ok(&good->main, die, true));
	ck_assert(!kt_dw_off_ok(&good->main, die + 1, true)); /* not a unit's first DIE */
	ck_assert(!kt_dw_off_ok(&good->main, 0, false));      /* a header, not a DIE */
	kt_dwarf_close(good);
	kt_dwarf_close(d);
}
END_TEST

/* The same program with its DWARF compressed (SHF_COMPRESSED): the check
 * reads the units from the inflated .debug_info, as far as it is asked. */
START_TEST(test_gate_compressed)
{
	char path[512];
	struct kt_dwarf_loc loc;
	uint64_t e, ap, other;
	GElf_Shdr sh;
	int fd;

	snprintf(path, sizeof path, "%s/two_units_z", tmp);
	ck_assert(elf_version(EV_CURRENT) != EV_NONE);
	fd = open(path, O_RDONLY);
	ck_assert(fd >= 0);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert(elf != NULL);
	find_scn(elf, ".debug_info", &sh);
	elf_end(elf);
	close(fd);
	ck_assert_msg(sh.sh_flags & SHF_COMPRESSED, "%s: .debug_info is not compressed", path);
	struct kt_dwarf *d = kt_dwarf_open(path);
	ck_assert(d != NULL);
	ck_assert(kt_dwarf_function(d, "other_unit", &other, &ap));
	kt_dwarf_close(d);
	d = kt_dwarf_open(path); /* an address query first: one unit */
	ck_assert(kt_dwarf_addr2line(d, other, &loc));
	ck_assert_str_eq(loc.function, "other_unit");
	ck_assert(kt_dwarf_function(d, "compute", &e, &ap));
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_str_eq(loc.function, "compute");
	ck_assert(loc.file && strstr(loc.file, "t_basic.c"));
	kt_dwarf_close(d);
}
END_TEST

/* The GDB JIT image that hung kitrace in dwarf_siblingof_b: its unit is
 * refused, and every query answers (the tcase timeout catches a hang). */
START_TEST(test_regress_siblingof_b)
{
	char path[2048];
	size_t len;
	struct kt_dwarf_loc loc;
	uint64_t e, ap, *addrs = NULL;

	snprintf(path, sizeof path, "%s/../../fuzz/corpus_elfmem/regress_siblingof_b", srcdir);
	unsigned char *img = slurp(path, &len);
	struct kt_dwarf *d = kt_dwarf_open_mem(img, len);
	ck_assert(d != NULL);
	for (uint64_t a = 0x7f0000101000ull; a < 0x7f0000101050ull; a += 8)
		kt_dwarf_addr2line(d, a, &loc);
	ck_assert(!kt_dwarf_function(d, "main", &e, &ap));
	ck_assert_uint_eq(kt_dwarf_line2addrs(d, "crash.c", 18, &addrs), 0);
	ck_assert(d->main.units != NULL); /* the unit was checked, and refused */
	ck_assert(!kt_dw_off_ok(&d->main, 12, true));
	kt_dwarf_close(d);
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
	snprintf(tmp, sizeof tmp, "/tmp/kt_diecheck.XXXXXX");
	if ((failed = mem_fixtures(tmp, srcdir)) >= 0)
		return failed;
	s = suite_create("dwarf_diecheck");
	tc = tcase_create("diecheck");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_units);
	tcase_add_test(tc, test_missing_abbrev);
	tcase_add_test(tc, test_unknown_form);
	tcase_add_test(tc, test_truncated_die);
	tcase_add_test(tc, test_length_beyond_section);
	tcase_add_test(tc, test_self_sibling);
	tcase_add_test(tc, test_refs_and_indirect);
	tcase_add_test(tc, test_header_fields);
	tcase_add_test(tc, test_section_names);
	tcase_add_test(tc, test_gcc_objects);
	tcase_add_test(tc, test_gate_skips_bad_unit);
	tcase_add_test(tc, test_gate_compressed);
	tcase_add_test(tc, test_regress_siblingof_b);
	suite_add_tcase(s, tc);
	return mem_run(s, tmp);
}
