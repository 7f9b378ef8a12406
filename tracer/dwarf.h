/* SPDX-License-Identifier: MIT */
/*
 * dwarf.h - one ELF file's DWARF, for source lines and CFI unwinding of
 * compiled (AOT) code, through libdwarf 20210528.
 *
 * Every address in this interface is a link-time address (the address the
 * ELF file itself uses), except where a function says "runtime":
 * runtime = link + bias, with the bias of struct kt_module (modules.h): 0
 * for a non-PIE executable; for a PIE or a shared library the start of its
 * mapping at file offset 0 minus the page-rounded p_vaddr of its first
 * PT_LOAD.  Open one struct kt_dwarf per module path, on first need (its
 * cost is an open() and an fd until a query asks more), and keep it as long
 * as the module is mapped.
 *
 * Untrusted input: a corrupt or hostile file degrades to "no information"
 * (queries find nothing, CFI returns KT_ERR_NOTFOUND or KT_ERR_CORRUPT),
 * never a crash, a hang or an unbounded allocation.  Every count is capped
 * (rows, functions, compilation units, DIE depth, expression steps), and
 * libdwarf walks the DIEs of a unit only after they pass a check of their
 * own (dwarf_diecheck.c): a unit that fails gives no lines or functions.
 *
 * A struct kt_dwarf is not thread-safe: one thread uses it at a time.
 * Strings it returns live until kt_dwarf_close.
 */
#ifndef KT_DWARF_H
#define KT_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "status.h"

struct kt_dwarf;

/*
 * Open PATH (an ELF file on disk).  Returns NULL only if PATH cannot be
 * opened or is not an ELF file; a file without DWARF is not a failure, its
 * queries just find nothing.  Nothing is parsed until a query asks.  If the
 * file has no .debug_info, its separate debug file is used for lines and
 * functions (and for CFI after the file's own .eh_frame/.debug_frame):
 * /usr/lib/debug/.build-id/xx/yyyy.debug from its NT_GNU_BUILD_ID note, or
 * the .gnu_debuglink name looked up next to PATH, in PATH's dir/.debug/
 * and under /usr/lib/debug/PATH's dir/ (the CRC is not checked).
 */
struct kt_dwarf *kt_dwarf_open(const char *path);
/*
 * Open the ELF image BUF[0, LEN), a malloc'd copy of what a JIT registered
 * through the GDB JIT interface; D owns BUF from then on (it is freed by
 * kt_dwarf_close, or here on failure; it may be moved, so the caller must
 * not touch BUF afterwards) and writes into it (relocations).
 * For a relocatable (ET_REL) image the section addresses (sh_addr) must be
 * where the sections were loaded, as LLVM's RuntimeDyld sets them: the
 * DWARF and .eh_frame relocations are applied against them, so every
 * address in and out of the queries is a runtime address (bias 0).
 * Returns NULL only if BUF is NULL or not ELF; an image without DWARF or
 * CFI, or a corrupt one, just answers nothing.  Nothing is parsed until a
 * query asks.
 */
struct kt_dwarf *kt_dwarf_open_mem(void *buf, size_t len);
/* Free D and everything it returned; D may be NULL. */
void kt_dwarf_close(struct kt_dwarf *d);

#define KT_DWARF_MAX_INLINE 8
struct kt_dwarf_loc {
	const char *file;      /* the row's source file (comp_dir joined), or NULL */
	int line;              /* the row's line: inside the innermost inlined function */
	uint64_t row_addr;     /* link-time start of that row (0 without a row) */
	bool row_stmt;         /* the row is a statement (is_stmt) */
	const char *function;  /* the DW_TAG_subprogram containing addr, or NULL */
	uint64_t func_lo, func_hi; /* its range [lo, hi) that contains addr */
	/* Inlined subroutines at addr, innermost first: inlined[i] was called
	   at inl_call_file[i]:inl_call_line[i], which is code of inlined[i+1]
	   (or of function, for the last). */
	const char *inlined[KT_DWARF_MAX_INLINE];
	const char *inl_call_file[KT_DWARF_MAX_INLINE];
	int inl_call_line[KT_DWARF_MAX_INLINE];
	int ninlined;
};

