/* SPDX-License-Identifier: MIT */
/*
 * repl.c - the prompt and command files (see repl.h).  The prompt uses
 * libedit's own interface, so it can read characters itself and see a
 * Ctrl-C arrive on the tracer's signalfd.
 */
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

/* What the prompt's callbacks need (libedit hands it back to them). */
struct prompt {
	struct kt_cli *c;
	int sig;          /* SIGINT/SIGTERM/SIGHUP taken while reading, or 0 */
	mbstate_t mb;     /* a multibyte character read in part */
	char main[16];    /* the prompts (libedit wants them writable) */
	char more[4];
};

/* SIGTERM/SIGHUP end the session; anything else received is forgotten. */
static void
end_on(struct kt_cli *c, int sig)
{
	if (sig == SIGTERM || sig == SIGHUP) {
		fprintf(c->s->err, "kitrace received %s: cleaning up.\n",
			sig == SIGTERM ? "SIGTERM" : "SIGHUP");
		c->quit = true;
		c->quit_status = 128 + sig;
	}
}

static void
flush(struct kt_cli *c)
{
	end_on(c, c->s->os->ops->flush_signals(c->s->os));
}

static void
run_line(struct kt_cli *c, const char *line)
{
	kt_cmd_exec(c, line);
	flush(c);
}

static struct prompt *
prompt_of(EditLine *el)
{
	void *p = NULL;

	el_get(el, EL_CLIENTDATA, &p);
	return p;
}

static char *
prompt_text(EditLine *el)
{
	struct prompt *p = prompt_of(el);

	return p->c->collecting_bp ? p->more : p->main;
}

/*
 * Read one byte of the terminal without blocking.  The byte poll() saw can
 * be gone by the time of the read: a Ctrl-C typed in between flushes the
 * terminal's input as it raises SIGINT, and SIGINT, blocked for the
 * signalfd, would not end a blocking read.  The program is stopped while
 * the prompt reads, so lending the shared descriptor O_NONBLOCK for the
 * read disturbs nobody.
 */
static ssize_t
read_now(char *ch)
{
	int fl = fcntl(STDIN_FILENO, F_GETFL);

	if (fl < 0 || fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK) < 0)
		return read(STDIN_FILENO, ch, 1);
	ssize_t n = read(STDIN_FILENO, ch, 1);
	int e = errno;
	fcntl(STDIN_FILENO, F_SETFL, fl);
	errno = e;
	return n;
}

/*
 * libedit's character source: the terminal, or a signal to the tracer.
 * The tracer's SIGINT is blocked and read from a signalfd (os.h), so
 * without this libedit would never see Ctrl-C.  A SIGINT (or a Ctrl-C
 * byte, if the terminal does not turn it into a signal) is noted and
 * comes back as a character bound to ending the line, which edit_line()
 * then drops: the terminal stays in libedit's mode and nothing typed
 * after it is lost.  Returns 1 with
 * *WC set, 0 at end of input, -1 when SIGTERM or SIGHUP ends the session.
 */
static int
read_char(EditLine *el, wchar_t *wc)
{
	struct prompt *p = prompt_of(el);
	struct kt_os *os = p->c->s->os;

	for (;;) {
		int sig = os->ops->wait_input(os, STDIN_FILENO);
		if (sig == SIGINT) {
			memset(&p->mb, 0, sizeof(p->mb));
			p->sig = SIGINT;
			*wc = 3; /* ^C */
			return 1;
		}
		if (sig > 0) {
			p->sig = sig;
			return -1;
		}
		if (sig < 0)
			return 0;
		char ch;
		ssize_t n = read_now(&ch);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return 0;
		}
		if (ch == 3)
			p->sig = SIGINT;
		size_t r = mbrtowc(wc, &ch, 1, &p->mb);
		if (r == (size_t)-2)
			continue; /* more bytes of this character to come */
		if (r == (size_t)-1) {
			memset(&p->mb, 0, sizeof(p->mb));
			*wc = (wchar_t)(unsigned char)ch; /* not valid here: take the byte */
		}
		return 1;
	}
}

/* One line from the terminal, with editing and history; NULL at the end. */
static char *
edit_line(EditLine *el, History *h, struct prompt *p)
{
	for (;;) {
		int count = 0;
		p->sig = 0;
		const char *line = el_gets(el, &count);
		if (p->sig == SIGINT) {
			/* As in GDB: Ctrl-C at the prompt drops the line. */
			fputs("Quit\n", p->c->s->out);
			fflush(p->c->s->out);
			continue;
		}
		if (line && count > 0) {
			char *copy = strdup(line);
			if (copy)
				copy[strcspn(copy, "\n")] = '\0';
			if (copy && *copy) {
				HistEvent ev;
				history(h, &ev, H_ENTER, copy);
			}
			return copy;
		}
		if (p->sig)
			end_on(p->c, p->sig);
		return NULL;
	}
}

static char *
plain_line(struct kt_cli *c)
{
	char *line = NULL;
	size_t cap = 0;

	fputs(c->collecting_bp ? ">" : "(kitrace) ", c->s->out);
	fflush(c->s->out);
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

void
kt_repl(struct kt_cli *c)
{
	struct prompt p = {.c = c, .main = "(kitrace) ", .more = ">"};
	EditLine *el = NULL;
	History *h = NULL;
	char *last = NULL;

	if (isatty(STDIN_FILENO) && (el = el_init("kitrace", stdin, stdout, stderr)) &&
	    (h = history_init())) {
		HistEvent ev;
		history(h, &ev, H_SETSIZE, 1000);
		el_set(el, EL_CLIENTDATA, &p);
		el_set(el, EL_PROMPT, prompt_text);
		el_set(el, EL_EDITOR, "emacs");
		el_set(el, EL_HIST, history, h);
		el_set(el, EL_GETCFN, read_char);
		el_set(el, EL_BIND, "^C", "ed-newline", NULL);
		el_source(el, NULL); /* ~/.editrc */
	} else if (el) {
		el_end(el);
		el = NULL;
	}
	while (!c->quit) {
		char *line = el ? edit_line(el, h, &p) : plain_line(c);
		if (!line) {
			if (!c->quit)
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
			run_line(c, line);
			free(last);
			last = strdup(line);
		}
		free(line);
	}
	free(last);
	if (el)
		el_end(el);
	if (h)
		history_end(h);
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
