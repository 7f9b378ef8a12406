/* SPDX-License-Identifier: MIT */
/*
 * t_cfi.S - every CFI rule kind, for tests/unit/check_dwarf.c (linked with
 * -nostdlib -shared; never run).  Each cfi_rN label starts a row whose
 * rules the test knows; the comments give them.
 */
	.text
	.globl	cfi_rules
	.type	cfi_rules, @function
cfi_rules:
	.cfi_startproc
	push	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset %rbx, -16
	.globl	cfi_r1
cfi_r1:	/* CFA = rsp+16; rbx at CFA-16; RA at CFA-8 */
	nop
	.cfi_register %r12, %r13
	.cfi_val_offset %r14, -32
	.cfi_undefined %r15
	.globl	cfi_r2
cfi_r2:	/* + r12 = r13; r14 = CFA-32; r15 undefined */
	nop
	/* DW_CFA_expression rbx: DW_OP_breg7 8 (rbx at [rsp+8]) */
	.cfi_escape 0x10, 0x03, 0x02, 0x77, 0x08
	/* DW_CFA_val_expression r12: DW_OP_breg13 5; DW_OP_lit3; DW_OP_shl (r12 = (r13+5)<<3) */
	.cfi_escape 0x16, 0x0c, 0x04, 0x7d, 0x05, 0x33, 0x24
	.globl	cfi_r3
cfi_r3:	/* + rbx at [rsp+8]; r12 = (r13+5)<<3 */
	nop
	/* DW_CFA_def_cfa_expression: DW_OP_breg6 0; DW_OP_deref (CFA = [rbp]) */
	.cfi_escape 0x0f, 0x03, 0x76, 0x00, 0x06
	/* DW_CFA_val_expression r14: DW_OP_lo_user (unsupported) */
	.cfi_escape 0x16, 0x0e, 0x01, 0xe0
	.globl	cfi_r4
cfi_r4:	/* + CFA = [rbp]; r14 unknown */
	nop
	/* DW_CFA_expression rip: DW_OP_lo_user (unsupported) */
	.cfi_escape 0x10, 0x10, 0x01, 0xe0
	.globl	cfi_r5
cfi_r5:	/* + the return address cannot be computed */
	pop	%rbx
	ret
	.cfi_endproc
	.size	cfi_rules, .-cfi_rules
	.section .note.GNU-stack,"",@progbits
