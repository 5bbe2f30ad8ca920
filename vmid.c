// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage VMIDs.
 *
 * VMIDs are handed out in generations.  Within one generation each VM gets
 * its own VMID, never reused: a VM whose generation is not the current
 * one is stale and must get a new VMID before it enters the guest again.
 * When a generation runs out, the next one starts (a rollover): every
 * VM becomes stale at once, and every hart flushes its G-stage TLB.
 *
 * VMID 0 is never handed out, and generation 0 never exists, so a new VM
 * (both zero) is stale until its first run.
 *
 * Without VMIDs (vmid_bits == 0) every VM runs with VMID 0, nothing is
 * ever stale, and the TLB is kept honest by rvkvm_vcpu_tlb_sanitize(),
 * which flushes a hart whenever a vCPU other than its last one arrives,
 * and that includes every switch between VMs.
 */
#include <rvkvm/rvkvm.h>
#include <linux/moduleparam.h>
#include <asm/insn-def.h>

/*
 * A test aid: use at most this many VMID bits, 0 for none, so that
 * rollovers and VMID-less harts can be exercised on a hart with many
 * (QEMU always implements 14 or 16).
 */
static unsigned int vmid_bits = UINT_MAX;
module_param(vmid_bits, uint, 0444);
MODULE_PARM_DESC(vmid_bits, "use at most this many VMID bits, 0: none (testing)");

static DEFINE_SPINLOCK(rvkvm_vmid_lock);
/* Current generation: written under the lock, read without it. */
static unsigned long rvkvm_vmid_version = 1;
/* Next VMID to hand out in this generation; under the lock. */
static unsigned long rvkvm_vmid_next = 1;

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
	rvkvm_host.vmid_bits = min(vmid > 1 ? fls_long(vmid) : 0, vmid_bits);
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

/**
 * rvkvm_vmid_stale() - whether @kvm must get a new VMID before it runs
 * @kvm: the VM
 *
 * Lock-free.  Check it again with interrupts off, together with
 * kvm_request_pending(), right before entering the guest: a rollover
 * cannot complete while this hart has interrupts off (it waits for every
 * hart to take its flush IPI), so a VM found current there stays safe
 * until the next exit.  The acquire pairs with rvkvm_vmid_assign(): a VM
 * seen current also shows its vCPUs' KVM_REQ_UPDATE_HGATP.
 *
 * Return: true if the VM's VMID belongs to an old generation.
 */
bool rvkvm_vmid_stale(struct kvm *kvm)
{
	if (!rvkvm_host.vmid_bits)
		return false;
	/* Acquire: pairs with the release in rvkvm_vmid_assign(). */
	return smp_load_acquire(&kvm->arch.vmid.version) !=
	       READ_ONCE(rvkvm_vmid_version);
}

static void rvkvm_vmid_flush_cpu(void *unused)
{
	rvkvm_local_hfence_gvma_all();
}

/*
 * Start a new generation.  The IPIs also throw every hart out of any
 * guest it is running: each comes back to a stale check it now fails, so
 * once on_each_cpu() returns, no hart runs any VM with an old VMID and
 * the values are free to hand out again.  The VS-stage entries tagged
 * with them, which HFENCE.GVMA need not remove, are flushed per hart on
 * first use (rvkvm_vcpu_tlb_sanitize()).
 */
static void rvkvm_vmid_rollover(void)
{
	WRITE_ONCE(rvkvm_vmid_version, rvkvm_vmid_version + 1);
	rvkvm_vmid_next = 1;
	on_each_cpu(rvkvm_vmid_flush_cpu, NULL, 1);
}

/*
 * Give @kvm the next VMID of the current generation.  Every vCPU of the
 * VM must reload hgatp: the requests are made before the new generation
 * is published, so whoever sees the VM current sees them too.
 */
static void rvkvm_vmid_assign(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	if (rvkvm_vmid_next == BIT(rvkvm_host.vmid_bits))
		rvkvm_vmid_rollover();
	WRITE_ONCE(kvm->arch.vmid.vmid, rvkvm_vmid_next++);
	kvm_for_each_vcpu(i, vcpu, kvm)
		kvm_make_request(KVM_REQ_UPDATE_HGATP, vcpu);
	/* Release: the requests above are visible before the version. */
	smp_store_release(&kvm->arch.vmid.version, rvkvm_vmid_version);
}

/**
 * rvkvm_vmid_update() - give @vcpu's VM a current VMID if it is stale
 * @vcpu: the vCPU about to enter the guest
 *
 * Call before each guest entry, with interrupts and preemption enabled,
 * and before processing requests: a new VMID comes with a
 * KVM_REQ_UPDATE_HGATP for every vCPU of the VM, this one included.
 * Interrupts must be on because a rollover waits for an IPI on every
 * hart, and a hart spinning on the VMID lock must be able to take it.
 */
void __rvkvm_hot rvkvm_vmid_update(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	if (!rvkvm_vmid_stale(kvm))
		return;

	spin_lock(&rvkvm_vmid_lock);
	/* Another vCPU of the VM may have been first. */
	if (rvkvm_vmid_stale(kvm))
		rvkvm_vmid_assign(kvm);
	spin_unlock(&rvkvm_vmid_lock);
}
