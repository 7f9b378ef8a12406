/* SPDX-License-Identifier: MIT */
/*
 * jit.c - the compiler driver.  It owns the call table (one code address per
 * function; JIT code calls through it), the choice between eager compilation
 * (every function generated into one block of code memory and published
 * before anything runs) and lazy compilation (the table starts out pointing
 * at per-function stubs; the first call compiles the function into its own
 * block, publishes it with kitjit_add_ex() and repoints the table, under a
 * mutex so that racing threads compile it once), publication (the source
 * file, the line table and a KITJIT_UNWIND_FP rule for every function), the
 * --dump listing, and tear-down (retract, then unmap).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "runtime.h"

enum kd_arch
kd_arch_native(void)
{
#if defined(__aarch64__)
	return KD_ARCH_AARCH64;
#else
	return KD_ARCH_X86_64;
#endif
}

int
kd_arch_runs_here(enum kd_arch arch)
{
#if defined(__aarch64__) || defined(__x86_64__)
	return arch == kd_arch_native();
#else
	return 0;
#endif
}

int
kd_arch_parse(const char *name, enum kd_arch *arch)
{
	if (!strcmp(name, "x86_64") || !strcmp(name, "x86-64")) {
		*arch = KD_ARCH_X86_64;
		return 0;
	}
	if (!strcmp(name, "aarch64") || !strcmp(name, "arm64")) {
		*arch = KD_ARCH_AARCH64;
		return 0;
	}
	return -1;
}

const char *
kd_arch_name(enum kd_arch arch)
{
	return arch == KD_ARCH_AARCH64 ? "aarch64" : "x86_64";
}

int
kd_gen(enum kd_arch arch, const struct kd_genctx *ctx, int fn, struct kd_buf *out,
       uint32_t *prologue_len)
{
	if (arch == KD_ARCH_AARCH64)
		return kd_gen_aarch64(ctx, fn, out, prologue_len);
	return kd_gen_x86_64(ctx, fn, out, prologue_len);
}

int
kd_jit_init(struct kd_jit *jit, const struct kd_program *prog, enum kd_arch arch, const char *file)
{
	memset(jit, 0, sizeof(*jit));
	jit->prog = prog;
	jit->arch = arch;
	jit->file = file;
	jit->table = calloc((size_t)prog->nfuncs + 1, sizeof(*jit->table));
	jit->fns = calloc((size_t)prog->nfuncs + 1, sizeof(*jit->fns));
	if (!jit->table || !jit->fns) {
		free(jit->table);
		free(jit->fns);
		return -1;
	}
	pthread_mutex_init(&jit->lock, NULL);
	return 0;
}

void
kd_jit_destroy(struct kd_jit *jit)
{
	for (int i = 0; i < jit->prog->nfuncs; i++)
		kitjit_remove(jit->fns[i].handle);
	for (size_t i = 0; i < jit->nmaps; i++)
		kd_code_unmap(jit->maps[i].addr, jit->maps[i].len);
	free(jit->maps);
	free(jit->table);
	free(jit->fns);
	pthread_mutex_destroy(&jit->lock);
	memset(jit, 0, sizeof(*jit));
}

static void
genctx(const struct kd_jit *jit, struct kd_genctx *ctx)
{
	ctx->prog = jit->prog;
	ctx->table = (uint64_t)(uintptr_t)jit->table;
	ctx->print_fn = (uint64_t)(uintptr_t)kd_rt_print;
	ctx->divzero_fn = (uint64_t)(uintptr_t)kd_rt_divzero;
}

/* Map LEN bytes of CODE and remember the mapping; caller holds the lock or is alone. */
static void *
map_code(struct kd_jit *jit, const void *code, size_t len)
{
	void *p;

	if (jit->nmaps == jit->capmaps) {
		size_t cap = jit->capmaps ? jit->capmaps * 2 : 16;
		struct kd_mapping *m = realloc(jit->maps, cap * sizeof(*m));

		if (!m)
			return NULL;
		jit->maps = m;
		jit->capmaps = cap;
	}
	p = kd_code_map(code, len);
	if (!p) {
		fprintf(stderr, "kitdemo: cannot map code: %s\n", strerror(errno));
		return NULL;
	}
	jit->maps[jit->nmaps].addr = p;
	jit->maps[jit->nmaps++].len = len;
	return p;
}

