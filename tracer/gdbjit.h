/* SPDX-License-Identifier: MIT */
/*
 * gdbjit.h - JIT code announced through the GDB JIT interface, read out
 * of process: the __jit_debug_descriptor of each module that defines one
 * (LLVM's lli and libLLVM, libkitjit with KITJIT_GDB=1), its list of
 * jit_code_entry records, and the in-memory ELF image each names.  Symbols
 * come from the image's symbol table (libelf); source lines, functions and
 * CFI from its DWARF and .eh_frame (tracer/dwarf_obj.c), opened only when
 * a query first needs them.
 *
 * The list is walked again only when asked (a query, a stop, the
 * registration breakpoint) and only when the descriptor changed since the
 * last walk (its first entry, its relevant entry or its action); an image
 * is read once per entry (known by entry address, image address and size).
 * The breakpoint on __jit_debug_register_code is planted only while a
 * breakpoint is pending (invariant 7): a registration never stops the
 * process otherwise.
 *
 * Untrusted input (invariant 5): images are capped at 64 MiB, the list at
 * 1 << 20 entries, a cycle ends the walk, and a corrupt image just has no
 * symbols.
 */
#ifndef KT_GDBJIT_H
#define KT_GDBJIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "modules.h"
#include "session.h"

struct kt_dwarf;

#define KT_GDBJIT_MAX_RANGES 8

/* What one image holds (gdbjit_image.c): code ranges, function symbols. */
struct kt_gdbjit_image {
	uint32_t nranges;
	uint64_t lo[KT_GDBJIT_MAX_RANGES], len[KT_GDBJIT_MAX_RANGES];
	struct kt_sym *syms; /* runtime addresses, sorted; names point into strs */
	size_t nsyms;
	char *strs;
};

/*
 * Index the ELF image IMG[0, LEN) into *OUT (zeroed first by the caller):
 * executable allocated sections with a load address (sh_addr != 0) as code
 * ranges (at most KT_GDBJIT_MAX_RANGES), and STT_FUNC symbols at runtime
 * addresses: st_value, plus its section's sh_addr for a relocatable image
 * (symbols of sections not loaded are skipped).  A corrupt image yields
 * fewer or no entries.  IMG is only read; it may be freed afterwards.
 */
void kt_gdbjit_image_index(struct kt_gdbjit_image *out, char *img, size_t len);
/* Free what kt_gdbjit_image_index allocated; *IM is empty afterwards. */
void kt_gdbjit_image_free(struct kt_gdbjit_image *im);

/* Look for __jit_debug_descriptor in modules not checked yet. */
void kt_gdbjit_discover(struct kt_session *s);
/* Walk the entry lists that changed since the last walk; read new images. */
void kt_gdbjit_sync(struct kt_session *s);
/* Fill OUT (source "gdb-jit") if ADDR is in code of a registered image. */
bool kt_gdbjit_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out);
/* Entry addresses of functions NAME in registered images; *out malloc'd. */
size_t kt_gdbjit_lookup(struct kt_session *s, const char *name, uint64_t **out);
/* Addresses of FILE:LINE in registered images with DWARF (each image's
 * DWARF is read on first need), appended to *OUT (realloc'd, *N updated). */
void kt_gdbjit_line2addrs(struct kt_session *s, const char *file, int line, uint64_t **out,
			  size_t *n);
/* If ENTRY is the entry of a function of a registered image with DWARF:
 * *AFTER the address of its second line-table row (GDB's rule for "break
 * FUNCTION"), true.  False otherwise. */
bool kt_gdbjit_after_prologue(struct kt_session *s, uint64_t entry, uint64_t *after);
/* The DWARF (lines, CFI; runtime addresses, bias 0) of the image whose
 * code holds PC, or NULL.  Owned by the image. */
struct kt_dwarf *kt_gdbjit_dwarf(struct kt_session *s, uint64_t pc);
/* Plant the registration breakpoint if a breakpoint is pending, lift it if
 * none is (VIA: a stopped thread). */
void kt_gdbjit_update_hook(struct kt_session *s, pid_t via);
/* Is ADDR our breakpoint on __jit_debug_register_code? */
bool kt_gdbjit_is_hook(struct kt_session *s, uint64_t addr);
/* VIA stopped at __jit_debug_register_code: read what was registered and
 * resolve pending breakpoints before the new code runs. */
void kt_gdbjit_hook(struct kt_session *s, pid_t via);
/* Print the "info jit" part for GDB JIT images to F; returns the number
 * of descriptors found (0: the process has no GDB JIT interface). */
size_t kt_gdbjit_info(struct kt_session *s, FILE *f);
/* Times the registration breakpoint was hit (KITRACE_STATS). */
unsigned long kt_gdbjit_hook_hits(const struct kt_session *s);
/* Forget everything (exec, detach, end). */
void kt_gdbjit_free(struct kt_session *s);

#endif
