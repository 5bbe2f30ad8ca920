// SPDX-License-Identifier: GPL-2.0
/*
 * Guest TLB maintenance on this hart: the HFENCE wrappers, the flushes a
 * vCPU owes a hart it arrives on, and the TLB requests other threads
 * leave for a vCPU.
 *
 * Two caches are involved.  G-stage entries map guest-physical to host
 * addresses and are the hypervisor's; HFENCE.GVMA removes them.  VS-stage
 * entries map guest-virtual to guest-physical addresses and, from the
 * guest's point of view, belong to one vCPU; HFENCE.VVMA removes them.
 * Both are tagged with the VMID, and HFENCE.GVMA is not required to
 * remove VS-stage entries, so forgetting everything of a VMID takes both.
 *
 * Remote flushes are requests (KVM_REQ_*) that each vCPU carries out on
 * whatever hart it translates on next; there is no cross-hart fence.
 */
#include <rvkvm/rvkvm.h>
#include <asm/cacheflush.h>
#include <asm/insn-def.h>

/*
 * Fencing more pages than this one by one costs more than losing all of
 * the VMID's G-stage entries on this hart.
 */
#define RVKVM_HFENCE_MAX_PAGES	64

/*
 * The longest guest-virtual range a remote fence removes page by page;
 * a longer one forgets all of the VM's VS-stage entries on the target.
 * A module parameter so that the cost curve can be measured (make bench).
 */
static unsigned int rfence_max_pages = 64;
module_param(rfence_max_pages, uint, 0644);
MODULE_PARM_DESC(rfence_max_pages,
		 "longest SBI remote fence range (pages) fenced page by page");

/*
 * The vCPU that last translated on this hart, for
 * rvkvm_vcpu_tlb_sanitize().  Cleared when that vCPU is freed, so a new
 * vCPU at the same address is never taken for it.
 */
static DEFINE_PER_CPU(struct kvm_vcpu *, rvkvm_last_vcpu);

/*
 * The HFENCE macros name their operand registers.  Binding the operands
 * to fixed registers keeps asm operand syntax out of the macro arguments.
 */
static __always_inline void rvkvm_hfence_gvma_gpa(gpa_t gpa,
						  unsigned long vmid, bool inval)
{
	/* The instruction takes the address shifted right by two. */
	register unsigned long rs1 asm("a0") = gpa >> 2;
	register unsigned long rs2 asm("a1") = vmid;

	if (inval)
		asm volatile(HINVAL_GVMA(a0, a1) : : "r" (rs1), "r" (rs2) : "memory");
	else
		asm volatile(HFENCE_GVMA(a0, a1) : : "r" (rs1), "r" (rs2) : "memory");
}

/* One guest page's VS-stage entries, of @asid or (RVKVM_ASID_ANY) all. */
static __always_inline void rvkvm_hfence_vvma_gva(unsigned long gva,
						  unsigned long asid, bool inval)
{
	register unsigned long rs1 asm("a0") = gva;
	register unsigned long rs2 asm("a1") = asid;

	if (asid == RVKVM_ASID_ANY && inval)
		asm volatile(HINVAL_VVMA(a0, zero) : : "r" (rs1) : "memory");
	else if (asid == RVKVM_ASID_ANY)
		asm volatile(HFENCE_VVMA(a0, zero) : : "r" (rs1) : "memory");
	else if (inval)
		asm volatile(HINVAL_VVMA(a0, a1) : : "r" (rs1), "r" (rs2) : "memory");
	else
		asm volatile(HFENCE_VVMA(a0, a1) : : "r" (rs1), "r" (rs2) : "memory");
}

/*
 * Svinval splits a run of fences into invalidations that need not wait
 * for each other, ordered once before (SFENCE.W.INVAL: earlier page
 * table stores) and once after (SFENCE.INVAL.IR: later translations).
 * Returns whether to use HINVAL for the run.
 */
