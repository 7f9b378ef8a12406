/* SPDX-License-Identifier: MIT */
/*
 * dwarf_obj.c - DWARF from an ELF image in memory: the images a JIT hands
 * to debuggers through the GDB JIT interface (gdbjit.c).  The only place
 * that reads ELF section headers and applies relocations by hand.
 *
 * libdwarf's own ELF reader (dwarf_elf_init_b) ignores sh_addr for
 * relocatable objects, and LLVM's RuntimeDyld registers exactly those:
 * ET_REL images whose allocated sections have sh_addr patched to where
 * they were loaded.  So libdwarf gets the image through its object access
 * interface (dwarf_object_init_b) and this file relocates every section
 * that has a .rela section first (before the headers are checked), with S = the symbol's value plus
 * its section's sh_addr: every address the queries see is a runtime
 * address.  Every header, offset, index and relocation is checked against
 * the image first (invariant 5).
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include <libdwarf/dwarf.h> /* not tracer/dwarf.h */

#define MAX_SECTIONS 4096

struct kt_dw_memobj {
	char tag; /* libdwarf's dwarf_finish peeks at the first byte; we never call it */
	const unsigned char *img;
	unsigned char *mut; /* the same bytes, written by relocation */
	size_t len;
	unsigned machine;
	unsigned nsec;
	Elf64_Shdr *sh;     /* validated copies */
	const char **names; /* "" for a bad name or a compressed section */
	bool *relocated;
};

static bool
in_image(const struct kt_dw_memobj *o, uint64_t off, uint64_t size)
{
	return off <= o->len && size <= o->len - off;
}

static int
mo_section_info(void *obj, Dwarf_Half idx, Dwarf_Obj_Access_Section *s, int *error)
{
	struct kt_dw_memobj *o = obj;
	const Elf64_Shdr *h;

	(void)error;
	if (idx >= o->nsec)
		return DW_DLV_NO_ENTRY;
	h = &o->sh[idx];
	s->addr = h->sh_addr;
	s->type = h->sh_type;
	s->size = h->sh_type == SHT_NOBITS ? 0 : h->sh_size;
	s->name = o->names[idx];
	s->link = h->sh_link;
	s->info = h->sh_info;
	s->entrysize = h->sh_entsize;
	return DW_DLV_OK;
}

static Dwarf_Endianness
mo_byte_order(void *obj)
{
	(void)obj;
	return DW_OBJECT_LSB;
}

static Dwarf_Small
mo_length_size(void *obj)
{
	(void)obj;
	return 4;
}

static Dwarf_Small
mo_pointer_size(void *obj)
{
	(void)obj;
	return 8;
}

static Dwarf_Unsigned
mo_section_count(void *obj)
{
	return ((struct kt_dw_memobj *)obj)->nsec;
}

static int
mo_load_section(void *obj, Dwarf_Half idx, Dwarf_Small **data, int *error)
{
	struct kt_dw_memobj *o = obj;

	if (idx >= o->nsec || o->sh[idx].sh_type == SHT_NOBITS)
		return DW_DLV_NO_ENTRY;
	/* validated when the image was opened */
	*data = o->mut + o->sh[idx].sh_offset;
	(void)error;
	return DW_DLV_OK;
}

/* Width of relocation TYPE for MACHINE (0: not applied), PC-relative or not. */
static unsigned
reloc_width(unsigned machine, uint32_t type, bool *pcrel)
{
	*pcrel = false;
	if (machine == EM_X86_64) {
		switch (type) {
		case R_X86_64_64:
			return 8;
		case R_X86_64_32:
		case R_X86_64_32S:
			return 4;
		case R_X86_64_PC32:
			*pcrel = true;
			return 4;
		case R_X86_64_PC64:
			*pcrel = true;
			return 8;
		}
	} else if (machine == EM_AARCH64) {
		switch (type) {
		case R_AARCH64_ABS64:
			return 8;
		case R_AARCH64_ABS32:
			return 4;
		case R_AARCH64_PREL32:
			*pcrel = true;
			return 4;
		case R_AARCH64_PREL64:
			*pcrel = true;
			return 8;
		}
	}
	return 0;
}

