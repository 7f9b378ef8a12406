/* SPDX-License-Identifier: MIT */
/*
 * registry_int.h - helpers shared by the registry writer, reader and
 * tracer-side writers, private to shm/: atomic access to words in the
 * shared mapping, the Bloom bit positions, and overflow-safe range checks.
 * The only place the Bloom probe sequence is defined.
 */
#ifndef KT_SHM_REGISTRY_INT_H
#define KT_SHM_REGISTRY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "registry.h"

#define KT_LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define KT_LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define KT_STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define KT_STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* The header at BASE. */
static inline struct kt_jreg_header *
kt_jreg_hdr(const void *base)
{
	return (struct kt_jreg_header *)(uintptr_t)base;
}

/* True when [OFF, OFF + SIZE) lies within [LO, HI), without overflow. */
static inline bool
kt_jreg_in(uint64_t off, uint64_t size, uint64_t lo, uint64_t hi)
{
	return off >= lo && off <= hi && size <= hi - off;
}

static inline uint64_t
kt_jreg_round8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* Bit number of the I-th probe of hash H in a filter of NBITS (a power
 * of two) bits: double hashing, h1 + i * h2 with h2 odd. */
static inline uint64_t
kt_jreg_bloom_bit(uint64_t h, unsigned i, uint64_t nbits)
{
	uint64_t h1 = h & 0xffffffffu;
	uint64_t h2 = (h >> 32) | 1;

	return (h1 + (uint64_t)i * h2) & (nbits - 1);
}

/* Bloom test over the bitmap BITS of NBYTES bytes, under the seqlock SEQ
 * and mode word MODE; conservative (true) while the bitmap changes. */
bool kt_jreg_bloom_test(const uint8_t *bits, uint64_t nbytes, uint64_t hashes, const uint32_t *mode,
			const uint32_t *seq, uint64_t h);

#endif
