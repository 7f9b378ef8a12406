/* SPDX-License-Identifier: MIT */
/*
 * check_kitjit.c - unit tests of libkitjit through its public API and the
 * way a tracer sees it: the anchor, the registry found through it (and
 * through /proc/self/fd, as kitrace maps it), the debug hook called only
 * when the tracer's filter may match, self-healing of a stray int3/BRK in
 * a forked child, fork giving the child its own registry, and the GDB JIT
 * interface announcement.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kitjit.h"
#include "registry.h"

/* What the tracer finds by symbol name. */
extern struct kt_jreg_anchor kitjit_anchor;

static void *
reg_base(void)
{
	ck_assert_uint_eq(__atomic_load_n(&kitjit_anchor.state, __ATOMIC_ACQUIRE), KT_ANCHOR_READY);
	return (void *)(uintptr_t)kitjit_anchor.registry_addr;
}

static size_t
reg_size(void)
{
	return (size_t)kitjit_anchor.registry_size;
}

/* Find the newest change for NAME after *CURSOR; its kind, or 0. */
static int
find_change(const void *base, size_t len, uint64_t *cursor, const char *name,
	    struct kt_jreg_change *out)
{
	struct kt_jreg_view v;
	struct kt_jreg_change c;
	int kind = 0;

	ck_assert_int_eq(kt_jreg_open(base, len, &v), KT_OK);
	while (kt_jreg_next_change(&v, cursor, &c) == KT_OK) {
		if (strcmp(c.name, name) == 0) {
			kind = (int)c.kind;
			if (out)
				*out = c;
		}
	}
	return kind;
}

static int code_bytes[64];

START_TEST(test_anchor_and_registry)
{
	struct kitjit_line rows[2] = {{0, 7}, {8, 9}};
	struct kitjit_info info = {.struct_size = sizeof(info),
				   .file = "x.js",
				   .lines = rows,
				   .nlines = 2,
				   .unwind = {.kind = KITJIT_UNWIND_FP, .prologue_len = 4}};
	kitjit_code *c = kitjit_add_ex("anchored", code_bytes, 16, &info);
	struct kt_jreg_view v;
	struct kt_jreg_change ch;
	struct kt_jreg_lines l;
	struct kt_jreg_unwind u;
	uint64_t cur = 0;
	uint32_t line;

	ck_assert_ptr_nonnull(c);
	{
		struct kt_jreg_anchor a;

		ck_assert_int_eq(kt_jreg_anchor_parse(&kitjit_anchor, sizeof(kitjit_anchor), &a),
				 KT_OK);
		ck_assert_uint_eq(a.registry_addr, kitjit_anchor.registry_addr);
	}
	ck_assert_mem_eq(kitjit_anchor.magic, KT_ANCHOR_MAGIC, 8);
	ck_assert_uint_eq(kitjit_anchor.version, KT_ANCHOR_VERSION);
	ck_assert_uint_eq(kitjit_anchor.anchor_size, sizeof(struct kt_jreg_anchor));
	ck_assert_uint_eq(kitjit_anchor.registry_size, KT_JREG_DEFAULT_SIZE);
	ck_assert_uint_ne(kitjit_anchor.hook_addr, 0);
	ck_assert_int_eq(kt_jreg_open(reg_base(), reg_size(), &v), KT_OK);
	ck_assert_uint_eq(v.pid, (uint32_t)getpid());
	ck_assert_uint_ne(v.scratch_addr, 0);
	ck_assert_uint_eq(v.scratch_slots, 64);
	ck_assert_uint_eq(v.scratch_slot_size, 128);

	ck_assert_int_eq(find_change(reg_base(), reg_size(), &cur, "anchored", &ch), KT_JREG_ADDED);
	ck_assert_uint_eq(ch.start, (uintptr_t)code_bytes);
	ck_assert_uint_eq(ch.size, 16);
	ck_assert_int_eq(kt_jreg_lines(&v, &ch, &l), KT_OK);
	ck_assert_str_eq(l.file, "x.js");
	ck_assert_int_eq(kt_jreg_line_at(&l, 9, &line), KT_OK);
	ck_assert_uint_eq(line, 9);
	ck_assert_int_eq(kt_jreg_unwind(&v, &ch, &u), KT_OK);
	ck_assert_uint_eq(u.kind, KITJIT_UNWIND_FP);

	kitjit_remove(c);
	ck_assert_int_eq(find_change(reg_base(), reg_size(), &cur, "anchored", NULL),
			 KT_JREG_REMOVED);
	kitjit_remove(NULL);
}
END_TEST

