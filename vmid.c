// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage VMIDs: how many the hart implements, and a VM's initial state.
 * A VM starts with version 0, which never matches the allocator, so its
 * first run allocates.
 */
#include <rvkvm/rvkvm.h>
#include <asm/insn-def.h>

/**
 * rvkvm_vmid_detect() - count the VMID bits of hgatp
 *
 * hgatp.VMID is WARL with its implemented bits the low ones, so writing
 * all ones reads back the implemented width.  The probe uses the G-stage
 * mode found before: a Bare hgatp with a non-zero VMID is UNSPECIFIED.
 * It leaves hgatp zero and flushes what the writes may have cached.
 */
void rvkvm_vmid_detect(void)
{
	unsigned long mode = rvkvm_host.gstage_mode << HGATP_MODE_SHIFT;
	unsigned long vmid;

	preempt_disable();
	csr_write(CSR_HGATP, mode | HGATP_VMID);
	vmid = (csr_read(CSR_HGATP) & HGATP_VMID) >> HGATP_VMID_SHIFT;
	csr_write(CSR_HGATP, 0);
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
	preempt_enable();

	/* With one VMID there is nothing to tell VMs apart by: run without. */
	rvkvm_host.vmid_bits = vmid > 1 ? fls_long(vmid) : 0;
}

/**
 * rvkvm_vmid_init() - give a new VM an invalid VMID
 * @kvm: the VM
 */
void rvkvm_vmid_init(struct kvm *kvm)
{
	kvm->arch.vmid.version = 0;
	kvm->arch.vmid.vmid = 0;
}

/**
 * rvkvm_vmid_hw() - the VMID to program for @kvm
 * @kvm: the VM
 *
 * Return: the VM's VMID, or 0 when the hart has no VMIDs.
 */
unsigned long rvkvm_vmid_hw(struct kvm *kvm)
{
	return rvkvm_host.vmid_bits ? READ_ONCE(kvm->arch.vmid.vmid) : 0;
}
