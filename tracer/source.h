/* SPDX-License-Identifier: MIT */
/*
 * source.h - source files on disk, as "list" and the stops of "step",
 * "next" and "finish" show them: bounded reads of a few lines, and the
 * window "list" shows around a line.
 *
 * A path comes from debug information or a JIT registry, so it is
 * untrusted: only regular files are read (never a FIFO or a device), at
 * most KT_SOURCE_MAX_BYTES of them, lines cut at KT_SOURCE_MAX_LINE bytes,
 * and control characters in them are shown escaped.
 */
#ifndef KT_SOURCE_H
#define KT_SOURCE_H

#include <stdio.h>

#include "status.h"

#define KT_SOURCE_MAX_BYTES (64u << 20)
#define KT_SOURCE_MAX_LINE 1024
#define KT_LIST_LINES 10

/*
 * Print lines FIRST..LAST (1-based, inclusive) of PATH to F as GDB does,
 * "N\ttext".  *NLINES (may be NULL) is set to the number of lines the file
 * has (counted up to the byte limit).  Returns KT_OK (even when LAST is
 * past the end: the lines that exist are printed), KT_ERR_SYS with errno
 * when the file cannot be read, KT_ERR_INVAL when it is not a regular file.
 */
kt_status kt_source_print(FILE *f, const char *path, int first, int last, int *nlines);

/* One line of a stop: "N\ttext", or "N\tin PATH" when PATH cannot be read. */
void kt_source_print_stop_line(FILE *f, const char *path, int line);

/*
 * The lines "list" shows centred on line CENTER (GDB: five before, four
 * after, never before line 1), into *FIRST and *LAST.  Pure.
 */
void kt_list_around(int center, int *first, int *last);

#endif
