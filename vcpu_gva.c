// SPDX-License-Identifier: GPL-2.0
/*
 * Reading guest memory by guest virtual address, as the guest's S-mode
 * would: the instruction that trapped when htinst does not carry it
 * (HLVX.HU), and data the guest passes by pointer (HLV.D, for SBI v0.1
 * hart masks).  The hardware walks the guest's own page table and the
 * VM's G-stage, so each read happens inside a translation section
 * (tlb.c), and a G-stage fault on the way is resolved here.
 */
#include <rvkvm/rvkvm.h>

/*
 * Reads that fault in the G-stage are retried after the fault is
 * resolved: one walk may fault on each of its page-table pages, on A/D
 * updates and on the page itself.  Past that (an invalidation racing, a
 * signal) the guest is left to run into the fault again.
 */
#define RVKVM_GVA_TRIES		8

/*
 * A G-stage failure is a guest-page fault with the guest-physical
 * address in htval, which every other trap leaves zero.  QEMU 10 reports
 * one that HLVX meets as an instruction page fault (cause 12), htval set:
 * htval tells it from a fault of the guest's own page table.
 */
static bool rvkvm_is_gstage_fault(const struct rvkvm_trap *t)
{
	switch (t->scause) {
	case EXC_INST_GUEST_PAGE_FAULT:
	case EXC_LOAD_GUEST_PAGE_FAULT:
	case EXC_STORE_GUEST_PAGE_FAULT:
		return true;
	case EXC_INST_PAGE_FAULT:
	case EXC_LOAD_PAGE_FAULT:
	case EXC_STORE_PAGE_FAULT:
		return t->htval != 0;
	default:
		return false;
	}
}

/* One read in a translation section; hstatus.SPVP gives the privilege. */
static unsigned long rvkvm_gva_read_once(struct kvm_vcpu *vcpu,
					 unsigned long gva, bool fetch,
					 struct rvkvm_trap *trap)
{
	unsigned long hstatus, val;

	rvkvm_guest_access_begin(vcpu);
	hstatus = csr_swap(CSR_HSTATUS, vcpu->arch.guest.hstatus);
	if (fetch)
		val = __rvkvm_hlvx_hu(gva, trap);
	else
		val = __rvkvm_hlv_d(gva, trap);
	csr_write(CSR_HSTATUS, hstatus);
	rvkvm_guest_access_end(vcpu);
	return val;
}

/**
 * rvkvm_read_gva() - read guest memory through the guest's translation
 * @vcpu: the loaded vCPU, in its thread, kvm->srcu held, interrupts on
 * @gva: the guest virtual address
 * @fetch: an instruction parcel (HLVX.HU, execute permission, 16 bits)
 *	instead of a doubleword (HLV.D)
 * @val: the value read
 * @fault: on return 1, the fault the guest's own access would take
 *	(scause a load cause, stval @gva)
 *
 * A G-stage fault on the way, at the address read or at a page-table
 * page of the guest's walk (whose A/D update is a store, cause 23, on a
 * page dirty logging keeps read-only), goes through the G-stage fault
 * path like the guest's own access would, and the read is retried.
 * Guest-physical memory without RAM behind it becomes a load access
 * fault for the guest, as on hardware.
 *
 * Return: 0 with *@val read; 1 with *@fault to deliver; -EAGAIN if the
 * G-stage fault could not be resolved now (resume the guest, which runs
 * into it again); or another -errno for KVM_RUN.
 */
int rvkvm_read_gva(struct kvm_vcpu *vcpu, unsigned long gva, bool fetch,
		   unsigned long *val, struct rvkvm_trap *fault)
{
	struct rvkvm_trap t;
	int i, r;

	for (i = 0; i < RVKVM_GVA_TRIES; i++) {
		memset(&t, 0, sizeof(t));
		*val = rvkvm_gva_read_once(vcpu, gva, fetch, &t);
		if (!t.scause)
			return 0;
		if (!rvkvm_is_gstage_fault(&t)) {
			*fault = t;
			fault->stval = gva;
			return 1;
		}
		r = rvkvm_gstage_fault(vcpu, t.htval << 2,
				       t.scause == EXC_STORE_GUEST_PAGE_FAULT ||
				       t.scause == EXC_STORE_PAGE_FAULT,
				       false);
		if (r == -EFAULT) {
			fault->scause = EXC_LOAD_ACCESS;
			fault->stval = gva;
			return 1;
		}
		if (r)
			return r;
	}
	return -EAGAIN;
}

/*
 * The fetch-side fault the guest should see for a failed HLVX read.
 * HLVX is a load, but a hart may report its faults with the fetch
 * causes (QEMU does, since it reads as an instruction fetch): both map.
 */
static unsigned long rvkvm_fetch_cause(unsigned long cause)
{
	switch (cause) {
	case EXC_LOAD_ACCESS:
	case EXC_INST_ACCESS:
		return EXC_INST_ACCESS;
	case EXC_LOAD_MISALIGNED:
	case EXC_INST_MISALIGNED:
		return EXC_INST_MISALIGNED;
	default:
		return EXC_INST_PAGE_FAULT;
	}
}

static int rvkvm_read_half(struct kvm_vcpu *vcpu, unsigned long gva,
			   unsigned long *half)
{
	struct rvkvm_trap fault;
	int r;

	r = rvkvm_read_gva(vcpu, gva, true, half, &fault);
	if (r != 1)
		return r;
	/* The guest's mapping of its own pc went away under us. */
	rvkvm_vcpu_redirect_trap(vcpu, rvkvm_fetch_cause(fault.scause),
				 fault.stval);
	return -EAGAIN;
}

/**
 * rvkvm_vcpu_read_insn() - fetch the guest instruction at @pc
 * @vcpu: the loaded vCPU, in its thread, kvm->srcu held
 * @pc: guest virtual address of the instruction
 * @insn: the instruction, 16 or 32 bits
 *
 * Return: 0; -EAGAIN when the read faulted and the fault has been dealt
 * with (delivered to the guest, or left for it to run into again), so
 * the guest only needs to be resumed; or another -errno for KVM_RUN.
 */
int rvkvm_vcpu_read_insn(struct kvm_vcpu *vcpu, unsigned long pc,
			 unsigned long *insn)
{
	unsigned long lo, hi;
	int r;

	r = rvkvm_read_half(vcpu, pc, &lo);
	if (r)
		return r;
	/* Low bits other than 0b11 mean a 16-bit compressed instruction. */
	if ((lo & 3) != 3) {
		*insn = lo;
		return 0;
	}
	r = rvkvm_read_half(vcpu, pc + 2, &hi);
	if (r)
		return r;
	*insn = lo | (hi << 16);
	return 0;
}
