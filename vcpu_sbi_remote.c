// SPDX-License-Identifier: GPL-2.0
/*
 * SBI IPI and RFENCE: what one hart asks of others.  Targets are named
 * by a hart mask (rvkvm_sbi_hart_mask); IPIs become VS software
 * interrupts, fences become vCPU requests that each target carries out
 * before it next enters the guest, whether it is running, sleeping or
 * stopped now.
 */
#include <rvkvm/sbi.h>
#include <rvkvm/pmu.h>

static int rvkvm_sbi_ipi_handle(struct kvm_vcpu *vcpu,
				struct rvkvm_sbi_call *call)
{
	DECLARE_BITMAP(targets, KVM_MAX_VCPUS);
	struct kvm_vcpu *t;
	unsigned long i;

	if (call->fid != SBI_EXT_IPI_SEND_IPI)
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	call->error = rvkvm_sbi_hart_mask(vcpu->kvm, call->args[0],
					  call->args[1], targets);
	if (call->error)
		return RVKVM_RESUME;
	rvkvm_pmu_fw_event(vcpu, SBI_PMU_FW_IPI_SENT);
	kvm_for_each_vcpu(i, t, vcpu->kvm) {
		if (test_bit(t->vcpu_idx, targets)) {
			rvkvm_pmu_fw_event(t, SBI_PMU_FW_IPI_RCVD);
			rvkvm_vcpu_set_irq(t, IRQ_VS_SOFT, true);
		}
	}
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
	unsigned int req, sent;
	struct kvm_vcpu *t;
	unsigned long i;

	switch (call->fid) {
	case SBI_EXT_RFENCE_REMOTE_FENCE_I:
		req = KVM_REQ_FENCE_I;
		sent = SBI_PMU_FW_FENCE_I_SENT;
		break;
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA:
		req = KVM_REQ_HFENCE_VVMA_ALL;
		sent = SBI_PMU_FW_SFENCE_VMA_SENT;
		break;
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID:
		req = KVM_REQ_HFENCE_VVMA_ALL;
		sent = SBI_PMU_FW_SFENCE_VMA_ASID_SENT;
		break;
	default:
		/* The HFENCE calls are for nested guests: not offered. */
		return RVKVM_RESUME;
	}
	call->error = rvkvm_sbi_hart_mask(vcpu->kvm, call->args[0],
					  call->args[1], targets);
	if (call->error)
		return RVKVM_RESUME;
	/* Each SBI *_RCVD firmware event code follows its *_SENT. */
	rvkvm_pmu_fw_event(vcpu, sent);
	kvm_for_each_vcpu(i, t, vcpu->kvm)
		if (test_bit(t->vcpu_idx, targets))
			rvkvm_pmu_fw_event(t, sent + 1);
	kvm_make_vcpus_request_mask(vcpu->kvm, req, targets);
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_rfence = {
	.eid_first = SBI_EXT_RFENCE,
	.eid_last = SBI_EXT_RFENCE,
	.kvm_id = KVM_RISCV_SBI_EXT_RFENCE,
	.handle = rvkvm_sbi_rfence_handle,
};
