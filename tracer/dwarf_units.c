/* SPDX-License-Identifier: MIT */
/*
 * dwarf_units.c - which units of a file's .debug_info libdwarf may walk:
 * the gate every DIE walk in dwarf_lines.c passes (kt_dw_die_ok,
 * kt_dw_off_ok), and the only caller of kt_dw_unit_check.
 *
 * The units are listed from their length fields as far as a DIE asked
 * for, and a unit is checked the first time a DIE in it is wanted, so an
 * address query that indexes one unit checks one unit.  The bytes checked
 * are the bytes libdwarf reads: an in-memory image's own sections,
 * relocated (kt_dw_load_mem hands them over), or a file's through libelf,
 * mapped, or when SHF_COMPRESSED inflated here (a second copy: libdwarf
 * keeps its own) only as far as the units asked for reach.  A file's are
 * read on the first ask, and let go once every unit has its answer.
 * The sections are found as libdwarf finds them: the one section it reads
 * as .debug_info, and the .debug_abbrev of the same kind (.dwo or not).
 * When this file cannot be sure that libdwarf reads what it checks (two
 * such sections, the old GNU .zdebug compression, a relocation libdwarf
 * would apply to a file's .debug_info or .debug_abbrev in its own copy, a
 * big-endian file), every unit is refused: the file then gives CFI, but no
 * lines or functions.  A DIE libdwarf made is let through only when
 * libdwarf puts it in the unit that was checked (same header offset and
 * length).
 */
#define KT_DWARF_INTERNAL
#include "dwarf.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_UNITS (1u << 20)
#define MAX_SCNS 65536

enum { UNCHECKED, GOOD, BAD };

struct unit_ent {
	uint64_t off, die, end; /* header, first DIE, end (the next unit) */
	uint8_t state;
};

struct kt_dw_units {
	const unsigned char *info, *abbrev;
	size_t ninfo, nabbrev;
	size_t have;	    /* info[0, have) is there: all of it, or what was inflated */
	z_stream *z;	    /* inflating a file's compressed .debug_info, or NULL */
	unsigned char *buf; /* ... into this (info) */
	size_t bufcap;
	Elf *elf;      /* a file's, holding its sections' bytes (NULL in memory) */
	uint64_t next; /* where the next unit to list starts; NONE: all listed */
	struct unit_ent *u;
	size_t n, cap;
	size_t unchecked; /* units listed, not checked yet */
	struct kt_dw_abbrevs *cache;
};

#define NONE UINT64_MAX
#define INFLATE_STEP (1u << 20)

void
kt_dw_pick_see(struct kt_dw_pick *p, unsigned idx, const char *name)
{
	bool info = kt_dw_sec_name(name, "info"), dwo;

	if (!info && !kt_dw_sec_name(name, "abbrev"))
		return;
	p->zdebug |= name[1] == 'z';
	dwo = strstr(name, ".dwo") != NULL;
	if (info) {
		p->ninfo++;
		p->info = idx;
		p->info_dwo = dwo;
	} else {
		p->nabbrev[dwo]++;
		p->abbrev[dwo] = idx;
	}
}

bool
kt_dw_pick_which(const struct kt_dw_pick *p, unsigned *info, unsigned *abbrev)
{
	if (p->zdebug || p->ninfo != 1 || p->nabbrev[p->info_dwo] != 1)
		return false;
	*info = p->info;
	*abbrev = p->abbrev[p->info_dwo];
	return true;
}

struct kt_dw_units *
kt_dw_units_new(const unsigned char *info, size_t ninfo, const unsigned char *abbrev,
		size_t nabbrev)
{
	struct kt_dw_units *u;

	if (!info || !abbrev || !(u = calloc(1, sizeof *u)))
		return NULL;
	u->info = info;
	u->ninfo = u->have = ninfo;
	u->abbrev = abbrev;
	u->nabbrev = nabbrev;
	return u;
}

static void
stop_inflating(struct kt_dw_units *u)
{
	if (u->z) {
		inflateEnd(u->z);
		free(u->z);
		u->z = NULL;
	}
}

/* Let go of the sections' bytes (a file's copies, decompressed or mapped). */
static void
release(struct kt_dw_units *u)
{
	stop_inflating(u);
	free(u->buf);
	u->buf = NULL;
	if (u->elf)
		elf_end(u->elf);
	u->elf = NULL;
	kt_dw_abbrevs_free(u->cache);
	u->cache = NULL;
	u->info = u->abbrev = NULL;
	u->have = 0;
}

