/* SPDX-License-Identifier: MIT */
/*
 * attr.h - compiler attributes the code uses, in one place.
 *
 * KT_HOT marks the functions a silent breakpoint hit runs through (wait,
 * classify, condition, step over, resume).  GCC places them together in
 * .text.hot, so a hit touches a few pages of kitrace's code instead of
 * one page per source file.  Under emulation every page a process touches
 * after a switch costs a page-table walk (doc/aarch64.md measured about
 * 0.25 us a page in the guest), so the grouping is part of the per-hit
 * cost; on hardware it saves TLB entries.  Mark nothing else with it.
 *
 * KT_COLD marks a function a hit path calls only now and then (filling a
 * slot for another breakpoint), so that it is neither inlined there nor
 * placed among the hot functions.
 */
#ifndef KT_ATTR_H
#define KT_ATTR_H

#if defined(__GNUC__)
#define KT_HOT __attribute__((hot))
#define KT_COLD __attribute__((cold, noinline))
#else
#define KT_HOT
#define KT_COLD
#endif

#endif