static bool rvkvm_inval_begin(void)
{
	if (!riscv_has_extension_unlikely(RISCV_ISA_EXT_SVINVAL))
		return false;
	asm volatile(SFENCE_W_INVAL() : : : "memory");
	return true;
}

static void rvkvm_inval_end(bool inval)
{
	if (inval)
		asm volatile(SFENCE_INVAL_IR() : : : "memory");
}

/**
 * rvkvm_local_hfence_gvma_vmid_all() - forget a VMID's G-stage entries
 * @vmid: the VMID
 */
void rvkvm_local_hfence_gvma_vmid_all(unsigned long vmid)
{
	/* rs2 = x0 would mean every VMID: @vmid goes in a register. */
	register unsigned long rs2 asm("a1") = vmid;

	asm volatile(HFENCE_GVMA(zero, a1) : : "r" (rs2) : "memory");
}

/**
 * rvkvm_local_hfence_gvma_vmid_gpa() - forget a VMID's G-stage entries
 *	for a guest-physical range
 * @vmid: the VMID
 * @gpa: start of the range
 * @size: its length in bytes
 *
 * One fence per 4 KiB page; a fence anywhere in a huge leaf removes the
 * whole leaf.  Long ranges fall back to the whole VMID.
 */
void rvkvm_local_hfence_gvma_vmid_gpa(unsigned long vmid, gpa_t gpa,
				      gpa_t size)
{
	gpa_t pos, end = gpa + size;
	bool inval;

	if (size > RVKVM_HFENCE_MAX_PAGES * PAGE_SIZE) {
		rvkvm_local_hfence_gvma_vmid_all(vmid);
		return;
	}
	inval = rvkvm_inval_begin();
	for (pos = ALIGN_DOWN(gpa, PAGE_SIZE); pos < end; pos += PAGE_SIZE)
		rvkvm_hfence_gvma_gpa(pos, vmid, inval);
	rvkvm_inval_end(inval);
}

/**
 * rvkvm_local_hfence_gvma_all() - forget every G-stage entry of every VMID
 */
void rvkvm_local_hfence_gvma_all(void)
{
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}

/*
 * Put @vmid in hgatp for HFENCE.VVMA, which acts on hgatp's VMID; returns
 * the value to put back.  The mode stays a real one (a Bare hgatp with a
 * non-zero VMID is UNSPECIFIED), and the root does not matter: nothing
 * translates through hgatp in HS-mode.  Interrupts must be off until the
 * value is back, so nothing else on this hart (a preempting vcpu_load,
 * say) sees or overwrites the borrowed one.
 */
static unsigned long rvkvm_hgatp_borrow(unsigned long vmid)
{
	unsigned long saved = csr_read(CSR_HGATP);

	csr_write(CSR_HGATP, (saved & HGATP_PPN) |
		  (rvkvm_host.gstage_mode << HGATP_MODE_SHIFT) |
		  ((vmid << HGATP_VMID_SHIFT) & HGATP_VMID));
	return saved;
}

/* Every VS-stage entry of @asid, or (RVKVM_ASID_ANY) of every ASID. */
static void rvkvm_hfence_vvma_asid(unsigned long asid)
{
	register unsigned long rs2 asm("a1") = asid;

	if (asid == RVKVM_ASID_ANY)
		asm volatile(HFENCE_VVMA(zero, zero) : : : "memory");
	else
		asm volatile(HFENCE_VVMA(zero, a1) : : "r" (rs2) : "memory");
}

/**
 * rvkvm_local_hfence_vvma_all() - forget a VMID's VS-stage entries
 * @vmid: the VMID
 */
void rvkvm_local_hfence_vvma_all(unsigned long vmid)
{
	unsigned long flags, saved;

	local_irq_save(flags);
	saved = rvkvm_hgatp_borrow(vmid);
	rvkvm_hfence_vvma_asid(RVKVM_ASID_ANY);
	csr_write(CSR_HGATP, saved);
	local_irq_restore(flags);
}

