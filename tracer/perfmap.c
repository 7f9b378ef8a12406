/* SPDX-License-Identifier: MIT */
/*
 * perfmap.c - the perf map source (see perfmap.h): the line parser, the
 * index of disjoint pieces with its sort-the-batch-and-merge commit, and
 * the file follower that reads only appended bytes.  The only place that
 * reads /tmp/perf-PID.map.
 */
#include "perfmap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modules.h"
#include "session.h"

#define CHUNK (1u << 20) /* bytes read per pread */

void
kt_perfmap_index_init(struct kt_perfmap_index *idx, size_t max_entries)
{
	memset(idx, 0, sizeof(*idx));
	idx->max_entries = max_entries ? max_entries : KT_PERFMAP_MAX_ENTRIES;
}

void
kt_perfmap_index_clear(struct kt_perfmap_index *idx)
{
	free(idx->seg);
	free(idx->batch);
	idx->seg = NULL;
	idx->batch = NULL;
	idx->nseg = idx->nbatch = idx->capbatch = 0;
	idx->nentries = 0;
	idx->skipping = false;
}

void
kt_perfmap_index_fini(struct kt_perfmap_index *idx)
{
	size_t max = idx->max_entries;

	kt_perfmap_index_clear(idx);
	for (size_t i = 0; i < idx->nblocks; i++)
		free(idx->blocks[i]);
	free(idx->blocks);
	kt_perfmap_index_init(idx, max);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A hex number of 1 to 16 digits at *P (an optional "0x" first). */
static bool
parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *q = *p;
	uint64_t x = 0;
	int nd = 0, d;

	if (end - q > 2 && q[0] == '0' && (q[1] | 0x20) == 'x')
		q += 2;
	for (; q < end && (d = hex_digit(*q)) >= 0; q++) {
		if (++nd > 16)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	if (nd == 0)
		return false;
	*p = q;
	*v = x;
	return true;
}

/* Copy NAME into the pool; its offset, or UINT32_MAX when out of room.
 * Blocks never move, so names handed out stay where they are. */
static uint32_t
pool_add(struct kt_perfmap_index *idx, const char *name, size_t len)
{
	if (len + 1 > KT_PERFMAP_POOL_BLOCK)
		return UINT32_MAX;
	if (idx->nblocks == 0 || idx->used + len + 1 > KT_PERFMAP_POOL_BLOCK) {
		if ((idx->nblocks + 1) * (uint64_t)KT_PERFMAP_POOL_BLOCK > KT_PERFMAP_MAX_POOL)
			return UINT32_MAX;
		char **v = realloc(idx->blocks, (idx->nblocks + 1) * sizeof(*v));
		if (!v)
			return UINT32_MAX;
		idx->blocks = v;
		if (!(v[idx->nblocks] = malloc(KT_PERFMAP_POOL_BLOCK)))
			return UINT32_MAX;
		idx->nblocks++;
		idx->used = 0;
	}
	uint32_t off = (uint32_t)((idx->nblocks - 1) * KT_PERFMAP_POOL_BLOCK + idx->used);
	char *dst = idx->blocks[idx->nblocks - 1] + idx->used;
	memcpy(dst, name, len);
	dst[len] = '\0';
	idx->used += len + 1;
	return off;
}

/* One line, without its newline: "START SIZE NAME". */
static void
parse_line(struct kt_perfmap_index *idx, const char *p, size_t len)
{
	const char *end = p + len;
	uint64_t start, size;

	while (end > p && (is_blank(end[-1]) || end[-1] == '\r'))
		end--;
	if (end == p)
		return; /* an empty line */
	if (memchr(p, '\0', (size_t)(end - p)) || !parse_hex(&p, end, &start) || p == end ||
	    !is_blank(*p))
		goto bad;
	while (p < end && is_blank(*p))
		p++;
	if (!parse_hex(&p, end, &size) || p == end || !is_blank(*p))
		goto bad;
	while (p < end && is_blank(*p))
		p++;
	if (p == end || size == 0 || size > KT_PERFMAP_MAX_CODE || start > UINT64_MAX - size)
		goto bad;
	if (idx->nentries >= idx->max_entries || idx->nbatch >= UINT32_MAX)
		return; /* past the cap: dropped */
	if (idx->nbatch == idx->capbatch) {
		size_t cap = idx->capbatch ? 2 * idx->capbatch : 256;
		struct kt_perfmap_ent *b = realloc(idx->batch, cap * sizeof(*b));
		if (!b)
			return;
		idx->batch = b;
		idx->capbatch = cap;
	}
	uint32_t name = pool_add(idx, p, (size_t)(end - p));
	if (name == UINT32_MAX)
		return;
	idx->batch[idx->nbatch] = (struct kt_perfmap_ent){start, start + size,
							  (uint32_t)idx->nbatch, name};
	idx->nbatch++;
	idx->nentries++;
	return;
bad:
	idx->malformed++;
}

size_t
kt_perfmap_index_feed(struct kt_perfmap_index *idx, const char *buf, size_t len, bool at_eof)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t line = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		if (idx->skipping) {
			if (!nl)
				return len;
			idx->skipping = false;
			pos += line + 1;
			continue;
		}
		if (line + 1 > KT_PERFMAP_MAX_LINE) {
			idx->malformed++;
			if (!nl) {
				idx->skipping = true;
				return len;
			}
			pos += line + 1;
			continue;
		}
		if (!nl && !at_eof)
			break;
		parse_line(idx, buf + pos, line);
		pos += line + (nl ? 1 : 0);
	}
	return pos;
}

