/* SPDX-License-Identifier: MIT */
/*
 * signals.c - signal naming, si_code decoding and the stop/print/pass
 * policy (see signals.h).
 */
#include "signals.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	int num;
	const char *name, *desc;
} names[] = {
	{SIGHUP, "SIGHUP", "Hangup"},
	{SIGINT, "SIGINT", "Interrupt"},
	{SIGQUIT, "SIGQUIT", "Quit"},
	{SIGILL, "SIGILL", "Illegal instruction"},
	{SIGTRAP, "SIGTRAP", "Trace/breakpoint trap"},
	{SIGABRT, "SIGABRT", "Aborted"},
	{SIGBUS, "SIGBUS", "Bus error"},
	{SIGFPE, "SIGFPE", "Arithmetic exception"},
	{SIGKILL, "SIGKILL", "Killed"},
	{SIGUSR1, "SIGUSR1", "User defined signal 1"},
	{SIGSEGV, "SIGSEGV", "Segmentation fault"},
	{SIGUSR2, "SIGUSR2", "User defined signal 2"},
	{SIGPIPE, "SIGPIPE", "Broken pipe"},
	{SIGALRM, "SIGALRM", "Alarm clock"},
	{SIGTERM, "SIGTERM", "Terminated"},
	{SIGSTKFLT, "SIGSTKFLT", "Stack fault"},
	{SIGCHLD, "SIGCHLD", "Child status changed"},
	{SIGCONT, "SIGCONT", "Continued"},
	{SIGSTOP, "SIGSTOP", "Stopped (signal)"},
	{SIGTSTP, "SIGTSTP", "Stopped (user)"},
	{SIGTTIN, "SIGTTIN", "Stopped (tty input)"},
	{SIGTTOU, "SIGTTOU", "Stopped (tty output)"},
	{SIGURG, "SIGURG", "Urgent I/O condition"},
	{SIGXCPU, "SIGXCPU", "CPU time limit exceeded"},
	{SIGXFSZ, "SIGXFSZ", "File size limit exceeded"},
	{SIGVTALRM, "SIGVTALRM", "Virtual timer expired"},
	{SIGPROF, "SIGPROF", "Profiling timer expired"},
	{SIGWINCH, "SIGWINCH", "Window size changed"},
	{SIGIO, "SIGIO", "I/O possible"},
	{SIGPWR, "SIGPWR", "Power fail"},
	{SIGSYS, "SIGSYS", "Bad system call"},
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *
kt_signal_name(int sig)
{
	static const char *const rt[] = {
		"SIG32", "SIG33", "SIG34", "SIG35", "SIG36", "SIG37", "SIG38", "SIG39",
		"SIG40", "SIG41", "SIG42", "SIG43", "SIG44", "SIG45", "SIG46", "SIG47",
		"SIG48", "SIG49", "SIG50", "SIG51", "SIG52", "SIG53", "SIG54", "SIG55",
		"SIG56", "SIG57", "SIG58", "SIG59", "SIG60", "SIG61", "SIG62", "SIG63",
		"SIG64",
	};

	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].num == sig)
			return names[i].name;
	if (sig >= 32 && sig <= 64)
		return rt[sig - 32];
	return "SIG?";
}

const char *
kt_signal_desc(int sig)
{
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].num == sig)
			return names[i].desc;
	return "Real-time signal";
}

int
kt_signal_number(const char *name)
{
	char *end;

	if (isdigit((unsigned char)name[0])) {
		long v = strtol(name, &end, 10);
		return *end == '\0' && v > 0 && v < KT_NSIG ? (int)v : 0;
	}
	const char *n = strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name;
	if (strncasecmp(n, "RTMIN", 5) == 0 || strncasecmp(n, "RTMAX", 5) == 0) {
		bool max = toupper((unsigned char)n[3]) == 'A';
		long k = 0;
		if (n[5] == (max ? '-' : '+')) {
			k = strtol(n + 6, &end, 10);
			if (*end || end == n + 6)
				return 0;
		} else if (n[5]) {
			return 0;
		}
		long v = max ? SIGRTMAX - k : SIGRTMIN + k;
		return v >= SIGRTMIN && v <= SIGRTMAX ? (int)v : 0;
	}
	for (size_t i = 0; i < NNAMES; i++)
		if (strcasecmp(names[i].name + 3, n) == 0)
			return names[i].num;
	if (isdigit((unsigned char)n[0])) {
		long v = strtol(n, &end, 10);
		return *end == '\0' && v >= 32 && v <= 64 ? (int)v : 0;
	}
	return 0;
}