/* @fences on this hart. */
static void rvkvm_local_hfence_vvma(unsigned long vmid,
				    const struct rvkvm_vvma_fence *fences,
				    unsigned int n)
{
	unsigned long flags, saved, gva, end;
	const struct rvkvm_vvma_fence *f;
	bool inval;

	local_irq_save(flags);
	saved = rvkvm_hgatp_borrow(vmid);
	inval = rvkvm_inval_begin();
	for (f = fences; f < fences + n; f++) {
		if (!f->pages) {
			rvkvm_hfence_vvma_asid(f->asid);
			continue;
		}
		end = f->start + f->pages * PAGE_SIZE;
		for (gva = f->start; gva != end; gva += PAGE_SIZE)
			rvkvm_hfence_vvma_gva(gva, f->asid, inval);
	}
	rvkvm_inval_end(inval);
	csr_write(CSR_HGATP, saved);
	local_irq_restore(flags);
}

/*
 * Carry out the fences queued for @vcpu, or forget all of the VM's
 * VS-stage entries here if @all is set, too many came, or the queue was
 * left by an earlier full fence request.
 */
static void rvkvm_vcpu_vvma_fences(struct kvm_vcpu *vcpu, bool all)
{
	struct rvkvm_vvma_queue *q = &vcpu->arch.vvma;
	struct rvkvm_vvma_fence fences[RVKVM_VVMA_QUEUE_LEN];
	unsigned long vmid = rvkvm_vmid_hw(vcpu->kvm);
	unsigned int n;

	spin_lock(&q->lock);
	n = q->len;
	all |= q->overflow;
	if (!all)
		memcpy(fences, q->fence, n * sizeof(*fences));
	q->len = 0;
	q->overflow = false;
	spin_unlock(&q->lock);

	if (all) {
		rvkvm_local_hfence_vvma_all(vmid);
		vcpu->stat.vvma_fence_all++;
	} else if (n) {
		rvkvm_local_hfence_vvma(vmid, fences, n);
		vcpu->stat.vvma_fence_range += n;
	}
}

/* Queue @fence for @vcpu; the caller makes the request. */
static void rvkvm_vvma_queue_push(struct kvm_vcpu *vcpu,
				  const struct rvkvm_vvma_fence *fence)
{
	struct rvkvm_vvma_queue *q = &vcpu->arch.vvma;

	spin_lock(&q->lock);
	if (q->len < RVKVM_VVMA_QUEUE_LEN)
		q->fence[q->len++] = *fence;
	else
		q->overflow = true;
	spin_unlock(&q->lock);
}

/**
 * rvkvm_vcpus_fence_vvma() - have vCPUs forget guest-virtual translations
 * @kvm: the VM
 * @targets: vCPU indices
 * @fence: what to forget; @fence->pages above the rfence_max_pages
 *	parameter widens it to the whole address space
 *
 * Each target carries the fence out on the hart it next enters the guest
 * on, before it does; targets in the guest now are made to leave it, and
 * this waits until they have.
 */
void rvkvm_vcpus_fence_vvma(struct kvm *kvm, unsigned long *targets,
			    const struct rvkvm_vvma_fence *fence)
{
	struct rvkvm_vvma_fence f = *fence;
	struct kvm_vcpu *t;
	unsigned long i;

	if (f.pages > READ_ONCE(rfence_max_pages))
		f.pages = 0;
	if (!f.pages && f.asid == RVKVM_ASID_ANY) {
		kvm_make_vcpus_request_mask(kvm, KVM_REQ_HFENCE_VVMA_ALL,
					    targets);
		return;
	}
	if (f.pages)
		f.start &= PAGE_MASK;
	kvm_for_each_vcpu(i, t, kvm)
		if (test_bit(t->vcpu_idx, targets))
			rvkvm_vvma_queue_push(t, &f);
	kvm_make_vcpus_request_mask(kvm, KVM_REQ_HFENCE_VVMA_RANGE, targets);
}

