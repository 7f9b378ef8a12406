// SPDX-License-Identifier: MIT
// corpus_a64 - the AArch64 instruction corpus for displaced stepping
// (tests/e2e/42_displaced_corpus_a64.sh), and two small AArch64-only
// programs.  argv[1] selects:
//
//	N	call corpus_block N times, print "corpus: acc=0x..." (a
//		checksum every instruction of the block feeds; no address
//		enters it, so it is the same from run to run) and exit 0
//	size	print "corpus: words=W": corpus_block..corpus_end is W
//		instruction words (the literal pool lies after corpus_end)
//	x N	N increments of a counter through an ldxr/stxr loop
//		(excl_inc; excl_body is inside the exclusive window), print
//		"excl: counter=N"
//	brk	print "before", brk #0xf000 (clang's __builtin_debugtrap),
//		"after debugtrap", "before trap", brk #1 (__builtin_trap),
//		"after trap" (not reached untraced: SIGTRAP), exit 1
//
// The block covers every class of the displaced-stepping plan: b, bl,
// b.cond both ways, cbz/cbnz (w and x), tbz/tbnz (low and high bits), adr,
// adrp, ldr literal (x, w, sw, s, d, q) and prfm literal, br, blr, ret,
// nop, PAC and BTI hints, ALU, loads, stores, pairs, and an svc.
// stdout is unbuffered so lines survive a crash.

	.text
	.globl	main
	.type	main, %function