bool
kt_signal_has_addr(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGTRAP;
}

const char *
kt_si_code_name(int sig, int code)
{
	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_KERNEL:
		return "SI_KERNEL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TIMER:
		return "SI_TIMER";
	case SI_MESGQ:
		return "SI_MESGQ";
	case SI_ASYNCIO:
		return "SI_ASYNCIO";
	case SI_SIGIO:
		return "SI_SIGIO";
	case SI_TKILL:
		return "SI_TKILL";
	default:
		break;
	}
	static const char *const segv[] = {NULL, "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR",
					   "SEGV_PKUERR", "SEGV_ACCADI", "SEGV_ADIDERR",
					   "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR",
					   "SEGV_CPERR"};
	static const char *const bus[] = {NULL, "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR",
					  "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
	static const char *const ill[] = {NULL, "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR",
					  "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC",
					  "ILL_BADSTK", "ILL_BADIADDR"};
	static const char *const fpe[] = {NULL, "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV",
					  "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV",
					  "FPE_FLTSUB", "FPE_FLTUNK", "FPE_CONDTRAP"};
	static const char *const trap[] = {NULL, "TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH",
					   "TRAP_HWBKPT", "TRAP_UNK", "TRAP_PERF"};
	static const char *const chld[] = {NULL, "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED",
					   "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"};
#define PICK(tab)                                                                      \
	return code > 0 && (size_t)code < sizeof(tab) / sizeof(tab[0]) ? tab[code] : NULL
	switch (sig) {
	case SIGSEGV:
		PICK(segv);
	case SIGBUS:
		PICK(bus);
	case SIGILL:
		PICK(ill);
	case SIGFPE:
		PICK(fpe);
	case SIGTRAP:
		PICK(trap);
	case SIGCHLD:
		PICK(chld);
	default:
		return NULL;
	}
#undef PICK
}

void
kt_signal_defaults(struct kt_settings *set, bool interactive)
{
	for (int i = 0; i < KT_NSIG; i++)
		set->sig[i] = (struct kt_sig_policy){false, false, true};
	int stop[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
	for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
		set->sig[stop[i]] = (struct kt_sig_policy){true, true, true};
	if (interactive)
		set->sig[SIGINT] = (struct kt_sig_policy){true, true, false};
}

const struct kt_sig_policy *
kt_signal_policy(const struct kt_session *s, int sig)
{
	static const struct kt_sig_policy pass = {false, false, true};

	return sig > 0 && sig < KT_NSIG ? &s->set.sig[sig] : &pass;
}

/* Bit SIG of the hex mask on the line "KEY:\t..." of /proc/PID/status. */
static bool
status_bit(const char *text, const char *key, int sig)
{
	const char *p = strstr(text, key);

	if (!p)
		return false;
	unsigned long long mask = strtoull(p + strlen(key), NULL, 16);
	return (mask >> (sig - 1)) & 1;
}

bool
kt_signal_fatal(int pid, int sig, bool fault)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (sig < 1 || sig > 64)
		return false;
	bool caught = status_bit(buf, "SigCgt:", sig);
	bool ignored = status_bit(buf, "SigIgn:", sig);
	bool blocked = status_bit(buf, "SigBlk:", sig);
	/* A synchronous fault that is ignored or blocked is forced to default. */
	if (fault && (blocked || ignored))
		return true;
	if (caught)
		return false;
	if (ignored && !fault)
		return false;
	switch (sig) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return false;
	default:
		return true;
	}
}
