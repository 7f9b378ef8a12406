# SPDX-License-Identifier: MIT
# corpus.S - a block of instructions that covers every displaced-stepping class
# (doc/displaced-stepping.md), run N times (argv[1], default 2000).
# tests/e2e/40_displaced_corpus.sh plants a false conditional breakpoint on
# every instruction from corpus_block to corpus_end and compares the output
# with the untraced run.  Everything is deterministic: the state lives in
# st[] (register values carried from one call to the next) and acc; main
# prints acc and a hash of st[].  In iteration 5 the block forks with a raw
# syscall; the child writes "corpus: child ok" and exits, the parent waits.

	.text

# ACC_MIX R: acc = rol(acc ^ R, 7), in memory.
.macro ACC_MIX r
	xor	\r, acc(%rip)
	rolq	$7, acc(%rip)
.endm

# BR cc: take or fall through j<cc>; each path adds its own constant to acc.
.macro BR cc
	j\cc	.Lt\@
	addq	$0x11, acc(%rip)
	jmp	.Le\@
.Lt\@:	addq	$0x2345, acc(%rip)
.Le\@:	rolq	$3, acc(%rip)
.endm

# REG i, R, R32: RIP-relative load/lea/add/store/cmp with R as ModRM.reg.
.macro REG i, r, r32
	lea	tbl(%rip), \r
	mov	8*\i(\r), \r
	add	st+8*\i(%rip), \r
	imul	$31, \r, \r
	xor	$(\i+0x55), \r
	mov	\r, st+8*\i(%rip)
	cmp	\r, st+8*\i(%rip)
	BR	ne
	mov	st+8*\i(%rip), \r32
	add	\r32, acc(%rip)
	cmpl	$0x1234, st+8*\i(%rip)
	BR	b
	lea	st+8*\i(%rip), \r
	mov	(\r), \r
.endm

	.globl	corpus_block
	.type	corpus_block, @function
corpus_block:
	endbr64
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rdi, iter(%rip)

	# --- syscalls first (they clobber rcx and r11) ---
	mov	$39, %eax		# getpid
	syscall
	test	%rax, %rax
	setne	%al
	movzbl	%al, %eax
	add	%rax, acc(%rip)
	cmpq	$5, iter(%rip)
	jne	.Lnofork
	mov	$57, %eax		# fork
	syscall
	test	%rax, %rax
	jz	.Lchild
	js	.Lforkfail
	mov	%rax, %rdi		# wait4(pid, &wstat, 0, NULL)
	mov	%rax, %rbx
	lea	wstat(%rip), %rsi
	xor	%edx, %edx
	xor	%r10d, %r10d
.Lwait:	mov	$61, %eax
	syscall
	cmp	$-4, %rax		# EINTR: again
	je	.Lwait
	cmp	%rbx, %rax
	sete	%al
	movzbl	%al, %eax
	add	%rax, acc(%rip)
	mov	wstat(%rip), %eax
	add	%rax, acc(%rip)	# 0 when the child exited 0
	jmp	.Lnofork
.Lforkfail:
	addq	$0x666, acc(%rip)
	jmp	.Lnofork
.Lchild:
	mov	$1, %edi		# write(1, msg, len)
	lea	msg(%rip), %rsi
	mov	$msg_len, %edx
	mov	$1, %eax
	syscall
	xor	%edi, %edi
	mov	$231, %eax		# exit_group(0)
	syscall
	hlt
