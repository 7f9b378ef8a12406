/* SPDX-License-Identifier: MIT */
/*
 * format.h - how kitrace shows things to people: frames, stops, symbolic
 * addresses, disassembly listings.  Text only; JSON lives in report.c.
 */
#ifndef KT_FORMAT_H
#define KT_FORMAT_H

#include <stdio.h>

#include "session.h"
#include "unwind.h"

/*
 * NAME as it may be shown on a terminal: control characters and bytes
 * outside printable ASCII become \xNN, and it is cut (with "...") to fit
 * BUF.  Names come from the inferior and are untrusted.  Returns BUF.
 */
const char *kt_fmt_name(const char *name, char *buf, size_t len);
/* "func+off" or "0x..." into BUF (the name made safe by kt_fmt_name). */
const char *kt_fmt_sym(const struct kt_symbol_info *sym, uint64_t addr, char *buf, size_t len);
/* "#N  0xADDR in func+off (module) [elf, fp]" */
void kt_print_frame(struct kt_session *s, FILE *f, size_t idx, const struct kt_frame *fr);
/* One line (or a few) describing STOP, as GDB would. */
void kt_print_stop(struct kt_session *s, FILE *f, const struct kt_stop *stop);
/* Disassemble [start, start+len) (or COUNT instructions if count > 0), marking MARK. */
void kt_print_disas(struct kt_session *s, FILE *f, uint64_t start, size_t len, size_t count,
		    uint64_t mark);
/* Disassemble up to BEFORE instructions before PC and AFTER after it, marking PC. */
void kt_print_code_around(struct kt_session *s, FILE *f, uint64_t pc, size_t before,
			  size_t after);
/* The signal line: "SIGSEGV (Segmentation fault), SEGV_MAPERR at address 0x10". */
void kt_print_signal(FILE *f, int signo, const siginfo_t *si);

#endif
