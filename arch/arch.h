/* SPDX-License-Identifier: MIT */
/*
 * arch.h - everything an instruction set decides, behind one table of
 * operations per architecture (struct kt_arch).
 *
 * Code in arch/ is pure: functions over instruction bytes and register
 * files, with memory reached only through the callbacks in struct
 * kt_arch_mem.  No ptrace, no I/O.  So every architecture is unit-tested on
 * any host.  The tracer picks the table for the inferior with
 * kt_arch_for_elf_machine() or kt_arch_host() and never tests the
 * architecture itself.
 */
#ifndef KT_ARCH_H
#define KT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

enum kt_arch_id { KT_ARCH_X86_64, KT_ARCH_AARCH64 };

/*
 * A general-purpose register file exactly as ptrace's NT_PRSTATUS regset
 * lays it out for the architecture (x86-64: struct user_regs_struct, 27
 * words; AArch64: struct user_pt_regs, 34 words).  Registers are addressed
 * by word index (struct kt_reg_desc.index).
 */
#define KT_REGS_WORDS 40
struct kt_regs {
	uint64_t w[KT_REGS_WORDS];
};

/* One name an expression can use after '$'. */
struct kt_reg_desc {
	const char *name;  /* "rax", "eax", "x0", "w0" */
	uint16_t index;    /* word in struct kt_regs */
	uint8_t bits;      /* 64, 32, 16 or 8 */
	uint8_t shift;     /* 0, or 8 for x86 "ah" style registers */
	int16_t dwarf;     /* DWARF number of the full register, -1 if none */
	uint8_t flags;     /* KT_REG_* */
};
#define KT_REG_SHOWN 0x01  /* listed by "info registers" without an argument */
#define KT_REG_ADDR 0x02   /* holds an address: evaluates unsigned ($pc, $sp) */

/* How the tracer should understand a SIGTRAP/SIGILL/... stop. */
enum kt_trap_kind {
	KT_TRAP_SIGNAL,    /* not a trap: an ordinary signal, handled by policy */
	KT_TRAP_PATCH,     /* our own patch executed; report at .addr */
	KT_TRAP_STEP,      /* a single-step the tracer asked for completed */
	KT_TRAP_DEBUGTRAP, /* the program's own debug trap (int3, brk #0xf000):
	                      report at .addr, resume at .resume_pc, no signal */
	KT_TRAP_TRAP,      /* the program's own fatal trap (ud2, brk #1): a crash;
	                      continuing delivers .signo */
	KT_TRAP_HW,        /* a hardware breakpoint or watchpoint */
};

