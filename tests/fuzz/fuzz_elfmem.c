/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elfmem.c - libFuzzer target for what kitrace reads from a GDB JIT
 * image (an untrusted in-memory ELF object): the symbol and code-range
 * index (tracer/gdbjit_image.c, libelf) and the DWARF reader over the
 * image (tracer/dwarf_obj.c with the queries of tracer/dwarf*.c: lines,
 * functions, FILE:LINE, CFI steps over a fake stack).  Any crash, hang,
 * sanitizer report or unbounded allocation is a bug in those files (or a
 * libdwarf bug they must steer around).  Built and run by tests/fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf.h"
#include "gdbjit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STACK 0x7ffd00000000ull
static const uint64_t stack[16] = {0x1000, 0x2000, STACK + 64, 0x401000};

static kt_status
stack_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < STACK || addr - STACK > sizeof(stack) || len > sizeof(stack) - (addr - STACK))
		return KT_ERR_MEM;
	memcpy(buf, (const char *)stack + (addr - STACK), len);
	return KT_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kt_gdbjit_image im;
	struct kt_dwarf_loc loc;
	struct kt_dwarf_regs in, out;
	struct kt_arch_mem mem = {stack_read, NULL, NULL};
	uint64_t entry, ap, cfa, *addrs = NULL, probe[24];
	size_t np = 0;
	char *copy;

	if (size > (1u << 20))
		return 0;
	/* the symbol index (libelf); the image is only read */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	memset(&im, 0, sizeof(im));
	kt_gdbjit_image_index(&im, copy, size);
	for (uint32_t r = 0; r < im.nranges && np + 2 < 24; r++) {
		probe[np++] = im.lo[r];
		probe[np++] = im.lo[r] + im.len[r] / 2;
	}
	for (size_t i = 0; i < im.nsyms && np < 24; i++) {
		if (strlen(im.syms[i].name) == 0)
			abort(); /* names are never empty */
		probe[np++] = im.syms[i].addr;
	}
	/* DWARF: takes the copy and relocates it in place */
	struct kt_dwarf *d = kt_dwarf_open_mem(copy, size);
	if (d) {
		memset(&in, 0, sizeof(in));
		in.v[7] = STACK + 16;
		in.v[6] = STACK + 32;
		in.known = 1u << 7 | 1u << 6;
		for (size_t i = 0; i < np; i++) {
			if (kt_dwarf_addr2line(d, probe[i], &loc) && loc.function)
				kt_dwarf_function(d, loc.function, &entry, &ap);
			kt_dwarf_cfi_step(d, 0, probe[i], i & 1, &in, 16, 7, &mem, &out, &cfa);
		}
		for (size_t i = 0; i < im.nsyms && i < 8; i++)
			kt_dwarf_function(d, im.syms[i].name, &entry, &ap);
		if (kt_dwarf_line2addrs(d, "crash.c", 18, &addrs) > 0)
			free(addrs);
		kt_dwarf_close(d);
	}
	kt_gdbjit_image_free(&im);
	return 0;
}