void
kt_dw_units_free(struct kt_dw_units *u)
{
	if (!u)
		return;
	release(u);
	free(u->u);
	free(u);
}

/* Is info[0, UPTO) there (UPTO capped at the section's end)?  A compressed
 * section is inflated that far, and no further: a backtrace through libc
 * wants a few units, not the whole of its debug file.  A stream that ends
 * early ends the section there. */
static bool
ensure(struct kt_dw_units *u, uint64_t upto)
{
	if (upto > u->ninfo)
		upto = u->ninfo;
	while (u->have < upto && u->z) {
		size_t cap =
			u->bufcap + INFLATE_STEP > u->ninfo ? u->ninfo : u->bufcap + INFLATE_STEP;
		unsigned char *nb;
		int rc;

		if (cap < upto)
			cap = (size_t)upto;
		if (cap > u->bufcap) {
			if (!(nb = realloc(u->buf, cap)))
				break;
			u->buf = nb;
			u->bufcap = cap;
		}
		u->z->next_out = u->buf + u->have;
		u->z->avail_out =
			(uInt)(u->bufcap - u->have > UINT32_MAX ? UINT32_MAX : u->bufcap - u->have);
		rc = inflate(u->z, Z_NO_FLUSH);
		u->have = (size_t)(u->z->next_out - u->buf);
		u->info = u->buf;
		if (rc != Z_OK) { /* the end, or a bad stream: the section ends here */
			u->ninfo = u->have;
			stop_inflating(u);
		}
	}
	return u->have >= upto;
}

/* Section IDX's bytes, decompressed if need be. */
static bool
sec_data(Elf *e, unsigned idx, const unsigned char **p, size_t *n)
{
	Elf_Scn *scn = elf_getscn(e, idx);
	GElf_Shdr sh;
	Elf_Data *data;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return false;
	if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return false;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf)
		return false;
	*p = data->d_buf;
	*n = data->d_size;
	return true;
}

/* Start inflating section IDX (SHF_COMPRESSED, zlib) into U. */
static bool
start_inflating(struct kt_dw_units *u, Elf *e, unsigned idx)
{
	Elf_Scn *scn = elf_getscn(e, idx);
	size_t hdr = gelf_getclass(e) == ELFCLASS32 ? sizeof(Elf32_Chdr) : sizeof(Elf64_Chdr);
	GElf_Chdr ch;
	Elf_Data *raw;

	if (!scn || !gelf_getchdr(scn, &ch) || ch.ch_type != ELFCOMPRESS_ZLIB ||
	    ch.ch_size > (1ull << 32) || !(raw = elf_rawdata(scn, NULL)) || !raw->d_buf ||
	    raw->d_size <= hdr || raw->d_size - hdr > UINT32_MAX ||
	    !(u->z = calloc(1, sizeof *u->z)))
		return false;
	u->z->next_in = (Bytef *)raw->d_buf + hdr;
	u->z->avail_in = (uInt)(raw->d_size - hdr);
	if (inflateInit(u->z) != Z_OK) {
		free(u->z);
		u->z = NULL;
		return false;
	}
	u->ninfo = (size_t)ch.ch_size;
	u->have = 0;
	return true;
}

