/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading guest memory through the guest's own translation: HLVX.HU
 * for decoding the instruction that trapped when htinst does not carry
 * it, HLV.D for data the guest passes by virtual address (SBI v0.1 hart
 * masks).  A fault during the read must not become a host oops: stvec
 * points at a local handler for the duration, which records the trap and
 * skips the read.  Called with interrupts off and hstatus set up for the
 * guest's privilege (SPVP).
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>
#include <asm/insn-def.h>
#include <rvkvm/asm_offsets.h>

	.text

/*
 * The body of a reader: a0 holds the guest virtual address on entry and
 * the value read on return (0 if the read faulted); a1 points at the
 * struct rvkvm_trap the handler fills.  @load reads from the address in
 * t1 into a0; norvc keeps it 4 bytes long, as the handler's skip expects.
 */
	.macro rvkvm_unpriv_read load:vararg
	la	t0, __rvkvm_unpriv_trap
	csrrw	t0, CSR_STVEC, t0
	mv	t1, a0
	li	a0, 0
	.option push
	.option norvc
	\load
	.option pop
	csrw	CSR_STVEC, t0
	ret
	.endm

/*
 * unsigned long __rvkvm_hlvx_hu(unsigned long gva, struct rvkvm_trap *trap)
 * Returns the halfword; trap->scause is left 0 unless the read faulted.
 */
SYM_FUNC_START(__rvkvm_hlvx_hu)
	rvkvm_unpriv_read HLVX_HU(a0, t1)
SYM_FUNC_END(__rvkvm_hlvx_hu)

#ifdef CONFIG_64BIT
/*
 * unsigned long __rvkvm_hlv_d(unsigned long gva, struct rvkvm_trap *trap)
 * Returns the doubleword, or 0 with trap->scause set if the read faulted.
 */
SYM_FUNC_START(__rvkvm_hlv_d)
	rvkvm_unpriv_read HLV_D(a0, t1)
SYM_FUNC_END(__rvkvm_hlv_d)
#endif

	.align 2
SYM_CODE_START_LOCAL(__rvkvm_unpriv_trap)
	csrr	t2, CSR_SCAUSE
	REG_S	t2, RVKVM_TRAP_SCAUSE(a1)
	csrr	t2, CSR_STVAL
	REG_S	t2, RVKVM_TRAP_STVAL(a1)
	csrr	t2, CSR_HTVAL
	REG_S	t2, RVKVM_TRAP_HTVAL(a1)
	/* Resume after the 4-byte load (norvc above). */
	csrr	t2, CSR_SEPC
	addi	t2, t2, 4
	csrw	CSR_SEPC, t2
	sret
SYM_CODE_END(__rvkvm_unpriv_trap)