/*
 * Link-time ADDR -> the line-table row covering it (file:line) and the
 * function (name and range) containing it, with the chain of inlined
 * subroutines at ADDR, innermost first.  Either part may be missing (a row
 * without a function: function NULL; a function without rows: file NULL,
 * line 0).  The first query indexes the whole file once into sorted arrays
 * (binary search afterwards; nothing is re-sorted).  Returns false if
 * neither a row nor a function covers ADDR.
 */
bool kt_dwarf_addr2line(struct kt_dwarf *d, uint64_t addr, struct kt_dwarf_loc *out);

/*
 * FILE:LINE -> the link-time addresses of the is_stmt rows for exactly that
 * line, one per function or inlined instance (the lowest), sorted.  FILE is
 * matched as a suffix on a path component boundary ("t.c" matches
 * "/x/y/t.c" but not "/x/at.c").  *OUT is malloc'd (NULL when 0 is
 * returned); the caller frees it.
 */
size_t kt_dwarf_line2addrs(struct kt_dwarf *d, const char *file, int line, uint64_t **out);

/*
 * The full name of a source file of D's line tables that ends with FILE
 * (matched as kt_dwarf_line2addrs() matches it), or NULL.  Lives until
 * kt_dwarf_close.
 */
const char *kt_dwarf_find_file(struct kt_dwarf *d, const char *file);

/*
 * Function NAME from DW_TAG_subprogram (including static functions the
 * symbol table lacks): *ENTRY is its entry (low_pc, or the first of its
 * DW_AT_ranges, which gcc lists hot part first),
 * *AFTER_PROLOGUE the address of its second line-table row (GDB's rule: the
 * first row above the entry), or the entry if there is none.  With several
 * definitions (static functions of one name) the lowest address wins.
 * Returns false if unknown.
 */
bool kt_dwarf_function(struct kt_dwarf *d, const char *name, uint64_t *entry,
		       uint64_t *after_prologue);

/* Registers in DWARF numbering: x86-64 0..16 (16 = rip), AArch64 0..32. */
#define KT_DWARF_NREGS 33
struct kt_dwarf_regs {
	uint64_t v[KT_DWARF_NREGS];
	uint64_t known; /* bit n: v[n] is valid */
};

/*
 * One CFI unwinding step.  PC is the frame's runtime pc, BIAS the module's
 * runtime - link offset; IN the frame's registers (runtime values).  For
 * every frame but the innermost (INNERMOST false) PC is a return address,
 * so PC - 1 selects the FDE and the row (a call at the end of a function).
 * On x86-64 (RA_REG 16) v[16] means rip: when its bit is clear PC is used
 * (DWARF expressions such as the PLT's read it).
 *
 * Computes the caller's registers into OUT and the frame's CFA into *CFA:
 * OUT->v[SP_REG] = CFA; OUT->v[RA_REG] = the caller's pc (the return
 * address, to be used as its PC with INNERMOST false); every register the
 * rules restore (saved at CFA+N, val_offset, register, expression); and
 * callee-saved registers without a rule, copied from IN (x86-64: rbx, rbp,
 * r12-r15; AArch64: x19-x29, and x30 as the return address at a leaf).
 * Registers not in OUT->known are unknown in the caller.
 *
 * Returns KT_OK; if the return address rule is "undefined" (the outermost
 * frame, e.g. _start), KT_OK with RA_REG clear in OUT->known: stop there.
 * KT_ERR_NOTFOUND: no FDE covers the pc (.eh_frame first, then
 * .debug_frame, then the debug file's .debug_frame): try another unwinder.
 * KT_ERR_MEM: a saved register (or a word a CFA expression reads) could
 * not be read through MEM.  KT_ERR_UNSUPPORTED: the CFA or the return
 * address needs a register not in IN, or a DWARF expression operation this
 * evaluator lacks (it has constants, breg, stack, arithmetic, comparisons,
 * deref, skip/bra: enough for the PLT's CFA expression); such a rule for
 * any other register just leaves it unknown.  KT_ERR_CORRUPT: bad CFI.
 * KT_ERR_INVAL: bad arguments (ra_reg or sp_reg >= KT_DWARF_NREGS).  Memory
 * is read as 8-byte little-endian words through MEM->read (MEM->write is
 * never used).  PC is not checked against the FDE's CIE return address
 * column: RA_REG is what the caller says.
 */
