// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy switching of the guest's F/D state.
 *
 * The guest's FP registers sit in the FPU from vcpu_load to vcpu_put, so
 * exits never touch them.  Meanwhile the host's FP registers (the VMM
 * thread's user state, which the kernel itself saves only when it
 * switches tasks) wait in arch.host_fp and go back at put, before the
 * scheduler can look at them.  The world switch carries the guest's
 * sstatus.FS in arch.guest.sstatus; the hardware marks it Dirty when the
 * guest writes an FP register, and only then does put write the guest's
 * registers back to memory.
 *
 * The spec has a guest's FP write mark both that HS-level sstatus.FS
 * and its own vsstatus.FS Dirty.  QEMU (7.2 and 10 alike) marks only
 * vsstatus when the guest writes fcsr, frm or fflags with a CSR
 * instruction, so put saves when either says Dirty
 * (rvkvm_guest_dirtied()): otherwise a guest that changed only its
 * rounding mode since its last load would lose it (selftests/fp_state,
 * whose CSR-only rounds caught it).
 */
#include <rvkvm/rvkvm.h>

/* The kernel drops F when D is missing: D says whether there is an FPU. */
static bool rvkvm_host_fpu(void)
{
	return riscv_has_extension_likely(RISCV_ISA_EXT_d);
}

static bool rvkvm_guest_fpu(struct kvm_vcpu *vcpu)
{
	return rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_f) ||
	       rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_d);
}

static unsigned long rvkvm_fs(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest.sstatus & SR_FS;
}

static void rvkvm_set_fs(struct kvm_vcpu *vcpu, unsigned long fs)
{
	vcpu->arch.guest.sstatus = (vcpu->arch.guest.sstatus & ~SR_FS) | fs;
}

/* Memory to FPU for a loaded guest whose FP is on; memory then agrees. */
static void rvkvm_fp_guest_in(struct kvm_vcpu *vcpu)
{
	if (rvkvm_fs(vcpu) == SR_FS_OFF)
		return;
	__rvkvm_fp_load(&vcpu->arch.guest_fp);
	rvkvm_set_fs(vcpu, SR_FS_CLEAN);
}

/**
 * rvkvm_vcpu_fp_load() - park the host's FP registers, bring the guest's
 * @vcpu: the vCPU being loaded, preemption disabled
 */
void __rvkvm_hot rvkvm_vcpu_fp_load(struct kvm_vcpu *vcpu)
{
	if (!rvkvm_host_fpu())
		return;
	__rvkvm_fp_store(&vcpu->arch.host_fp);
	rvkvm_fp_guest_in(vcpu);
}

/**
 * rvkvm_vcpu_fp_put() - keep what the guest changed, give the host its own
 * @vcpu: the vCPU being put, preemption disabled, its vsstatus read into
 *	  arch.csr
 */
void __rvkvm_hot rvkvm_vcpu_fp_put(struct kvm_vcpu *vcpu)
{
	if (!rvkvm_host_fpu())
		return;
	if (rvkvm_guest_dirtied(vcpu, SR_FS)) {
		__rvkvm_fp_store(&vcpu->arch.guest_fp);
		rvkvm_set_fs(vcpu, SR_FS_CLEAN);
	}
	__rvkvm_fp_load(&vcpu->arch.host_fp);
}

/* Preemption disabled: a put in between would see a half-made state. */
static void __rvkvm_vcpu_fp_config(struct kvm_vcpu *vcpu)
{
	if (!rvkvm_guest_fpu(vcpu))
		rvkvm_set_fs(vcpu, SR_FS_OFF);
	else if (rvkvm_fs(vcpu) == SR_FS_OFF)
		rvkvm_set_fs(vcpu, SR_FS_INITIAL);
	if (vcpu->cpu != -1 && rvkvm_host_fpu())
		rvkvm_fp_guest_in(vcpu);
}

/**
 * rvkvm_vcpu_fp_config() - set the guest's sstatus.FS from its ISA
 * @vcpu: the vCPU, loaded or not; its guest has not run since the FP
 *	  state in memory became authoritative (the first KVM_RUN)
 *
 * A guest without F and D gets FS Off, so its FP instructions trap into
 * itself; one with F or D keeps its state, Initial if it was Off.  On a
 * loaded vCPU the FPU is brought in line at once.
 */
void rvkvm_vcpu_fp_config(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	__rvkvm_vcpu_fp_config(vcpu);
	preempt_enable();
}

/**
 * rvkvm_vcpu_fp_reset() - zero the guest's F/D registers and fcsr
 * @vcpu: the vCPU, loaded or not
 *
 * Whatever the guest left in the FPU is dropped, not written back.
 */
void rvkvm_vcpu_fp_reset(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	rvkvm_set_fs(vcpu, SR_FS_OFF);
	memset(&vcpu->arch.guest_fp, 0, sizeof(vcpu->arch.guest_fp));
	__rvkvm_vcpu_fp_config(vcpu);
	preempt_enable();
}
