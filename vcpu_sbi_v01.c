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

/* One unsigned long at @gva, as the guest's S-mode would load it. */
static unsigned long rvkvm_v01_hlv(struct kvm_vcpu *vcpu, unsigned long gva,
				   struct rvkvm_trap *fault)
{
	unsigned long flags, hstatus, val;

	/* HLV takes the guest's privilege for the walk from hstatus.SPVP. */
	local_irq_save(flags);
	hstatus = csr_swap(CSR_HSTATUS, vcpu->arch.guest.hstatus);
	val = __rvkvm_hlv_d(gva, fault);
	csr_write(CSR_HSTATUS, hstatus);
	local_irq_restore(flags);
	return val;
}

/*
 * The read of a hart mask faulted.  A G-stage miss on guest RAM is ours:
 * map the page and let the guest run the ecall again, which then reads
 * it.  A guest-physical address without RAM is what a load access fault
 * reports on hardware; anything else (a VS-stage page fault, misalignment)
 * is the guest's own, delivered at the ecall as firmware would.  6.12
 * hands the guest the raw trap, G-stage causes included.
 */
static int rvkvm_v01_mask_fault(struct kvm_vcpu *vcpu, unsigned long gva,
				const struct rvkvm_trap *fault)
{
	gpa_t gpa = (fault->htval << 2) | (gva & 3);
	unsigned long hva;
	int r;

	if (fault->scause != EXC_LOAD_GUEST_PAGE_FAULT) {
		rvkvm_vcpu_redirect_trap(vcpu, fault->scause, gva);
		return 0;
	}
	hva = kvm_vcpu_gfn_to_hva_prot(vcpu, gpa_to_gfn(gpa), NULL);
	if (kvm_is_error_hva(hva)) {
		rvkvm_vcpu_redirect_trap(vcpu, EXC_LOAD_ACCESS, gva);
		return 0;
	}
	r = rvkvm_gstage_fault(vcpu, gpa, false, false);
	return r < 0 ? r : 0;
}

/*
 * The vCPUs the call's a0 names: a null pointer means every hart, as in
 * OpenSBI and 6.12; otherwise bit i of the unsigned long it points to
 * names hart i.  Return: 0 with call->error set on the mask's validity,
 * or with call->trapped set if the read faulted; or a -errno.
 */
static int rvkvm_v01_targets(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call,
			     unsigned long *targets)
{
	struct rvkvm_trap fault = { };
	unsigned long mask = 0, base = -1UL, gva = call->args[0];

	if (gva) {
		mask = rvkvm_v01_hlv(vcpu, gva, &fault);
		if (fault.scause) {
			call->trapped = true;
			return rvkvm_v01_mask_fault(vcpu, gva, &fault);
		}
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
				       targets);
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
	.eid_last = RVKVM_V01_SHUTDOWN,
	.kvm_id = KVM_RISCV_SBI_EXT_V01,
	.handle = rvkvm_sbi_v01_handle,
};
