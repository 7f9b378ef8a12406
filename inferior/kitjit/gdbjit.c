/* SPDX-License-Identifier: MIT */
/*
 * gdbjit.c - the optional GDB JIT interface announcement: for every range
 * published while it is on, a minimal in-memory ELF object (a .text
 * section of type SHT_NOBITS at the code's address, and a .symtab naming
 * the function) is linked into the standard __jit_debug_descriptor list
 * and announced through __jit_debug_register_code(); kitjit_remove()
 * unlinks and announces it again.  This is the only file that defines the
 * GDB interface symbols; they are weak, so a program (or a JIT library such
 * as LLVM) that defines its own wins and we join its list.
 *
 * Process-wide state (documented): the on/off switch, the lock that
 * serialises the descriptor (GDB's protocol needs one), and the table from
 * entry index to the announced object.  Off by default; a GDB-only cost,
 * with a malloc and a lock per registration.
 */
#include "kitjit.h"

#include <elf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kitjit_int.h"

/* The GDB JIT interface, layout version 1 (GDB manual, "JIT Interface"). */
enum { JIT_NOACTION = 0, JIT_REGISTER_FN, JIT_UNREGISTER_FN };

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

KJ_EXPORT void __jit_debug_register_code(void);
extern KJ_EXPORT struct jit_descriptor __jit_debug_descriptor;

KJ_EXPORT KJ_HOOK_ATTRS __attribute__((weak)) void
__jit_debug_register_code(void)
{
	__asm__ volatile("" ::: "memory");
}

KJ_EXPORT __attribute__((weak)) struct jit_descriptor __jit_debug_descriptor = {1, JIT_NOACTION,
										NULL, NULL};

static int gdb_on;
static int gdb_used; /* set once anything was announced */
static pthread_mutex_t gdb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jit_code_entry **gdb_by_index;
static size_t gdb_cap;

static const char gdb_shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
enum { SH_NULL, SH_TEXT, SH_SYMTAB, SH_STRTAB, SH_SHSTRTAB, SH_COUNT };

/* Build the ELF object for one range; malloc'd, its size in *LEN. */
static char *
build_elf(const char *name, uint64_t start, uint64_t size, size_t *len)
{
	size_t name_len = strnlen(name, KT_JREG_NAME_MAX);
	size_t sym_off = sizeof(Elf64_Ehdr);
	size_t str_off = sym_off + 2 * sizeof(Elf64_Sym);
	size_t shstr_off = str_off + name_len + 2;
	size_t sh_off = (shstr_off + sizeof(gdb_shstrtab) + 7) & ~(size_t)7;
	size_t total = sh_off + SH_COUNT * sizeof(Elf64_Shdr);
	char *buf = calloc(1, total);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)buf;
	Elf64_Sym *sym;
	Elf64_Shdr *sh;

	if (!buf)
		return NULL;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_EXEC;
#if defined(__aarch64__)
	eh->e_machine = EM_AARCH64;
#else
	eh->e_machine = EM_X86_64;
