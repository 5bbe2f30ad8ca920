/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world switch between the host (HS-mode) and a guest (VS/VU-mode).
 *
 * __rvkvm_switch_to(arch) is called with interrupts off.  It saves what
 * the C calling convention requires of the host (callee-saved GPRs) plus
 * the CSRs that the guest's run changes (sstatus, hstatus, scounteren,
 * stvec, sscratch), loads the guest's GPRs and enters the guest by sret.
 * Every trap out of the guest lands on __rvkvm_switch_return, which saves
 * the guest's GPRs, reads the trap CSRs exactly once for the exit
 * handlers, puts the host back and returns to the caller.
 *
 * Everything here runs on every exit: keep it to loads, stores and CSR
 * swaps.  Other guest state (VS CSRs, hgatp, FP) is switched at vcpu
 * load/put, not here.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>
#include <rvkvm/asm_offsets.h>

/* Slot of xN in the guest's or host's register file; slot 0 is the pc. */
#define GUEST_X(n)	(RVKVM_ARCH_GUEST + RVKVM_REGS_GPR + (n) * SZREG)
#define HOST_X(n)	(RVKVM_ARCH_HOST + RVKVM_REGS_GPR + (n) * SZREG)
#define GUEST_CSR(c)	(RVKVM_ARCH_GUEST + RVKVM_REGS_##c)
#define HOST_CSR(c)	(RVKVM_ARCH_HOST + RVKVM_REGS_##c)

/* ra, sp, gp, tp and s0..s11: what a C caller expects to survive. */
#define HOST_KEPT	1, 2, 3, 4, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27
/* Every GPR but a0 (x10), which carries the vcpu_arch pointer. */
#define ALL_BUT_A0	1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, \
			17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, \
			30, 31

	/* With the rest of the exit paths: __rvkvm_hot in rvkvm.h. */
	.section .text.rvkvm_hot, "ax", @progbits

/* void __rvkvm_switch_to(struct kvm_vcpu_arch *arch) */
SYM_FUNC_START(__rvkvm_switch_to)
	.irp n, HOST_KEPT
	REG_S	x\n, HOST_X(\n)(a0)
	.endr

	/* Swap the guest's CSRs in; the host's come back in t0..t4. */
	REG_L	t0, GUEST_CSR(SSTATUS)(a0)
	REG_L	t1, GUEST_CSR(HSTATUS)(a0)
	REG_L	t2, GUEST_CSR(SCOUNTEREN)(a0)
	REG_L	t3, GUEST_X(0)(a0)
	la	t4, __rvkvm_switch_return
	csrrw	t0, CSR_SSTATUS, t0
	csrrw	t1, CSR_HSTATUS, t1
	csrrw	t2, CSR_SCOUNTEREN, t2
	csrw	CSR_SEPC, t3
	csrrw	t4, CSR_STVEC, t4
	/* The trap path finds the vcpu_arch pointer in sscratch. */
	csrrw	t3, CSR_SSCRATCH, a0
	REG_S	t0, HOST_CSR(SSTATUS)(a0)
	REG_S	t1, HOST_CSR(HSTATUS)(a0)
	REG_S	t2, HOST_CSR(SCOUNTEREN)(a0)
	REG_S	t4, RVKVM_ARCH_HOST_STVEC(a0)
	REG_S	t3, RVKVM_ARCH_HOST_SSCRATCH(a0)

	.irp n, ALL_BUT_A0
	REG_L	x\n, GUEST_X(\n)(a0)
	.endr
	REG_L	a0, GUEST_X(10)(a0)
	sret
SYM_FUNC_END(__rvkvm_switch_to)

	/* stvec in direct mode: 4-byte aligned. */
	.align 2
SYM_CODE_START(__rvkvm_switch_return)
	csrrw	a0, CSR_SSCRATCH, a0
	.irp n, ALL_BUT_A0
	REG_S	x\n, GUEST_X(\n)(a0)
	.endr

	/* The trap, read once: the exit handlers use these copies. */
	csrr	t0, CSR_SEPC
	csrr	t1, CSR_SCAUSE
	csrr	t2, CSR_STVAL
	csrr	t3, CSR_HTVAL
	csrr	t4, CSR_HTINST
	REG_S	t0, GUEST_X(0)(a0)
	REG_S	t1, RVKVM_ARCH_TRAP_SCAUSE(a0)
	REG_S	t2, RVKVM_ARCH_TRAP_STVAL(a0)
	REG_S	t3, RVKVM_ARCH_TRAP_HTVAL(a0)
	REG_S	t4, RVKVM_ARCH_TRAP_HTINST(a0)

	/* The guest's a0 waits in sscratch; the host's sscratch goes back. */
	REG_L	t0, RVKVM_ARCH_HOST_SSCRATCH(a0)
	csrrw	t0, CSR_SSCRATCH, t0
	REG_S	t0, GUEST_X(10)(a0)

	REG_L	t0, HOST_CSR(SSTATUS)(a0)
	REG_L	t1, HOST_CSR(HSTATUS)(a0)
	REG_L	t2, HOST_CSR(SCOUNTEREN)(a0)
	REG_L	t3, RVKVM_ARCH_HOST_STVEC(a0)
	csrrw	t0, CSR_SSTATUS, t0
	csrrw	t1, CSR_HSTATUS, t1
	csrrw	t2, CSR_SCOUNTEREN, t2
	csrw	CSR_STVEC, t3
	REG_S	t0, GUEST_CSR(SSTATUS)(a0)
	REG_S	t1, GUEST_CSR(HSTATUS)(a0)
	REG_S	t2, GUEST_CSR(SCOUNTEREN)(a0)

	.irp n, HOST_KEPT
	REG_L	x\n, HOST_X(\n)(a0)
	.endr
	ret
SYM_CODE_END(__rvkvm_switch_return)
