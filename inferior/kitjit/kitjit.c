/* SPDX-License-Identifier: MIT */
/*
 * kitjit.c - libkitjit's registry: the exported anchor and debug hook,
 * creating the process's registry (a memfd mapped shared), the scratch
 * slots for displaced stepping, kitjit_add()/kitjit_remove(), and keeping
 * a fork child from writing into its parent's registry.
 *
 * Process-wide state, all of it here: kitjit_anchor (exported, must be a
 * global for a tracer to find it) and `kj` (the writer and the mapping it
 * describes).  It is written once, while the anchor state is CREATING, and
 * published by the release store of READY; a fork child replaces it in its
 * atfork handler, when it is the only thread.
 *
 * The registry is created by the library constructor, so a tracer that
 * attaches finds it even before the first registration; if kitjit_add()
 * runs before the constructor (from another constructor), it is created
 * there instead.
 */
#include "kitjit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kitjit_int.h"
#include "registry.h"

#define KJ_SCRATCH_SLOTS 64u
#define KJ_SCRATCH_SLOT_SIZE 128u

KJ_EXPORT struct kt_jreg_anchor kitjit_anchor = {
	.magic = KT_ANCHOR_MAGIC,
	.version = KT_ANCHOR_VERSION,
	.anchor_size = sizeof(struct kt_jreg_anchor),
	.state = KT_ANCHOR_NONE,
	.memfd = -1,
};

static struct {
	struct kt_jreg_writer w;
	void *map;
	uint64_t size;
	int fd;
} kj = {.fd = -1};

KJ_EXPORT KJ_HOOK_ATTRS void
kitjit_debug_hook(uint32_t reason, const void *registry, uint64_t gen)
{
	__asm__ volatile("" : : "r"(reason), "r"(registry), "r"(gen) : "memory");
}

static void
call_hook(uint32_t reason, uint64_t gen)
{
	__atomic_fetch_add(&kitjit_anchor.hook_calls, 1, __ATOMIC_RELAXED);
	kitjit_debug_hook(reason, kj.map, gen);
}

/* KITJIT_REGISTRY_SIZE: bytes, with an optional K, M or G suffix. */
static uint64_t
registry_size(void)
{
	const char *s = getenv("KITJIT_REGISTRY_SIZE");
	unsigned long long n;
	char *end;
	long page = sysconf(_SC_PAGESIZE);

	if (!s || !*s)
		return KT_JREG_DEFAULT_SIZE;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s)
		return KT_JREG_DEFAULT_SIZE;
	switch (*end) {
	case 'k':
	case 'K':
		n <<= 10;
		break;
	case 'm':
	case 'M':
		n <<= 20;
		break;
	case 'g':
	case 'G':
		n <<= 30;
		break;
	default:
		break;
	}
	if (n < KT_JREG_MIN_SIZE)
		n = KT_JREG_MIN_SIZE;
	if (n > (1ull << 40))
		n = 1ull << 40;
	if (page > 0)
		n = (n + (uint64_t)page - 1) & ~((uint64_t)page - 1);
	return n;
}

/*
 * Map a registry handed over by a launching tracer in KITJIT_REGISTRY_FD:
 * an fd of a memfd or file that is empty (we format it) or formatted but
 * unused (the tracer formatted it, say to set the filter first).  One
 * registry serves one process: the variable is removed from the
 * environment and the fd made close-on-exec, so programs this one runs do
 * not write into it, and a registry with entries already is refused (it
 * belongs to a process that ran before).  0, or -1 to create our own.
 */