.Lnofork:

	# --- RIP-relative with many ModRM.reg registers ---
	REG	0, %rax, %eax
	ACC_MIX	%rax
	REG	1, %rcx, %ecx
	ACC_MIX	%rcx
	REG	2, %rdx, %edx
	ACC_MIX	%rdx
	REG	3, %rbx, %ebx
	ACC_MIX	%rbx
	REG	4, %rsi, %esi
	ACC_MIX	%rsi
	REG	5, %rdi, %edi
	ACC_MIX	%rdi
	REG	6, %r8, %r8d
	ACC_MIX	%r8
	REG	7, %r9, %r9d
	ACC_MIX	%r9
	REG	8, %r10, %r10d
	ACC_MIX	%r10
	REG	9, %r11, %r11d
	ACC_MIX	%r11
	REG	10, %r12, %r12d
	ACC_MIX	%r12
	REG	11, %r13, %r13d
	ACC_MIX	%r13
	REG	12, %r14, %r14d
	ACC_MIX	%r14
	REG	13, %r15, %r15d
	ACC_MIX	%r15
	REG	14, %rbp, %ebp
	ACC_MIX	%rbp
	# byte registers without REX: the temp must avoid rbx here
	mov	bytev(%rip), %bh
	movb	%bh, bout(%rip)
	movzbl	bout(%rip), %esi
	ACC_MIX	%rsi
	cmpq	$0x1234, acc(%rip)
	BR	a
	cmpl	$-1, acc(%rip)
	BR	e

	# --- conditions both ways, from known values ---
	mov	$5, %eax
	cmp	$3, %eax		# 5-3: ZF=0 SF=0 CF=0 OF=0
	BR	e
	BR	ne
	BR	l
	BR	ge
	BR	b
	BR	ae
	BR	s
	BR	ns
	BR	le
	BR	g
	BR	a
	BR	be
	BR	o
	BR	no
	BR	p
	BR	np
	mov	$5, %eax
	cmp	$7, %eax		# 5-7: ZF=0 SF=1 CF=1 OF=0
	BR	e
	BR	ne
	BR	l
	BR	ge
	BR	b
	BR	ae
	BR	s
	BR	ns
	BR	le
	BR	g
	BR	a
	BR	be
	mov	$5, %eax
	cmp	$5, %eax		# ZF=1
	BR	e
	BR	ne
	BR	le
	BR	g
	mov	$0x7fffffff, %eax
	add	$1, %eax		# OF=1 SF=1
	BR	o
	BR	no
	BR	l
	BR	ge
	{disp32} je .Lj32a		# jcc rel32, taken (ZF=0 after add? no: ZF=0 -> not taken)
	addq	$0x21, acc(%rip)
.Lj32a:	xor	%eax, %eax
	{disp32} je .Lj32b		# taken
	addq	$0x22, acc(%rip)
.Lj32b:

	# --- jmp rel8 / rel32 ---
	jmp	.Ljs
	addq	$0x1000, acc(%rip)	# skipped
.Ljs:	{disp32} jmp .Ljl
	addq	$0x2000, acc(%rip)	# skipped
.Ljl:

	# --- calls and returns ---
	mov	$3, %edi
	call	leaf_add		# call rel32
	ACC_MIX	%rdi
	lea	leaf_mul(%rip), %r11
	mov	$7, %edi
	call	*%r11			# call through a register
	ACC_MIX	%rdi
	mov	$9, %edi
	call	*fptr(%rip)		# call through RIP-relative memory
	ACC_MIX	%rdi
	lea	fptr(%rip), %rbx
	mov	$11, %edi
	call	*8(%rbx)		# call through base+disp
	ACC_MIX	%rdi
	pushq	$0x42
	call	ret8_fn			# ret $8 pops the 0x42
	pushq	$0x43
	push	%rax
	pop	%rcx
	pop	%rdx
	ACC_MIX	%rcx
	ACC_MIX	%rdx
	call	rz_fn			# repz ret
	lea	.Ljr(%rip), %rax
	jmp	*%rax			# jmp through a register
	addq	$0x3000, acc(%rip)	# skipped
.Ljr:	jmp	*jptr(%rip)		# jmp through RIP-relative memory
	addq	$0x4000, acc(%rip)	# skipped
.Ljm:

	# --- push/pop, pushfq/popfq ---
	push	%rbx
	push	$-5
	push	%rsp
	pop	%rax
	sub	%rsp, %rax		# 0: push %rsp stored the old rsp
	ACC_MIX	%rax
	pop	%rcx
	pop	%rbx
	ACC_MIX	%rcx
	mov	$9, %eax
	sub	$12, %eax		# CF SF AF PF set deterministically
	pushfq
	mov	(%rsp), %rax
	popfq
	mov	%rax, flagsw(%rip)
	and	$0xdd5, %eax		# CF PF AF ZF SF TF DF OF
	ACC_MIX	%rax
	mov	flagsw(%rip), %rax
	shr	$8, %rax
	and	$1, %eax		# TF must be 0
	shl	$40, %rax
	add	%rax, acc(%rip)

	# --- loop, jrcxz ---
	mov	$5, %ecx