kt_status kt_dwarf_cfi_step(struct kt_dwarf *d, uint64_t bias, uint64_t pc, bool innermost,
			    const struct kt_dwarf_regs *in, unsigned ra_reg, unsigned sp_reg,
			    const struct kt_arch_mem *mem, struct kt_dwarf_regs *out,
			    uint64_t *cfa);

#ifdef KT_DWARF_INTERNAL
/* Shared by tracer/dwarf*.c only. */
#include <libdwarf.h>

/* LEB128 at *P (below END): its low 64 bits in *V, *P past it, *LAST its
 * final byte and *SHIFT the bits it held; false when it is cut short or
 * longer than 10 bytes. */
static inline bool
kt_dw_leb(const uint8_t **p, const uint8_t *end, uint64_t *v, uint8_t *last,
	  unsigned *shift)
{
	uint64_t r = 0;
	unsigned sh = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (sh < 64)
			r |= (uint64_t)(b & 0x7f) << sh;
		sh += 7;
		if (!(b & 0x80)) {
			*v = r;
			*last = b;
			*shift = sh;
			return true;
		}
		if (sh > 70)
			return false;
	}
	return false;
}

static inline bool
kt_dw_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint8_t last;
	unsigned shift;

	return kt_dw_leb(p, end, v, &last, &shift);
}

static inline bool
kt_dw_sleb(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	uint64_t r;
	uint8_t last;
	unsigned shift;

	if (!kt_dw_leb(p, end, &r, &last, &shift))
		return false;
	if (shift < 64 && (last & 0x40))
		r |= ~0ull << shift; /* sign-extend */
	*v = (int64_t)r;
	return true;
}

struct kt_dw_row {
	uint64_t addr;
	uint32_t file;  /* string index */
	int32_t line;
	uint32_t seq;   /* order of the row in its file, for a stable sort */
	uint8_t end;    /* end_sequence row: covers nothing */
	uint8_t stmt;   /* is_stmt */
};

struct kt_dw_func {
	uint64_t lo, hi;
	uint32_t name;      /* string index */
	uint32_t call_file; /* string index (inlined only) */
	int32_t call_line;
	uint32_t die;       /* which DIE (ranges of one DIE share it) */
	uint16_t depth;     /* inlined nesting depth (1 = directly in the function) */
	uint8_t entry;      /* this range holds the function's entry */
};

struct kt_dw_memobj;
struct kt_dw_units;

struct kt_dw_file {
	int fd;
	Dwarf_Debug dbg;   /* NULL: no DWARF */
	struct kt_dw_memobj *obj;      /* in-memory image (dwarf_obj.c), or NULL */
	Dwarf_Obj_Access_Interface iface; /* ... its access methods: libdwarf keeps a pointer */
	int elf_type;      /* e_type */
	bool has_info;     /* has .debug_info */
	bool lists_bad;    /* bad .debug_rnglists/loclists: never load .debug_info */
	bool lines_bad;    /* a .debug_line header libdwarf would misread: no lines */
	bool units_tried;  /* units was set up (dwarf_units.c) */
	struct kt_dw_units *units; /* its .debug_info units and their checks; NULL:
	                              none may be walked */
	bool cfi_loaded;
	Dwarf_Cie *eh_cies, *df_cies;
	Dwarf_Fde *eh_fdes, *df_fdes;
	Dwarf_Signed eh_ncie, eh_nfde, df_ncie, df_nfde;
};

