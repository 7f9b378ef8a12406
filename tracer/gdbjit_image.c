/* SPDX-License-Identifier: MIT */
/*
 * gdbjit_image.c - what one GDB JIT image holds for the symbol lookup: its
 * code ranges (executable sections with a load address) and its function
 * symbols at load addresses, read with libelf from a copy of the image.
 * Pure code over a byte range (no process, no session), so the fuzzer runs
 * it directly (tests/fuzz/fuzz_elfmem.c).
 */
#include "gdbjit.h"

#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OBJ_SYMS 65536
#define MAX_NAME 4096

static int
sym_cmp(const void *a, const void *b)
{
	const struct kt_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void
kt_gdbjit_image_index(struct kt_gdbjit_image *o, char *img, size_t len)
{
	Elf *e;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t nsec = 0, cap = 0, strused = 0, strcap = 0;

	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_memory(img, len)))
		return;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || elf_getshdrnum(e, &nsec) != 0 ||
	    nsec > 4096)
		goto out;
	/* code ranges: executable sections with a load address */
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
		    !(sh.sh_flags & SHF_ALLOC) || sh.sh_addr == 0 || sh.sh_size == 0 ||
		    sh.sh_addr + sh.sh_size < sh.sh_addr || o->nranges >= KT_GDBJIT_MAX_RANGES)
			continue;
		o->lo[o->nranges] = sh.sh_addr;
		o->len[o->nranges++] = sh.sh_size;
	}
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize == 0 ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n && o->nsyms < MAX_OBJ_SYMS; i++) {
			GElf_Sym sym;
			GElf_Shdr ts;
			Elf_Scn *tscn;
			if (!gelf_getsym(d, (int)i, &sym))
				break;
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_shndx >= nsec)
				continue;
			uint64_t addr = sym.st_value;
			if (eh.e_type == ET_REL) {
				if (!(tscn = elf_getscn(e, sym.st_shndx)) || !gelf_getshdr(tscn, &ts) ||
				    ts.sh_addr == 0)
					continue; /* not loaded */
				addr += ts.sh_addr;
			}
			const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			size_t nl = strnlen(name, MAX_NAME) + 1;
			if (nl > MAX_NAME)
				continue;
			if (o->nsyms == cap) {
				size_t ncap = cap ? cap * 2 : 4;
				struct kt_sym *nv = realloc(o->syms, ncap * sizeof(*nv));
				if (!nv)
					break;
				o->syms = nv;
				cap = ncap;
			}
			if (strused + nl > strcap) {
				size_t ncap = strcap ? strcap * 2 : 256;
				while (ncap < strused + nl)
					ncap *= 2;
				char *ns = realloc(o->strs, ncap);
				if (!ns)
					break;
				o->strs = ns;
				strcap = ncap;
			}
			memcpy(o->strs + strused, name, nl);
			o->syms[o->nsyms].addr = addr;
			o->syms[o->nsyms].size = sym.st_size;
			o->syms[o->nsyms].name = (const char *)(uintptr_t)strused; /* fixed below */
			o->nsyms++;
			strused += nl;
		}
		break;
	}
	for (size_t i = 0; i < o->nsyms; i++)
		o->syms[i].name = o->strs + (uintptr_t)o->syms[i].name;
	if (o->nsyms > 1)
		qsort(o->syms, o->nsyms, sizeof(*o->syms), sym_cmp);
out:
	elf_end(e);
}

void
kt_gdbjit_image_free(struct kt_gdbjit_image *im)
{
	free(im->syms);
	free(im->strs);
	memset(im, 0, sizeof(*im));
}