.Lloop:	addq	$1, acc(%rip)
	loop	.Lloop
	xor	%ecx, %ecx
	jrcxz	.Ljz1			# taken
	addq	$0x5000, acc(%rip)
.Ljz1:	mov	$1, %ecx
	jrcxz	.Ljz2			# not taken
	addq	$0x6, acc(%rip)
.Ljz2:

	# --- VEX with RIP-relative operands ---
	vmovdqu	vx(%rip), %xmm0
	movq	%xmm0, %rax
	ACC_MIX	%rax
	vpaddq	vx+16(%rip), %xmm0, %xmm1
	vmovdqu	%xmm1, vout(%rip)
	vmovq	%xmm1, %rax
	ACC_MIX	%rax
	mov	vout+8(%rip), %rax
	ACC_MIX	%rax
	vpextrq	$1, %xmm0, %rcx
	ACC_MIX	%rcx
	add	%rcx, vx(%rip)		# keep vx moving
	vzeroupper

	# --- misc: xchg, leave-free tail, cmp $imm riprel ---
	mov	st(%rip), %rax
	xchg	%rax, st+8(%rip)
	mov	%rax, st(%rip)
	nop
	nopl	0(%rax)

	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

leaf_add:
	add	$100, %rdi
	addq	$1, acc(%rip)
	ret

leaf_mul:
	imul	$3, %rdi, %rdi
	ret

leaf_xor:
	xor	$0x5a5a, %rdi
	ret

leaf_sub:
	sub	$77, %rdi
	ret

ret8_fn:
	mov	8(%rsp), %rax
	add	%rax, acc(%rip)
	ret	$8

rz_fn:
	addq	$3, acc(%rip)
	repz ret
	.globl	corpus_end
corpus_end:
	nop
	.size	corpus_block, .-corpus_block

	.globl	main
	.type	main, @function
main:
	push	%rbp
	mov	%rsp, %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	sub	$8, %rsp
	mov	$2000, %r12d
	cmp	$2, %edi
	jl	1f
	mov	8(%rsi), %rdi
	call	atoi@PLT
	movslq	%eax, %r12
1:	xor	%r13d, %r13d
2:	cmp	%r12, %r13
	jge	3f
	mov	%r13, %rdi
	call	corpus_block
	inc	%r13
	jmp	2b
3:	movabs	$0xcbf29ce484222325, %rax	# FNV-1a over st[] bytes' qwords
	movabs	$0x100000001b3, %rcx
	lea	st(%rip), %rsi
	xor	%edx, %edx
4:	xor	(%rsi,%rdx,8), %rax
	imul	%rcx, %rax
	inc	%edx
	cmp	$16, %edx
	jl	4b
	mov	%rax, %rdx
	mov	acc(%rip), %rsi
	lea	fmt(%rip), %rdi
	xor	%eax, %eax
	call	printf@PLT
	xor	%eax, %eax
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size	main, .-main

	.data
	.align	16
acc:	.quad	0x0123456789abcdef
iter:	.quad	0
wstat:	.quad	0
flagsw:	.quad	0
bytev:	.byte	0xa5
bout:	.byte	0
	.align	16
st:	.fill	16, 8, 0x1111
tbl:	.quad	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
fptr:	.quad	leaf_xor, leaf_sub
jptr:	.quad	.Ljm
	.align	16
vx:	.quad	0x1122334455667788, 0x99aabbccddeeff00
	.quad	0x0102030405060708, 0x1020304050607080
vout:	.quad	0, 0

	.section .rodata
msg:	.ascii	"corpus: child ok\n"
	.set	msg_len, . - msg
fmt:	.asciz	"corpus: acc=0x%016lx regs=0x%016lx\n"

	.section .note.GNU-stack,"",@progbits
