/* SPDX-License-Identifier: MIT */
/*
 * modules.h - the ELF objects mapped into the process (executable, shared
 * libraries, the vDSO), found in /proc/PID/maps, and the symbol lookup
 * over them and over the other symbol sources.
 *
 * Symbols of a module are loaded lazily with libelf the first time an
 * address or a name in it is asked for, and indexed once (sorted by
 * address).  Lookups answer where a symbol came from (invariant 8).
 */
#ifndef KT_MODULES_H
#define KT_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct kt_session;

struct kt_sym {
	uint64_t addr;  /* link-time value; add the module's bias */
	uint64_t size;
	const char *name;
};

/* One mapping of a module's file: [lo, hi) shows the file from offset off. */
struct kt_map_range {
	uint64_t lo, hi, off;
};

/* One PT_LOAD segment: file bytes [off, off + filesz) load at link address vaddr. */
struct kt_load_seg {
	uint64_t off, vaddr, filesz;
};

#define KT_MODULE_MAX_RANGES 64
#define KT_MODULE_MAX_LOADS 16

struct kt_module {
	char *path;       /* as /proc/PID/maps names it: "/usr/lib/.../libc.so.6", "[vdso]" */
	const char *name; /* basename, for display */
	uint64_t lo, hi;  /* lowest and highest mapped address */
	uint64_t bias;    /* load bias: runtime address = link address + bias */
	uint64_t map_lo0; /* start of the mapping at file offset 0 */
	/* Its mappings: [lo, hi) may have gaps of other memory (V8 maps a copy
	 * of node's builtins next to its JIT code).  nranges == SIZE_MAX: too many
	 * to list, the whole extent counts. */
	struct kt_map_range ranges[KT_MODULE_MAX_RANGES];
	size_t nranges;
	/* Its segments, to name code in a second mapping of the same file
	 * (node's remapped builtins) by file offset. */
	struct kt_load_seg loads[KT_MODULE_MAX_LOADS];
	size_t nloads;
	bool loaded;      /* symbols read (or tried) */
	bool layout_read; /* bias and loads[] read from the program headers */
	bool seen;        /* still mapped at the last refresh */
	bool exec;        /* ... and executable somewhere */
	bool fresh;       /* added by the refresh under way */
	bool is_main;     /* the executable */
	bool jit_checked; /* searched for a kitjit_anchor (jit.c) */
	bool gdbjit_checked; /* searched for __jit_debug_descriptor (gdbjit.c) */
	bool dw_tried;    /* kt_module_dwarf() opened (or tried) dw */
	struct kt_dwarf *dw;
	struct kt_sym *syms;
	size_t nsyms;
	char *strs;       /* string pool the names point into */
	char *data_name;  /* the last data symbol looked up (a condition may */
	uint64_t data_addr, data_size; /* name one at every hit), 0: none */
};

struct kt_modules {
	struct kt_module **v; /* sorted by lo */
	size_t n, cap;
	unsigned long missed_at; /* os->resumes + 1 at the last refresh for a miss */
};

/* Where an address is, as the symbol sources know it. */
struct kt_symbol_info {
	const char *function; /* NULL if unknown */
	uint64_t offset;      /* pc - function start */
	uint64_t start;
	uint64_t size;        /* of the function, 0 if unknown */
	const char *module;   /* basename or NULL */
	const char *module_path;
	const char *source;   /* "elf", "registry", "gdb-jit", "perf-map", or NULL */
	const char *file;     /* source file, or NULL */
	int line;             /* 0 if unknown */
	uint64_t line_addr;   /* start of the line-table row covering the address,
	                         0 if unknown (then any change of line is a new line) */
	bool line_stmt;       /* that row starts a statement (always, for registry lines) */
};

/*
 * Re-read /proc/PID/maps: add modules that appeared, drop those that are
 * gone.  *added (may be NULL) is set to the number of new modules.
 */
kt_status kt_modules_refresh(struct kt_session *s, size_t *added);
void kt_modules_free(struct kt_session *s);
/* The module with a mapping holding ADDR, or NULL. */
struct kt_module *kt_module_for_addr(struct kt_session *s, uint64_t addr);
struct kt_module *kt_module_main(struct kt_session *s);
struct kt_module *kt_module_by_name(struct kt_session *s, const char *suffix);

/* Load the module's symbols if not yet done (errors leave it empty). */
void kt_module_load(struct kt_session *s, struct kt_module *m);

/* What is at ADDR?  Always fills OUT (fields NULL/0 when unknown). */
void kt_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out);

/*
 * Every runtime address of function NAME, in every module (or only in
 * modules added since FROM_MODULE if >= 0).  Returns the count; *out is
 * malloc'd (free it), NULL when the count is 0.
 */
size_t kt_lookup_function(struct kt_session *s, const char *name, uint64_t **out);

/* M's DWARF (lines, functions, CFI), opened on first use; NULL if none. */
struct kt_dwarf *kt_module_dwarf(struct kt_session *s, struct kt_module *m);

/* Runtime address of data symbol NAME (STT_OBJECT) in M, or 0. */
uint64_t kt_module_data_symbol(struct kt_session *s, struct kt_module *m, const char *name);

/* As above, and the symbol's size in *SIZE (may be NULL) when found. */
uint64_t kt_module_data_symbol_size(struct kt_session *s, struct kt_module *m, const char *name,
				    uint64_t *size);
/*
 * Data symbol NAME (STT_OBJECT) of the executable, else of another mapped
 * module: its runtime address and size.  False if none has it.
 */
bool kt_lookup_data(struct kt_session *s, const char *name, uint64_t *addr, uint64_t *size);

/* The e_machine of the ELF file at PATH, or 0. */
unsigned kt_elf_machine(const char *path);

#endif