/*
 * Flush what this hart must not show @vcpu.  Its entries for the VM's
 * VMID are stale for @vcpu when:
 *  - @vcpu last translated on another hart.  The guest's own SFENCE.VMAs
 *    and the fence requests @vcpu carried out since then acted there,
 *    not here, so this hart's VS-stage entries from its earlier stay
 *    would resurrect translations the guest has flushed, and its
 *    G-stage entries would outlive unmaps the VM's flush requests were
 *    meant to remove.
 *  - another vCPU translated here since: the guest treats each vCPU's
 *    TLB as private and flushes only the harts it believes hold an
 *    entry, so a sibling's VS-stage entries here may be ones it never
 *    flushed because it ran elsewhere meanwhile.  Without VMIDs, that
 *    sibling may even belong to another VM.
 *  - the VM got a new VMID since @vcpu last translated: after a rollover
 *    the value may have tagged another VM's entries here, and the
 *    rollover's HFENCE.GVMA did not necessarily remove VS-stage ones.
 * A vCPU's first section always flushes (no hart has it as its last).
 * The instruction cache is fenced on the same occasions: a guest FENCE.I
 * acts on the hart it ran on, and guest code loaded by the VMM was never
 * fenced on any hart.
 */
static void rvkvm_vcpu_tlb_sanitize(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu **last = this_cpu_ptr(&rvkvm_last_vcpu);
	unsigned long version = READ_ONCE(vcpu->kvm->arch.vmid.version);
	int cpu = smp_processor_id();
	unsigned long vmid;

	if (vcpu->arch.last_cpu == cpu && READ_ONCE(*last) == vcpu &&
	    vcpu->arch.last_vmid_version == version)
		return;

	vmid = rvkvm_vmid_hw(vcpu->kvm);
	rvkvm_local_hfence_gvma_vmid_all(vmid);
	rvkvm_local_hfence_vvma_all(vmid);
	local_flush_icache_all();

	WRITE_ONCE(*last, vcpu);
	vcpu->arch.last_cpu = cpu;
	vcpu->arch.last_vmid_version = version;
}

/* Carry out the fences other threads asked @vcpu for, on this hart. */
static void rvkvm_vcpu_tlb_requests(struct kvm_vcpu *vcpu)
{
	if (kvm_check_request(KVM_REQ_UPDATE_HGATP, vcpu))
		rvkvm_gstage_load_hgatp(vcpu);
	if (kvm_check_request(KVM_REQ_HFENCE_GVMA_VMID_ALL, vcpu))
		rvkvm_local_hfence_gvma_vmid_all(rvkvm_vmid_hw(vcpu->kvm));
	if (kvm_check_request(KVM_REQ_HFENCE_VVMA_ALL, vcpu)) {
		/* It covers whatever is queued as well. */
		kvm_clear_request(KVM_REQ_HFENCE_VVMA_RANGE, vcpu);
		rvkvm_vcpu_vvma_fences(vcpu, true);
	} else if (kvm_check_request(KVM_REQ_HFENCE_VVMA_RANGE, vcpu)) {
		rvkvm_vcpu_vvma_fences(vcpu, false);
	}
	if (kvm_check_request(KVM_REQ_FENCE_I, vcpu))
		local_flush_icache_all();
}

/**
 * rvkvm_vcpu_tlb_prepare() - carry out queued ranged fences before entry
 * @vcpu: the loaded vCPU, in its thread, with preemption off and
 *	interrupts on, before its translation section
 *
 * Fencing page by page takes time.  Done here, while the vCPU is
 * OUTSIDE_GUEST_MODE, it keeps the section short, and a sender's request
 * does not wait for it (a request only waits for vCPUs in a section).
 * Preemption off keeps the vCPU on this hart until it enters; a request
 * made meanwhile is seen by rvkvm_vcpu_tlb_enter().
 */
void rvkvm_vcpu_tlb_prepare(struct kvm_vcpu *vcpu)
{
	if (kvm_check_request(KVM_REQ_HFENCE_VVMA_RANGE, vcpu))
		rvkvm_vcpu_vvma_fences(vcpu, false);
}