/* Publish function FN, now at CODE; a failure is reported once and is not fatal. */
static void
publish(struct kd_jit *jit, int fn, void *code, size_t size, const struct kd_buf *b,
	uint32_t prologue_len)
{
	struct kd_jit_fn *f = &jit->fns[fn];
	struct kitjit_info info = {
		.struct_size = sizeof(info),
		.file = jit->file,
		.lines = b->lines,
		.nlines = b->nlines,
		.unwind = {.kind = KITJIT_UNWIND_FP, .prologue_len = prologue_len},
	};

	f->code = code;
	f->size = size;
	f->prologue_len = prologue_len;
	f->handle = kitjit_add_ex(jit->prog->funcs[fn].name, code, size, &info);
	if (!f->handle && !jit->warned) {
		jit->warned = 1;
		fprintf(stderr, "kitdemo: cannot publish %s: %s (continuing unpublished)\n",
			jit->prog->funcs[fn].name, strerror(errno));
	}
}

static void
set_entry(struct kd_jit *jit, int fn, const void *code)
{
	__atomic_store_n(&jit->table[fn], (uint64_t)(uintptr_t)code, __ATOMIC_RELEASE);
}

uint64_t
kd_jit_entry(struct kd_jit *jit, int fn)
{
	return __atomic_load_n(&jit->table[fn], __ATOMIC_ACQUIRE);
}

static int
check_native(const struct kd_jit *jit)
{
	if (kd_arch_runs_here(jit->arch))
		return 0;
	fprintf(stderr, "kitdemo: %s code cannot run on this host (use --dump)\n",
		kd_arch_name(jit->arch));
	return -1;
}

int
kd_jit_compile_all(struct kd_jit *jit)
{
	const struct kd_program *prog = jit->prog;
	struct kd_genctx ctx;
	struct kd_buf all, *bufs;
	size_t *offs;
	uint32_t *plens;
	uint8_t *code;
	int ret = -1;

	if (check_native(jit))
		return -1;
	genctx(jit, &ctx);
	kd_buf_init(&all);
	bufs = calloc((size_t)prog->nfuncs + 1, sizeof(*bufs));
	offs = calloc((size_t)prog->nfuncs + 1, sizeof(*offs));
	plens = calloc((size_t)prog->nfuncs + 1, sizeof(*plens));
	if (!bufs || !offs || !plens)
		goto out;
	for (int i = 0; i < prog->nfuncs; i++) {
		/* functions start 16-byte aligned; the gaps hold trapping filler */
		while (all.len % 16)
			kd_emit8(&all, jit->arch == KD_ARCH_X86_64 ? 0xcc : 0x00);
		offs[i] = all.len;
		if (kd_gen(jit->arch, &ctx, i, &bufs[i], &plens[i]))
			goto nomem;
		kd_emit_bytes(&all, bufs[i].code, bufs[i].len);
	}
	if (all.oom)
		goto nomem;
	code = map_code(jit, all.code, all.len);
	if (!code)
		goto out;
	for (int i = 0; i < prog->nfuncs; i++)
		publish(jit, i, code + offs[i], bufs[i].len, &bufs[i], plens[i]);
	for (int i = 0; i < prog->nfuncs; i++)
		set_entry(jit, i, code + offs[i]);
	ret = 0;
	goto out;
nomem:
	fprintf(stderr, "kitdemo: out of memory while compiling\n");
out:
	for (int i = 0; bufs && i < prog->nfuncs; i++)
		kd_buf_free(&bufs[i]);
	kd_buf_free(&all);
	free(bufs);
	free(offs);
	free(plens);
	return ret;
}

