/* SPDX-License-Identifier: MIT */
/*
 * report.h - the report of how a program ended, for CI: crash (a fatal
 * signal, with every thread's backtrace, the crashing thread's registers
 * and code), hang (--timeout) or exit.  Text for people, JSON for
 * machines; the JSON schema is documented in kitrace(1) and versioned by
 * "report_version".
 */
#ifndef KT_REPORT_H
#define KT_REPORT_H

#include <stdio.h>

#include "session.h"

enum kt_report_event { KT_REPORT_CRASH, KT_REPORT_HANG, KT_REPORT_EXIT };

#define KT_REPORT_VERSION 1

/* Text report to F (every thread stopped; STOP is the crash or hang). */
void kt_report_text(struct kt_session *s, FILE *f, enum kt_report_event ev,
		    const struct kt_stop *stop);
/*
 * JSON report to PATH.  EXIT_STATUS is what kitrace exits with (-1 if not
 * known yet).  Returns KT_ERR_SYS (errno set) if the file cannot be written.
 */
kt_status kt_report_json(struct kt_session *s, const char *path, enum kt_report_event ev,
			 const struct kt_stop *stop, int exit_status);

#endif
