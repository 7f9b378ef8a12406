/* SPDX-License-Identifier: MIT */
/*
 * threads.c - the thread list of the traced process: add, find, number,
 * remove, and the register cache (read once per stop, written back only
 * when changed).
 */
#include "attr.h"
#include "session.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

KT_HOT struct kt_thread *
kt_thread_find(struct kt_session *s, pid_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i]->tid == tid)
			return s->threads[i];
	return NULL;
}

struct kt_thread *
kt_thread_by_num(struct kt_session *s, int num)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i]->num == num)
			return s->threads[i];
	return NULL;
}

struct kt_thread *
kt_thread_add(struct kt_session *s, pid_t tid, enum kt_thread_state st)
{
	struct kt_thread *t = kt_thread_find(s, tid);

	if (t)
		return t;
	if (s->nthreads == s->cap_threads) {
		size_t cap = s->cap_threads ? 2 * s->cap_threads : 16;
		struct kt_thread **v = realloc(s->threads, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->threads = v;
		s->cap_threads = cap;
	}
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	t->tid = tid;
	t->state = st;
	t->num = ++s->next_thread_num;
	s->threads[s->nthreads++] = t;
	if (!s->cur)
		s->cur = t;
	return t;
}

void
kt_thread_remove(struct kt_session *s, struct kt_thread *t)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		if (s->threads[i] != t)
			continue;
		memmove(&s->threads[i], &s->threads[i + 1],
			(s->nthreads - i - 1) * sizeof(s->threads[0]));
		s->nthreads--;
		break;
	}
	if (s->cur == t)
		s->cur = s->nthreads ? s->threads[0] : NULL;
	free(t);
}

void
kt_threads_clear(struct kt_session *s)
{
	for (size_t i = 0; i < s->nthreads; i++)
		free(s->threads[i]);
	s->nthreads = 0;
	s->cur = NULL;
}

KT_HOT kt_status
kt_thread_regs(struct kt_session *s, struct kt_thread *t)
{
	if (t->regs_valid)
		return KT_OK;
	kt_status st = s->os->ops->get_regs(s->os, t->tid, &t->regs, s->arch->prstatus_size);
	if (st == KT_OK)
		t->regs_valid = true;
	return st;
}

KT_HOT kt_status
kt_thread_set_regs(struct kt_session *s, struct kt_thread *t)
{
	return s->os->ops->set_regs(s->os, t->tid, &t->regs, s->arch->prstatus_size);
}

void
kt_thread_name(struct kt_session *s, const struct kt_thread *t, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)s->pid, (int)t->tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n <= 0)
		n = 0;
	buf[n] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
}