/* What the tracer knows about one trap stop; input to classify_trap. */
struct kt_trap_in {
	int signo;
	int si_code;
	uint64_t fault_addr;          /* si_addr of the siginfo */
	uint64_t pc;                /* pc as the kernel left it */
	bool stepping;              /* the tracer single-stepped this thread */
	/* Return true if the tracer has a patch planted at ADDR. */
	bool (*is_patch)(void *ctx, uint64_t addr);
	/*
	 * Read LEN bytes of the program's memory at ADDR as it really is (our
	 * patches visible); KT_ERR_MEM if not all are readable.  A classifier
	 * asks is_patch first and reads only when that does not settle it:
	 * a breakpoint hit costs no memory access.
	 */
	kt_status (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

struct kt_trap_out {
	enum kt_trap_kind kind;
	uint64_t addr;       /* the address to report (the trapping instruction) */
	uint64_t resume_pc;  /* where execution continues after it, if it does */
	uint32_t imm;        /* trap immediate (brk #imm), 0 on x86 */
	const char *what;    /* "int3", "ud2", "brk #0xf000": for messages */
};

/* Memory access for emulation and unwinding; both return KT_ERR_MEM on fault. */
struct kt_arch_mem {
	kt_status (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	kt_status (*write)(void *ctx, uint64_t addr, const void *buf, size_t len);
	void *ctx;
};

/*
 * Displaced stepping: how to move a thread over one instruction whose first
 * bytes are covered by our patch, without lifting the patch.
 */
enum kt_plan_kind {
	KT_PLAN_EMULATE, /* the tracer applies the instruction's effect itself */
	KT_PLAN_OOL,     /* run a relocated copy in a scratch slot ("out of line") */
	KT_PLAN_INLINE,  /* cannot move: lift patch, single-step, replant */
};

#define KT_INSN_MAX 16
#define KT_PLAN_PRIV 96
struct kt_plan {
	enum kt_plan_kind kind;
	uint8_t len;                 /* length of the original instruction */
	uint8_t insn[KT_INSN_MAX];   /* its original bytes */
	uint16_t klass;              /* arch class id, named by class_name() */
	const char *why;             /* for INLINE: why it cannot move */
	uint8_t priv[KT_PLAN_PRIV];  /* decoded form, private to the arch */
};

/* One entry of a disassembly. */
struct kt_insn_text {
	uint64_t addr;
	uint8_t len;
	uint8_t bytes[KT_INSN_MAX];
	char mnemonic[32];
	char operands[160];
	bool has_target;     /* a direct branch/call target is known */
	uint64_t target;
};

/*
 * One step of the frame-pointer unwinder.  lr is the link register's value
 * when it is known (the innermost frame on a machine with one: AArch64 x30),
 * else 0; the caller frames fp_step computes have lr 0.
 */
struct kt_fp_frame {
	uint64_t pc, sp, fp, lr;
};

/*
 * Hardware breakpoints and watchpoints.  The arch encodes the points the
 * tracer wants into the debug registers of a thread (struct kt_hw_regs, as
 * ptrace writes them) and decodes which one a trap hit; the OS layer writes
 * and reads them per thread.
 */
enum kt_hw_kind {
	KT_HW_EXEC,   /* hbreak: before the instruction at addr executes */
	KT_HW_WRITE,  /* watch */
	KT_HW_READ,   /* rwatch (x86-64: encoded as read/write; see hw_read_is_rw) */
	KT_HW_ACCESS, /* awatch */
};

/* Slots a bank can describe (AArch64 allows up to 16 per bank). */
#define KT_HW_MAX 16

/* One point the tracer wants armed. */
struct kt_hw_point {
	enum kt_hw_kind kind;
	uint64_t addr;
	uint8_t len;      /* bytes watched: 1..8; KT_HW_EXEC ignores it */
};

/*
 * The debug registers of one thread.  Bank 0 holds breakpoints (x86-64:
 * DR0..DR3, used by every kind), bank 1 watchpoints (AArch64 only).  N says
 * how many slots the thread has per bank (from the OS: x86-64 {4, 0},
 * AArch64 the counts in dbg_info).  CTRL is the AArch64 control word of
 * each slot (DBGBCR/DBGWCR as struct user_hwdebug_state holds them);
 * x86-64 has one control register, DR7, in DR7, and leaves CTRL zero.
 * A slot whose control disables it is free.
 */
struct kt_hw_regs {
	unsigned n[2];
	uint64_t addr[2][KT_HW_MAX];
	uint32_t ctrl[2][KT_HW_MAX];
	uint64_t dr7;
};

/* A slot id: bank * KT_HW_MAX + index. */
#define KT_HW_SLOT(bank, i) ((bank) * KT_HW_MAX + (i))

struct kt_arch {
	const char *name;            /* "x86_64", "aarch64" */
	enum kt_arch_id id;
	uint16_t elf_machine;        /* EM_X86_64, EM_AARCH64 */
	size_t prstatus_size;        /* bytes of the NT_PRSTATUS regset */

	const struct kt_reg_desc *regs;
	size_t nregs;
	int reg_pc, reg_sp, reg_fp;  /* word indexes */
	int reg_ret;                 /* return value register */
	int dwarf_ra, dwarf_sp;      /* DWARF numbers of the return address and sp */
	int reg_args[8];             /* argument registers, -1 terminated */

	/* The patch we plant: INT3 or BRK #imm. */
	const uint8_t *patch;
	size_t patch_len;
	size_t insn_align;           /* 1 on x86-64, 4 on AArch64 */

	/* Classify a trap stop.  Never fails: unknown traps are KT_TRAP_SIGNAL. */
	void (*classify_trap)(const struct kt_trap_in *in, struct kt_trap_out *out);

	/*
	 * Set the PC of a stopped thread to PC in REGS, also cancelling any
	 * pending system call restart (x86-64: orig_rax = -1), as every
	 * tracer-made PC change must.
	 */
	void (*set_pc)(struct kt_regs *regs, uint64_t pc);

	/*
	 * Disassemble up to MAX instructions of CODE (len bytes at ADDR) into
	 * OUT; return how many were decoded (0 if the first cannot be).
	 */
	size_t (*disassemble)(const uint8_t *code, size_t len, uint64_t addr,
			      struct kt_insn_text *out, size_t max);

	/* Length of the instruction at CODE, or 0 if it cannot be decoded. */
	size_t (*insn_length)(const uint8_t *code, size_t len, uint64_t addr);

	/* True if the instruction at CODE is a call (for nexti/finish). */
	bool (*is_call)(const uint8_t *code, size_t len, uint64_t addr);

	/*
	 * Frame-pointer step: given the frame at F (pc, sp, fp), how far into
	 * its function pc is (func_offset, or UINT64_MAX if unknown), the
	 * function's first bytes (nfunc may be 0) and the bytes at pc (nat may
	 * be 0), compute the caller's frame.  Prologues and epilogues of
	 * frame-pointer functions are recognised so the innermost frame is
	 * right also at the first and the last instruction (where the return
	 * address is still, or again, in the link register, F->lr is used;
	 * without it such a frame is KT_ERR_UNSUPPORTED).  Returns
	 * KT_ERR_NOTFOUND at the outermost frame, KT_ERR_MEM if the stack
	 * cannot be read, KT_ERR_CORRUPT if the chain is not plausible.
	 */
	kt_status (*fp_step)(const struct kt_fp_frame *f, uint64_t func_offset,
			     const uint8_t *func_start, size_t nfunc, const uint8_t *at_pc,
			     size_t nat, const struct kt_arch_mem *mem,
			     struct kt_fp_frame *caller);

	/*
	 * Signal frames.  If AT (the NAT bytes at a frame's pc) is the kernel's
	 * signal return trampoline (x86-64: __restore_rt of glibc and musl,
	 * "mov $15,%rax; syscall"; AArch64: the vDSO's __kernel_rt_sigreturn,
	 * "mov x8,#139; svc #0"), and SP is the frame's stack pointer (where
	 * the signal handler returned to it), read the context the kernel
	 * saved for the interrupted code (struct rt_sigframe) through MEM into
	 * OUT: every general register, laid out as NT_PRSTATUS, pc included.
	 * The interrupted pc is where the code was stopped, not a return
	 * address.  KT_ERR_NOTFOUND if AT is not the trampoline, KT_ERR_MEM if
	 * the saved context cannot be read.  May be NULL.
	 */
	kt_status (*sigframe_step)(uint64_t sp, const uint8_t *at, size_t nat,
				   const struct kt_arch_mem *mem, struct kt_regs *out);

	/* Byte count of a prologue to skip for "break FUNCTION" (0 if none). */
	size_t (*skip_prologue)(const uint8_t *code, size_t len, uint64_t addr);

	/* Injected system calls (mapping scratch slots in the inferior). */
	const uint8_t *syscall_insn;  /* "syscall" / "svc #0" */
	size_t syscall_len;
	long nr_mmap, nr_munmap;
	/* Set REGS up to make system call NR with ARGS at pc (pc unchanged). */
	void (*set_syscall)(struct kt_regs *regs, long nr, const uint64_t args[6]);
	/* The result of a completed system call. */
	int64_t (*syscall_result)(const struct kt_regs *regs);
	/*
	 * A thread stopped while interrupted in a restartable system call
	 * (x86-64: orig_rax >= 0, rax = -ERESTART*): rewrite REGS to the state
	 * just before the system call instruction, the restart done by hand, so
	 * the tracer may run code in the thread and restore REGS afterwards.
	 * Returns false (REGS untouched) if it was not in one.  May be NULL.
	 */
	bool (*undo_syscall_restart)(struct kt_regs *regs);
	/*
	 * After the hardware single-stepped the instruction INSN (len bytes,
	 * REGS the state after it): undo what the step itself left in the
	 * program's memory (x86-64: a stepped pushf pushed the trap flag,
	 * which a later popf would turn on for good; GDB clears it too).
	 * May be NULL.
	 */
	void (*after_single_step)(const uint8_t *insn, size_t len, const struct kt_regs *regs,
				  const struct kt_arch_mem *mem);

	/* --- displaced stepping (may be NULL: everything steps in line) --- */

	/* Plan the step over the instruction at ADDR whose original bytes are CODE. */
	kt_status (*plan)(uint64_t addr, const uint8_t *code, size_t len,
			  struct kt_plan *plan);
	/* KT_PLAN_EMULATE: apply the effect to REGS and memory. */
	kt_status (*emulate)(const struct kt_plan *plan, uint64_t addr,
			     struct kt_regs *regs, const struct kt_arch_mem *mem);
	/* KT_PLAN_OOL: the code for a slot at SLOT (at most slot_size bytes). */
	size_t slot_size;
	/*
	 * A slot less than this many bytes from the instruction goes back to
	 * the program directly; a farther one with a trap, a second stop
	 * (AArch64: b reaches +-128 MiB).  0: from any distance.
	 */
	uint64_t ool_reach;
	kt_status (*ool_build)(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			       uint8_t *code, size_t *len);
	/* KT_PLAN_OOL: registers to enter the slot (from those at the hit). */
	void (*ool_enter)(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			  struct kt_regs *regs);
	/*
	 * KT_PLAN_OOL: a thread stopped inside SLOT (pc in it): rewrite REGS to
	 * the equivalent state at the original location, given the registers
	 * AT_HIT when the step began.  *done tells whether the instruction had
	 * executed (pc then is after it at the original place).
	 */
	kt_status (*ool_leave)(const struct kt_plan *plan, uint64_t addr, uint64_t slot,
			       const struct kt_regs *at_hit, struct kt_regs *regs, bool *done);
	const char *(*class_name)(uint16_t klass);

	/* --- hardware debug registers (NULL: none) --- */

	/*
	 * Can the hardware watch P alone?  KT_OK, or KT_ERR_INVAL with *WHY a
	 * sentence (a length it has no encoding for, an unaligned address).
	 */
	kt_status (*hw_check)(const struct kt_hw_point *p, const char **why);
	/*
	 * Encode the N points P into REGS, whose n[] the caller has set: every
	 * address and control word is rewritten, points get the free slots in
	 * order and SLOT[i] receives point i's slot id (KT_HW_SLOT).  Returns
	 * KT_ERR_BUSY when the points do not fit in the slots, KT_ERR_INVAL if
	 * one fails hw_check; REGS is unspecified then.
	 */
	kt_status (*hw_encode)(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs,
			       int *slot);
	/*
	 * Which slot a KT_TRAP_HW stop hit, from the armed REGS, the trap IN
	 * (si_addr is the data address on AArch64) and STATUS (x86-64: DR6 as
	 * the kernel reports it; 0 elsewhere).  Returns the slot id, or -1.
	 */
	int (*hw_decode)(const struct kt_hw_regs *regs, const struct kt_trap_in *in,
			 uint64_t status);
	/* REGS with slot SLOT disabled (the rest unchanged) into OUT, which may be REGS. */
	void (*hw_disable)(const struct kt_hw_regs *regs, int slot, struct kt_hw_regs *out);
	/*
	 * AArch64: a hit stops the thread before the instruction completes, for
	 * breakpoints and watchpoints alike; the tracer steps it past with the
	 * slot disabled.  x86-64: watchpoints trap after the access and the
	 * kernel sets RF for breakpoints, so the thread just resumes.
	 */
	bool hw_stops_before;
	/*
	 * x86-64: make REGS resume over (SKIP) or into (!SKIP) an execution
	 * breakpoint at pc: the RF flag.  Returns true if REGS changed.  NULL
	 * where the tracer steps past.
	 */
	bool (*hw_skip_exec)(struct kt_regs *regs, bool skip);
	/* x86-64 has no read-only watchpoint: a read one is read/write. */
	bool hw_read_is_rw;

	/* --- sequences no stop may interrupt (may be NULL: none) --- */

	/*
	 * The instruction at ADDR (CODE, LEN bytes from ADDR on) opens a
	 * sequence that must run without a stop (AArch64: load-exclusive ...
	 * store-exclusive): the places it is left, in ENDS, and their count;
	 * 0 if it opens none.  The tracer runs such a sequence whole to
	 * temporary breakpoints at ENDS instead of single-stepping it.
	 */
	size_t (*atomic_sequence)(const uint8_t *code, size_t len, uint64_t addr,
				  uint64_t ends[2]);
	/*
	 * BEFORE holds the N bytes of code ending at ADDR: the start of the
	 * sequence ADDR lies inside (where a breakpoint must go instead), or 0.
	 */
	uint64_t (*atomic_window)(const uint8_t *before, size_t n, uint64_t addr);
};

/* The table for an ELF e_machine, or NULL if kitrace has none. */
const struct kt_arch *kt_arch_for_elf_machine(unsigned machine);
/* The table for the host kitrace was built for. */
const struct kt_arch *kt_arch_host(void);

extern const struct kt_arch kt_arch_x86_64;
extern const struct kt_arch kt_arch_aarch64;

/* Register helpers shared by every arch. */
const struct kt_reg_desc *kt_arch_reg_by_name(const struct kt_arch *a, const char *name,
					      size_t len);
uint64_t kt_reg_get(const struct kt_regs *r, const struct kt_reg_desc *d);
void kt_reg_set(struct kt_regs *r, const struct kt_reg_desc *d, uint64_t v);

/*
 * The start of every arch's hw_encode: clear REGS (keeping n[]), check each
 * point with CHECK (KT_ERR_INVAL if one fails), then give execution points
 * the slots of bank 0 and data points those of bank WATCH_BANK, in order,
 * below regs->n[bank]; SLOT[i] receives the id.  KT_ERR_BUSY when a bank
 * runs out.
 */
kt_status kt_hw_prepare(const struct kt_hw_point *p, size_t n, struct kt_hw_regs *regs,
			int watch_bank, int *slot,
			kt_status (*check)(const struct kt_hw_point *p, const char **why));
static inline uint64_t
kt_regs_pc(const struct kt_arch *a, const struct kt_regs *r)
{
	return r->w[a->reg_pc];
}
static inline uint64_t
kt_regs_sp(const struct kt_arch *a, const struct kt_regs *r)
{
	return r->w[a->reg_sp];
}

#endif