static int
map_inherited(void)
{
	const char *s = getenv("KITJIT_REGISTRY_FD");
	const struct kt_jreg_header *h;
	struct stat st;
	char *end;
	long fd;
	void *p;
	kt_status rc;

	if (!s || !*s)
		return -1;
	fd = strtol(s, &end, 10);
	unsetenv("KITJIT_REGISTRY_FD");
	if (*end || end == s || fd < 0 || fd > 65535 || fstat((int)fd, &st) != 0 ||
	    st.st_size < (off_t)KT_JREG_MIN_SIZE)
		return -1;
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 (int)fd, 0);
	if (p == MAP_FAILED)
		return -1;
	rc = kt_jreg_writer_attach(&kj.w, p, (uint64_t)st.st_size);
	h = p;
	if (rc == KT_OK && (__atomic_load_n(&h->log_reserved, __ATOMIC_ACQUIRE) ||
			    __atomic_load_n(&h->entries_reserved, __ATOMIC_ACQUIRE)))
		rc = KT_ERR_BUSY;
	if (rc == KT_ERR_NOTFOUND)
		rc = kt_jreg_writer_format(&kj.w, p, (uint64_t)st.st_size, (uint32_t)getpid());
	if (rc != KT_OK) {
		munmap(p, (size_t)st.st_size);
		return -1;
	}
	kj.map = p;
	kj.size = (uint64_t)st.st_size;
	kj.fd = (int)fd;
	return 0;
}

/* Create and map a fresh registry of SIZE bytes into kj. 0 or -1. */
static int
map_new(uint64_t size)
{
	int fd = memfd_create("kitjit-registry", MFD_CLOEXEC);
	void *p;

	if (fd >= 0 && ftruncate(fd, (off_t)size) != 0) {
		KT_SAVE_ERRNO(close(fd));
		return -1;
	}
	/* Without memfd the tracer falls back to process_vm_readv. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_NORESERVE | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
	if (p == MAP_FAILED) {
		if (fd >= 0)
			KT_SAVE_ERRNO(close(fd));
		return -1;
	}
	if (kt_jreg_writer_format(&kj.w, p, size, (uint32_t)getpid()) != KT_OK) {
		munmap(p, size);
		if (fd >= 0)
			close(fd);
		errno = EINVAL;
		return -1;
	}
	kj.map = p;
	kj.size = size;
	kj.fd = fd;
	return 0;
}

static void
publish_anchor(void)
{
	kitjit_anchor.memfd = kj.fd;
	kitjit_anchor.registry_addr = (uint64_t)(uintptr_t)kj.map;
	kitjit_anchor.registry_size = kj.size;
	kitjit_anchor.hook_addr = (uint64_t)(uintptr_t)&kitjit_debug_hook;
}

static void atfork_child(void);

static int
create(void)
{
	static void *scratch; /* process-wide: mapped once, kept over fork */

	if (map_inherited() != 0 && map_new(registry_size()) != 0)
		return -1;
	if (!scratch) {
		scratch = mmap(NULL, KJ_SCRATCH_SLOTS * KJ_SCRATCH_SLOT_SIZE,
			       PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);
		if (scratch == MAP_FAILED)
			scratch = NULL; /* W^X policy: the tracer maps its own */
	}
	kt_jreg_writer_set_scratch(&kj.w, (uint64_t)(uintptr_t)scratch, KJ_SCRATCH_SLOT_SIZE,
				   KJ_SCRATCH_SLOTS);
	publish_anchor();
	pthread_atfork(NULL, NULL, atfork_child);
	return 0;
}

const struct kt_jreg_writer *
kj_writer_if_ready(void)
{
	if (__atomic_load_n(&kitjit_anchor.state, __ATOMIC_ACQUIRE) == KT_ANCHOR_READY)
		return &kj.w;
	return NULL;
}