/* A file's units, from its open descriptor FD; NULL: refuse them all. */
static struct kt_dw_units *
from_file(int fd)
{
	static const unsigned char none[1];
	struct kt_dw_pick pick = {0};
	const unsigned char *info = none, *abbrev;
	size_t ninfo = 0, nabbrev, shstrndx;
	unsigned ii, ia, nscn = 0;
	Elf_Scn *scn = NULL;
	struct kt_dw_units *u;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ_MMAP, NULL)))
		return NULL;
	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || elf_getshdrstrndx(e, &shstrndx) != 0)
		goto fail;
	while ((scn = elf_nextscn(e, scn)) != NULL && nscn++ < MAX_SCNS) {
		const char *name;

		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(e, shstrndx, sh.sh_name)))
			kt_dw_pick_see(&pick, (unsigned)elf_ndxscn(scn), name);
	}
	if (!kt_dw_pick_which(&pick, &ii, &ia) || !gelf_getshdr(elf_getscn(e, ii), &sh))
		goto fail;
	for (scn = NULL, nscn = 0; (scn = elf_nextscn(e, scn)) != NULL && nscn++ < MAX_SCNS;) {
		GElf_Shdr rs;

		if (gelf_getshdr(scn, &rs) && (rs.sh_type == SHT_RELA || rs.sh_type == SHT_REL) &&
		    (rs.sh_info == ii || rs.sh_info == ia))
			goto fail;
	}
	if ((!(sh.sh_flags & SHF_COMPRESSED) && !sec_data(e, ii, &info, &ninfo)) ||
	    !sec_data(e, ia, &abbrev, &nabbrev) ||
	    !(u = kt_dw_units_new(info, ninfo, abbrev, nabbrev)))
		goto fail;
	u->elf = e;
	if ((sh.sh_flags & SHF_COMPRESSED) && !start_inflating(u, e, ii)) {
		kt_dw_units_free(u);
		return NULL;
	}
	return u;
fail:
	elf_end(e);
	return NULL;
}

/* F's units, listed as far as OFF at least; NULL: refuse them all. */
static struct kt_dw_units *
units(struct kt_dw_file *f, uint64_t off)
{
	struct kt_dw_units *u;

	if (!f->units_tried) {
		f->units_tried = true;
		if (f->fd >= 0)
			f->units = from_file(f->fd);
	}
	u = f->units;
	while (u && u->next != NONE && u->next <= off) {
		uint64_t at = u->next, die = 0, next = 0;
		struct unit_ent *e;
		bool ok;

		/* kt_dw_unit_bounds reads the header only */
		ensure(u, at + KT_DW_UNIT_HEADER_MAX);
		ok = at < u->have &&
		     kt_dw_unit_bounds(u->info,
				       u->have < at + KT_DW_UNIT_HEADER_MAX ? u->have : u->ninfo,
				       at, &die, &next);
		u->next = NONE;
		if (at >= u->have || next == 0) /* none past a bad length */
			break;
		e = kt_dw_push((void **)&u->u, &u->n, &u->cap, sizeof *e, MAX_UNITS);
		if (!e)
			break;
		e->off = at;
		e->die = die;
		e->end = next;
		e->state = ok ? UNCHECKED : BAD;
		u->unchecked += ok;
		u->next = next < u->ninfo ? next : NONE;
	}
	if (u && u->next == NONE && !u->unchecked && (u->info || u->z))
		release(u); /* every answer is known: the bytes are not needed */
	return u;
}

/* The unit whose DIEs hold OFF, checked; NULL if none or it failed. */
static const struct unit_ent *
good_unit(struct kt_dw_file *f, uint64_t off)
{
	struct kt_dw_units *u = units(f, off);
	size_t lo = 0, hi = u ? u->n : 0;
	struct unit_ent *e;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->u[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	e = &u->u[lo - 1];
	if (off < e->die || off >= e->end)
		return NULL;
	if (e->state == UNCHECKED) {
		e->state = ensure(u, e->end) && kt_dw_unit_check(u->info, u->ninfo, e->off,
								 u->abbrev, u->nabbrev, &u->cache)
				   ? GOOD
				   : BAD;
		u->unchecked--;
		units(f, 0); /* the bytes go when the last answer is known */
	}
	return e->state == GOOD ? e : NULL;
}

bool
kt_dw_off_ok(struct kt_dw_file *f, uint64_t off, bool first)
{
	const struct unit_ent *e = good_unit(f, off);

	return e && (!first || off == e->die);
}

bool
kt_dw_die_ok(struct kt_dw_file *f, Dwarf_Die die, bool first)
{
	Dwarf_Error err = NULL;
	Dwarf_Off off = 0, hdr = 0, len = 0;
	const struct unit_ent *e;

	if (dwarf_dieoffset(die, &off, &err) != DW_DLV_OK ||
	    dwarf_die_CU_offset_range(die, &hdr, &len, &err) != DW_DLV_OK) {
		kt_dw_err(f->dbg, &err);
		return false;
	}
	/* libdwarf's bounds of the unit must be the ones checked */
	e = good_unit(f, off);
	return e && (!first || off == e->die) && hdr == e->off && len == e->end - e->off;
}
