/* SPDX-License-Identifier: MIT */
/*
 * check_dwarf.c - unit tests of tracer/dwarf: source lines, functions and
 * inlined chains, and CFI steps, on programs compiled with gcc at test time
 * by tests/unit/dwarf/build.sh (DWARF 5 and 4, -O0 and -O2, .eh_frame and
 * .debug_frame, no DWARF, a .gnu_debuglink debug file), then on truncated
 * and bit-flipped copies (no crash, no hang).  With KT_FIXTURES set (the
 * emulated AArch64 guest, which has no compiler), the programs are the ones
 * build.sh made on the host, in $KT_FIXTURES/dwarf.  Exits 77 (skip) without
 * either.
 *
 * Expected lines come from "@name" markers in the sources; expected
 * addresses from the ELF symbol tables (libelf); CFI steps run over fake
 * registers and a fake stack.
 */
#include <check.h>
#include <fcntl.h>
#include <link.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "dwarf.h"
#include "dwarf_fixtures.h"

static char tmp[256];     /* the build directory */
static char srcdir[1024]; /* tests/unit/dwarf */

static void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp, name);
}

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Line of the "@NAME" marker in tests/unit/dwarf/SRC. */
static int
marker(const char *src, const char *name)
{
	char path[2048], line[512], want[128];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/%s", srcdir, src);
	snprintf(want, sizeof want, "@%s */", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		n++;
		if (strstr(line, want)) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("no marker %s in %s", name, src);
	return -1;
}

/* Build NAME opened with libelf; *FD to close after elf_end. */
static Elf *
elf_of(const char *name, int *fd)
{
	char path[512];
	Elf *e;

	path_of(path, sizeof path, name);
	*fd = open(path, O_RDONLY);
	ck_assert_msg(*fd >= 0, "cannot open %s", path);
	elf_version(EV_CURRENT);
	e = elf_begin(*fd, ELF_C_READ, NULL);
	ck_assert(e != NULL);
	return e;
}

/* Link-time address of the defined symbol SYM in build NAME (as nm shows). */
static uint64_t
nm_addr(const char *name, const char *sym)
{
	int fd;
	Elf *e = elf_of(name, &fd);
	Elf_Scn *scn = NULL;
	uint64_t addr = 0;

	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		GElf_Sym s;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *n;

			if (gelf_getsym(data, (int)i, &s) && s.st_shndx != SHN_UNDEF &&
			    (n = elf_strptr(e, sh.sh_link, s.st_name)) && !strcmp(n, sym))
				addr = s.st_value;
		}
	}
	elf_end(e);
	close(fd);
	ck_assert_msg(addr != 0, "no symbol %s in %s", sym, name);
	return addr;
}

/* Link-time address of section SEC in build NAME; 0 without one.  *FOUND
 * (unless NULL): whether NAME has such a section. */
static uint64_t
section_addr(const char *name, const char *sec, bool *found)
{
	int fd;
	Elf *e = elf_of(name, &fd);
	Elf_Scn *scn = NULL;
	size_t shstr;
	uint64_t addr = 0;

	if (found)
		*found = false;
	ck_assert(elf_getshdrstrndx(e, &shstr) == 0);
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(e, shstr, sh.sh_name)) &&
		    !strcmp(n, sec)) {
			addr = sh.sh_addr;
			if (found)
				*found = true;
		}
	}
	elf_end(e);
	close(fd);
	return addr;
}

