// all_forms.s: every instruction and operand form `pyjit asm` accepts.
//
// tests/test_asm_cli.py assembles this file with pyjit and with llvm-mc and
// compares every instruction's encoding and the whole .text section.  Keep
// it to what llvm-mc accepts too; forms of our own (`; comment` at the start
// of a line, numeric labels in data) are tested in test_asm_cli.py instead.
# A '#' at the start of a line is a comment as well.
	.text
start:
/* Block comments may span
   lines. */

// ---- add, adds, sub, subs, cmp, cmn: immediate -------------------------
	add	x0, x1, #0
	add	x0, x1, #1
	add	x30, x29, #4095
	add	w3, w4, #4095
	add	x0, x1, #1, lsl #12
	add	x2, x3, #4095, lsl #12
	add	w2, w3, #0xfff, lsl #0
	add	x0, x1, #4096
	add	x0, sp, #16
	add	sp, sp, #16
	add	wsp, w1, #8
	add	x5, x6, 0x10
	add	x7, x8, #010
	add	x9, x10, #0b101
	adds	x0, x1, #4
	adds	w0, w1, #0xfff
	adds	xzr, sp, #1
	sub	x0, x1, #4
	sub	sp, sp, #0x20
	sub	w0, wsp, #1, lsl #12
	subs	x0, x1, #4
	subs	w2, w3, #1, lsl #12
	cmp	x0, #0
	cmp	w1, #4095
	cmp	sp, #16
	cmp	x3, #8, lsl #12
	cmn	x0, #1
	cmn	w5, #1, lsl #12

// ---- add, adds, sub, subs, cmp, cmn, neg, negs: shifted register -------
	add	x0, x1, x2
	add	x0, x1, x2, lsl #3
	add	w0, w1, w2, lsr #31
	add	x0, x1, x2, asr #63
	add	x0, xzr, x2
	adds	x0, x1, x2, lsl #0
	sub	x0, x1, x2, lsr #1
	subs	w7, w8, w9, asr #2
	subs	xzr, x1, x2
	cmp	x0, x1
	cmp	w0, w1, lsl #2
	cmn	x3, x4, asr #5
	neg	x0, x1
	neg	w0, w1, lsl #3
	neg	x2, x3, asr #63
	negs	x0, x1
	negs	w2, w3, lsr #1

// ---- add, adds, sub, subs, cmp, cmn: extended register -----------------
	add	x0, x1, w2, uxtw
	add	x0, x1, w2, sxtw #2
	add	x0, x1, w2, uxtb
	add	x0, x1, w2, uxth #4
	add	x0, x1, w2, sxtb #1
	add	x0, x1, w2, sxth
	add	x0, x1, x2, sxtx #3
	add	x0, x1, x2, uxtx
	add	w0, w1, w2, uxtb #2
	add	x0, sp, x1
	add	sp, x0, x1
	add	x0, sp, x1, lsl #3
	add	w0, wsp, w1
	adds	x0, sp, w1, sxtw
	sub	x0, sp, w1, uxtw #1
	sub	sp, sp, x1
	subs	x0, x1, w2, sxtb
	cmp	x0, w1, uxtw
	cmp	sp, x1
	cmn	x0, w1, sxth #4

// ---- and, orr, eor, ands, tst: logical immediate ------------------------
	and	x0, x1, #0xff
	and	w0, w1, #0x1
	and	x0, x1, #0xfffffffffffffffe
	and	w0, w1, #0x7fffffff
	and	sp, x1, #0xf0
	and	x0, x1, #0x5555555555555555
	orr	x0, x1, #0x5555555555555555
	orr	w0, wzr, #0xaaaaaaaa
	orr	x3, x4, #0x0f0f0f0f0f0f0f0f
	eor	x0, x1, #0x8000000000000000
	eor	w0, w1, #0xffff
	ands	x0, x1, #0xff00
	ands	w0, w1, #0xc0000000
	tst	x0, #0x1
	tst	w0, #0xc0000000
	tst	x7, #0xfffffffffffffff

