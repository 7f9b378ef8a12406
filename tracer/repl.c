/* SPDX-License-Identifier: MIT */
/*
 * repl.c - the prompt and command files (see repl.h).
 */
#include "repl.h"

#include <editline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Ctrl-C typed at the prompt is forgotten; SIGTERM/SIGHUP end the session. */
static void
flush(struct kt_cli *c)
{
	int sig = c->s->os->ops->flush_signals(c->s->os);

	if (sig) {
		fprintf(c->s->err, "kitrace received %s: cleaning up.\n",
			sig == SIGTERM ? "SIGTERM" : "SIGHUP");
		c->quit = true;
		c->quit_status = 128 + sig;
	}
}

static void
run_line(struct kt_cli *c, const char *line)
{
	kt_cmd_exec(c, line);
	flush(c);
}

void
kt_repl(struct kt_cli *c)
{
	bool tty = isatty(STDIN_FILENO);
	char *last = NULL;

	while (!c->quit) {
		char *line = NULL;
		const char *prompt = c->collecting_bp ? ">" : "(kitrace) ";
		if (tty) {
			line = readline(prompt);
		} else {
			size_t cap = 0;
			fputs(prompt, c->s->out);
			fflush(c->s->out);
			if (getline(&line, &cap, stdin) < 0) {
				free(line);
				line = NULL;
			} else {
				line[strcspn(line, "\n")] = '\0';
			}
		}
		if (!line) {
			fputs("quit\n", c->s->out);
			break;
		}
		flush(c);
		if (c->quit) {
			free(line);
			break;
		}
		if (*line == '\0' && last && !c->collecting_bp) {
			run_line(c, last);
		} else if (*line) {
			if (tty)
				add_history(line);
			run_line(c, line);
			free(last);
			last = strdup(line);
		}
		free(line);
	}
	free(last);
}

kt_status
kt_run_file(struct kt_cli *c, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return KT_ERR_SYS;
	while (!c->quit && getline(&line, &cap, f) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		kt_cmd_exec(c, line);
	}
	free(line);
	fclose(f);
	return KT_OK;
}
