// SPDX-License-Identifier: GPL-2.0
/*
 * Offsets of rvkvm's own structs for vcpu_switch.S, generated at build
 * time into build/gen/rvkvm/asm_offsets.h.  Named RVKVM_* so they can
 * never be confused with the in-tree KVM_ARCH_* of the host's headers.
 */
#include <rvkvm/rvkvm.h>
#include <linux/kbuild.h>

void rvkvm_asm_offsets(void);

void rvkvm_asm_offsets(void)
{
	OFFSET(RVKVM_ARCH_GUEST, kvm_vcpu_arch, guest);
	OFFSET(RVKVM_ARCH_HOST, kvm_vcpu_arch, host);
	OFFSET(RVKVM_REGS_GPR, rvkvm_regs, gpr);
	OFFSET(RVKVM_REGS_SSTATUS, rvkvm_regs, sstatus);
	OFFSET(RVKVM_REGS_HSTATUS, rvkvm_regs, hstatus);
	OFFSET(RVKVM_REGS_SCOUNTEREN, rvkvm_regs, scounteren);
	OFFSET(RVKVM_ARCH_HOST_SSCRATCH, kvm_vcpu_arch, host_sscratch);
	OFFSET(RVKVM_ARCH_HOST_STVEC, kvm_vcpu_arch, host_stvec);
	OFFSET(RVKVM_ARCH_TRAP_SCAUSE, kvm_vcpu_arch, trap.scause);
	OFFSET(RVKVM_ARCH_TRAP_STVAL, kvm_vcpu_arch, trap.stval);
	OFFSET(RVKVM_ARCH_TRAP_HTVAL, kvm_vcpu_arch, trap.htval);
	OFFSET(RVKVM_ARCH_TRAP_HTINST, kvm_vcpu_arch, trap.htinst);
	OFFSET(RVKVM_TRAP_SCAUSE, rvkvm_trap, scause);
	OFFSET(RVKVM_TRAP_STVAL, rvkvm_trap, stval);
	OFFSET(RVKVM_TRAP_HTVAL, rvkvm_trap, htval);
	OFFSET(RVKVM_FP_F, rvkvm_fp, f);
	OFFSET(RVKVM_FP_FCSR, rvkvm_fp, fcsr);
}