/* Apply one RELA section R to its target section T. */
static void
apply_rela(struct kt_dw_memobj *o, const Elf64_Shdr *r, unsigned t)
{
	const Elf64_Shdr *sym, *tgt = &o->sh[t];
	size_t nrel, nsym;

	if (r->sh_link >= o->nsec || r->sh_entsize != sizeof(Elf64_Rela))
		return;
	sym = &o->sh[r->sh_link];
	if (sym->sh_type != SHT_SYMTAB || sym->sh_entsize != sizeof(Elf64_Sym))
		return;
	nrel = r->sh_size / sizeof(Elf64_Rela);
	nsym = sym->sh_size / sizeof(Elf64_Sym);
	for (size_t i = 0; i < nrel; i++) {
		Elf64_Rela rel;
		Elf64_Sym s;
		uint64_t S, v;
		unsigned w;
		bool pcrel;

		memcpy(&rel, o->img + r->sh_offset + i * sizeof rel, sizeof rel);
		w = reloc_width(o->machine, (uint32_t)ELF64_R_TYPE(rel.r_info), &pcrel);
		if (w == 0 || ELF64_R_SYM(rel.r_info) >= nsym || rel.r_offset > tgt->sh_size ||
		    tgt->sh_size - rel.r_offset < w)
			continue;
		memcpy(&s, o->img + sym->sh_offset + ELF64_R_SYM(rel.r_info) * sizeof s, sizeof s);
		S = s.st_value;
		if (s.st_shndx != SHN_UNDEF && s.st_shndx < o->nsec)
			S += o->sh[s.st_shndx].sh_addr;
		v = S + (uint64_t)rel.r_addend;
		if (pcrel)
			v -= tgt->sh_addr + rel.r_offset;
		/* little-endian, as the image was checked to be */
		memcpy(o->mut + tgt->sh_offset + rel.r_offset, &v, w);
	}
}

/* Apply the .rela sections of section IDX, once (kt_dw_load_mem does it for
 * every section; libdwarf calls it again after loading one). */
static int
mo_relocate(void *obj, Dwarf_Half idx, Dwarf_Debug dbg, int *error)
{
	struct kt_dw_memobj *o = obj;

	(void)dbg;
	(void)error;
	if (idx >= o->nsec || o->relocated[idx] || o->sh[idx].sh_type == SHT_NOBITS)
		return DW_DLV_OK;
	o->relocated[idx] = true;
	for (unsigned r = 1; r < o->nsec; r++)
		if (o->sh[r].sh_type == SHT_RELA && o->sh[r].sh_info == idx)
			apply_rela(o, &o->sh[r], idx);
	return DW_DLV_OK;
}

/*
 * libdwarf 20210528 asks for section flags (SHF_COMPRESSED) through a
 * process-wide function pointer that its own ELF reader sets on first use
 * and never resets, and calls it with whatever object it is setting up:
 * after any dwarf_init_b, our object would be read as its ELF reader's
 * (a crash, or DW_DLE_SECTION_INDEX_BAD).  The pointer is exported but not
 * declared in its headers; the tracer is one thread, so it is pointed at
 * mo_flags for the duration of dwarf_object_init_b and restored after.
 */
extern int (*_dwarf_get_elf_flags_func_ptr)(void *obj, Dwarf_Half idx, Dwarf_Unsigned *flags,
					    Dwarf_Unsigned *addralign, int *error);

static int
mo_flags(void *obj, Dwarf_Half idx, Dwarf_Unsigned *flags, Dwarf_Unsigned *addralign,
	 int *error)
{
	struct kt_dw_memobj *o = obj;

	(void)error;
	*flags = 0;
	*addralign = 0;
	if (idx < o->nsec) {
		/* compressed sections were hidden (no name) */
		*flags = o->sh[idx].sh_flags & ~(Dwarf_Unsigned)SHF_COMPRESSED;
		*addralign = o->sh[idx].sh_addralign;
	}
	return DW_DLV_OK;
}

static const Dwarf_Obj_Access_Methods mo_methods = {
	mo_section_info, mo_byte_order, mo_length_size, mo_pointer_size,
	mo_section_count, mo_load_section, mo_relocate,
};

void
kt_dw_memobj_free(struct kt_dw_memobj *o)
{
	if (!o)
		return;
	free(o->sh);
	free(o->names);
	free(o->relocated);
	free(o);
}

/* Check the image's headers; NULL if it is not a sane little-endian ELF64. */
static struct kt_dw_memobj *
parse(unsigned char *img, size_t len)
{
	Elf64_Ehdr eh;
	struct kt_dw_memobj *o;
	const Elf64_Shdr *str;

	if (len < sizeof eh)
		return NULL;
	memcpy(&eh, img, sizeof eh);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shnum == 0 || eh.e_shnum > MAX_SECTIONS || eh.e_shstrndx >= eh.e_shnum ||
	    !in_image(&(struct kt_dw_memobj){.len = len}, eh.e_shoff,
		      (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr)))
		return NULL;
	o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->tag = 'K';
	o->img = o->mut = img;
	o->len = len;
	o->machine = eh.e_machine;
	o->nsec = eh.e_shnum;
	o->sh = malloc(o->nsec * sizeof *o->sh);
	o->names = calloc(o->nsec, sizeof *o->names);
	o->relocated = calloc(o->nsec, sizeof *o->relocated);
	if (!o->sh || !o->names || !o->relocated) {
		kt_dw_memobj_free(o);
		return NULL;
	}
	memcpy(o->sh, img + eh.e_shoff, o->nsec * sizeof *o->sh);
	for (unsigned i = 0; i < o->nsec; i++) {
		Elf64_Shdr *h = &o->sh[i];

		if (h->sh_type != SHT_NOBITS && !in_image(o, h->sh_offset, h->sh_size)) {
			kt_dw_memobj_free(o);
			return NULL;
		}
	}
	str = &o->sh[eh.e_shstrndx];
	/* a NOBITS section's offset was not checked: no pointer from it */
	const char *base = str->sh_type == SHT_NOBITS ? NULL : (const char *)img + str->sh_offset;
	for (unsigned i = 0; i < o->nsec; i++) {
		uint32_t n = o->sh[i].sh_name;

		o->names[i] = "";
		if (!base || n >= str->sh_size ||
		    !memchr(base + n, '\0', str->sh_size - n) ||
		    (o->sh[i].sh_flags & SHF_COMPRESSED))
			continue;
		o->names[i] = base + n;
	}
	return o;
}