/* The zero-copy path: map the memfd through /proc/PID/fd/N. */
START_TEST(test_memfd_mapping)
{
	char path[64], target[256];
	ssize_t n;
	int fd;
	void *p;
	uint64_t cur = 0;
	kitjit_code *c = kitjit_add("via_memfd", code_bytes, 8);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_ge(kitjit_anchor.memfd, 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), kitjit_anchor.memfd);
	n = readlink(path, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = 0;
	ck_assert_ptr_nonnull(strstr(target, "kitjit-registry"));
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	p = mmap(NULL, reg_size(), PROT_READ, MAP_SHARED | MAP_NORESERVE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	ck_assert_int_eq(find_change(p, reg_size(), &cur, "via_memfd", NULL), KT_JREG_ADDED);
	munmap(p, reg_size());
	kitjit_remove(c);
}
END_TEST

START_TEST(test_errors)
{
	errno = 0;
	ck_assert_ptr_null(kitjit_add(NULL, code_bytes, 1));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(kitjit_add("zero", code_bytes, 0));
	ck_assert_int_eq(errno, EINVAL);
	{
		struct kitjit_info bad = {.struct_size = 1};

		errno = 0;
		ck_assert_ptr_null(kitjit_add_ex("bad", code_bytes, 1, &bad));
		ck_assert_int_eq(errno, EINVAL);
	}
	{
		struct kitjit_info cfi = {.struct_size = sizeof(cfi),
					  .unwind = {.kind = KITJIT_UNWIND_CFI}};

		errno = 0;
		ck_assert_ptr_null(kitjit_add_ex("nocfi", code_bytes, 1, &cfi));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

static uint64_t
hook_calls(void)
{
	return __atomic_load_n(&kitjit_anchor.hook_calls, __ATOMIC_RELAXED);
}

START_TEST(test_hook_filter)
{
	uint64_t before;
	char name[32];

	kitjit_add("warmup", code_bytes, 1);
	ck_assert_int_eq(kt_jreg_filter_clear(reg_base(), reg_size()), KT_OK);
	before = hook_calls();
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_ptr_nonnull(kitjit_add(name, code_bytes, 1));
	}
	ck_assert_uint_eq(hook_calls(), before);

	/* A pending name: only its registration calls the hook. */
	ck_assert_int_eq(kt_jreg_filter_add(reg_base(), reg_size(), "pending_fn"), KT_OK);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		ck_assert_ptr_nonnull(kitjit_add(name, code_bytes, 1));
	}
	ck_assert_uint_eq(hook_calls(), before);
	ck_assert_ptr_nonnull(kitjit_add("pending_fn", code_bytes, 1));
	ck_assert_uint_eq(hook_calls(), before + 1);

	ck_assert_int_eq(kt_jreg_filter_set(reg_base(), reg_size(), NULL, 0, true), KT_OK);
	for (int i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(kitjit_add("any", code_bytes, 1));
	ck_assert_uint_eq(hook_calls(), before + 11);
	ck_assert_int_eq(kt_jreg_filter_clear(reg_base(), reg_size()), KT_OK);
	ck_assert_ptr_nonnull(kitjit_add("pending_fn", code_bytes, 1));
	ck_assert_uint_eq(hook_calls(), before + 11);
}
END_TEST

/* ---- self-healing ---- */

static __attribute__((noinline, noclone)) int
heal_target(int x)
{
	__asm__ volatile("");
	return x * 6 + 0;
}

#if defined(__x86_64__)
static const uint8_t trap_insn[] = {0xcc};
#elif defined(__aarch64__)
static const uint8_t trap_insn[] = {0x00, 0x00, 0x20, 0xd4}; /* brk #0 */
#endif

static int
poke_self(uintptr_t addr, const void *bytes, size_t n)
{
	int fd = open("/proc/self/mem", O_RDWR);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = pwrite(fd, bytes, n, (off_t)addr);
	close(fd);
	__builtin___clear_cache((char *)addr, (char *)addr + n);
	return w == (ssize_t)n ? 0 : -1;
}

/* Child body: 0 when healing worked. */
static int
heal_child(void)
{
	int (*volatile fn)(int) = heal_target;
	uintptr_t addr = (uintptr_t)fn;
	uint8_t orig[sizeof(trap_insn)];
	uint32_t slot;
	struct kt_jreg_view v;
	struct kt_jreg_patch rec;

	memcpy(orig, (const void *)addr, sizeof(orig));
	if (kitjit_heal_install() != 0)
		return 1;
	if (kt_jreg_journal_add(reg_base(), reg_size(), addr, orig, trap_insn, sizeof(trap_insn), 0,
				&slot) != KT_OK)
		return 2;
	if (poke_self(addr, trap_insn, sizeof(trap_insn)) != 0)
		return 3;
	if (memcmp((const void *)addr, trap_insn, sizeof(trap_insn)) != 0)
		return 4;
	if (fn(7) != 42)
		return 5;
	if (memcmp((const void *)addr, orig, sizeof(orig)) != 0)
		return 6;
	if (kt_jreg_open(reg_base(), reg_size(), &v) != KT_OK ||
	    kt_jreg_journal_get(&v, slot, &rec) != KT_ERR_NOTFOUND)
		return 7;
	if (fn(1) != 6)
		return 8;
	return 0;
}

static int
run_child(int (*body)(void), int *sig)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(body());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_heal)
{
	int sig;

	kitjit_add("heal_warmup", code_bytes, 1);
	ck_assert_int_eq(run_child(heal_child, &sig), 0);
	ck_assert_int_eq(sig, 0);
}
END_TEST

static volatile sig_atomic_t old_handler_calls;

static void
old_handler(int sig)
{
	old_handler_calls++;
}

/* A trap that is not in the journal goes to the handler installed before. */
static int
chain_child(void)
{
	signal(SIGTRAP, old_handler);
	if (kitjit_heal_install() != 0)
		return 1;
	raise(SIGTRAP);
	return old_handler_calls == 1 ? 0 : 2;
}

/* With no handler before, such a trap still kills the process. */
static int
default_child(void)
{
	if (kitjit_heal_install() != 0)
		return 1;
	raise(SIGTRAP);
	return 2;
}

/* A trap at a journalled address whose bytes are no longer our patch (the
 * JIT rewrote them) is not healed: invariant 2. */
static int
rewritten_child(void)
{
	int (*volatile fn)(int) = heal_target;
	uintptr_t addr = (uintptr_t)fn;
	uint8_t fake[sizeof(trap_insn)];
	uint32_t slot;

	memset(fake, 0x90, sizeof(fake));
	if (kitjit_heal_install() != 0)
		return 1;
	/* Journal says the patch is 0x90..., memory holds a trap: not ours. */
	if (kt_jreg_journal_add(reg_base(), reg_size(), addr, (const uint8_t *)addr, fake,
				sizeof(fake), 0, &slot) != KT_OK)
		return 2;
	if (poke_self(addr, trap_insn, sizeof(trap_insn)) != 0)
		return 3;
	fn(1);
	return 4;
}

START_TEST(test_heal_chain)
{
	int sig;

	kitjit_add("heal_warmup", code_bytes, 1);
	ck_assert_int_eq(run_child(chain_child, &sig), 0);
	ck_assert_int_eq(run_child(default_child, &sig), -1);
	ck_assert_int_eq(sig, SIGTRAP);
	ck_assert_int_eq(run_child(rewritten_child, &sig), -1);
	ck_assert_int_eq(sig, SIGTRAP);
}
END_TEST

/* ---- fork ---- */

static kitjit_code *parent_handle; /* set before fork */

static int
fork_child(void)
{
	uint64_t cur = 0;

	if (!kitjit_add("in_child", code_bytes, 1))
		return 1;
	/* Handles from before the fork work on the child's copy. */
	kitjit_remove(parent_handle);
	cur = 0;
	if (find_change(reg_base(), reg_size(), &cur, "in_parent", NULL) != KT_JREG_REMOVED)
		return 6;
	cur = 0;
	if (kitjit_anchor.state != KT_ANCHOR_READY)
		return 2;
	if (find_change(reg_base(), reg_size(), &cur, "in_child", NULL) != KT_JREG_ADDED)
		return 4;
	return ((const struct kt_jreg_header *)reg_base())->pid == (uint32_t)getpid() ? 0 : 5;
}

START_TEST(test_fork)
{
	uint64_t cur = 0;
	int sig;
	kitjit_code *c = kitjit_add("in_parent", code_bytes, 1);

	ck_assert_ptr_nonnull(c);
	parent_handle = c;
	ck_assert_int_eq(run_child(fork_child, &sig), 0);
	/* The parent's registry saw neither the child's add nor its remove. */
	ck_assert_int_eq(find_change(reg_base(), reg_size(), &cur, "in_child", NULL), 0);
	cur = 0;
	ck_assert_int_eq(find_change(reg_base(), reg_size(), &cur, "in_parent", NULL),
			 KT_JREG_ADDED);
}
END_TEST

/* ---- GDB JIT interface ---- */

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

extern struct jit_descriptor __jit_debug_descriptor;

/* The name of the one function symbol in the in-memory ELF E. */
static const char *
elf_func_name(const struct jit_code_entry *e, uint64_t *value)
{
	const Elf64_Ehdr *eh = (const void *)e->symfile_addr;
	const Elf64_Shdr *sh;

	ck_assert_uint_ge(e->symfile_size, sizeof(*eh));
	ck_assert_mem_eq(eh->e_ident, ELFMAG, SELFMAG);
	ck_assert_uint_le(eh->e_shoff + eh->e_shnum * sizeof(Elf64_Shdr), e->symfile_size);
	sh = (const void *)(e->symfile_addr + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		sym = (const void *)(e->symfile_addr + sh[i].sh_offset);
		ck_assert_uint_eq(ELF64_ST_TYPE(sym[1].st_info), STT_FUNC);
		*value = sym[1].st_value;
		return e->symfile_addr + sh[sh[i].sh_link].sh_offset + sym[1].st_name;
	}
	return NULL;
}

START_TEST(test_gdb)
{
	kitjit_code *a, *b;
	uint64_t value = 0;

	ck_assert_int_eq(kitjit_gdb_announce(1), 0);
	ck_assert_uint_eq(__jit_debug_descriptor.version, 1);
	a = kitjit_add("gdb_a", code_bytes, 8);
	b = kitjit_add("gdb_b", code_bytes + 4, 8);
	ck_assert_ptr_nonnull(__jit_debug_descriptor.first_entry);
	ck_assert_str_eq(elf_func_name(__jit_debug_descriptor.first_entry, &value), "gdb_b");
	ck_assert_uint_eq(value, (uintptr_t)(code_bytes + 4));
	ck_assert_str_eq(elf_func_name(__jit_debug_descriptor.first_entry->next_entry, &value),
			 "gdb_a");
	kitjit_remove(b);
	ck_assert_str_eq(elf_func_name(__jit_debug_descriptor.first_entry, &value), "gdb_a");
	ck_assert_ptr_null(__jit_debug_descriptor.first_entry->next_entry);
	kitjit_remove(a);
	ck_assert_ptr_null(__jit_debug_descriptor.first_entry);
	ck_assert_int_eq(kitjit_gdb_announce(0), 1);
	kitjit_remove(kitjit_add("gdb_off", code_bytes, 8));
	ck_assert_ptr_null(__jit_debug_descriptor.first_entry);
}
END_TEST

/* ---- environment, read at load time: run ourselves again ---- */

/* Play a launching tracer that asks to be told when the registry exists:
 * runs before libkitjit's constructor (priority 101 < default). */
__attribute__((constructor(101))) static void
early_notify(void)
{
	if (getenv("WANT_NOTIFY"))
		kitjit_anchor.tracer_flags |= KT_ANCHOR_NOTIFY;
}

/* Body of "check_kitjit --env-child": report what the constructor did. */
static int
env_child(void)
{
	struct sigaction sa;
	const char *want_fd = getenv("WANT_FD");
	const char *other_fd = getenv("WANT_NOT_FD");
	const char *want_size = getenv("WANT_SIZE");

	if (kitjit_anchor.state != KT_ANCHOR_READY)
		return 10;
	if (want_fd && kitjit_anchor.memfd != atoi(want_fd))
		return 11;
	if (other_fd && kitjit_anchor.memfd == atoi(other_fd))
		return 15;
	if (getenv("KITJIT_REGISTRY_FD"))
		return 16; /* consumed: our children must not inherit it */
	if (want_fd && !(fcntl(atoi(want_fd), F_GETFD) & FD_CLOEXEC))
		return 17;
	/* NOTIFY: exactly one hook call so far, made when it was created. */
	if (kitjit_anchor.hook_calls != (getenv("WANT_NOTIFY") ? 1u : 0u))
		return 18;
	if (want_size && kitjit_anchor.registry_size != strtoull(want_size, NULL, 0))
		return 12;
	if (sigaction(SIGTRAP, NULL, &sa) != 0 || !(sa.sa_flags & SA_SIGINFO))
		return 13; /* KITJIT_HEAL=1 installed the handler */
	if (!kitjit_add("from_env_child", code_bytes, 4))
		return 14;
	return 0;
}

static int
run_self(const char *const env[])
{
	const char *argv[] = {"check_kitjit", "--env-child", NULL};
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execve("/proc/self/exe", (char *const *)argv, (char *const *)env);
		_exit(99);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_env_launch)
{
	size_t len = 4u << 20;
	int fd = memfd_create("launcher-registry", 0);
	char fdvar[64], wantfd[64], notfd[64], sizevar[64];
	void *p;
	uint64_t cur = 0;
	struct kt_jreg_view v;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
	snprintf(fdvar, sizeof(fdvar), "KITJIT_REGISTRY_FD=%d", fd);
	snprintf(wantfd, sizeof(wantfd), "WANT_FD=%d", fd);
	snprintf(notfd, sizeof(notfd), "WANT_NOT_FD=%d", fd);
	snprintf(sizevar, sizeof(sizevar), "WANT_SIZE=%zu", len);
	{
		const char *env[] = {fdvar, wantfd, sizevar, "KITJIT_HEAL=1", NULL};

		ck_assert_int_eq(run_self(env), 0);
	}
	/* What the child registered is in the launcher's memfd. */
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(find_change(p, len, &cur, "from_env_child", NULL), KT_JREG_ADDED);
	/* A used registry belongs to that process: the next one makes its own. */
	{
		const char *env[] = {fdvar, notfd, "KITJIT_HEAL=1", NULL};

		ck_assert_int_eq(run_self(env), 0);
		ck_assert_int_eq(kt_jreg_open(p, len, &v), KT_OK);
		ck_assert_uint_eq(kt_jreg_generation(&v), 1);
	}
	munmap(p, len);
	close(fd);
	{
		const char *env[] = {"KITJIT_REGISTRY_SIZE=1M", "WANT_SIZE=1048576",
				     "KITJIT_HEAL=1", "WANT_NOTIFY=1", NULL};

		ck_assert_int_eq(run_self(env), 0);
	}
}
END_TEST

static Suite *
kitjit_suite(void)
{
	Suite *s = suite_create("kitjit");
	TCase *tc = tcase_create("library");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_anchor_and_registry);
	tcase_add_test(tc, test_memfd_mapping);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_hook_filter);
	tcase_add_test(tc, test_heal);
	tcase_add_test(tc, test_heal_chain);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_gdb);
	tcase_add_test(tc, test_env_launch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	if (argc > 1 && strcmp(argv[1], "--env-child") == 0)
		return env_child();
	sr = srunner_create(kitjit_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