struct kt_dwarf {
	char *path;         /* NULL for an image in memory */
	unsigned char *mem; /* the image in memory (kt_dwarf_open_mem), owned */
	size_t memlen;
	bool opened;        /* kt_dw_load ran */
	bool indexed;       /* kt_dw_index ran */
	struct kt_dw_file main, debug;  /* debug.dbg: the separate debug file */
	/* strings (file and function names), interned */
	char **str;
	size_t nstr, capstr;
	uint32_t *strhash;  /* open addressing, index + 1, 0 = empty */
	size_t hashcap;
	/* index */
	struct kt_dw_row *rows;
	size_t nrows, caprows;
	struct kt_dw_func *funcs, *inl;
	size_t nfuncs, capfuncs, ninl, capinl;
	uint32_t seqno;     /* rows indexed so far (their order) */
	size_t budget;      /* DIEs visited so far (also a DIE id) */
	/* per-CU indexing by address (kt_dw_index_at) */
	bool aranges_tried;
	struct kt_dw_arange *ar; /* .debug_aranges, sorted by lo */
	size_t nar, capar;
	uint64_t *cus_done; /* DIE offsets of the CUs indexed */
	size_t ncus_done, capcus_done;
};

struct kt_dw_arange {
	uint64_t lo, hi;
	uint64_t cu; /* CU DIE offset */
};

#define KT_DW_NOSTR UINT32_MAX
/* Zero bytes kt_dwarf_open_mem appends to an image. */
#define KT_DW_MEM_PAD 4096
/* libdwarf rule table size: x86-64 (0..16) and AArch64 (0..32), with room
   for the vector registers some CFI mentions (their rules are ignored). */
#define KT_DW_RULES 128

/* Open the DWARF handles (main file, debug file) once. */
void kt_dw_load(struct kt_dwarf *d);
/* Open the in-memory image's handle (dwarf_obj.c); kt_dw_load calls it. */
void kt_dw_load_mem(struct kt_dwarf *d);
void kt_dw_memobj_free(struct kt_dw_memobj *o);
/* Set up a freshly opened handle's frame-rule table. */
void kt_dw_file_setup(struct kt_dw_file *f);
/* Are these .debug_rnglists/.debug_loclists headers safe for libdwarf? */
bool kt_dw_lists_ok(const unsigned char *p, size_t size);
/* Is NAME a section libdwarf reads as .debug_rnglists or .debug_loclists
   (also .zdebug_ and .dwo forms)? */
bool kt_dw_lists_name(const char *name);
/* Is NAME a section libdwarf reads as .debug_line (.zdebug_, .dwo forms)? */
bool kt_dw_line_name(const char *name);
/* Is NAME a section libdwarf reads as .debug_WHAT (WHAT "line", "info",
   "abbrev"...): .debug_WHAT or .zdebug_WHAT, either with ".dwo" after? */
bool kt_dw_sec_name(const char *name, const char *what);
/* Are these .debug_line headers safe for libdwarf (dwarf_linecheck.c)?
   The sizes of .debug_line_str and .debug_str bound string offsets
   (UINT64_MAX: unknown). */
bool kt_dw_lines_ok(const unsigned char *p, size_t size, uint64_t line_str_size,
		    uint64_t str_size);
/* The path of file FNO of the DWARF 5 line table at UNIT in .debug_line
   LINE[0, SIZE), joined with its directory when relative, into BUF; false
   if it is not a well-formed DWARF 5 table with that file (paths given as
   DW_FORM_string or DW_FORM_line_strp into LSTR[0, LSTR_SIZE)).  Used for
   in-memory objects instead of libdwarf's dwarf_linesrc. */
bool kt_dw_v5_file(const unsigned char *line, size_t size, uint64_t unit,
		   const unsigned char *lstr, size_t lstr_size, uint64_t fno, char *buf, size_t len);
/* An in-memory image's section NAME (relocated), or NULL (dwarf_obj.c). */
const unsigned char *kt_dw_mem_section(struct kt_dwarf *d, const char *name, size_t *size);
/* Room for one more element of SIZE bytes at the end of the array *V of *N
   (room for *CAP), growing it (dwarf_lines.c): the element, uninitialized,
   counted in *N; NULL when it holds MAX already or memory is short (*V is
   then unchanged). */
void *kt_dw_push(void **v, size_t *n, size_t *cap, size_t size, size_t max);

/* ---- the DIE check (dwarf_diecheck.c, dwarf_units.c) ---- */