/**
 * rvkvm_vcpu_tlb_enter() - make this hart fit to translate for @vcpu
 * @vcpu: the loaded vCPU, in its thread, with interrupts off and
 *	vcpu->mode already moved out of OUTSIDE_GUEST_MODE with a full
 *	barrier (smp_store_mb())
 *
 * The translation rule (Documentation/design.rst): this hart translates
 * through the VM's G-stage, entering the guest or reading guest memory
 * with HLV/HLVX, only in a section that begins here and lasts, with
 * interrupts off, until the mode is OUTSIDE_GUEST_MODE again.  Here the
 * VMID is checked, and the TLB requests and the clean-up above are
 * carried out on this very hart.  A flush requested after the mode
 * store IPIs this hart and waits until the section ends
 * (KVM_REQUEST_WAIT), so memory an unmap frees is never read; one
 * requested before it is seen and done here.  A rollover cannot finish
 * either while this hart has interrupts off.
 *
 * Return: false if the VM's VMID is stale: leave the section, call
 * rvkvm_vmid_update() with interrupts on, and begin again.
 */
bool __rvkvm_hot rvkvm_vcpu_tlb_enter(struct kvm_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	if (rvkvm_vmid_stale(vcpu->kvm))
		return false;
	rvkvm_vcpu_tlb_requests(vcpu);
	rvkvm_vcpu_tlb_sanitize(vcpu);
	return true;
}

/**
 * rvkvm_guest_access_begin() - begin a section in which this hart may
 *	read guest memory through @vcpu's translation
 * @vcpu: the loaded vCPU, in its thread, with interrupts on
 *
 * The host's side of the translation rule (rvkvm_vcpu_tlb_enter()): in
 * READING_SHADOW_PAGE_TABLES mode, which KVM_REQUEST_WAIT requests wait
 * for and plain kicks ignore.  Keep the section short: interrupts stay
 * off until rvkvm_guest_access_end().
 */
void rvkvm_guest_access_begin(struct kvm_vcpu *vcpu)
{
	lockdep_assert_irqs_enabled();
	for (;;) {
		rvkvm_vmid_update(vcpu);
		preempt_disable();
		rvkvm_vcpu_hold(vcpu);
		local_irq_disable();
		/* Flush requesters read the mode after making the request. */
		smp_store_mb(vcpu->mode, READING_SHADOW_PAGE_TABLES);
		if (rvkvm_vcpu_tlb_enter(vcpu))
			return;
		/* Nothing was read: any order will do. */
		smp_store_release(&vcpu->mode, OUTSIDE_GUEST_MODE);
		local_irq_enable();
		preempt_enable();
	}
}

/**
 * rvkvm_guest_access_end() - end the section rvkvm_guest_access_begin() began
 * @vcpu: the vCPU
 */
void rvkvm_guest_access_end(struct kvm_vcpu *vcpu)
{
	/* The reads are done before a flush waiter may go on. */
	smp_store_release(&vcpu->mode, OUTSIDE_GUEST_MODE);
	local_irq_enable();
	preempt_enable();
}

/**
 * rvkvm_vcpu_tlb_forget() - make every hart forget @vcpu ran there
 * @vcpu: the vCPU being freed
 */
void rvkvm_vcpu_tlb_forget(struct kvm_vcpu *vcpu)
{
	rvkvm_percpu_forget_vcpu(&rvkvm_last_vcpu, vcpu);
}

/**
 * rvkvm_percpu_forget_vcpu() - clear every hart's @slot that names @vcpu
 * @slot: a per-CPU vCPU pointer
 * @vcpu: the vCPU being freed
 *
 * A hart that has moved on to another vCPU keeps that one.
 *
 * Return: true if some hart still named @vcpu.
 */
bool rvkvm_percpu_forget_vcpu(struct kvm_vcpu *__percpu *slot,
			      struct kvm_vcpu *vcpu)
{
	bool found = false;
	int cpu;

	for_each_possible_cpu(cpu)
		if (cmpxchg(per_cpu_ptr(slot, cpu), vcpu, NULL) == vcpu)
			found = true;
	return found;
}

