/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Moving the F/D register file between the FPU and a struct rvkvm_fp.
 *
 * The host kernel runs with sstatus.FS off.  Each routine turns FS on for
 * its own accesses and then puts the FS field back as it found it, so
 * that neither the host's nor the guest's FS status is disturbed here:
 * vcpu_fp.c keeps the guest's status in arch.guest.sstatus.  Callers have
 * preemption disabled.  The kernel's own __fstate_save/__fstate_restore
 * are not exported to modules, hence these.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/csr.h>
#include <rvkvm/asm_offsets.h>

#define FP_SLOT(n)	(RVKVM_FP_F + (n) * 8)

#define ALL_FREGS	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, \
			16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, \
			29, 30, 31

	.text

/* void __rvkvm_fp_store(struct rvkvm_fp *fp): FPU -> memory */
SYM_FUNC_START(__rvkvm_fp_store)
	li	t1, SR_FS
	csrrs	t0, CSR_SSTATUS, t1
	.irp n, ALL_FREGS
	fsd	f\n, FP_SLOT(\n)(a0)
	.endr
	frcsr	t2
	sw	t2, RVKVM_FP_FCSR(a0)
	/* FS back to what it was, the rest of sstatus untouched. */
	and	t0, t0, t1
	csrc	CSR_SSTATUS, t1
	csrs	CSR_SSTATUS, t0
	ret
SYM_FUNC_END(__rvkvm_fp_store)

/* void __rvkvm_fp_load(const struct rvkvm_fp *fp): memory -> FPU */
SYM_FUNC_START(__rvkvm_fp_load)
	li	t1, SR_FS
	csrrs	t0, CSR_SSTATUS, t1
	.irp n, ALL_FREGS
	fld	f\n, FP_SLOT(\n)(a0)
	.endr
	lw	t2, RVKVM_FP_FCSR(a0)
	fscsr	t2
	and	t0, t0, t1
	csrc	CSR_SSTATUS, t1
	csrs	CSR_SSTATUS, t0
	ret
SYM_FUNC_END(__rvkvm_fp_load)
