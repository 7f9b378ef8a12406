/* SPDX-License-Identifier: MIT */
/*
 * status.h - kitrace's one status type.
 *
 * Every fallible internal function returns a kt_status.  The list below is
 * the only place codes and their messages are defined; kt_strerror() turns a
 * code into its message.  KT_ERR_SYS means "a system call failed and errno
 * says why": functions that return it leave errno as the failing call set it,
 * and cleanup code on the way out must preserve errno (see KT_SAVE_ERRNO).
 * Every part of the project (arch/, shm/, tracer/, inferior/, tests/) may
 * include this header; it depends on nothing but libc.
 */
#ifndef KT_STATUS_H
#define KT_STATUS_H

#include <errno.h>

#define KT_STATUS_LIST(X)                                                      \
	X(KT_OK, "success")                                                    \
	X(KT_ERR_SYS, "system call failed")                                    \
	X(KT_ERR_NOMEM, "out of memory")                                       \
	X(KT_ERR_INVAL, "invalid argument")                                    \
	X(KT_ERR_SYNTAX, "syntax error")                                       \
	X(KT_ERR_NOTFOUND, "not found")                                        \
	X(KT_ERR_EXISTS, "already exists")                                     \
	X(KT_ERR_RANGE, "value out of range")                                  \
	X(KT_ERR_GONE, "the process or thread is gone")                        \
	X(KT_ERR_PERM, "permission denied")                                    \
	X(KT_ERR_MEM, "cannot access memory")                                  \
	X(KT_ERR_CORRUPT, "corrupt or inconsistent data")                      \
	X(KT_ERR_DECODE, "cannot decode instruction")                          \
	X(KT_ERR_UNSUPPORTED, "not supported")                                 \
	X(KT_ERR_STATE, "not possible in the current state")                   \
	X(KT_ERR_BUSY, "resource busy")                                        \
	X(KT_ERR_TIMEOUT, "timed out")                                         \
	X(KT_ERR_NOEXEC, "cannot execute")                                     \
	X(KT_ERR_NOPROG, "program not found")

typedef enum {
#define KT_STATUS_ENUM(code, msg) code,
	KT_STATUS_LIST(KT_STATUS_ENUM)
#undef KT_STATUS_ENUM
	KT_STATUS_COUNT
} kt_status;

/* Return the message for STATUS; never NULL, also for out-of-range values. */
const char *kt_strerror(kt_status status);

/* Return the code's name ("KT_ERR_MEM"), for tests and logs; never NULL. */
const char *kt_status_name(kt_status status);

/* Run STMT (cleanup) without letting it change errno. */
#define KT_SAVE_ERRNO(stmt)                                                    \
	do {                                                                   \
		int kt_saved_errno_ = errno;                                   \
		stmt;                                                          \
		errno = kt_saved_errno_;                                       \
	} while (0)

/* Map an errno value to the closest status (ESRCH -> KT_ERR_GONE, ...). */
kt_status kt_status_from_errno(int err);

#endif
