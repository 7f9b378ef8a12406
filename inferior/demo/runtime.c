/* SPDX-License-Identifier: MIT */
/*
 * runtime.c - the run-time support of kitdemo: the C helpers that JIT code
 * calls (print and, on AArch64, the division-by-zero trap) and the code
 * memory.  Code memory is never writable and executable at once: each block
 * is mmap'd read-write, filled, then mprotect'ed to read-execute before any
 * of it runs, and is only unmapped after its functions were retracted.  The
 * helpers keep no state, so JIT code may call them from any thread; print()
 * emits each line with a single write(2) so that lines from several threads
 * never interleave and nothing is lost in a stdio buffer when the program
 * then crashes.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

void
kd_rt_print(int64_t x)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	uint64_t u = x < 0 ? -(uint64_t)x : (uint64_t)x;
	size_t off = 0, len;

	*--p = '\n';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		*--p = '-';
	len = (size_t)(buf + sizeof(buf) - p);
	while (off < len) {
		ssize_t n = write(STDOUT_FILENO, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

void
kd_rt_divzero(void)
{
	raise(SIGFPE);
}

static size_t
round_page(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) & ~(page - 1);
}

void *
kd_code_map(const void *code, size_t len)
{
	size_t size = round_page(len ? len : 1);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, code, len);
	if (mprotect(p, size, PROT_READ | PROT_EXEC)) {
		int e = errno;

		munmap(p, size);
		errno = e;
		return NULL;
	}
	__builtin___clear_cache((char *)p, (char *)p + len);
	return p;
}

void
kd_code_unmap(void *code, size_t len)
{
	if (code)
		munmap(code, round_page(len ? len : 1));
}