/* The bytes of the section named NAME, or NULL. */
static const unsigned char *
section(const struct kt_dw_memobj *o, const char *name, size_t *size)
{
	for (unsigned i = 1; i < o->nsec; i++)
		if (o->sh[i].sh_type != SHT_NOBITS && !strcmp(o->names[i], name)) {
			*size = o->sh[i].sh_size;
			return o->img + o->sh[i].sh_offset;
		}
	return NULL;
}

void
kt_dw_load_mem(struct kt_dwarf *d)
{
	struct kt_dw_file *f = &d->main;
	struct kt_dw_memobj *o = parse(d->mem, d->memlen);
	Dwarf_Error err = NULL;
	const unsigned char *p;
	size_t size = 0;
	Elf64_Ehdr eh;

	if (!o)
		return;
	memcpy(&eh, d->mem, sizeof eh);
	f->elf_type = eh.e_type;
	/* Relocate everything now, so the checks below see the final bytes. */
	for (unsigned i = 1; i < o->nsec; i++)
		if (!(o->sh[i].sh_flags & SHF_EXECINSTR)) /* code: not ours to read */
			mo_relocate(o, (Dwarf_Half)i, NULL, NULL);
	f->has_info = section(o, ".debug_info", &size) && size > 0;
	size_t lstr = 0, str = 0;
	section(o, ".debug_line_str", &lstr);
	section(o, ".debug_str", &str);
	for (unsigned i = 1; i < o->nsec; i++)
		if (o->sh[i].sh_type != SHT_NOBITS && kt_dw_line_name(o->names[i]) &&
		    (o->names[i][1] == 'z' || !kt_dw_lines_ok(o->img + o->sh[i].sh_offset,
							       o->sh[i].sh_size, lstr, str)))
			f->lines_bad = true;
	/* line-table paths are read from these without a bound */
	if (((p = section(o, ".debug_line_str", &size)) && size && p[size - 1]) ||
	    ((p = section(o, ".debug_str", &size)) && size && p[size - 1]))
		f->lines_bad = true;
	for (unsigned i = 1; i < o->nsec; i++)
		if (o->sh[i].sh_type != SHT_NOBITS && kt_dw_lists_name(o->names[i]) &&
		    (o->names[i][1] == 'z' ||
		     !kt_dw_lists_ok(o->img + o->sh[i].sh_offset, o->sh[i].sh_size)))
			f->lists_bad = true; /* (.zdebug: compressed, not checked) */
	/* the DIEs libdwarf may walk: checked in these relocated bytes */
	struct kt_dw_pick pick = {0};
	unsigned info, abbrev;
	for (unsigned i = 1; i < o->nsec; i++)
		kt_dw_pick_see(&pick, i, o->names[i]);
	f->units_tried = true;
	if (kt_dw_pick_which(&pick, &info, &abbrev) && o->sh[info].sh_type != SHT_NOBITS &&
	    o->sh[abbrev].sh_type != SHT_NOBITS &&
	    /* relocated now even if flagged as code: libdwarf would later */
	    mo_relocate(o, (Dwarf_Half)info, NULL, NULL) == DW_DLV_OK &&
	    mo_relocate(o, (Dwarf_Half)abbrev, NULL, NULL) == DW_DLV_OK)
		f->units = kt_dw_units_new(o->img + o->sh[info].sh_offset, o->sh[info].sh_size,
					   o->img + o->sh[abbrev].sh_offset, o->sh[abbrev].sh_size);
	f->iface.object = o;
	f->iface.methods = &mo_methods;
	f->obj = o;
	int (*saved)(void *, Dwarf_Half, Dwarf_Unsigned *, Dwarf_Unsigned *, int *) =
		_dwarf_get_elf_flags_func_ptr;
	_dwarf_get_elf_flags_func_ptr = mo_flags;
	int rc = dwarf_object_init_b(&f->iface, NULL, NULL, DW_GROUPNUMBER_ANY, &f->dbg, &err);
	_dwarf_get_elf_flags_func_ptr = saved;
	if (rc != DW_DLV_OK) {
		kt_dw_err(NULL, &err);
		f->dbg = NULL;
		f->obj = NULL;
		kt_dw_memobj_free(o);
		return;
	}
	kt_dw_file_setup(f);
}

const unsigned char *
kt_dw_mem_section(struct kt_dwarf *d, const char *name, size_t *size)
{
	*size = 0;
	return d->main.obj ? section(d->main.obj, name, size) : NULL;
}