/* Read LEN bytes at link address ADDR of build NAME (from its sections). */
static void
code_at(const char *name, uint64_t addr, uint8_t *buf, size_t len)
{
	char path[512];
	int fd;
	Elf *e;
	Elf_Scn *scn = NULL;
	bool done = false;

	path_of(path, sizeof path, name);
	fd = open(path, O_RDONLY);
	ck_assert(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert(e != NULL);
	while (!done && (scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr s;

		if (!gelf_getshdr(scn, &s) || s.sh_type != SHT_PROGBITS)
			continue;
		if (addr >= s.sh_addr && addr + len <= s.sh_addr + s.sh_size) {
			ck_assert(pread(fd, buf, len, (off_t)(s.sh_offset + addr - s.sh_addr)) ==
				  (ssize_t)len);
			done = true;
		}
	}
	elf_end(e);
	close(fd);
	ck_assert_msg(done, "no code at %#llx", (unsigned long long)addr);
}

/* Does build NAME have section SEC? */
static bool
has_section(const char *name, const char *sec)
{
	bool found;

	section_addr(name, sec, &found);
	return found;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);

	return s && a >= b && !strcmp(s + a - b, suffix);
}

static struct kt_dwarf *
open_build(const char *name)
{
	char path[512];
	struct kt_dwarf *d;

	path_of(path, sizeof path, name);
	d = kt_dwarf_open(path);
	ck_assert_msg(d != NULL, "kt_dwarf_open(%s)", path);
	return d;
}

/* ---- lines and functions ---- */

static void
check_basic(const char *build)
{
	struct kt_dwarf *d = open_build(build);
	struct kt_dwarf_loc loc;
	uint64_t entry = 0, ap = 0, *addrs = NULL;
	uint64_t compute = nm_addr(build, "compute");
	int first = marker("t_basic.c", "compute_first");
	int ret = marker("t_basic.c", "compute_ret");
	size_t n;

	/* function lookup: entry, after the prologue */
	ck_assert(kt_dwarf_function(d, "compute", &entry, &ap));
	ck_assert_uint_eq(entry, compute);
	ck_assert_uint_gt(ap, entry);
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_int_eq(loc.line, first);
	ck_assert_str_eq(loc.function, "compute");
	ck_assert_uint_eq(loc.func_lo, compute);
	ck_assert_uint_gt(loc.func_hi, compute);
	ck_assert(ends_with(loc.file, "/t_basic.c"));
	ck_assert_int_eq(loc.ninlined, 0);

	/* the entry row: the function's opening lines */
	ck_assert(kt_dwarf_addr2line(d, entry, &loc));
	ck_assert_int_lt(loc.line, first);
	ck_assert_int_ge(loc.line, first - 3);

	ck_assert(kt_dwarf_function(d, "main", &entry, &ap));
	ck_assert_uint_eq(entry, nm_addr(build, "main"));
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_int_eq(loc.line, marker("t_basic.c", "main_first"));
	ck_assert_str_eq(loc.function, "main");

	ck_assert(kt_dwarf_function(d, "hidden_static", &entry, &ap));
	ck_assert(kt_dwarf_addr2line(d, ap, &loc));
	ck_assert_int_eq(loc.line, marker("t_basic.c", "hidden_first"));

	ck_assert(!kt_dwarf_function(d, "no_such_function", &entry, &ap));
	ck_assert(!kt_dwarf_function(d, "comput", &entry, &ap));
	ck_assert(!kt_dwarf_addr2line(d, 0x10, &loc));
	ck_assert(!kt_dwarf_addr2line(d, UINT64_MAX, &loc));

	/* line -> addresses */
	n = kt_dwarf_line2addrs(d, "t_basic.c", ret, &addrs);
	ck_assert_uint_eq(n, 1);
	ck_assert(kt_dwarf_addr2line(d, addrs[0], &loc));
	ck_assert_int_eq(loc.line, ret);
	ck_assert_str_eq(loc.function, "compute");
	free(addrs);
	n = kt_dwarf_line2addrs(d, "dwarf/t_basic.c", ret, &addrs);
	ck_assert_uint_eq(n, 1);
	free(addrs);
	n = kt_dwarf_line2addrs(d, "basic.c", ret, &addrs); /* not on a '/' */
	ck_assert_uint_eq(n, 0);
	ck_assert(addrs == NULL);
	n = kt_dwarf_line2addrs(d, "t_basic.c", 1, &addrs); /* a comment */
	ck_assert_uint_eq(n, 0);
	n = kt_dwarf_line2addrs(d, "t_basic.c", 0, &addrs);
	ck_assert_uint_eq(n, 0);
	kt_dwarf_close(d);
}

START_TEST(test_dwarf5_O0)
{
	check_basic("b0");
}
END_TEST

START_TEST(test_dwarf4_O0)
{
	check_basic("b4");
}
END_TEST

START_TEST(test_debuglink)
{
	/* "split" has no .debug_*: its .gnu_debuglink names split.debug */
	ck_assert(!has_section("split", ".debug_info"));
	check_basic("split");
}
END_TEST

START_TEST(test_inline_O2)
{
	struct kt_dwarf *d = open_build("i2");
	struct kt_dwarf_loc loc;
	uint64_t *addrs = NULL, entry = 0, ap = 0;
	uint64_t outer = nm_addr("i2", "outer");
	int body = marker("t_inline.c", "helper_body");
	int call = marker("t_inline.c", "call_site");
	size_t n;

	ck_assert(kt_dwarf_function(d, "outer", &entry, &ap));
	ck_assert_uint_eq(entry, outer);
	n = kt_dwarf_line2addrs(d, "t_inline.c", body, &addrs);
	ck_assert_uint_ge(n, 1);
	ck_assert(kt_dwarf_addr2line(d, addrs[0], &loc));
	ck_assert_int_eq(loc.line, body);
	ck_assert_str_eq(loc.function, "outer");
	ck_assert_uint_eq(loc.func_lo, outer);
	ck_assert_int_ge(loc.ninlined, 1);
	ck_assert_str_eq(loc.inlined[0], "helper");
	ck_assert_int_eq(loc.inl_call_line[0], call);
	ck_assert(ends_with(loc.inl_call_file[0], "/t_inline.c"));
	free(addrs);
	/* helper has no code of its own */
	ck_assert(!kt_dwarf_function(d, "helper", &entry, &ap));
	/* the entry of outer is not inside helper */
	ck_assert(kt_dwarf_addr2line(d, outer, &loc));
	ck_assert_str_eq(loc.function, "outer");
	ck_assert_int_eq(loc.ninlined, 0);
	kt_dwarf_close(d);
}
END_TEST

START_TEST(test_no_dwarf)
{
	struct kt_dwarf *d = open_build("nodbg");
	struct kt_dwarf_loc loc;
	uint64_t *addrs = (uint64_t *)1, e, ap;

	ck_assert(!kt_dwarf_addr2line(d, nm_addr("nodbg", "compute"), &loc));
	ck_assert(loc.file == NULL && loc.function == NULL);
	ck_assert(!kt_dwarf_function(d, "compute", &e, &ap));
	ck_assert_uint_eq(kt_dwarf_line2addrs(d, "t_basic.c", 14, &addrs), 0);
	ck_assert(addrs == NULL);
	kt_dwarf_close(d);

	ck_assert(kt_dwarf_open("/nonexistent/file") == NULL);
	ck_assert(kt_dwarf_open("/etc/passwd") == NULL); /* not ELF */
	ck_assert(kt_dwarf_open("/") == NULL);
	{
		char fifo[512];

		path_of(fifo, sizeof fifo, "fifo");
		ck_assert(mkfifo(fifo, 0600) == 0);
		ck_assert(kt_dwarf_open(fifo) == NULL); /* and no hang */
	}
	ck_assert(kt_dwarf_open(NULL) == NULL);
	kt_dwarf_close(NULL);
}
END_TEST

/* ---- CFI ---- */

#define STACK_BASE 0x7ffd00000000ull
#define BIAS 0x555555554000ull
static uint8_t stack[4096];

static kt_status
fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < STACK_BASE || addr - STACK_BASE > sizeof stack ||
	    len > sizeof stack - (addr - STACK_BASE))
		return KT_ERR_MEM;
	memcpy(buf, stack + (addr - STACK_BASE), len);
	return KT_OK;
}