// ---- and, orr, eor, ands, bic, bics, orn, eon, tst, mvn: register -------
	and	x0, x1, x2
	and	x0, x1, x2, lsl #4
	orr	w0, w1, w2, ror #7
	eor	x0, x1, x2, asr #63
	ands	w0, w1, w2, lsr #3
	bic	x0, x1, x2
	bic	w0, w1, w2, lsl #1
	bics	x0, x1, x2, ror #60
	orn	x0, x1, x2
	orn	w0, wzr, w2, lsl #31
	eon	w0, w1, w2, lsr #5
	eon	x0, x1, x2
	tst	x0, x1
	tst	w0, w1, lsl #31
	mvn	x0, x1
	mvn	w0, w1, ror #3

// ---- lsl, lsr, asr, ror: immediate and register -------------------------
	lsl	x0, x1, #1
	lsl	x0, x1, #63
	lsl	w0, w1, #31
	lsl	w0, w1, #0
	lsr	x0, x1, #0
	lsr	x0, x1, #63
	lsr	w0, w1, #16
	asr	x0, x1, #63
	asr	w0, w1, #1
	ror	x0, x1, #13
	ror	w0, w1, #31
	ror	x0, x1, #0
	lsl	x0, x1, x2
	lsr	w0, w1, w2
	asr	x0, x1, x2
	ror	w0, w1, w2

// ---- multiply and divide ------------------------------------------------
	mul	x0, x1, x2
	mul	w0, w1, w2
	madd	x0, x1, x2, x3
	madd	w0, w1, w2, wzr
	msub	w0, w1, w2, w3
	msub	x29, x30, xzr, x28
	mneg	x0, x1, x2
	mneg	w3, w4, w5
	smulh	x0, x1, x2
	umulh	x3, x4, x5
	sdiv	x0, x1, x2
	sdiv	w0, w1, w2
	udiv	w0, w1, w2
	udiv	x0, x1, x2
	smull	x0, w1, w2
	umull	x0, w1, w2

// ---- conditional select and compare; every condition code spelling ------
	csel	x0, x1, x2, eq
	csel	w0, w1, w2, ne
	csel	x0, x1, x2, al
	csel	x0, x1, x2, nv
	csinc	x0, x1, x2, hs
	csinc	x0, x1, x2, cs
	csinv	w0, w1, w2, lo
	csinv	x0, x1, x2, cc
	csneg	x0, x1, x2, mi
	csneg	w0, w1, w2, pl
	cset	x0, vs
	cset	w0, vc
	csetm	x0, hi
	csetm	w0, ls
	cinc	x0, x1, ge
	cinc	w0, w1, lt
	cneg	w0, w1, gt
	cneg	x0, x1, le
	ccmp	x0, #31, #0xf, ge
	ccmp	w0, #0, #0, eq
	ccmp	w0, w1, #0, lt
	ccmp	x0, x1, #15, ne
	ccmn	x0, #0, #4, gt
	ccmn	x0, x1, #15, le
	ccmn	w0, #31, #8, hs

// ---- move wide and mov ----------------------------------------------------
	movz	x0, #0
	movz	x0, #0xffff
	movz	x0, #1, lsl #16
	movz	x0, #0x1234, lsl #48
	movz	w0, #0xffff, lsl #16
	movz	x1, #65535, lsl #32
	movk	x0, #0x5678, lsl #32
	movk	x0, #0xffff, lsl #48
	movk	w0, #1
	movk	w0, #2, lsl #16
	movn	x0, #0
	movn	w0, #0x1234, lsl #16
	movn	x0, #0xffff, lsl #48
	mov	x0, x1
	mov	w0, w1
	mov	x0, xzr
	mov	x0, sp
	mov	sp, x1
	mov	wsp, w0
	mov	w0, wsp
	mov	x0, #0
	mov	x0, #1
	mov	x0, #65535
	mov	x0, #0x10000
	mov	x0, #0xffff000000000000
	mov	x0, #-1
	mov	x0, #-65536
	mov	w0, #-1
	mov	w0, #0xffff0000
	mov	x0, #0xffffffff
	mov	x0, #0x5555555555555555
	mov	x0, #0xffff0000ffffffff

