// SPDX-License-Identifier: GPL-2.0
/*
 * SBI HSM: harts start, stop, report their state and suspend.
 *
 * A start and a stop of the same vCPU are ordered by its mp_lock: the
 * starter checks "stopped" and records where to begin under the lock, so
 * two starts cannot both succeed and a start cannot slip between a
 * target's stop and its sleep.  A retentive suspend is a WFI; a
 * non-retentive one is a WFI that resumes somewhere else.
 */
#include <rvkvm/sbi.h>

/* kvm_get_vcpu_by_id() takes an int: bound the hart id first. */
static struct kvm_vcpu *rvkvm_hsm_target(struct kvm_vcpu *vcpu,
					 unsigned long hartid)
{
	return hartid < KVM_MAX_VCPU_IDS ?
	       kvm_get_vcpu_by_id(vcpu->kvm, hartid) : NULL;
}

/**
 * rvkvm_hsm_addr_ok() - may a hart begin or resume at @addr?
 * @vcpu: the vCPU asking
 * @addr: a start, resume or SUSP resume address
 *
 * Return: true for guest RAM, so that the first fetch does not fault
 * before any code ran.
 */
bool rvkvm_hsm_addr_ok(struct kvm_vcpu *vcpu, unsigned long addr)
{
	return kvm_vcpu_is_visible_gfn(vcpu, gpa_to_gfn(addr));
}

/**
 * rvkvm_hsm_boot_at() - make a vCPU's next reset begin at @pc
 * @t: the vCPU, whose mp_lock the caller holds
 * @pc: where it begins, in S-mode with a0 = its hart id
 * @a1: its a1 (the caller's opaque)
 *
 * The reset runs in @t's own thread before it next enters the guest.
 */
void rvkvm_hsm_boot_at(struct kvm_vcpu *t, unsigned long pc, unsigned long a1)
{
	lockdep_assert_held(&t->arch.mp_lock);
	t->arch.boot.pc = pc;
	t->arch.boot.a1 = a1;
	t->arch.boot.pending = true;
	kvm_make_request(KVM_REQ_VCPU_RESET, t);
}

static long rvkvm_hsm_start(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call)
{
	struct kvm_vcpu *t = rvkvm_hsm_target(vcpu, call->args[0]);
	long err = SBI_SUCCESS;

	if (!t)
		return SBI_ERR_INVALID_PARAM;
	spin_lock(&t->arch.mp_lock);
	if (!READ_ONCE(t->arch.power_off)) {
		err = SBI_ERR_ALREADY_AVAILABLE;
	} else if (!rvkvm_hsm_addr_ok(vcpu, call->args[1])) {
		err = SBI_ERR_INVALID_ADDRESS;
	} else {
		rvkvm_hsm_boot_at(t, call->args[1], call->args[2]);
		rvkvm_vcpu_power_on(t);
	}
	spin_unlock(&t->arch.mp_lock);
	return err;
}

static unsigned long rvkvm_hsm_status(struct kvm_vcpu *t)
{
	if (READ_ONCE(t->arch.power_off))
		return SBI_HSM_STATE_STOPPED;
	/* Blocked in the host: in WFI or a retentive suspend. */
	if (READ_ONCE(t->stat.generic.blocking))
		return SBI_HSM_STATE_SUSPENDED;
	return SBI_HSM_STATE_STARTED;
}

/*
 * Back from a non-retentive suspend: the hart starts over at
 * @resume_addr in S-mode with a0 = hart id, a1 = @opaque, translation
 * and interrupts off.  The ecall trapped from VS-mode, so sret already
 * returns there; the VS CSRs are live while the vCPU is loaded.
 */
static void rvkvm_hsm_resume(struct kvm_vcpu *vcpu, unsigned long resume_addr,
			     unsigned long opaque)
{
	struct rvkvm_regs *g = &vcpu->arch.guest;

	g->gpr[RVKVM_PC] = resume_addr;
	g->gpr[10] = vcpu->vcpu_id;
	g->gpr[11] = opaque;
	guard(preempt)();
	rvkvm_vcpu_hold(vcpu);
	csr_write(CSR_VSATP, 0);
	csr_clear(CSR_VSSTATUS, SR_SIE);
}

/*
 * suspend_type is 32 bits wide (SBI HSM): the upper half of a0 is not
 * part of it.  Only the two default types exist here; the platform
 * ranges are the platform's to define, and this one defines none.
 */
static long rvkvm_hsm_suspend(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call)
{
	u32 type = call->args[0];

	switch (type) {
	case SBI_HSM_SUSPEND_RET_DEFAULT:
		rvkvm_vcpu_wait_irq(vcpu);
		return SBI_SUCCESS;
	case SBI_HSM_SUSPEND_NON_RET_DEFAULT:
		if (!rvkvm_hsm_addr_ok(vcpu, call->args[1]))
			return SBI_ERR_INVALID_ADDRESS;
		rvkvm_vcpu_wait_irq(vcpu);
		rvkvm_hsm_resume(vcpu, call->args[1], call->args[2]);
		call->trapped = true;
		return SBI_SUCCESS;
	default:
		return SBI_ERR_INVALID_PARAM;
	}
}

static int rvkvm_sbi_hsm_handle(struct kvm_vcpu *vcpu,
				struct rvkvm_sbi_call *call)
{
	struct kvm_vcpu *t;

	switch (call->fid) {
	case SBI_EXT_HSM_HART_START:
		call->error = rvkvm_hsm_start(vcpu, call);
		break;
	case SBI_EXT_HSM_HART_STOP:
		spin_lock(&vcpu->arch.mp_lock);
		rvkvm_vcpu_power_off(vcpu);
		spin_unlock(&vcpu->arch.mp_lock);
		call->error = SBI_SUCCESS;
		break;
	case SBI_EXT_HSM_HART_STATUS:
		t = rvkvm_hsm_target(vcpu, call->args[0]);
		if (!t) {
			call->error = SBI_ERR_INVALID_PARAM;
			break;
		}
		call->error = SBI_SUCCESS;
		call->value = rvkvm_hsm_status(t);
		break;
	case SBI_EXT_HSM_HART_SUSPEND:
		call->error = rvkvm_hsm_suspend(vcpu, call);
		break;
	}
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_hsm = {
	.eid_first = SBI_EXT_HSM,
	.eid_last = SBI_EXT_HSM,
	.kvm_id = KVM_RISCV_SBI_EXT_HSM,
	.handle = rvkvm_sbi_hsm_handle,
};
