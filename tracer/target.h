/* SPDX-License-Identifier: MIT */
/*
 * target.h - getting a process under control: launching a program (stopped
 * at its first instruction after exec) and attaching to a running one
 * (every thread, including threads created during the attach).  Errors
 * come with a message that says what to do.
 */
#ifndef KT_TARGET_H
#define KT_TARGET_H

#include "session.h"

/*
 * Start ARGV[0] (searched in PATH when it has no '/') with ARGV, traced,
 * and stop it at its first instruction.  KT_ERR_NOPROG: not found;
 * KT_ERR_NOEXEC: found but cannot be executed; MSG explains.
 */
kt_status kt_target_launch(struct kt_session *s, char *const argv[], char *msg, size_t len);
/* Attach to every thread of PID and stop them all. */
kt_status kt_target_attach(struct kt_session *s, pid_t pid, char *msg, size_t len);

#endif