#endif
	eh->e_version = EV_CURRENT;
	eh->e_shoff = sh_off;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = SH_COUNT;
	eh->e_shstrndx = SH_SHSTRTAB;

	sym = (Elf64_Sym *)(void *)(buf + sym_off);
	sym[1].st_name = 1;
	sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
	sym[1].st_shndx = SH_TEXT;
	sym[1].st_value = start;
	sym[1].st_size = size;
	memcpy(buf + str_off + 1, name, name_len);
	memcpy(buf + shstr_off, gdb_shstrtab, sizeof(gdb_shstrtab));

	sh = (Elf64_Shdr *)(void *)(buf + sh_off);
	sh[SH_TEXT] = (Elf64_Shdr){.sh_name = 1,
				   .sh_type = SHT_NOBITS,
				   .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				   .sh_addr = start,
				   .sh_offset = sh_off,
				   .sh_size = size,
				   .sh_addralign = 1};
	sh[SH_SYMTAB] = (Elf64_Shdr){.sh_name = 7,
				     .sh_type = SHT_SYMTAB,
				     .sh_offset = sym_off,
				     .sh_size = 2 * sizeof(Elf64_Sym),
				     .sh_link = SH_STRTAB,
				     .sh_info = 1,
				     .sh_addralign = 8,
				     .sh_entsize = sizeof(Elf64_Sym)};
	sh[SH_STRTAB] = (Elf64_Shdr){.sh_name = 15,
				     .sh_type = SHT_STRTAB,
				     .sh_offset = str_off,
				     .sh_size = name_len + 2,
				     .sh_addralign = 1};
	sh[SH_SHSTRTAB] = (Elf64_Shdr){.sh_name = 23,
				       .sh_type = SHT_STRTAB,
				       .sh_offset = shstr_off,
				       .sh_size = sizeof(gdb_shstrtab),
				       .sh_addralign = 1};
	*len = total;
	return buf;
}

int
kj_gdb_enabled(void)
{
	return __atomic_load_n(&gdb_on, __ATOMIC_RELAXED);
}

KJ_EXPORT int
kitjit_gdb_announce(int on)
{
	return __atomic_exchange_n(&gdb_on, on ? 1 : 0, __ATOMIC_RELAXED);
}

void
kj_gdb_from_env(void)
{
	const char *s = getenv("KITJIT_GDB");

	if (s && strcmp(s, "1") == 0)
		kitjit_gdb_announce(1);
}

void
kj_gdb_register(uint32_t index, const char *name, uint64_t start, uint64_t size)
{
	struct jit_code_entry *e = calloc(1, sizeof(*e));
	size_t len;
	char *elf = build_elf(name, start, size, &len);

	if (!e || !elf)
		goto fail;
	e->symfile_addr = elf;
	e->symfile_size = len;
	pthread_mutex_lock(&gdb_lock);
	if (index >= gdb_cap) {
		size_t cap = gdb_cap ? gdb_cap : 64;
		struct jit_code_entry **t;

		while (cap <= index)
			cap *= 2;
		t = realloc(gdb_by_index, cap * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&gdb_lock);
			goto fail;
		}
		memset(t + gdb_cap, 0, (cap - gdb_cap) * sizeof(*t));
		gdb_by_index = t;
		gdb_cap = cap;
	}
	e->next_entry = __jit_debug_descriptor.first_entry;
	if (e->next_entry)
		e->next_entry->prev_entry = e;
	__jit_debug_descriptor.first_entry = e;
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = JIT_REGISTER_FN;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = JIT_NOACTION;
	gdb_by_index[index] = e;
	__atomic_store_n(&gdb_used, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&gdb_lock);
	return;
fail:
	free(elf);
	free(e);
}

void
kj_gdb_unregister(uint32_t index)
{
	struct jit_code_entry *e;

	if (!__atomic_load_n(&gdb_used, __ATOMIC_ACQUIRE))
		return; /* the usual case: no lock on kitjit_remove() */
	pthread_mutex_lock(&gdb_lock);
	e = index < gdb_cap ? gdb_by_index[index] : NULL;
	if (!e) {
		pthread_mutex_unlock(&gdb_lock);
		return;
	}
	gdb_by_index[index] = NULL;
	if (e->prev_entry)
		e->prev_entry->next_entry = e->next_entry;
	else
		__jit_debug_descriptor.first_entry = e->next_entry;
	if (e->next_entry)
		e->next_entry->prev_entry = e->prev_entry;
	__jit_debug_descriptor.relevant_entry = e;
	__jit_debug_descriptor.action_flag = JIT_UNREGISTER_FN;
	__jit_debug_register_code();
	__jit_debug_descriptor.action_flag = JIT_NOACTION;
	__jit_debug_descriptor.relevant_entry = NULL;
	pthread_mutex_unlock(&gdb_lock);
	free((void *)(uintptr_t)e->symfile_addr);
	free(e);
}
