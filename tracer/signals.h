/* SPDX-License-Identifier: MIT */
/*
 * signals.h - signal names and numbers, si_code names ("SEGV_MAPERR"), the
 * per-signal policy "handle" sets (stop/print/pass) and its defaults.
 */
#ifndef KT_SIGNALS_H
#define KT_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#include "session.h"

/* "SIGSEGV" for 11; "SIG37"-style names for real-time signals; never NULL. */
const char *kt_signal_name(int sig);
/* The number for "SIGSEGV", "segv", "11" or "SIGRTMIN+3"; 0 if unknown. */
int kt_signal_number(const char *name);
/* A short description ("Segmentation fault"). */
const char *kt_signal_desc(int sig);
/* The si_code name for this signal ("SEGV_MAPERR", "SI_USER"), or NULL. */
const char *kt_si_code_name(int sig, int code);
/* True if the signal carries a fault address in si_addr. */
bool kt_signal_has_addr(int sig);

/* Set the default policy: stop on SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGABRT/SIGTRAP,
 * pass the rest silently; SIGINT stops and is not passed when INTERACTIVE. */
void kt_signal_defaults(struct kt_settings *set, bool interactive);
const struct kt_sig_policy *kt_signal_policy(const struct kt_session *s, int sig);

/* Would delivering SIG to process PID terminate it (default action, not
 * caught)?  Reads /proc/PID/status. */
bool kt_signal_fatal(int pid, int sig, bool fault);

#endif
