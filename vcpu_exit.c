// SPDX-License-Identifier: GPL-2.0
/*
 * What happens after the guest traps out: dispatch on scause, inject
 * faults back into the guest, and finish exits that went to userspace.
 */
#include <rvkvm/rvkvm.h>

/**
 * rvkvm_vcpu_redirect_trap() - deliver an exception to the guest
 * @vcpu: the loaded vCPU
 * @scause: the exception cause the guest will see
 * @stval: its trap value
 *
 * Does to the VS CSRs what the hart does on a trap into VS-mode: the
 * guest resumes at its vstvec, in VS-mode, with interrupts off.
 */
void __rvkvm_hot rvkvm_vcpu_redirect_trap(struct kvm_vcpu *vcpu, unsigned long scause,
					  unsigned long stval)
{
	struct rvkvm_regs *g = &vcpu->arch.guest;
	unsigned long vsstatus;

	guard(preempt)();
	rvkvm_vcpu_hold(vcpu);
	vsstatus = csr_read(CSR_VSSTATUS);
	vsstatus &= ~(SR_SPP | SR_SPIE);
	if (g->sstatus & SR_SPP)
		vsstatus |= SR_SPP;
	if (vsstatus & SR_SIE)
		vsstatus |= SR_SPIE;
	vsstatus &= ~SR_SIE;
	csr_write(CSR_VSSTATUS, vsstatus);
	csr_write(CSR_VSCAUSE, scause);
	csr_write(CSR_VSTVAL, stval);
	csr_write(CSR_VSEPC, g->gpr[RVKVM_PC]);

	/* Exceptions always enter at the base, even with vectored vstvec. */
	g->gpr[RVKVM_PC] = csr_read(CSR_VSTVEC) & ~3UL;
	g->sstatus |= SR_SPP;
}

/* The guest touched guest-physical memory the G-stage does not map. */
static int __rvkvm_hot rvkvm_exit_gstage_fault(struct kvm_vcpu *vcpu)
{
	struct rvkvm_trap *t = &vcpu->arch.trap;
	bool store = t->scause == EXC_STORE_GUEST_PAGE_FAULT;
	gpa_t gpa = (t->htval << 2) | (t->stval & 3);
	struct kvm_memory_slot *slot;
	unsigned long hva;
	bool writable;
	int r;

	slot = gfn_to_memslot(vcpu->kvm, gpa >> PAGE_SHIFT);
	hva = gfn_to_hva_memslot_prot(slot, gpa >> PAGE_SHIFT, &writable);
	if (!kvm_is_error_hva(hva) && (!store || writable)) {
		/* 0: mapped, or retry the access; either way resume. */
		r = rvkvm_gstage_fault(vcpu, gpa, store,
				       t->scause == EXC_INST_GUEST_PAGE_FAULT);
		return r < 0 ? r : RVKVM_RESUME;
	}

	/* No RAM there, or a store to ROM: an access to emulate. */
	if (t->scause == EXC_INST_GUEST_PAGE_FAULT) {
		/* Nothing can execute from a device: as on hardware. */
		rvkvm_vcpu_redirect_trap(vcpu, EXC_INST_ACCESS, t->stval);
		return RVKVM_RESUME;
	}
	return rvkvm_mmio_access(vcpu, gpa, store);
}

static int rvkvm_exit_debug(struct kvm_vcpu *vcpu)
{
	/* Not delegated means userspace asked for it: KVM_SET_GUEST_DEBUG. */
	vcpu->run->exit_reason = KVM_EXIT_DEBUG;
	return RVKVM_TO_USER;
}

/**
 * rvkvm_vcpu_exit() - handle the trap that ended the guest's run
 * @vcpu: the loaded vCPU, just back from the guest
 * @fast: called from the exit fast path, with interrupts still off
 *	(Documentation/design.rst, "The exit fast path"): only what needs
 *	neither sleep, nor kvm->srcu, nor another hart's answer is done
 *	there; the rest is RVKVM_SLOW
 *
 * Return: RVKVM_RESUME, RVKVM_TO_USER, RVKVM_SLOW (@fast only), or a
 * -errno for KVM_RUN.
 */
int __rvkvm_hot rvkvm_vcpu_exit(struct kvm_vcpu *vcpu, bool fast)
{
	unsigned long scause = vcpu->arch.trap.scause;
	int r;

	/* The host takes its interrupt as the run loop re-enables IRQs. */
	if (scause & CAUSE_IRQ_FLAG)
		return fast ? RVKVM_SLOW : RVKVM_RESUME;

	switch (scause) {
	case EXC_INST_GUEST_PAGE_FAULT:
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		/* Memslots need kvm->srcu, faulting pages in may sleep. */
		return fast ? RVKVM_SLOW : rvkvm_exit_gstage_fault(vcpu);
	case EXC_VIRTUAL_INST_FAULT:
		return rvkvm_virtual_insn(vcpu, fast);
	case EXC_SUPERVISOR_SYSCALL:
		r = rvkvm_sbi_ecall(vcpu, fast);
		if (r != RVKVM_SLOW)
			vcpu->stat.ecall_exit_stat++;
		return r;
	case EXC_BREAKPOINT:
		if (vcpu->guest_debug & KVM_GUESTDBG_ENABLE)
			return rvkvm_exit_debug(vcpu);
		fallthrough;
	case EXC_INST_ILLEGAL:
	case EXC_INST_MISALIGNED:
	case EXC_LOAD_MISALIGNED:
	case EXC_STORE_MISALIGNED:
	case EXC_INST_ACCESS:
	case EXC_LOAD_ACCESS:
	case EXC_STORE_ACCESS:
		/* The guest's own doing, and its own business. */
		rvkvm_vcpu_redirect_trap(vcpu, scause, vcpu->arch.trap.stval);
		return RVKVM_RESUME;
	default:
		vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
		vcpu->run->hw.hardware_exit_reason = scause;
		return RVKVM_TO_USER;
	}
}

/**
 * rvkvm_vcpu_complete_exit() - finish the exit userspace just handled
 * @vcpu: the loaded vCPU, at the start of KVM_RUN
 *
 * Keyed on our own record of what we asked for, never on
 * run->exit_reason, which userspace can rewrite.
 *
 * Return: RVKVM_RESUME, or a -errno.
 */
int __rvkvm_hot rvkvm_vcpu_complete_exit(struct kvm_vcpu *vcpu)
{
	enum rvkvm_pending_exit p = vcpu->arch.pending;

	vcpu->arch.pending = RVKVM_PENDING_NONE;
	switch (p) {
	case RVKVM_PENDING_MMIO:
		return rvkvm_mmio_complete(vcpu);
	case RVKVM_PENDING_SBI:
	case RVKVM_PENDING_SBI_V01:
		return rvkvm_sbi_complete(vcpu, p == RVKVM_PENDING_SBI_V01);
	case RVKVM_PENDING_CSR:
		return rvkvm_csr_complete(vcpu);
	default:
		return RVKVM_RESUME;
	}
}