// ---- extends, bitfields, bit operations -----------------------------------
	sxtw	x0, w1
	sxtb	x0, w1
	sxtb	w0, w1
	sxth	x0, w1
	sxth	w0, w1
	uxtb	w0, w1
	uxth	w0, w1
	ubfx	x0, x1, #4, #8
	ubfx	w0, w1, #0, #32
	ubfx	x0, x1, #63, #1
	sbfx	x0, x1, #63, #1
	sbfx	w0, w1, #8, #8
	ubfiz	x0, x1, #3, #5
	ubfiz	w0, w1, #31, #1
	sbfiz	w0, w1, #31, #1
	sbfiz	x0, x1, #1, #63
	bfi	x0, x1, #8, #16
	bfi	w0, w1, #0, #1
	bfxil	w0, w1, #2, #30
	bfxil	x0, x1, #0, #64
	clz	x0, x1
	clz	w0, w1
	rbit	x0, x1
	rbit	w0, w1
	rev	x0, x1
	rev	w0, w1

// ---- loads and stores: every addressing form --------------------------------
	ldr	x0, [x1]
	ldr	x0, [x1, #8]
	ldr	x0, [x1, #32760]
	ldr	w0, [x1, #16380]
	ldr	x0, [sp, #16]
	ldr	x0, [x1, #-256]!
	ldr	x0, [x1, #255]!
	ldr	w0, [x1], #4
	ldr	x0, [x1], #-256
	ldr	x0, [x1, x2]
	ldr	x0, [x1, x2, lsl #3]
	ldr	x0, [x1, x2, lsl #0]
	ldr	w0, [x1, w2, sxtw #2]
	ldr	w0, [x1, w2, sxtw]
	ldr	x0, [x1, w2, uxtw]
	ldr	x0, [x1, w2, uxtw #3]
	ldr	x0, [x1, x2, sxtx #3]
	ldr	x0, [sp, x2]
	ldr	d0, [x1, #8]
	ldr	d1, [sp], #16
	ldr	d2, [x3, #-8]!
	ldr	d3, [x4, x5, lsl #3]
	str	x0, [x1]
	str	x0, [sp, #-16]!
	str	w0, [x1, #4]
	str	x30, [sp], #16
	str	d0, [x1, x2, lsl #3]
	str	d31, [x1, #32760]
	str	wzr, [x0]
	str	xzr, [x1, #8]
	str	w3, [x4, w5, uxtw #2]
	ldrb	w0, [x1]
	ldrb	w0, [x1, #4095]
	ldrb	w0, [x1, x2]
	ldrb	w0, [x1, x2, lsl #0]
	ldrb	w0, [x1, w2, sxtw]
	ldrb	w0, [x1, #1]!
	ldrb	w0, [x1], #-1
	strb	w0, [x1], #1
	strb	w0, [x1, #4095]
	strb	wzr, [x1, x2]
	ldrh	w0, [x1, #8190]
	ldrh	w0, [x1, x2, lsl #1]
	ldrh	w0, [x1], #2
	strh	w0, [x1, #2]
	strh	w0, [x1, #-2]!
	strh	w0, [x1, w2, uxtw #1]
	ldrsb	x0, [x1]
	ldrsb	w0, [x1, #1]
	ldrsb	x0, [x1, x2]
	ldrsb	w0, [x1], #1
	ldrsh	x0, [x1, #2]
	ldrsh	w0, [x1, w2, uxtw #1]
	ldrsh	x0, [x1, #-2]!
	ldrsw	x0, [x1, #4]
	ldrsw	x0, [x1, #16380]
	ldrsw	x0, [x1, x2, lsl #2]
	ldrsw	x0, [x1], #4
	ldrsw	x0, [x1, #-4]!
	ldur	x0, [x1, #-8]
	ldur	x0, [x1, #255]
	ldur	x0, [x1]
	ldur	w0, [x1, #-256]
	ldur	d0, [x1, #-8]
	stur	x0, [x1, #1]
	stur	w0, [sp, #-4]
	stur	d1, [x2, #3]
	ldurb	w0, [x1, #-1]
	sturb	w0, [x1, #3]
	ldurh	w0, [x1, #-2]
	sturh	w0, [x1, #1]
	ldursb	x0, [x1, #-1]
	ldursb	w0, [x1, #1]
	ldursh	x0, [x1, #-3]
	ldursh	w0, [x1, #255]
	ldursw	x0, [x1, #-4]
	ldp	x0, x1, [x2]
	ldp	x29, x30, [sp], #16
	ldp	x0, x1, [x2, #-512]
	ldp	x0, x1, [x2, #504]!
	ldp	w0, w1, [x2, #252]
	ldp	w0, w1, [x2, #-256]!
	ldp	d0, d1, [sp, #16]
	ldp	d8, d9, [sp], #64
	stp	x29, x30, [sp, #-16]!
	stp	x19, x20, [sp, #16]
	stp	w0, w1, [x2], #-256
	stp	d8, d9, [sp, #-64]!
	stp	xzr, xzr, [x0]

// ---- pc-relative forms with immediate byte offsets -----------------------
	ldr	x0, #8
	ldr	w0, #-4
	ldr	x1, #1048572
	ldr	x2, #-1048576
	ldr	d0, #16
	ldrsw	x0, #1048572
	ldrsw	x3, #0
	adr	x0, #0
	adr	x0, #-1048576
	adr	x0, #1048575
	adr	x1, #3
	adrp	x0, #4096
	adrp	x0, #-4096
	adrp	x0, #0
	adrp	x0, #4294963200
	adrp	x0, #-4294967296
	b	#0
	b	#8
	b	#-4
	b	#134217724
	b	#-134217728
	bl	#4
	bl	#-8
	bl	#134217724
	b.eq	#0
	b.ne	#-4
	b.hs	#8
	b.cs	#8
	b.lo	#12
	b.cc	#12
	b.mi	#16
	b.pl	#20
	b.vs	#24
	b.vc	#28
	b.hi	#32
	b.ls	#36
	b.ge	#40
	b.lt	#44
	b.gt	#48
	b.le	#52
	b.al	#56
	b.nv	#60
	b.ne	#1048572
	b.eq	#-1048576
	cbz	x0, #8
	cbz	w0, #-4
	cbnz	x0, #1048572
	cbnz	w30, #-1048576
	tbz	x0, #0, #8
	tbz	x0, #63, #-4
	tbz	w0, #31, #32764
	tbnz	x1, #32, #-32768
	tbnz	w1, #5, #4

// ---- branches to registers ---------------------------------------------
	br	x16
	br	x30
	blr	x17
	blr	x0
	ret
	ret	x1
	ret	x30

// ---- floating point ------------------------------------------------------
	fadd	d0, d1, d2
	fsub	d3, d4, d5
	fmul	d0, d1, d2
	fdiv	d31, d30, d29
	fmax	d0, d1, d2
	fmin	d0, d1, d2
	fneg	d0, d1
	fabs	d0, d1
	fsqrt	d0, d1
	fcmp	d0, d1
	fcmp	d0, #0.0
	fcmp	d7, #0.0
	fcmpe	d0, d1
	fcmpe	d2, #0.0
	fcsel	d0, d1, d2, eq
	fcsel	d0, d1, d2, gt
	fmov	d0, d1
	fmov	d0, x1
	fmov	x0, d1
	fmov	d0, xzr
	fmov	d0, #1.0
	fmov	d0, #-2.5
	fmov	d0, #0.125
	fmov	d0, #31.0
	fmov	d0, #-31.0
	fmov	d0, #1.9375
	fmov	d0, #-0.1328125
	fmov	d0, #2
	scvtf	d0, x1
	scvtf	d0, w1
	ucvtf	d0, x1
	ucvtf	d0, w1
	fcvtzs	x0, d1
	fcvtzs	w0, d1
	fcvtzu	x0, d1
	fcvtzu	w0, d1

// ---- system and miscellaneous -------------------------------------------
	nop
	brk	#0
	brk	#0xffff
	brk	#1000
	udf	#0
	udf	#65535
	dmb	ish
	dmb	ishld
	dmb	ishst
	dmb	sy
	dmb	ld
	dmb	oshst
	dsb	ish
	dsb	sy
	dsb	nsh
	isb
	dc	cvau, x0
	dc	cvau, x30
	ic	ivau, x1

// ---- the other builders of isa.MNEMONICS ------------------------------------
	adc	x0, x1, x2
	adc	w0, w1, wzr
	adcs	x3, x4, x5
	sbc	w0, w1, w2
	sbcs	x0, x1, x2
	ngc	x0, x1
	ngcs	w0, w1
	cinv	x0, x1, eq
	cinv	w0, w1, lo
	lslv	x0, x1, x2
	lsrv	w0, w1, w2
	asrv	x0, x1, x2
	rorv	w0, w1, w2
	smaddl	x0, w1, w2, x3
	smsubl	x0, w1, w2, x3
	umaddl	x0, w1, w2, xzr
	umsubl	x4, w5, w6, x7
	smnegl	x0, w1, w2
	umnegl	x0, w1, w2
	extr	x0, x1, x2, #63
	extr	w0, w1, w2, #0
	bfc	x0, #8, #16
	bfc	w0, #31, #1
	bfm	x0, x1, #3, #7
	sbfm	w0, w1, #31, #31
	ubfm	x0, x1, #0, #63
	uxtw	x0, w1
	cls	x0, x1
	cls	w0, w1
	rev16	x0, x1
	rev16	w0, w1
	rev32	x0, x1
	ldpsw	x0, x1, [x2]
	ldpsw	x0, x1, [sp, #-256]!
	ldpsw	x3, x4, [x5], #252
	fmadd	d0, d1, d2, d3
	fmsub	d4, d5, d6, d7
	fnmadd	d0, d1, d2, d3
	fnmsub	d31, d30, d29, d28
	fnmul	d0, d1, d2
	fmaxnm	d0, d1, d2
	fminnm	d0, d1, d2
	frinta	d0, d1
	frinti	d0, d1
	frintm	d0, d1
	frintn	d0, d1
	frintp	d0, d1
	frintx	d0, d1
	frintz	d0, d1
	fcvtas	x0, d1
	fcvtau	w0, d1
	fcvtms	x0, d1
	fcvtmu	w0, d1
	fcvtns	w0, d1
	fcvtnu	x0, d1
	fcvtps	x0, d1
	fcvtpu	w0, d1
	hlt	#0
	hlt	#0xffff
	svc	#0
	svc	#1
	mrs	x0, nzcv
	mrs	x1, tpidr_el0
	mrs	x2, ctr_el0
	mrs	x3, cntvct_el0
	msr	nzcv, x0
	msr	fpcr, x1
	msr	fpsr, x2
	dc	zva, x0
	dc	civac, x1
	dc	cvac, x2
	dc	ivac, x3
	ic	iallu
	ic	ialluis
	dmb	#11
	dsb	#15
	isb	#15

// ---- spelling: case, spacing, registers by alias, statements per line ------
	ADD	X0, X1, #1
	add x0,x1,#1
	Ldr	X0, [X1, #8]!
	mov	fp, sp
	mov	x29, lr
	stp	fp, lr, [sp, #-16]!
	add x0, x1, #2 /* a comment inside */ ; add x2, x3, #4
	B.NE	#8
	ret	lr

// ---- labels: backward and forward uses of every pc-relative form --------
back:
	nop
	b	back
	bl	back
	b.eq	back
	b.al	back
	cbz	w0, back
	cbnz	x1, back
	tbz	w2, #0, back
	tbnz	x3, #63, back
	adr	x4, back
	adrp	x5, back
	ldr	x6, back
	ldrsw	x7, back
	b	fwd
	bl	fwd
	b.ne	fwd
	b.hs	fwd
	cbz	x0, fwd
	cbnz	w1, fwd
	tbz	x2, #40, fwd
	tbnz	w3, #3, fwd
	adr	x4, fwd
	adrp	x5, fwd
	ldr	x5, lit
	ldr	w6, lit
	ldr	d7, lit
	ldrsw	x6, lit
1:	b	1b
	b	1f
1:	cbz	x0, 1b
here: b here
_under.score$1: b.lt _under.score$1
fwd:	ret

// ---- data and alignment ----------------------------------------------------
	.p2align	3
lit:
	.quad	0x1122334455667788
	.xword	-2
	.word	0xdeadbeef
	.word	-1, 2, 3
	.hword	0x1234
	.byte	1
	.byte	255, -128
	.balign	8
	.quad	42
	.byte	7
	.p2align	4
after_data:
	.inst	0xd503201f
	.word	0
	.p2align	2
	ret