static int
cmp_ent(const void *a, const void *b)
{
	const struct kt_perfmap_ent *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A max-heap of batch indices, keyed by seq (the latest line on top). */
struct heap {
	uint32_t *v;
	size_t n;
	const struct kt_perfmap_ent *b;
};

static void
heap_swap(struct heap *h, size_t i, size_t j)
{
	uint32_t t = h->v[i];

	h->v[i] = h->v[j];
	h->v[j] = t;
}

static void
heap_push(struct heap *h, uint32_t e)
{
	size_t i = h->n++;

	h->v[i] = e;
	while (i > 0 && h->b[h->v[(i - 1) / 2]].seq < h->b[h->v[i]].seq) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_pop(struct heap *h)
{
	size_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && h->b[h->v[l]].seq > h->b[h->v[m]].seq)
			m = l;
		if (r < h->n && h->b[h->v[r]].seq > h->b[h->v[m]].seq)
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

/*
 * The sorted batch B[0..N) as disjoint pieces, each owned by the latest
 * entry covering it: a sweep over the boundaries with the entries covering
 * the current position in a heap.  OUT has room for 2 * N pieces (every
 * piece ends at a boundary, and there are at most 2 * N of them).
 */
static size_t
flatten(const struct kt_perfmap_ent *b, size_t n, uint32_t *heapv, struct kt_perfmap_seg *out)
{
	struct heap h = {heapv, 0, b};
	size_t i = 0, nout = 0;
	uint64_t pos = 0;

	while (i < n || h.n) {
		while (h.n && b[h.v[0]].hi <= pos)
			heap_pop(&h);
		if (!h.n) {
			if (i >= n)
				break;
			pos = b[i].lo;
		}
		while (i < n && b[i].lo <= pos)
			heap_push(&h, (uint32_t)i++);
		const struct kt_perfmap_ent *top = &b[h.v[0]];
		uint64_t end = top->hi;
		if (i < n && b[i].lo < end)
			end = b[i].lo;
		struct kt_perfmap_seg *last = nout ? &out[nout - 1] : NULL;
		if (last && last->hi == pos && last->start == top->lo && last->name == top->name)
			last->hi = end;
		else
			out[nout++] = (struct kt_perfmap_seg){pos, end, top->lo,
							      (uint32_t)(top->hi - top->lo),
							      top->name};
		pos = end;
	}
	return nout;
}

/*
 * The old pieces SEG[0..NO) overlaid by the newer pieces NW[0..NN) (both
 * sorted, disjoint), in place: SEG has room for NO + 2 * NN pieces (a new
 * piece splits at most one old piece in two).  Written from the end down,
 * so a write never reaches an old piece not read yet; then moved to the
 * front.  Returns the count.
 */
static size_t
overlay(struct kt_perfmap_seg *seg, size_t no, const struct kt_perfmap_seg *nw, size_t nn)
{
	size_t k = no + 2 * nn, j = nn;
	uint64_t cov = UINT64_MAX; /* the start of the last new piece written */

	for (size_t i = no; i-- > 0;) {
		const struct kt_perfmap_seg o = seg[i];
		/* A new piece may reach below the start of the previous old one. */
		uint64_t hi = o.hi < cov ? o.hi : cov;
		while (hi > o.lo) {
			while (j > 0 && nw[j - 1].lo >= hi)
				seg[--k] = nw[--j];
			if (j > 0 && nw[j - 1].hi >= hi) {
				hi = cov = nw[j - 1].lo; /* hi - 1 is covered */
				seg[--k] = nw[--j];
				continue;
			}
			uint64_t lo = j > 0 && nw[j - 1].hi > o.lo ? nw[j - 1].hi : o.lo;
			seg[--k] = o;
			seg[k].lo = lo;
			seg[k].hi = hi;
			hi = lo;
		}
	}
	while (j > 0)
		seg[--k] = nw[--j];
	size_t n = no + 2 * nn - k;
	memmove(seg, seg + k, n * sizeof(*seg));
	return n;
}

kt_status
kt_perfmap_index_commit(struct kt_perfmap_index *idx)
{
	size_t n = idx->nbatch;
	kt_status st = KT_ERR_NOMEM;

	if (n == 0)
		return KT_OK;
	idx->nbatch = 0;
	qsort(idx->batch, n, sizeof(*idx->batch), cmp_ent);
	struct kt_perfmap_seg *flat = malloc(2 * n * sizeof(*flat));
	uint32_t *heapv = malloc(n * sizeof(*heapv));
	struct kt_perfmap_seg *grown;
	if (!flat || !heapv)
		goto out;
	size_t nf = flatten(idx->batch, n, heapv, flat);
	if (!(grown = realloc(idx->seg, (idx->nseg + 2 * nf) * sizeof(*grown))))
		goto out; /* the old pieces stay */
	idx->seg = grown;
	idx->nseg = overlay(grown, idx->nseg, flat, nf);
	if ((grown = realloc(idx->seg, idx->nseg * sizeof(*grown))) != NULL)
		idx->seg = grown;
	st = KT_OK;
out:
	free(flat);
	free(heapv);
	if (idx->capbatch > 4096) { /* do not keep a big batch around */
		free(idx->batch);
		idx->batch = NULL;
		idx->capbatch = 0;
	}
	return st;
}

bool
kt_perfmap_index_lookup(const struct kt_perfmap_index *idx, uint64_t addr, uint64_t *start,
			uint64_t *size, const char **name)
{
	size_t lo = 0, hi = idx->nseg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (idx->seg[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= idx->seg[lo - 1].hi)
		return false;
	const struct kt_perfmap_seg *g = &idx->seg[lo - 1];
	*start = g->start;
	*size = g->size;
	*name = idx->blocks[g->name / KT_PERFMAP_POOL_BLOCK] + g->name % KT_PERFMAP_POOL_BLOCK;
	return true;
}

void
kt_perfmap_reset(struct kt_perfmap *pm)
{
	kt_perfmap_index_clear(&pm->idx);
	pm->open = false;
	pm->off = pm->size = 0;
	pm->ntail = 0;
}

/* Are the bytes before pm->off still the ones read last time? */
static bool
tail_intact(const struct kt_perfmap *pm, int fd)
{
	uint8_t now[sizeof(pm->tail)];

	return pread(fd, now, pm->ntail, (off_t)(pm->off - pm->ntail)) == (ssize_t)pm->ntail &&
	       memcmp(now, pm->tail, pm->ntail) == 0;
}

/* Read [pm->off, END) of FD into the index, complete lines only. */
static kt_status
read_appended(struct kt_perfmap *pm, int fd, uint64_t end)
{
	char *buf = malloc(CHUNK + KT_PERFMAP_MAX_LINE);
	size_t have = 0;

	if (!buf)
		return KT_ERR_NOMEM;
	while (pm->off + have < end) {
		size_t want = CHUNK + KT_PERFMAP_MAX_LINE - have;
		if (want > end - (pm->off + have))
			want = (size_t)(end - (pm->off + have));
		ssize_t r = pread(fd, buf + have, want, (off_t)(pm->off + have));
		if (r <= 0)
			break;
		have += (size_t)r;
		size_t used = kt_perfmap_index_feed(&pm->idx, buf, have, false);
		pm->off += used;
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
	pm->ntail = pm->off < sizeof(pm->tail) ? (size_t)pm->off : sizeof(pm->tail);
	if (pread(fd, pm->tail, pm->ntail, (off_t)(pm->off - pm->ntail)) != (ssize_t)pm->ntail)
		pm->ntail = 0;
	return kt_perfmap_index_commit(&pm->idx);
}

kt_status
kt_perfmap_refresh(struct kt_perfmap *pm, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		kt_perfmap_reset(pm);
		return KT_ERR_NOTFOUND;
	}
	if (pm->open && st.st_dev == pm->dev && st.st_ino == pm->ino &&
	    (uint64_t)st.st_size == pm->size)
		return KT_OK; /* nothing new */
	/* Not through a symlink, and never blocking on a FIFO swapped in. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		kt_status err = kt_status_from_errno(errno);
		kt_perfmap_reset(pm);
		return err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		kt_perfmap_reset(pm);
		return KT_ERR_NOTFOUND;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (!pm->open || st.st_dev != pm->dev || st.st_ino != pm->ino || size < pm->off ||
	    !tail_intact(pm, fd)) {
		kt_perfmap_reset(pm);
		pm->full_reads++;
	}
	pm->open = true;
	pm->dev = st.st_dev;
	pm->ino = st.st_ino;
	pm->size = size;
	kt_status ret = read_appended(pm, fd, size < KT_PERFMAP_MAX_FILE ? size : KT_PERFMAP_MAX_FILE);
	close(fd);
	return ret;
}

bool
kt_perfmap_symbolize(struct kt_session *s, uint64_t addr, struct kt_symbol_info *out)
{
	struct kt_perfmap *pm = s->perfmap;
	char path[64];
	uint64_t start, size;
	const char *name;

	if (!s->pid)
		return false;
	if (!pm) {
		if (!(pm = calloc(1, sizeof(*pm))))
			return false;
		kt_perfmap_index_init(&pm->idx, 0);
		s->perfmap = pm;
	}
	if (pm->pid != s->pid) {
		kt_perfmap_reset(pm);
		kt_perfmap_index_fini(&pm->idx);
		pm->pid = s->pid;
	}
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)s->pid);
	kt_perfmap_refresh(pm, path);
	if (!kt_perfmap_index_lookup(&pm->idx, addr, &start, &size, &name))
		return false;
	out->function = name;
	out->start = start;
	out->size = size;
	out->offset = addr - start;
	out->source = "perf-map";
	return true;
}

void
kt_perfmap_free(struct kt_session *s)
{
	if (!s->perfmap)
		return;
	kt_perfmap_index_fini(&s->perfmap->idx);
	free(s->perfmap);
	s->perfmap = NULL;
}
