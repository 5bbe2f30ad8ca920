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

/**
 * rvkvm_sbi_send_ipi() - raise the VS software interrupt of each target
 * @vcpu: the sender, which counts the IPI_SENT firmware event
 * @targets: vCPU indices, from rvkvm_sbi_hart_mask(); each counts
 *           IPI_RCVD
 */
void __rvkvm_hot rvkvm_sbi_send_ipi(struct kvm_vcpu *vcpu, const unsigned long *targets)
{
	struct kvm_vcpu *t;
	unsigned long i;

	rvkvm_pmu_fw_event(vcpu, SBI_PMU_FW_IPI_SENT);
	kvm_for_each_vcpu(i, t, vcpu->kvm) {
		if (test_bit(t->vcpu_idx, targets)) {
			rvkvm_pmu_fw_event(t, SBI_PMU_FW_IPI_RCVD);
			rvkvm_vcpu_set_irq(t, IRQ_VS_SOFT, true);
		}
	}
}

/*
 * The SBI's address range: start_addr and size both 0, or size all ones,
 * is the whole address space (pages 0); so is a range that wraps.  An
 * empty range otherwise is no fence at all: returns false.  The ASID is
 * SXLEN wide in the call, but no satp holds more than its ASID field.
 */
static bool rvkvm_sbi_fence_range(const unsigned long *range, bool asid,
				  struct rvkvm_vvma_fence *f)
{
	unsigned long start = range[0], size = range[1];

	f->asid = asid ? range[2] & SATP_ASID_MASK : RVKVM_ASID_ANY;
	f->start = 0;
	f->pages = 0;
	if ((!start && !size) || size == ULONG_MAX)
		return true;
	if (!size)
		return false;
	if (start + (size - 1) < start)
		return true;
	f->start = start;
	f->pages = ((start + (size - 1)) >> PAGE_SHIFT) - (start >> PAGE_SHIFT) + 1;
	return true;
}

/**
 * rvkvm_sbi_remote_fence() - have each target fence before it next runs
 * @vcpu: the sender
 * @fid: SBI_EXT_RFENCE_REMOTE_FENCE_I, _SFENCE_VMA or _SFENCE_VMA_ASID
 * @targets: vCPU indices, from rvkvm_sbi_hart_mask()
 * @range: the call's start_addr, size and (_SFENCE_VMA_ASID) asid
 *
 * The sender counts the call's *_SENT firmware event, each target its
 * *_RCVD.
 */
void rvkvm_sbi_remote_fence(struct kvm_vcpu *vcpu, unsigned long fid,
			    unsigned long *targets, const unsigned long *range)
{
	bool asid = fid == SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID;
	struct rvkvm_vvma_fence fence;
	struct kvm_vcpu *t;
	unsigned int sent;
	unsigned long i;

	switch (fid) {
	case SBI_EXT_RFENCE_REMOTE_FENCE_I:
		sent = SBI_PMU_FW_FENCE_I_SENT;
		break;
	case SBI_EXT_RFENCE_REMOTE_SFENCE_VMA:
		sent = SBI_PMU_FW_SFENCE_VMA_SENT;
		break;
	default:
		sent = SBI_PMU_FW_SFENCE_VMA_ASID_SENT;
		break;
	}
	/* Each SBI *_RCVD firmware event code follows its *_SENT. */
	rvkvm_pmu_fw_event(vcpu, sent);
	kvm_for_each_vcpu(i, t, vcpu->kvm)
		if (test_bit(t->vcpu_idx, targets))
			rvkvm_pmu_fw_event(t, sent + 1);
	if (fid == SBI_EXT_RFENCE_REMOTE_FENCE_I)
		kvm_make_vcpus_request_mask(vcpu->kvm, KVM_REQ_FENCE_I, targets);
	else if (rvkvm_sbi_fence_range(range, asid, &fence))
		rvkvm_vcpus_fence_vvma(vcpu->kvm, targets, &fence);
}

static int __rvkvm_hot rvkvm_sbi_ipi_handle(struct kvm_vcpu *vcpu,
					    struct rvkvm_sbi_call *call)
{
	DECLARE_BITMAP(targets, KVM_MAX_VCPUS);

	if (call->fid != SBI_EXT_IPI_SEND_IPI)
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	call->error = rvkvm_sbi_hart_mask(vcpu->kvm, call->args[0],
					  call->args[1], targets);
	if (!call->error)
		rvkvm_sbi_send_ipi(vcpu, targets);
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_ipi = {
	.eid_first = SBI_EXT_IPI,
	.eid_last = SBI_EXT_IPI,
	.kvm_id = KVM_RISCV_SBI_EXT_IPI,
	.handle = rvkvm_sbi_ipi_handle,
	/* Atomic line updates and kicks, which only send an IPI. */
	.fast = rvkvm_sbi_fast_always,
};

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
		rvkvm_sbi_remote_fence(vcpu, call->fid, targets, &call->args[2]);
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_rfence = {
	.eid_first = SBI_EXT_RFENCE,
	.eid_last = SBI_EXT_RFENCE,
	.kvm_id = KVM_RISCV_SBI_EXT_RFENCE,
	.handle = rvkvm_sbi_rfence_handle,
};
