/* SPDX-License-Identifier: MIT */
/*
 * check_home_trap.c - unit tests of kt_stepper_stale_home_trap()
 * (tracer/stepper.c). On AArch64 a far displaced-step slot goes home
 * through a brk. If an all-stop puts the thread back in the program while
 * that trap is still queued, the trap arrives later, outside the slot, and
 * must be dropped. Only a breakpoint trap raised inside the slot area and
 * taken outside it is such a trap; everything else is left to the normal
 * classification.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "slots.h"
#include "stepper.h"

#define SLOTS 0xffff80000000ull
#define SLOT_LEN 0x10000ull
#define PROGRAM_PC 0xaaaa00001234ull

static struct kt_session s;
static struct kt_slots sl;
static struct kt_thread t;

static void
setup(void)
{
	memset(&s, 0, sizeof(s));
	memset(&sl, 0, sizeof(sl));
	memset(&t, 0, sizeof(t));
	s.arch = &kt_arch_aarch64;
	sl.area[0].base = SLOTS;
	sl.area[0].len = SLOT_LEN;
	sl.nareas = 1;
	sl.slot_size = 16;
	sl.count = SLOT_LEN / 16;
	s.slots = &sl;
	s.arch->set_pc(&t.regs, PROGRAM_PC);
}

static siginfo_t
trap(int code, uint64_t addr)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGTRAP;
	si.si_code = code;
	si.si_addr = (void *)(uintptr_t)addr;
	return si;
}

START_TEST(test_home_trap_outside_slot_is_stale)
{
	siginfo_t si = trap(TRAP_BRKPT, SLOTS + 3 * 16 + 4);
	ck_assert(kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	si = trap(TRAP_BRKPT, SLOTS);
	ck_assert(kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	si = trap(TRAP_BRKPT, SLOTS + SLOT_LEN - 4);
	ck_assert(kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
}
END_TEST

START_TEST(test_trap_inside_slot_is_not_stale)
{
	/* Still in the slot: kt_stepper_displaced_stop's business. */
	siginfo_t si = trap(TRAP_BRKPT, SLOTS + 4);
	s.arch->set_pc(&t.regs, SLOTS + 4);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
}
END_TEST

START_TEST(test_other_traps_are_not_stale)
{
	/* A brk in the program (a patch, the program's own trap). */
	siginfo_t si = trap(TRAP_BRKPT, PROGRAM_PC);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	/* Just past either end of the slot area. */
	si = trap(TRAP_BRKPT, SLOTS - 4);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	si = trap(TRAP_BRKPT, SLOTS + SLOT_LEN);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	/* A step, a hardware breakpoint, a SIGTRAP sent by kill. */
	si = trap(TRAP_TRACE, SLOTS + 4);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	si = trap(TRAP_HWBKPT, SLOTS + 4);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	si = trap(SI_USER, SLOTS + 4);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	/* Not a SIGTRAP. */
	si = trap(TRAP_BRKPT, SLOTS + 4);
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGILL, &si));
}
END_TEST

START_TEST(test_no_slots)
{
	siginfo_t si = trap(TRAP_BRKPT, SLOTS + 4);
	s.slots = NULL;
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
	sl.nareas = 0; /* no area mapped */
	s.slots = &sl;
	ck_assert(!kt_stepper_stale_home_trap(&s, &t, SIGTRAP, &si));
}
END_TEST

static Suite *
home_trap_suite(void)
{
	Suite *su = suite_create("home_trap");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_home_trap_outside_slot_is_stale);
	tcase_add_test(tc, test_trap_inside_slot_is_not_stale);
	tcase_add_test(tc, test_other_traps_are_not_stale);
	tcase_add_test(tc, test_no_slots);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	SRunner *sr = srunner_create(home_trap_suite());
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