/* Compile, map and publish function FN on its own; caller holds the lock. */
static int
compile_one(struct kd_jit *jit, int fn)
{
	struct kd_genctx ctx;
	struct kd_buf b;
	uint32_t plen;
	void *code;

	genctx(jit, &ctx);
	kd_buf_init(&b);
	if (kd_gen(jit->arch, &ctx, fn, &b, &plen)) {
		kd_buf_free(&b);
		return -1;
	}
	code = map_code(jit, b.code, b.len);
	if (code)
		publish(jit, fn, code, b.len, &b, plen);
	kd_buf_free(&b);
	return code ? 0 : -1;
}

/* Called by a lazy stub (from JIT code, on any thread): the code of function INDEX. */
static uint64_t
resolve(struct kd_jit *jit, uint64_t index)
{
	int fn = (int)index;

	pthread_mutex_lock(&jit->lock);
	if (!jit->fns[fn].code) {
		if (compile_one(jit, fn)) {
			fprintf(stderr, "kitdemo: lazy compilation of %s failed\n",
				jit->prog->funcs[fn].name);
			abort();
		}
		set_entry(jit, fn, jit->fns[fn].code);
	}
	pthread_mutex_unlock(&jit->lock);
	return (uint64_t)(uintptr_t)jit->fns[fn].code;
}

int
kd_jit_prepare_lazy(struct kd_jit *jit)
{
	const struct kd_program *prog = jit->prog;
	struct kd_buf b;
	size_t *offs;
	uint8_t *code;
	int ret = -1;

	if (check_native(jit))
		return -1;
	offs = calloc((size_t)prog->nfuncs + 1, sizeof(*offs));
	if (!offs)
		return -1;
	kd_buf_init(&b);
	for (int i = 0; i < prog->nfuncs; i++) {
		offs[i] = b.len;
		if (jit->arch == KD_ARCH_AARCH64)
			kd_gen_stub_aarch64(&b, (uint64_t)(uintptr_t)resolve,
					    (uint64_t)(uintptr_t)jit, (uint64_t)i);
		else
			kd_gen_stub_x86_64(&b, (uint64_t)(uintptr_t)resolve,
					   (uint64_t)(uintptr_t)jit, (uint64_t)i);
	}
	if (b.oom) {
		fprintf(stderr, "kitdemo: out of memory while compiling\n");
		goto out;
	}
	code = map_code(jit, b.code, b.len);
	if (!code)
		goto out;
	for (int i = 0; i < prog->nfuncs; i++)
		set_entry(jit, i, code + offs[i]);
	ret = 0;
out:
	kd_buf_free(&b);
	free(offs);
	return ret;
}

int64_t
kd_jit_call(struct kd_jit *jit, int fn, const int64_t *args, int nargs)
{
	typedef int64_t (*fn6)(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
	int64_t a[KD_MAX_PARAMS] = {0};
	fn6 f = (fn6)(uintptr_t)kd_jit_entry(jit, fn);

	for (int i = 0; i < nargs && i < KD_MAX_PARAMS; i++)
		a[i] = args[i];
	return f(a[0], a[1], a[2], a[3], a[4], a[5]);
}

int
kd_jit_dump(struct kd_jit *jit, FILE *out)
{
	struct kd_genctx ctx;

	genctx(jit, &ctx);
	for (int i = 0; i < jit->prog->nfuncs; i++) {
		struct kd_buf b;
		uint32_t plen;

		kd_buf_init(&b);
		if (kd_gen(jit->arch, &ctx, i, &b, &plen)) {
			kd_buf_free(&b);
			return -1;
		}
		fprintf(out, "%s: %zu bytes, %s, prologue %u bytes\n", jit->prog->funcs[i].name,
			b.len, kd_arch_name(jit->arch), plen);
		fprintf(out, "  lines:");
		for (size_t k = 0; k < b.nlines; k++)
			fprintf(out, " +%#x:%u", b.lines[k].offset, b.lines[k].line);
		fprintf(out, "\n");
		for (size_t k = 0; k < b.len; k++)
			fprintf(out, "%s%02x%s", k % 16 ? "" : "  ", b.code[k],
				k % 16 == 15 || k + 1 == b.len ? "\n" : " ");
		kd_buf_free(&b);
	}
	return 0;
}
