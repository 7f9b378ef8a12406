/* SPDX-License-Identifier: MIT */
/*
 * jit_mirror.h - a libkitjit registry reached through the process's memory
 * instead of a shared mapping: the fallback when neither the registry's
 * memfd (/proc/PID/fd/N) nor its mapping (/proc/PID/map_files/) can be
 * opened, e.g. a process that closed its descriptors, without the
 * privilege map_files needs.
 *
 * The tracer keeps a private copy of the registry (anonymous memory of the
 * registry's size, touched only where it copies) and reads it with the
 * same shm/registry_read.c code as a mapping.  kt_jmirror_refresh() copies
 * what changed since the last call: the header, the journal, new change-log
 * words, and for each new record its entry and that entry's name, line
 * table and unwind blob, so a refresh costs O(changes), like reading a
 * mapping.  What the tracer writes (the name filter, journal records) is
 * written in the copy by shm/registry_tracer.c and then pushed to the
 * process with kt_jmirror_push*().
 *
 * Everything copied is read through process memory with every offset and
 * length checked against the registry's size first; the copy is then
 * validated by the registry reader like any mapping (invariant 5).  Unlike
 * a mapping, the copy does not see a process scribbling over records it
 * already copied: it keeps what was published.
 */
#ifndef KT_JIT_MIRROR_H
#define KT_JIT_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "status.h"

struct kt_jmirror {
	uint64_t remote;   /* the registry's address in the process */
	uint8_t *map;      /* the copy; NULL when closed */
	size_t len;
	uint64_t log_read; /* log words below this are copied and non-zero */
};

/* Set up a copy of the LEN-byte registry at REMOTE and fill it. */
kt_status kt_jmirror_open(struct kt_session *s, struct kt_jmirror *m, uint64_t remote,
			  size_t len);
/* Copy what changed.  KT_ERR_CORRUPT if the header no longer validates. */
kt_status kt_jmirror_refresh(struct kt_session *s, struct kt_jmirror *m);
/* Write bytes [OFF, OFF+LEN) of the copy to the process. */
kt_status kt_jmirror_push(struct kt_session *s, const struct kt_jmirror *m, uint64_t off,
			  size_t len);
/* Write the name filter the copy holds (bits and mode) to the process,
 * inside the filter's sequence lock so the library never reads a torn
 * filter. */
kt_status kt_jmirror_push_filter(struct kt_session *s, const struct kt_jmirror *m);
void kt_jmirror_close(struct kt_jmirror *m);

#endif
