/* SPDX-License-Identifier: MIT */
/*
 * parser.h - turns kit source text into a resolved syntax tree (parser.c).
 */
#ifndef KD_PARSER_H
#define KD_PARSER_H

#include <stddef.h>

#include "ast.h"

/*
 * Parse and resolve SRC (LEN bytes).  Returns a program, or NULL with DIAG
 * filled in (the first error found).  The program has at least a function
 * `main` with no parameters.
 */
struct kd_program *kd_parse(const char *src, size_t len, struct kd_diag *diag);

/* As kd_parse(), but a program without `main` is fine (a library). */
struct kd_program *kd_parse_lib(const char *src, size_t len, struct kd_diag *diag);

void kd_program_free(struct kd_program *prog);

#endif