static __attribute__((noinline)) struct kt_jreg_writer *
writer_slow(void)
{
	for (;;) {
		uint32_t s = KT_ANCHOR_NONE;

		if (__atomic_compare_exchange_n(&kitjit_anchor.state, &s,
						(uint32_t)KT_ANCHOR_CREATING, false,
						__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
			int rc = create();
			int err = errno;

			__atomic_store_n(&kitjit_anchor.state,
					 (uint32_t)(rc == 0 ? KT_ANCHOR_READY : KT_ANCHOR_FAILED),
					 __ATOMIC_RELEASE);
			if (rc != 0) {
				errno = err ? err : ENOMEM;
				return NULL;
			}
			if (__atomic_load_n(&kitjit_anchor.tracer_flags, __ATOMIC_ACQUIRE) &
			    KT_ANCHOR_NOTIFY)
				call_hook(KT_HOOK_CREATED, 0);
			return &kj.w;
		}
		if (s == KT_ANCHOR_READY)
			return &kj.w;
		if (s == KT_ANCHOR_FAILED) {
			errno = ENOMEM;
			return NULL;
		}
		sched_yield(); /* another thread is creating it */
	}
}

struct kt_jreg_writer *
kj_writer(void)
{
	if (__builtin_expect(
		    __atomic_load_n(&kitjit_anchor.state, __ATOMIC_ACQUIRE) == KT_ANCHOR_READY, 1))
		return &kj.w;
	return writer_slow();
}

/*
 * In a fork child the registry mapping is shared with the parent: give the
 * child its own copy (same entries, same handles, same journal, since the
 * child's memory is a copy too), or, failing that, no registry.  The child
 * is single-threaded here; parent threads may still be writing the old
 * mapping, which kt_jreg_writer_clone() copes with.
 */
static void
atfork_child(void)
{
	struct kt_jreg_writer old = kj.w;
	void *old_map = kj.map;
	uint64_t old_size = kj.size;
	int old_fd = kj.fd;

	if (kj_writer_if_ready() == NULL)
		return;
	if (map_new(old_size) != 0 || kt_jreg_writer_clone(&kj.w, &old) != KT_OK) {
		__atomic_store_n(&kitjit_anchor.state, (uint32_t)KT_ANCHOR_FAILED,
				 __ATOMIC_RELEASE);
		kitjit_anchor.registry_addr = 0;
		kitjit_anchor.memfd = -1;
	} else {
		publish_anchor();
	}
	munmap(old_map, old_size);
	if (old_fd >= 0)
		close(old_fd);
}

/* Copy INFO (of a possibly older, smaller struct) into X. */
static int
info_extra(const struct kitjit_info *info, struct kt_jreg_extra *x)
{
	struct kitjit_info in;

	memset(x, 0, sizeof(*x));
	if (!info)
		return 0;
	if (info->struct_size < offsetof(struct kitjit_info, unwind))
		return -1;
	memset(&in, 0, sizeof(in));
	memcpy(&in, info, info->struct_size < sizeof(in) ? info->struct_size : sizeof(in));
	x->file = in.file;
	x->lines = (const uint32_t *)(const void *)in.lines;
	x->nlines = in.lines ? in.nlines : 0;
	x->unwind_kind = (uint32_t)in.unwind.kind;
	x->prologue_len = in.unwind.prologue_len;
	x->cfi = in.unwind.cfi;
	x->cfi_len = in.unwind.cfi_len;
	return 0;
}

KJ_EXPORT kitjit_code *
kitjit_add_ex(const char *name, const void *start, size_t size, const struct kitjit_info *info)
{
	struct kt_jreg_writer *w;
	struct kt_jreg_extra x;
	uint32_t index;
	uint64_t gen;
	kt_status st;

	if (!name || !size || info_extra(info, &x) != 0) {
		errno = EINVAL;
		return NULL;
	}
	w = kj_writer();
	if (!w)
		return NULL;
	st = kt_jreg_writer_add(w, name, (uint64_t)(uintptr_t)start, size, &x, &index, &gen);
	if (st != KT_OK) {
		errno = st == KT_ERR_NOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	if (kt_jreg_writer_filter_may_match(w, name, strnlen(name, KT_JREG_NAME_MAX)))
		call_hook(KT_HOOK_ADDED, gen);
	if (kj_gdb_enabled())
		kj_gdb_register(index, name, (uint64_t)(uintptr_t)start, size);
	return (kitjit_code *)(uintptr_t)((uintptr_t)index + 1);
}

KJ_EXPORT kitjit_code *
kitjit_add(const char *name, const void *start, size_t size)
{
	return kitjit_add_ex(name, start, size, NULL);
}

KJ_EXPORT void
kitjit_remove(kitjit_code *code)
{
	const struct kt_jreg_writer *w = kj_writer_if_ready();
	uint32_t index;

	if (!code || !w)
		return;
	index = (uint32_t)((uintptr_t)code - 1);
	kj_gdb_unregister(index);
	kt_jreg_writer_remove(&kj.w, index, NULL);
}

__attribute__((constructor)) static void
kj_init(void)
{
	int err = errno;

	kj_gdb_from_env();
	kj_writer();
	kj_heal_from_env();
	errno = err;
}
