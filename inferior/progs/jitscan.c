// SPDX-License-Identifier: MIT
// jitscan.c - a crash in JIT code that keeps no frame pointer and publishes
// nothing (no libkitjit, no perf map): the snippet zeroes the frame-pointer
// register, keeps its return address on the stack below some scratch
// space, and loads from address 0x10.  Only a stack scan finds main above
// it (tests/e2e/27_stack_scan.sh).  `jitscan leaf` runs a leaf instead,
// which neither moves sp nor stores its return address: on AArch64 that
// stays in x30, on x86-64 at the top of the stack.  Prints "jitscan:
// start" first.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__)
static const uint8_t snippet[] = {
	0x31, 0xed,                   /* xor %ebp,%ebp */
	0x48, 0x83, 0xec, 0x18,       /* sub $0x18,%rsp */
	0xb8, 0x10, 0x00, 0x00, 0x00, /* mov $0x10,%eax */
	0x8b, 0x00,                   /* mov (%rax),%eax: SIGSEGV at 0x10 */
	0x48, 0x83, 0xc4, 0x18,       /* add $0x18,%rsp */
	0xc3,                         /* ret */
};
static const uint8_t leaf[] = {
	0x31, 0xed,                   /* xor %ebp,%ebp */
	0xb8, 0x10, 0x00, 0x00, 0x00, /* mov $0x10,%eax */
	0x8b, 0x00,                   /* mov (%rax),%eax: SIGSEGV at 0x10 */
	0xc3,                         /* ret */
};
#elif defined(__aarch64__)
static const uint32_t snippet[] = {
	0xf81f0ffe, /* str x30, [sp, #-16]! */
	0xd280001d, /* mov x29, #0 */
	0xd2800200, /* mov x0, #16 */
	0xb9400000, /* ldr w0, [x0]: SIGSEGV at 0x10 */
	0xf84107fe, /* ldr x30, [sp], #16 */
	0xd65f03c0, /* ret */
};
static const uint32_t leaf[] = {
	0xd280001d, /* mov x29, #0 */
	0xd2800200, /* mov x0, #16 */
	0xb9400000, /* ldr w0, [x0]: SIGSEGV at 0x10 */
	0xd65f03c0, /* ret */
};
#endif

int
main(int argc, char **argv)
{
	int is_leaf = argc > 1 && strcmp(argv[1], "leaf") == 0;
	const void *src = is_leaf ? (const void *)leaf : (const void *)snippet;
	size_t len = is_leaf ? sizeof(leaf) : sizeof(snippet);
	void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memcpy(code, src, len);
	__builtin___clear_cache((char *)code, (char *)code + len);
	puts("jitscan: start");
	fflush(stdout);
	((void (*)(void))code)(); /* L_CALL */
	puts("jitscan: not reached");
	return 0;
}
