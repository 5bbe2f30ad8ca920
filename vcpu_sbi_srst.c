// SPDX-License-Identifier: GPL-2.0
/*
 * SBI SRST: the guest asks for the system to shut down or reboot.  Every
 * vCPU stops and userspace gets KVM_EXIT_SYSTEM_EVENT with the reason.
 */
#include <rvkvm/sbi.h>

static bool rvkvm_srst_reason_valid(u32 reason)
{
	/* None, system failure, or the SBI and vendor ranges above. */
	return reason <= SBI_SRST_RESET_REASON_SYS_FAILURE ||
	       reason >= 0xe0000000U;
}

/**
 * rvkvm_sbi_system_event() - stop every vCPU and tell userspace why
 * @vcpu: the vCPU that asked (SRST, or v0.1 shutdown)
 * @event: KVM_SYSTEM_EVENT_SHUTDOWN or KVM_SYSTEM_EVENT_RESET
 * @reason: the guest's reason, for system_event.data[0]
 *
 * Return: RVKVM_TO_USER, with vcpu->run a KVM_EXIT_SYSTEM_EVENT.
 */
int rvkvm_sbi_system_event(struct kvm_vcpu *vcpu, u32 event, u64 reason)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_vcpu *t;
	unsigned long i;

	kvm_for_each_vcpu(i, t, vcpu->kvm)
		rvkvm_vcpu_power_off(t);
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = event;
	run->system_event.ndata = 1;
	run->system_event.data[0] = reason;
	return RVKVM_TO_USER;
}

static int rvkvm_sbi_srst_handle(struct kvm_vcpu *vcpu,
				 struct rvkvm_sbi_call *call)
{
	/* Both are 32 bits wide (SBI SRST): the upper halves are not theirs. */
	u32 type = call->args[0], reason = call->args[1];
	u32 event;

	if (call->fid != SBI_EXT_SRST_RESET)
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	switch (type) {
	case SBI_SRST_RESET_TYPE_SHUTDOWN:
		event = KVM_SYSTEM_EVENT_SHUTDOWN;
		break;
	case SBI_SRST_RESET_TYPE_COLD_REBOOT:
	case SBI_SRST_RESET_TYPE_WARM_REBOOT:
		event = KVM_SYSTEM_EVENT_RESET;
		break;
	default:
		call->error = SBI_ERR_INVALID_PARAM;
		return RVKVM_RESUME;
	}
	if (!rvkvm_srst_reason_valid(reason)) {
		call->error = SBI_ERR_INVALID_PARAM;
		return RVKVM_RESUME;
	}
	return rvkvm_sbi_system_event(vcpu, event, reason);
}

const struct rvkvm_sbi_ext rvkvm_sbi_srst = {
	.eid_first = SBI_EXT_SRST,
	.eid_last = SBI_EXT_SRST,
	.kvm_id = KVM_RISCV_SBI_EXT_SRST,
	.handle = rvkvm_sbi_srst_handle,
};
