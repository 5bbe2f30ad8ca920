// SPDX-License-Identifier: GPL-2.0
/*
 * SBI IPI and RFENCE: what one hart asks of others.  Targets are named
 * by a hart mask (rvkvm_sbi_hart_mask); IPIs become VS software
 * interrupts, fences become vCPU requests that each target carries out
 * before it next enters the guest, whether it is running, sleeping or
 * stopped now.
 */
#include <rvkvm/sbi.h>

/**
 * rvkvm_sbi_send_ipi() - raise the VS software interrupt of each target
 * @kvm: the VM
 * @targets: vCPU indices, from rvkvm_sbi_hart_mask()
 */
void rvkvm_sbi_send_ipi(struct kvm *kvm, const unsigned long *targets)
{
	struct kvm_vcpu *t;
	unsigned long i;

	kvm_for_each_vcpu(i, t, kvm)
		if (test_bit(t->vcpu_idx, targets))
			rvkvm_vcpu_set_irq(t, IRQ_VS_SOFT, true);
}

/**
 * rvkvm_sbi_remote_fence() - have each target fence before it next runs
 * @kvm: the VM
 * @icache: FENCE.I; otherwise drop the VM's VS-stage translations, all
 *          of them whatever range or ASID was asked for
 * @targets: vCPU indices, from rvkvm_sbi_hart_mask()
 */
void rvkvm_sbi_remote_fence(struct kvm *kvm, bool icache,
			    unsigned long *targets)
{
	kvm_make_vcpus_request_mask(kvm, icache ? KVM_REQ_FENCE_I :
				    KVM_REQ_HFENCE_VVMA_ALL, targets);
}

static int rvkvm_sbi_ipi_handle(struct kvm_vcpu *vcpu,
				struct rvkvm_sbi_call *call)
{
	DECLARE_BITMAP(targets, KVM_MAX_VCPUS);

	if (call->fid != SBI_EXT_IPI_SEND_IPI)
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	call->error = rvkvm_sbi_hart_mask(vcpu->kvm, call->args[0],
					  call->args[1], targets);
	if (!call->error)
		rvkvm_sbi_send_ipi(vcpu->kvm, targets);
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_ipi = {
	.eid_first = SBI_EXT_IPI,
	.eid_last = SBI_EXT_IPI,
	.kvm_id = KVM_RISCV_SBI_EXT_IPI,
	.handle = rvkvm_sbi_ipi_handle,
};

/*
 * Address ranges and ASIDs are honoured by flushing more, not less: the
 * whole of the VM's VS-stage translations on each target.
 */
static int rvkvm_sbi_rfence_handle(struct kvm_vcpu *vcpu,
				   struct rvkvm_sbi_call *call)
{
	DECLARE_BITMAP(targets, KVM_MAX_VCPUS);

	switch (call->fid) {
	case SBI_EXT_RFENCE_REMOTE_FENCE_I:
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA:
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID:
		break;
	default:
		/* The HFENCE calls are for nested guests: not offered. */
		return RVKVM_RESUME;
	}
	call->error = rvkvm_sbi_hart_mask(vcpu->kvm, call->args[0],
					  call->args[1], targets);
	if (!call->error)
		rvkvm_sbi_remote_fence(vcpu->kvm, call->fid ==
				       SBI_EXT_RFENCE_REMOTE_FENCE_I, targets);
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_rfence = {
	.eid_first = SBI_EXT_RFENCE,
	.eid_last = SBI_EXT_RFENCE,
	.kvm_id = KVM_RISCV_SBI_EXT_RFENCE,
	.handle = rvkvm_sbi_rfence_handle,
};
