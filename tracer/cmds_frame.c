/* SPDX-License-Identifier: MIT */
/*
 * cmds_frame.c - selecting a frame of the current thread: frame, up, down,
 * info frame.  The selection (s->frame, numbered as kt_frames() numbers,
 * inlined calls included) is what print $pc, $sp and other registers and
 * "info registers" read; it goes back to 0 at every stop and resume.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "format.h"
#include "frames.h"
#include "source.h"

/* Frames of the current thread into a fresh array (free it); NULL on error. */
static struct kt_frame *
frames_of_cur(struct kt_cli *c, size_t *n)
{
	struct kt_frame *fr;

	if (!c->s->cur || !(fr = calloc(KT_MAX_FRAMES, sizeof(*fr)))) {
		kt_cli_error(c, "No stack.");
		return NULL;
	}
	*n = kt_frames(c->s, c->s->cur, fr, KT_MAX_FRAMES);
	if (*n == 0) {
		free(fr);
		kt_cli_error(c, "No stack.");
		return NULL;
	}
	return fr;
}

/* "#N  0x... in f ..." and the source line, as GDB shows a selected frame. */
static void
show_frame(struct kt_cli *c, const struct kt_frame *fr, size_t idx)
{
	kt_print_frame(c->s, c->s->out, idx, fr);
	if (fr->sym.file && fr->sym.line > 0) {
		kt_source_print_stop_line(c->s->out, fr->sym.file, fr->sym.line);
		kt_list_reset(c, fr->sym.file, fr->sym.line);
	}
}

/* Select frame TARGET (clamped by the caller's message rules) and show it. */
static kt_status
select_frame(struct kt_cli *c, long target, const char *edge_msg)
{
	size_t n;
	struct kt_frame *fr = frames_of_cur(c, &n);

	if (!fr)
		return KT_ERR_STATE;
	if (target < 0 || (size_t)target >= n) {
		if (edge_msg && (c->s->frame == (target < 0 ? 0 : (int)n - 1))) {
			free(fr);
			kt_cli_error(c, "%s", edge_msg);
			return KT_ERR_RANGE;
		}
		if (!edge_msg) {
			free(fr);
			kt_cli_error(c, "No frame at level %ld.", target);
			return KT_ERR_RANGE;
		}
		target = target < 0 ? 0 : (long)n - 1;
	}
	c->s->frame = (int)target;
	show_frame(c, &fr[target], (size_t)target);
	free(fr);
	return KT_OK;
}

static bool
count_arg(struct kt_cli *c, const char *args, unsigned long *n)
{
	if (!*args)
		return true;
	const char *e = kt_parse_uint(args, n);
	if (!e || *kt_skip_ws(e) || *n > KT_MAX_FRAMES) {
		kt_cli_error(c, "Invalid number \"%s\".", args);
		return false;
	}
	return true;
}

kt_status
kt_cmd_frame(struct kt_cli *c, const char *args)
{
	unsigned long n = (unsigned long)c->s->frame;

	if (!count_arg(c, args, &n))
		return KT_ERR_SYNTAX;
	return select_frame(c, (long)n, NULL);
}

kt_status
kt_cmd_up(struct kt_cli *c, const char *args)
{
	unsigned long n = 1;

	if (!count_arg(c, args, &n))
		return KT_ERR_SYNTAX;
	return select_frame(c, c->s->frame + (long)n, "Initial frame selected; you cannot go up.");
}

kt_status
kt_cmd_down(struct kt_cli *c, const char *args)
{
	unsigned long n = 1;

	if (!count_arg(c, args, &n))
		return KT_ERR_SYNTAX;
	return select_frame(c, c->s->frame - (long)n,
			    "Bottom (innermost) frame selected; you cannot go down.");
}

kt_status
kt_cmd_info_frame(struct kt_cli *c, const char *args)
{
	struct kt_session *s = c->s;
	size_t n;
	struct kt_frame *fr = frames_of_cur(c, &n);
	size_t k = (size_t)s->frame;
	char name[256], file[512];

	if (!fr)
		return KT_ERR_STATE;
	if (k >= n)
		k = n - 1;
	const struct kt_frame *f = &fr[k];
	/* A frame's address is its CFA: the sp its caller has. */
	size_t caller = k + 1;
	while (caller < n && fr[caller].sp == f->sp && fr[caller].pc == f->pc)
		caller++; /* the same physical frame (inlined calls) */
	fprintf(s->out, "Stack level %zu, frame at ", k);
	if (caller < n)
		fprintf(s->out, "0x%" PRIx64 ":\n", fr[caller].sp);
	else
		fputs("<unknown>:\n", s->out);
	fprintf(s->out, " pc = 0x%016" PRIx64 " in %s", f->pc,
		f->sym.function ? kt_fmt_name(f->sym.function, name, sizeof(name)) : "??");
	if (f->sym.file)
		fprintf(s->out, " (%s:%d)", kt_fmt_name(f->sym.file, file, sizeof(file)),
			f->sym.line);
	if (caller < n)
		fprintf(s->out, "; saved pc = 0x%016" PRIx64, fr[caller].pc);
	fputc('\n', s->out);
	if (f->inlined)
		fprintf(s->out, " inlined into frame %zu\n", k + 1);
	fprintf(s->out, " sp = 0x%" PRIx64 ", fp = 0x%" PRIx64 "\n", f->sp, f->fp);
	fprintf(s->out, " found by: %s; symbol from: %s\n", f->unwind,
		f->sym.source ? f->sym.source : "none");
	free(fr);
	return KT_OK;
}
