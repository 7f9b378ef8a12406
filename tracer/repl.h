/* SPDX-License-Identifier: MIT */
/*
 * repl.h - the interactive prompt: line editing and history with libedit
 * on a terminal, plain lines otherwise; an empty line repeats the last
 * command, as in GDB.
 */
#ifndef KT_REPL_H
#define KT_REPL_H

#include "cmd.h"

/* Read and run commands until quit or end of input. */
void kt_repl(struct kt_cli *c);
/* Run the commands of FILE (-x); KT_ERR_SYS if it cannot be read. */
kt_status kt_run_file(struct kt_cli *c, const char *path);

#endif