static const struct kt_arch_mem fake_mem = {.read = fake_read};

static void
poke(uint64_t addr, uint64_t v)
{
	ck_assert(addr >= STACK_BASE && addr + 8 <= STACK_BASE + sizeof stack);
	memcpy(stack + (addr - STACK_BASE), &v, 8);
}

static void
set_reg(struct kt_dwarf_regs *r, unsigned n, uint64_t v)
{
	r->v[n] = v;
	r->known |= 1ull << n;
}

#define RSP 7
#define RBP 6
#define RBX 3
#define RIP 16
#define S (STACK_BASE + 0x800)
#define RET 0x555555555abcull

/* One step at link pc LPC; returns the status, fills OUT and *CFA. */
static kt_status
step(struct kt_dwarf *d, uint64_t lpc, bool innermost, const struct kt_dwarf_regs *in,
     struct kt_dwarf_regs *out, uint64_t *cfa)
{
	return kt_dwarf_cfi_step(d, BIAS, lpc + BIAS, innermost, in, RIP, RSP, &fake_mem, out,
				 cfa);
}

static void
check_fp_function(const char *build)
{
	struct kt_dwarf *d = open_build(build);
	struct kt_dwarf_regs in, out;
	uint64_t f = nm_addr(build, "compute"), cfa = 0;
	uint8_t code[16];
	size_t push = 0;

	/* the prologue: [endbr64;] push %rbp; mov %rsp,%rbp */
	code_at(build, f, code, sizeof code);
	if (code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e && code[3] == 0xfa)
		push = 4;
	ck_assert_uint_eq(code[push], 0x55);
	ck_assert(code[push + 1] == 0x48 && code[push + 2] == 0x89 && code[push + 3] == 0xe5);

	memset(stack, 0, sizeof stack);
	poke(S, RET);
	poke(S - 8, 0x2222);

	/* at the entry: CFA = rsp + 8, the return address at CFA - 8 */
	memset(&in, 0, sizeof in);
	set_reg(&in, RSP, S);
	set_reg(&in, RBP, 0x1111);
	set_reg(&in, RBX, 0x3333);
	set_reg(&in, 0, 0x4444); /* rax: not callee-saved */
	ck_assert_int_eq(step(d, f, true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(cfa, S + 8);
	ck_assert(out.known & (1ull << RIP));
	ck_assert_uint_eq(out.v[RIP], RET);
	ck_assert_uint_eq(out.v[RSP], S + 8);
	ck_assert(out.known & (1ull << RBP));
	ck_assert_uint_eq(out.v[RBP], 0x1111); /* same value */
	ck_assert_uint_eq(out.v[RBX], 0x3333);
	ck_assert(!(out.known & 1ull)); /* rax unknown in the caller */

	/* after push %rbp: CFA = rsp + 16, rbp saved at CFA - 16 */
	in.v[RSP] = S - 8;
	ck_assert_int_eq(step(d, f + push + 1, true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(cfa, S + 8);
	ck_assert_uint_eq(out.v[RIP], RET);
	ck_assert_uint_eq(out.v[RBP], 0x2222);

	/* not innermost: pc - 1 is the push itself, where CFA = rsp + 8 */
	ck_assert_int_eq(step(d, f + push + 1, false, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(cfa, S);

	/* after mov %rsp,%rbp: CFA = rbp + 16, whatever rsp is */
	in.v[RBP] = S - 8;
	in.v[RSP] = S - 0x40;
	ck_assert_int_eq(step(d, f + push + 4, true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(cfa, S + 8);
	ck_assert_uint_eq(out.v[RIP], RET);
	ck_assert_uint_eq(out.v[RBP], 0x2222);
	ck_assert_uint_eq(out.v[RSP], S + 8);

	/* CFA needs rbp: unknown rbp cannot be unwound */
	in.known &= ~(1ull << RBP);
	ck_assert_int_eq(step(d, f + push + 4, true, &in, &out, &cfa), KT_ERR_UNSUPPORTED);
	/* a stack we cannot read */
	set_reg(&in, RBP, 0x1000);
	ck_assert_int_eq(step(d, f + push + 4, true, &in, &out, &cfa), KT_ERR_MEM);
	/* no FDE */
	ck_assert_int_eq(step(d, 0x10, true, &in, &out, &cfa), KT_ERR_NOTFOUND);
	ck_assert_int_eq(kt_dwarf_cfi_step(d, 0, f, true, &in, 40, RSP, &fake_mem, &out, &cfa),
			 KT_ERR_INVAL);
	kt_dwarf_close(d);
}

START_TEST(test_cfi_eh_frame)
{
	check_fp_function("b0");
}
END_TEST

START_TEST(test_cfi_debug_frame)
{
	if (!has_section("df", ".debug_frame")) {
		fprintf(stderr, "note: gcc made no .debug_frame; test skipped\n");
		return;
	}
	check_fp_function("df");
}
END_TEST

START_TEST(test_cfi_no_dwarf)
{
	/* .eh_frame without any .debug_*: CFI still works */
	check_fp_function("nodbg");
}
END_TEST

START_TEST(test_cfi_leaf_O2)
{
	struct kt_dwarf *d = open_build("l2");
	struct kt_dwarf_regs in, out;
	struct kt_dwarf_loc loc;
	uint64_t f = nm_addr("l2", "leaf"), cfa = 0;

	ck_assert(kt_dwarf_addr2line(d, f, &loc));
	ck_assert_str_eq(loc.function, "leaf");
	memset(stack, 0, sizeof stack);
	poke(S, RET);
	memset(&in, 0, sizeof in);
	set_reg(&in, RSP, S);
	set_reg(&in, RBP, 0x1111);
	/* no frame pointer: CFA = rsp + 8 from the first to the last byte */
	for (uint64_t pc = f; pc < loc.func_hi; pc++) {
		ck_assert_int_eq(step(d, pc, true, &in, &out, &cfa), KT_OK);
		ck_assert_uint_eq(cfa, S + 8);
		ck_assert_uint_eq(out.v[RIP], RET);
		ck_assert_uint_eq(out.v[RBP], 0x1111);
	}
	kt_dwarf_close(d);
}
END_TEST

START_TEST(test_cfi_plt_and_outermost)
{
	struct kt_dwarf *d = open_build("b0");
	struct kt_dwarf_regs in, out;
	uint64_t start = nm_addr("b0", "_start"), cfa = 0, plt;

	memset(stack, 0, sizeof stack);
	poke(S, RET);
	poke(S + 8, RET + 1);
	memset(&in, 0, sizeof in);
	set_reg(&in, RSP, S);

	/* _start: the return address is undefined: the outermost frame */
	ck_assert_int_eq(step(d, start, true, &in, &out, &cfa), KT_OK);
	ck_assert(!(out.known & (1ull << RIP)));

	/* a PLT entry: CFA by expression, rsp + 8 before its push, + 16 after */
	plt = section_addr("b0", ".plt", NULL);
	if (!plt) {
		fprintf(stderr, "note: no .plt; PLT check skipped\n");
	} else {
		ck_assert_int_eq(step(d, plt + 16, true, &in, &out, &cfa), KT_OK);
		ck_assert_uint_eq(cfa, S + 8);
		ck_assert_uint_eq(out.v[RIP], RET);
		ck_assert_int_eq(step(d, plt + 16 + 11, true, &in, &out, &cfa), KT_OK);
		ck_assert_uint_eq(cfa, S + 16);
		ck_assert_uint_eq(out.v[RIP], RET + 1);
	}
	kt_dwarf_close(d);
}
END_TEST

START_TEST(test_cfi_rules)
{
	/* t_cfi.S: every rule kind, one row per label */
	struct kt_dwarf *d = open_build("cfi.so");
	struct kt_dwarf_regs in, out;
	uint64_t cfa = 0;

	memset(stack, 0, sizeof stack);
	poke(S, 0xbbb);
	poke(S + 8, RET);
	poke(S + 0x100, S + 16);
	memset(&in, 0, sizeof in);
	set_reg(&in, RSP, S);
	set_reg(&in, RBX, 0xb0);
	set_reg(&in, RBP, S + 0x100);
	for (unsigned r = 12; r <= 15; r++)
		set_reg(&in, r, r);

	/* r1: CFA = rsp+16; rbx at CFA-16 */
	ck_assert_int_eq(step(d, nm_addr("cfi.so", "cfi_r1"), true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(cfa, S + 16);
	ck_assert_uint_eq(out.v[RIP], RET);
	ck_assert_uint_eq(out.v[RBX], 0xbbb);
	ck_assert_uint_eq(out.v[RSP], S + 16);
	ck_assert_uint_eq(out.v[12], 12); /* callee-saved, no rule */
	ck_assert_uint_eq(out.v[15], 15);
	ck_assert_uint_eq(out.v[13], 13);

	/* r2: register, val_offset, undefined */
	ck_assert_int_eq(step(d, nm_addr("cfi.so", "cfi_r2"), true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(out.v[12], 13);
	ck_assert_uint_eq(out.v[14], S + 16 - 32);
	ck_assert(!(out.known & (1ull << 15)));
	ck_assert_uint_eq(out.v[RIP], RET);

	/* r3: expression, val_expression */
	ck_assert_int_eq(step(d, nm_addr("cfi.so", "cfi_r3"), true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(out.v[RBX], RET); /* [rsp+8] */
	ck_assert_uint_eq(out.v[12], (13 + 5) << 3);

	/* r4: CFA by expression; an unsupported operation loses only r14 */
	ck_assert_int_eq(step(d, nm_addr("cfi.so", "cfi_r4"), true, &in, &out, &cfa), KT_OK);
	ck_assert_uint_eq(cfa, S + 16);
	ck_assert_uint_eq(out.v[RIP], RET);
	ck_assert(!(out.known & (1ull << 14)));
	in.v[RBP] = 0x1000; /* CFA expression reads unreadable memory */
	ck_assert_int_eq(step(d, nm_addr("cfi.so", "cfi_r4"), true, &in, &out, &cfa), KT_ERR_MEM);
	in.v[RBP] = S + 0x100;

	/* r5: the return address needs an unsupported operation */
	ck_assert_int_eq(step(d, nm_addr("cfi.so", "cfi_r5"), true, &in, &out, &cfa),
			 KT_ERR_UNSUPPORTED);
	kt_dwarf_close(d);
}
END_TEST

static bool have_a64; /* clang and ld.lld built a64.so */

START_TEST(test_cfi_aarch64)
{
	struct kt_dwarf *d;
	struct kt_dwarf_regs in, out;
	struct kt_dwarf_loc loc;
	uint64_t leaf, nonleaf, cfa = 0, e, ap;

	if (!have_a64) {
		fprintf(stderr, "note: clang/ld.lld cannot build for aarch64; test skipped\n");
		return;
	}
	d = open_build("a64.so");
	leaf = nm_addr("a64.so", "a64_leaf");
	nonleaf = nm_addr("a64.so", "a64_nonleaf");
	ck_assert(kt_dwarf_function(d, "a64_nonleaf", &e, &ap));
	ck_assert_uint_eq(e, nonleaf);
	ck_assert(kt_dwarf_addr2line(d, leaf, &loc));
	ck_assert_str_eq(loc.function, "a64_leaf");

	memset(stack, 0, sizeof stack);
	memset(&in, 0, sizeof in);
	set_reg(&in, 31, S);
	set_reg(&in, 30, RET);
	set_reg(&in, 29, 0x2929);
	set_reg(&in, 19, 0x1919);
	set_reg(&in, 9, 0x99);
	/* a leaf: CFA = sp, the return address still in x30 */
	ck_assert_int_eq(kt_dwarf_cfi_step(d, BIAS, leaf + BIAS, true, &in, 30, 31, &fake_mem,
					   &out, &cfa),
			 KT_OK);
	ck_assert_uint_eq(cfa, S);
	ck_assert_uint_eq(out.v[30], RET);
	ck_assert_uint_eq(out.v[31], S);
	ck_assert_uint_eq(out.v[29], 0x2929);
	ck_assert_uint_eq(out.v[19], 0x1919);
	ck_assert(!(out.known & (1ull << 9)));

	/* after stp x29, x30, [sp, #-32]!; str x19, [sp, #16]; mov x29, sp */
	poke(S - 32, 0xf0f0);
	poke(S - 24, RET + 4);
	poke(S - 16, 0x1199);
	in.v[31] = S - 32;
	in.v[29] = S - 32;
	in.v[30] = 0x3030;
	ck_assert_int_eq(kt_dwarf_cfi_step(d, BIAS, nonleaf + 12 + BIAS, true, &in, 30, 31,
					   &fake_mem, &out, &cfa),
			 KT_OK);
	ck_assert_uint_eq(cfa, S);
	ck_assert_uint_eq(out.v[30], RET + 4);
	ck_assert_uint_eq(out.v[29], 0xf0f0);
	ck_assert_uint_eq(out.v[19], 0x1199);
	ck_assert_uint_eq(out.v[31], S);
	kt_dwarf_close(d);
}
END_TEST

#ifdef __x86_64__
static kt_status
self_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};

	(void)ctx;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len
		? KT_OK : KT_ERR_MEM;
}

static int
first_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uint64_t *)data = info->dlpi_addr;
	return 1; /* the executable comes first */
}

/* Unwind this very process by CFI, from here up to main. */
static __attribute__((noinline)) void
unwind_self(void)
{
	static const struct kt_arch_mem mem = {.read = self_read};
	static const int greg[][2] = {{0, REG_RAX}, {1, REG_RDX}, {2, REG_RCX},
				      {3, REG_RBX}, {4, REG_RSI}, {5, REG_RDI},
				      {6, REG_RBP}, {7, REG_RSP}, {8, REG_R8},
				      {9, REG_R9}, {10, REG_R10}, {11, REG_R11},
				      {12, REG_R12}, {13, REG_R13}, {14, REG_R14},
				      {15, REG_R15}, {16, REG_RIP}};
	struct kt_dwarf *d = kt_dwarf_open("/proc/self/exe");
	struct kt_dwarf_regs regs, out;
	struct kt_dwarf_loc loc;
	ucontext_t uc;
	uint64_t bias = 0, cfa = 0, last_cfa = 0;
	bool seen_self = false, seen_main = false;

	ck_assert(d != NULL);
	dl_iterate_phdr(first_phdr, &bias);
	ck_assert(getcontext(&uc) == 0);
	memset(&regs, 0, sizeof regs);
	for (size_t i = 0; i < sizeof greg / sizeof greg[0]; i++) {
		regs.v[greg[i][0]] = (uint64_t)uc.uc_mcontext.gregs[greg[i][1]];
		regs.known |= 1ull << greg[i][0];
	}
	for (int frame = 0; frame < 64 && !seen_main; frame++) {
		uint64_t pc = regs.v[RIP];
		kt_status st;

		if (kt_dwarf_addr2line(d, pc - bias - (frame > 0), &loc) && loc.function) {
			fprintf(stderr, "  #%d %#llx %s %s:%d\n", frame, (unsigned long long)pc,
				loc.function, loc.file ? loc.file : "?", loc.line);
			seen_self |= !strcmp(loc.function, "unwind_self");
			seen_main |= !strcmp(loc.function, "main");
		} else {
			fprintf(stderr, "  #%d %#llx\n", frame, (unsigned long long)pc);
		}
		if (seen_main)
			break;
		st = kt_dwarf_cfi_step(d, bias, pc, frame == 0, &regs, RIP, RSP, &mem, &out, &cfa);
		ck_assert_msg(st == KT_OK, "frame %d: %s", frame, kt_strerror(st));
		ck_assert(out.known & (1ull << RIP));
		ck_assert_uint_gt(cfa, last_cfa); /* the stack unwinds upwards */
		last_cfa = cfa;
		regs = out;
	}
	ck_assert(seen_self);
	ck_assert_msg(seen_main, "CFI unwinding did not reach main");
	kt_dwarf_close(d);
}

START_TEST(test_cfi_self)
{
	unwind_self();
}
END_TEST
#endif

/* ---- corrupt input ---- */

static void
exercise(const char *path)
{
	struct kt_dwarf *d = kt_dwarf_open(path);
	struct kt_dwarf_loc loc;
	struct kt_dwarf_regs in, out;
	uint64_t *addrs = NULL, e, ap, cfa;

	if (!d)
		return;
	memset(&in, 0, sizeof in);
	set_reg(&in, RSP, S);
	set_reg(&in, RBP, S - 8);
	for (uint64_t a = 0x1000; a < 0x1300; a += 7)
		kt_dwarf_addr2line(d, a, &loc);
	for (int l = 1; l < 45; l += 3) {
		kt_dwarf_line2addrs(d, "t_basic.c", l, &addrs);
		free(addrs);
	}
	kt_dwarf_function(d, "main", &e, &ap);
	kt_dwarf_function(d, "compute", &e, &ap);
	for (uint64_t a = 0x1000; a < 0x1300; a += 5)
		kt_dwarf_cfi_step(d, 0, a, a & 1, &in, RIP, RSP, &fake_mem, &out, &cfa);
	kt_dwarf_close(d);
}

static void
spit(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert(fd >= 0);
	ck_assert(write(fd, buf, len) == (ssize_t)len);
	close(fd);
}

START_TEST(test_truncated)
{
	char src[512], dst[512];
	size_t len;
	uint8_t *buf;

	path_of(src, sizeof src, "b0");
	path_of(dst, sizeof dst, "trunc");
	buf = slurp(src, &len);
	for (size_t cut = 0; cut < len; cut += cut < 128 ? 16 : 397) {
		spit(dst, buf, cut);
		exercise(dst);
	}
	free(buf);
}
END_TEST

START_TEST(test_bitflips)
{
	static const char *const secs[] = {".debug_info", ".debug_abbrev", ".debug_line",
					   ".debug_str", ".debug_line_str", ".eh_frame",
					   ".debug_rnglists", ".debug_aranges", ".eh_frame_hdr",
					   ".debug_frame", ".debug_loclists"};
	char src[512], dst[512];
	size_t len;
	uint8_t *orig, *buf;
	int fd;
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstr;
	struct {
		uint64_t off, size;
	} where[16];
	size_t nw = 0;
	/* KT_DWARF_FLIPS / KT_DWARF_SEED: longer runs by hand */
	const char *env_n = getenv("KT_DWARF_FLIPS"), *env_s = getenv("KT_DWARF_SEED");
	int iters = env_n ? atoi(env_n) : 300;
	unsigned seed = env_s ? (unsigned)strtoul(env_s, NULL, 0) : 12345;

	for (const char *const *b = (const char *const[]){"b0", "i2", "b4", "df", "cfi.so", NULL}; *b; b++) {
		path_of(src, sizeof src, *b);
		path_of(dst, sizeof dst, "flip");
		orig = slurp(src, &len);
		buf = malloc(len);
		ck_assert(buf != NULL);
		fd = open(src, O_RDONLY);
		elf_version(EV_CURRENT);
		e = elf_begin(fd, ELF_C_READ, NULL);
		ck_assert(e && elf_getshdrstrndx(e, &shstr) == 0);
		nw = 0;
		while ((scn = elf_nextscn(e, scn)) != NULL) {
			GElf_Shdr s;
			const char *name;

			if (!gelf_getshdr(scn, &s) || !(name = elf_strptr(e, shstr, s.sh_name)))
				continue;
			for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++)
				if (!strcmp(name, secs[i]) && s.sh_size > 0 && nw < 16) {
					where[nw].off = s.sh_offset;
					where[nw].size = s.sh_size;
					nw++;
				}
		}
		elf_end(e);
		close(fd);
		ck_assert_uint_ge(nw, 2);
		for (int iter = 0; iter < iters; iter++) {
			size_t w = (size_t)rand_r(&seed) % nw;
			int flips = 1 + rand_r(&seed) % (iter % 4 == 3 ? 40 : 6);

			memcpy(buf, orig, len);
			for (int k = 0; k < flips; k++) {
				uint64_t at = where[w].off + (uint64_t)rand_r(&seed) % where[w].size;

				if (at < len)
					buf[at] ^= (uint8_t)(1 + rand_r(&seed) % 255);
			}
			spit(dst, buf, len);
			exercise(dst);
		}
		free(buf);
		free(orig);
	}
}
END_TEST

/* ---- set up ---- */

/* The test programs into tmp: copied from $KT_FIXTURES/dwarf when it is
 * set, built by tests/unit/dwarf/build.sh otherwise.  Returns the exit
 * status main should return, or -1 to go on. */
static int
build_all(void)
{
	const char *fix = getenv("KT_FIXTURES");
	char path[1024];

	if (fix && *fix) {
		snprintf(path, sizeof path, "%s/dwarf/b0", fix);
		if (access(path, R_OK) != 0) {
			printf("FAIL: KT_FIXTURES is set, but %s is missing\n", path);
			return 1;
		}
		if (sh("cp %s/dwarf/* %s/", fix, tmp) != 0) {
			printf("FAIL: cannot copy %s/dwarf to %s\n", fix, tmp);
			return 1;
		}
	} else {
		if (system("gcc --version >/dev/null 2>&1") != 0) {
			printf("SKIP: gcc not found: check_dwarf compiles its test programs\n");
			return 77;
		}
		if (sh("sh %s/build.sh %s dwarf", srcdir, tmp) != 0) {
			printf("FAIL: cannot build the test programs in %s\n", tmp);
			return 1;
		}
	}
	path_of(path, sizeof path, "a64.so");
	have_a64 = access(path, R_OK) == 0;
	return -1;
}

static Suite *
dwarf_suite(void)
{
	Suite *s = suite_create("dwarf");
	TCase *tc = tcase_create("lines");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dwarf5_O0);
	tcase_add_test(tc, test_dwarf4_O0);
	tcase_add_test(tc, test_debuglink);
	tcase_add_test(tc, test_inline_O2);
	tcase_add_test(tc, test_no_dwarf);
	suite_add_tcase(s, tc);

	tc = tcase_create("cfi");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cfi_eh_frame);
	tcase_add_test(tc, test_cfi_debug_frame);
	tcase_add_test(tc, test_cfi_no_dwarf);
	tcase_add_test(tc, test_cfi_leaf_O2);
	tcase_add_test(tc, test_cfi_plt_and_outermost);
	tcase_add_test(tc, test_cfi_rules);
	tcase_add_test(tc, test_cfi_aarch64);
#ifdef __x86_64__
	tcase_add_test(tc, test_cfi_self);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bitflips);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (!dwarf_srcdir(srcdir, sizeof srcdir, __FILE__))
		return 1;
	snprintf(tmp, sizeof tmp, "/tmp/check_dwarf.XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	if ((failed = build_all()) >= 0) {
		sh("rm -rf %s", tmp);
		return failed;
	}
	sr = srunner_create(dwarf_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	sh("rm -rf %s", tmp);
	return failed == 0 ? 0 : 1;
}
