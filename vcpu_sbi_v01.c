// SPDX-License-Identifier: GPL-2.0
/*
 * SBI v0.1, the legacy calls: one extension id per call (0x0-0x8), the
 * function id ignored, the result in a0 alone, and hart masks passed as
 * a pointer into the guest's virtual address space.  Old kernels and
 * boot loaders still make them.  Each is served by the machinery of its
 * v0.2 successor (TIME, IPI, RFENCE, SRST); the console belongs to the
 * VMM and goes to userspace.
 */
#include <rvkvm/sbi.h>

/* asm/sbi.h names these only with CONFIG_RISCV_SBI_V01, which 6.12 lacks. */
enum rvkvm_sbi_v01_eid {
	RVKVM_V01_SET_TIMER = 0x0,
	RVKVM_V01_CONSOLE_PUTCHAR = 0x1,
	RVKVM_V01_CONSOLE_GETCHAR = 0x2,
	RVKVM_V01_CLEAR_IPI = 0x3,
	RVKVM_V01_SEND_IPI = 0x4,
	RVKVM_V01_REMOTE_FENCE_I = 0x5,
	RVKVM_V01_REMOTE_SFENCE_VMA = 0x6,
	RVKVM_V01_REMOTE_SFENCE_VMA_ASID = 0x7,
	RVKVM_V01_SHUTDOWN = 0x8,
};

/*
 * The vCPUs the call's a0 names: a null pointer means every hart, as in
 * OpenSBI and 6.12; otherwise bit i of the unsigned long it points to
 * names hart i.  The read goes through the guest's translation; a fault
 * the guest would take (a VS-stage page fault, misalignment, no RAM
 * behind the address) is delivered at the ecall, as firmware would.
 * 6.12 hands the guest the raw trap, G-stage causes included.
 * Return: 0 with call->error set on the mask's validity, or with
 * call->trapped set if the ecall must not complete now; or a -errno.
 */
static int rvkvm_v01_targets(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call,
			     unsigned long *targets)
{
	unsigned long mask = 0, base = -1UL, gva = call->args[0];
	struct rvkvm_trap fault;
	int r;

	if (gva) {
		r = rvkvm_read_gva(vcpu, gva, false, &mask, &fault);
		if (r == 1)
			rvkvm_vcpu_redirect_trap(vcpu, fault.scause, fault.stval);
		if (r == 1 || r == -EAGAIN) {
			call->trapped = true;
			return 0;
		}
		if (r)
			return r;
		base = 0;
	}
	call->error = rvkvm_sbi_hart_mask(vcpu->kvm, mask, base, targets);
	return 0;
}

/* Each legacy fence is the RFENCE call of the same name. */
static unsigned long rvkvm_v01_fence_fid(unsigned long eid)
{
	switch (eid) {
	case RVKVM_V01_REMOTE_FENCE_I:
		return SBI_EXT_RFENCE_REMOTE_FENCE_I;
	case RVKVM_V01_REMOTE_SFENCE_VMA:
		return SBI_EXT_RFENCE_REMOTE_SFENCE_VMA;
	default:
		return SBI_EXT_RFENCE_REMOTE_SFENCE_VMA_ASID;
	}
}

/* send_ipi and the three remote fences: they act on a hart mask. */
static int rvkvm_v01_to_harts(struct kvm_vcpu *vcpu,
			      struct rvkvm_sbi_call *call)
{
	DECLARE_BITMAP(targets, KVM_MAX_VCPUS);
	int r;

	r = rvkvm_v01_targets(vcpu, call, targets);
	if (r)
		return r;
	if (call->trapped || call->error)
		return RVKVM_RESUME;
	if (call->eid == RVKVM_V01_SEND_IPI)
		rvkvm_sbi_send_ipi(vcpu, targets);
	else
		rvkvm_sbi_remote_fence(vcpu, rvkvm_v01_fence_fid(call->eid),
				       targets, &call->args[1]);
	return RVKVM_RESUME;
}

static int rvkvm_sbi_v01_handle(struct kvm_vcpu *vcpu,
				struct rvkvm_sbi_call *call)
{
	/* Legacy calls return a0 only: a1 goes back as the guest left it. */
	call->value = call->args[1];
	call->error = SBI_SUCCESS;
	switch (call->eid) {
	case RVKVM_V01_SET_TIMER:
		rvkvm_timer_sbi_set_timer(vcpu, call->args);
		return RVKVM_RESUME;
	case RVKVM_V01_CONSOLE_PUTCHAR:
	case RVKVM_V01_CONSOLE_GETCHAR:
		return rvkvm_sbi_forward(vcpu, call);
	case RVKVM_V01_CLEAR_IPI:
		rvkvm_vcpu_set_irq(vcpu, IRQ_VS_SOFT, false);
		return RVKVM_RESUME;
	case RVKVM_V01_SHUTDOWN:
		return rvkvm_sbi_system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
	default:
		return rvkvm_v01_to_harts(vcpu, call);
	}
}

/* Enabled by default; Debian's 6.12 lists it but serves no call. */
const struct rvkvm_sbi_ext rvkvm_sbi_v01 = {
	.eid_first = RVKVM_V01_SET_TIMER,
	.eid_last = RVKVM_SBI_V01_LAST,
	.kvm_id = KVM_RISCV_SBI_EXT_V01,
	.handle = rvkvm_sbi_v01_handle,
};