/* A parsed abbreviation table, kept between units that share it. */
struct kt_dw_abbrevs;
void kt_dw_abbrevs_free(struct kt_dw_abbrevs *t);
/*
 * May libdwarf walk the DIEs of the unit at OFF of .debug_info
 * INFO[0, NINFO), with abbreviations from ABBREV[0, NABBREV)?  True only
 * when the unit's header, its abbreviation table and every DIE in it pass
 * the check described in dwarf_diecheck.c; false for NULL sections.
 * CACHE, if not NULL, keeps the last table parsed (*CACHE NULL at first;
 * free it with kt_dw_abbrevs_free); the sections must not change while it
 * is kept.
 */
bool kt_dw_unit_check(const unsigned char *info, size_t ninfo, uint64_t off,
		      const unsigned char *abbrev, size_t nabbrev, struct kt_dw_abbrevs **cache);
/* The bounds of the unit at OFF of INFO[0, SIZE): *DIE its first DIE and
   *NEXT where the next unit starts (0: its length is bad, no unit can be
   found after it).  False when its header is bad (*DIE is then 0).  Only
   the header is read: at most KT_DW_UNIT_HEADER_MAX bytes from OFF. */
#define KT_DW_UNIT_HEADER_MAX 40 /* 64-bit DWARF 5 type unit */
bool kt_dw_unit_bounds(const unsigned char *info, size_t size, uint64_t off, uint64_t *die,
		       uint64_t *next);

/* The sections libdwarf reads DIEs from, being found: give every section
   (index IDX, NAME) to kt_dw_pick_see, in order, starting from zeros. */
struct kt_dw_pick {
	unsigned info, abbrev[2]; /* section indexes ([1]: the .dwo form) */
	unsigned ninfo, nabbrev[2];
	bool info_dwo, zdebug;
};
void kt_dw_pick_see(struct kt_dw_pick *p, unsigned idx, const char *name);
/* The .debug_info and .debug_abbrev libdwarf reads, in *INFO and *ABBREV;
   false when there is no .debug_info or it cannot be told for sure (two
   candidates, no .debug_abbrev, .zdebug compression). */
bool kt_dw_pick_which(const struct kt_dw_pick *p, unsigned *info, unsigned *abbrev);
/* The units of INFO[0, NINFO) with abbreviations in ABBREV[0, NABBREV),
   nothing checked yet; the bytes must outlive it.  NULL if either is NULL
   or memory is short. */
struct kt_dw_units *kt_dw_units_new(const unsigned char *info, size_t ninfo,
				    const unsigned char *abbrev, size_t nabbrev);
void kt_dw_units_free(struct kt_dw_units *u);
/*
 * Does .debug_info offset OFF of F lie among the DIEs of a unit that
 * passed kt_dw_unit_check (FIRST: is it that unit's first DIE)?  Ask it
 * before libdwarf reads a DIE there (dwarf_offdie_b).  A unit is checked
 * on the first ask and the answer kept; a file's sections are read (and
 * decompressed) on the first ask of all.  False when F's units cannot be
 * checked (see dwarf_units.c).
 */
bool kt_dw_off_ok(struct kt_dw_file *f, uint64_t off, bool first);
/* The same for a DIE libdwarf made (FIRST: it is the first DIE of its
   unit), which also must see the unit where the check saw it: same header
   offset, same length.  Ask it before walking from DIE (dwarf_child,
   dwarf_siblingof_b). */
bool kt_dw_die_ok(struct kt_dw_file *f, Dwarf_Die die, bool first);

/* Build the line and function index once (dwarf_lines.c). */
void kt_dw_index(struct kt_dwarf *d);
/* Index at least what covers ADDR: only its compilation unit when
   .debug_aranges names one (a large debug file is then not read whole for
   one address), else everything (kt_dw_index). */
void kt_dw_index_at(struct kt_dwarf *d, uint64_t addr);
/* Interned string I, or NULL. */
static inline const char *
kt_dw_str(const struct kt_dwarf *d, uint32_t i)
{
	return i < d->nstr ? d->str[i] : NULL;
}
/* The index of S, interned in D (dwarf_strings.c), or KT_DW_NOSTR (S NULL,
   longer than 4096 bytes, or too many names). */
uint32_t kt_dw_intern(struct kt_dwarf *d, const char *s);
/* Free a libdwarf error, if any (never abort: errors are always returned). */
void kt_dw_err(Dwarf_Debug dbg, Dwarf_Error *err);
#endif

#endif
