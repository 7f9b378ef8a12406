/* SPDX-License-Identifier: MIT */
/*
 * source.c - reading source files for "list" and stops (see source.h).
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"

void
kt_list_around(int center, int *first, int *last)
{
	if (center < 1)
		center = 1;
	*first = center > KT_LIST_LINES / 2 ? center - KT_LIST_LINES / 2 : 1;
	*last = *first + KT_LIST_LINES - 1;
}

/* Open PATH for reading if it is a regular file (never blocks on a FIFO). */
static FILE *
open_source(const char *path, kt_status *st)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	*st = KT_ERR_SYS;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		*st = S_ISREG(sb.st_mode) ? KT_ERR_SYS : KT_ERR_INVAL;
		KT_SAVE_ERRNO(close(fd));
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		KT_SAVE_ERRNO(close(fd));
	return f;
}

/* Print TEXT (LEN bytes, no newline) with control characters escaped. */
static void
put_text(FILE *f, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\t' || (ch >= 0x20 && ch != 0x7f))
			fputc(ch, f);
		else if (ch != '\r' || i + 1 != len)
			fprintf(f, "\\x%02x", ch);
	}
}

kt_status
kt_source_print(FILE *f, const char *path, int first, int last, int *nlines)
{
	kt_status st;
	FILE *in = open_source(path, &st);
	char buf[KT_SOURCE_MAX_LINE];
	size_t len = 0, total = 0;
	int line = 1;
	int ch;

	if (nlines)
		*nlines = 0;
	if (!in)
		return st;
	/* A line longer than the buffer is cut; its rest is skipped. */
	while (total < KT_SOURCE_MAX_BYTES && (ch = getc(in)) != EOF) {
		total++;
		if (ch != '\n') {
			if (len < sizeof(buf))
				buf[len++] = (char)ch;
			continue;
		}
		if (line >= first && line <= last) {
			fprintf(f, "%d\t", line);
			put_text(f, buf, len);
			fputc('\n', f);
		}
		len = 0;
		line++;
	}
	if (len > 0) { /* a last line without a newline */
		if (line >= first && line <= last) {
			fprintf(f, "%d\t", line);
			put_text(f, buf, len);
			fputc('\n', f);
		}
		line++;
	}
	fclose(in);
	if (nlines)
		*nlines = line - 1;
	return KT_OK;
}

void
kt_source_print_stop_line(FILE *f, const char *path, int line)
{
	int n = 0;
	char name[512];

	if (kt_source_print(f, path, line, line, &n) != KT_OK || n < line)
		fprintf(f, "%d\tin %s\n", line, kt_fmt_name(path, name, sizeof(name)));
}
