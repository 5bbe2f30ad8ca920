// SPDX-License-Identifier: GPL-2.0
/*
 * SBI SUSP (7.x's uapi only): the guest asks to suspend the system to
 * RAM.  KVM checks the call and that every other hart is stopped, arms
 * the resume (the calling hart restarts at resume_addr, as after an HSM
 * start) and hands the call to userspace, which implements the suspend.
 * Off until userspace enables it (ONE_REG SBI_EXT).
 */
#include <rvkvm/sbi.h>

/*
 * A hart started after this check slips through; only the guest can
 * arrange that, and userspace sees every hart's MP state on the exit.
 */
static bool rvkvm_susp_others_stopped(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu *t;
	unsigned long i;

	kvm_for_each_vcpu(i, t, vcpu->kvm)
		if (t != vcpu && !READ_ONCE(t->arch.power_off))
			return false;
	return true;
}

static int rvkvm_sbi_susp_handle(struct kvm_vcpu *vcpu,
				 struct rvkvm_sbi_call *call)
{
	/* sleep_type is 32 bits wide: the upper half is not its. */
	u32 sleep_type = call->args[0];
	unsigned long resume_addr = call->args[1], opaque = call->args[2];

	if (call->fid != SBI_EXT_SUSP_SYSTEM_SUSPEND)
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	if (sleep_type != SBI_SUSP_SLEEP_TYPE_SUSPEND_TO_RAM) {
		call->error = SBI_ERR_INVALID_PARAM;
		return RVKVM_RESUME;
	}
	/* The resume is in S-mode: only a supervisor may suspend. */
	if (!(vcpu->arch.guest.sstatus & SR_SPP)) {
		call->error = SBI_ERR_FAILURE;
		return RVKVM_RESUME;
	}
	if (!rvkvm_hsm_addr_ok(vcpu, resume_addr)) {
		call->error = SBI_ERR_INVALID_ADDRESS;
		return RVKVM_RESUME;
	}
	if (!rvkvm_susp_others_stopped(vcpu)) {
		call->error = SBI_ERR_DENIED;
		return RVKVM_RESUME;
	}
	spin_lock(&vcpu->arch.mp_lock);
	rvkvm_hsm_boot_at(vcpu, resume_addr, opaque);
	spin_unlock(&vcpu->arch.mp_lock);
	return rvkvm_sbi_forward(vcpu, call);
}

const struct rvkvm_sbi_ext rvkvm_sbi_susp = {
	.eid_first = SBI_EXT_SUSP,
	.eid_last = SBI_EXT_SUSP,
	.kvm_id = KVM_RISCV_SBI_EXT_SUSP,
	.default_off = true,
	.handle = rvkvm_sbi_susp_handle,
};