main:
	stp	x29, x30, [sp, #-64]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	mov	w19, w0
	mov	x20, x1
	adrp	x0, :got:stdout
	ldr	x0, [x0, :got_lo12:stdout]
	ldr	x0, [x0]
	mov	x1, #0
	mov	w2, #2			// _IONBF
	mov	x3, #0
	bl	setvbuf
	cmp	w19, #2
	b.lt	usage
	ldr	x21, [x20, #8]		// argv[1]
	ldrb	w3, [x21]
	cmp	w3, #'s'
	b.eq	mode_size
	cmp	w3, #'x'
	b.eq	mode_excl
	cmp	w3, #'b'
	b.eq	mode_brk
	mov	x0, x21
	bl	atoi
	mov	w21, w0			// N
	mov	x19, #0x5eed		// acc
	mov	w22, #0
1:	cmp	w22, w21
	b.ge	2f
	mov	x0, x19
	mov	w1, w22
	bl	corpus_block
	mov	x19, x0
	add	w22, w22, #1
	b	1b
2:	adrp	x0, fmt_acc
	add	x0, x0, :lo12:fmt_acc
	mov	x1, x19
	bl	printf
	mov	w0, #0
	b	out

mode_size:
	adr	x1, corpus_block
	adr	x2, corpus_end
	sub	x1, x2, x1
	lsr	x1, x1, #2
	adrp	x0, fmt_size
	add	x0, x0, :lo12:fmt_size
	bl	printf
	mov	w0, #0
	b	out

mode_excl:
	cmp	w19, #3
	b.lt	usage
	ldr	x0, [x20, #16]
	bl	atoi
	mov	w21, w0
	mov	w22, #0
1:	cmp	w22, w21
	b.ge	2f
	adrp	x0, counter
	add	x0, x0, :lo12:counter
	bl	excl_inc
	add	w22, w22, #1
	b	1b
2:	adrp	x1, counter
	ldr	x1, [x1, :lo12:counter]
	adrp	x0, fmt_excl
	add	x0, x0, :lo12:fmt_excl
	bl	printf
	mov	w0, #0
	b	out

mode_brk:
	adrp	x0, s_before
	add	x0, x0, :lo12:s_before
	bl	puts
	brk	#0xf000
	adrp	x0, s_after_dbg
	add	x0, x0, :lo12:s_after_dbg
	bl	puts
	adrp	x0, s_before_trap
	add	x0, x0, :lo12:s_before_trap
	bl	puts
	brk	#1
	adrp	x0, s_after_trap
	add	x0, x0, :lo12:s_after_trap
	bl	puts
	mov	w0, #1
	b	out

usage:
	adrp	x0, s_usage
	add	x0, x0, :lo12:s_usage
	bl	puts
	mov	w0, #2
out:
	ldp	x21, x22, [sp, #32]
	ldp	x19, x20, [sp, #16]
	ldp	x29, x30, [sp], #64
	ret
	.size	main, .-main

// excl_inc(x0 = address): *address += 1 through ldxr/stxr.
	.globl	excl_inc
	.globl	excl_body
	.type	excl_inc, %function
excl_inc:
1:	ldxr	x1, [x0]
excl_body:
	add	x1, x1, #1
	stxr	w2, x1, [x0]
	cbnz	w2, 1b
	ret
	.size	excl_inc, .-excl_inc

// x0 = acc, w1 = iteration; returns the new acc in x0.  Callee-saved
// registers used: x19, x20 (saved).  Every result is folded into acc with
// a rotate and an add, so a wrong register or flag shows in the output.
	.globl	corpus_block
	.globl	corpus_end
	.type	corpus_block, %function
	.p2align 4
corpus_block:
	paciasp
	stp	x29, x30, [sp, #-48]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	str	x21, [sp, #32]
	mov	x19, x0
	mov	w20, w1
	nop
	// ---- ALU, flags
	add	x2, x19, #0x123
	eor	x19, x2, x19, ror #7
	sub	x3, x19, x20
	madd	x19, x3, x20, x19
	lsl	x4, x19, #3
	add	x19, x19, x4, lsr #11
	and	w5, w20, #7
	orr	x19, x19, x5, lsl #60
	ror	x19, x19, #13
	// ---- b.cond both ways, csel
	cmp	w5, #3
	b.lo	1f
	add	x19, x19, #1
1:	b.hs	2f
	eor	x19, x19, #0xff
2:	csel	x6, x19, x20, gt
	add	x19, x19, x6, lsr #5
	tst	w20, #1
	b.ne	3f
	b.eq	4f
3:	ror	x19, x19, #3
4:	cmp	x19, x20
	b.mi	5f
	b.pl	5f
5:	b.vs	6f
	b.vc	6f
6:	b.al	7f
7:	// ---- cbz/cbnz (w, x) both ways
	and	x7, x20, #3
	cbz	x7, 8f
	add	x19, x19, x7
8:	cbnz	x7, 9f
	add	x19, x19, #5
9:	cbz	w7, 10f
	cbnz	w20, 10f
	ror	x19, x19, #1
10:	// ---- tbz/tbnz, low and high bits
	tbz	w20, #0, 11f
	add	x19, x19, #0x11
11:	tbnz	w20, #1, 12f
	eor	x19, x19, #0x30
12:	mov	x8, #1
	lsl	x8, x8, #40
	orr	x8, x8, x20
	tbnz	x8, #40, 13f
	add	x19, x19, #0x777	// never
13:	tbz	x8, #41, 14f
	add	x19, x19, #0x999	// never
14:	// ---- adr, adrp (differences only: no address enters acc)
	adr	x9, corpus_block
	adr	x10, 15f
15:	sub	x10, x10, x9
	add	x19, x19, x10
	adrp	x11, lit_x
	add	x11, x11, :lo12:lit_x
	adr	x12, lit_x
	sub	x11, x11, x12		// 0
	add	x19, x19, x11
	adrp	x11, data_word
	ldr	x12, [x11, :lo12:data_word]
	add	x19, x19, x12
	// ---- literal loads
	ldr	x13, lit_x
	add	x19, x19, x13
	ldr	w13, lit_w
	add	x19, x19, x13
	ldrsw	x13, lit_w
	add	x19, x19, x13
	prfm	pldl1keep, lit_x
	ldr	s0, lit_w
	fmov	w14, s0
	add	x19, x19, x14
	ldr	d1, lit_x
	fmov	x14, d1
	eor	x19, x19, x14
	ldr	q2, lit_q
	mov	x14, v2.d[1]
	add	x19, x19, x14
	// ---- loads and stores, pairs, byte and half
	sub	sp, sp, #32
	stp	x19, x20, [sp]
	str	w20, [sp, #16]
	strb	w20, [sp, #20]
	ldp	x15, x16, [sp]
	ldrb	w17, [sp, #20]
	ldrh	w18, [sp, #16]
	add	sp, sp, #32
	add	x19, x15, x16
	add	x19, x19, x17
	add	x19, x19, x18
	// ---- bl, blr, br, ret
	mov	x0, x19
	bl	corpus_leaf
	mov	x19, x0
	adr	x21, corpus_leaf
	mov	x0, x19
	blr	x21
	mov	x19, x0
	adr	x21, 16f
	br	x21
	add	x19, x19, #0x555	// never
16:	bti	j
	add	x19, x19, #3
	b	17f
	add	x19, x19, #0x666	// never
17:	// ---- a system call: getpid's result is dropped, the call counted
	mov	x8, #172		// getpid
	svc	#0
	cmp	x0, #0
	cinc	x19, x19, gt
	// ---- done
	mov	x0, x19
	ldr	x21, [sp, #32]
	ldp	x19, x20, [sp, #16]
	ldp	x29, x30, [sp], #48
	autiasp
	ret

// A leaf: lr stays in x30 (no frame).
	.type	corpus_leaf, %function
corpus_leaf:
	bti	c
	eor	x0, x0, x0, lsr #17
	add	x0, x0, #9
	ret
	.size	corpus_leaf, .-corpus_leaf
corpus_end:
	.size	corpus_block, corpus_end-corpus_block

	.p2align 4
lit_q:	.quad	0x0102030405060708, 0x1112131415161718
lit_x:	.quad	0x1badcafe8badf00d
lit_w:	.word	0x87654321
	.word	0

	.section .rodata
fmt_acc:	.asciz	"corpus: acc=0x%016lx\n"
fmt_size:	.asciz	"corpus: words=%ld\n"
fmt_excl:	.asciz	"excl: counter=%ld\n"
s_before:	.asciz	"before"
s_after_dbg:	.asciz	"after debugtrap"
s_before_trap:	.asciz	"before trap"
s_after_trap:	.asciz	"after trap"
s_usage:	.asciz	"usage: corpus_a64 N | size | x N | brk"

	.data
	.p2align 3
data_word:	.quad	0x0fedcba987654321
counter:	.quad	0

	.section .note.GNU-stack,"",%progbits
