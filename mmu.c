// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage (guest-physical to host-physical) translation: mode detection,
 * the per-VM root table, and the memslot and MMU-notifier hooks the
 * generic core calls.
 *
 * Nothing is mapped until the G-stage fault path exists, so the hooks that
 * would tear mappings down have nothing to do yet.
 */
#include <rvkvm/rvkvm.h>
#include <asm/insn-def.h>

/* The root of an x4 mode is four pages: two more index bits. */
#define RVKVM_PGD_ORDER		2
#define RVKVM_PGD_XBITS		2

/* Widest first: the largest guest-physical space the hart supports. */
static const struct {
	unsigned long mode;
	unsigned int levels;
} rvkvm_gstage_modes[] = {
	{ HGATP_MODE_SV57X4, 5 },
	{ HGATP_MODE_SV48X4, 4 },
	{ HGATP_MODE_SV39X4, 3 },
};

static bool rvkvm_hgatp_mode_sticks(unsigned long mode)
{
	csr_write(CSR_HGATP, mode << HGATP_MODE_SHIFT);
	return (csr_read(CSR_HGATP) >> HGATP_MODE_SHIFT) == mode;
}

/**
 * rvkvm_gstage_detect() - find the widest G-stage mode of this hart
 *
 * hgatp is WARL: an unsupported mode reads back as something else.  The
 * probe leaves hgatp zero and flushes what the writes may have cached.
 *
 * Return: 0, or -ENODEV when not even Sv39x4 is implemented.
 */
int rvkvm_gstage_detect(void)
{
	int i, found = -1;

	preempt_disable();
	for (i = 0; i < ARRAY_SIZE(rvkvm_gstage_modes) && found < 0; i++)
		if (rvkvm_hgatp_mode_sticks(rvkvm_gstage_modes[i].mode))
			found = i;
	csr_write(CSR_HGATP, 0);
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
	preempt_enable();

	if (found < 0) {
		pr_err("hgatp implements no G-stage mode, not loading\n");
		return -ENODEV;
	}
	rvkvm_host.gstage_mode = rvkvm_gstage_modes[found].mode;
	rvkvm_host.gstage_levels = rvkvm_gstage_modes[found].levels;
	rvkvm_host.gpa_bits = PAGE_SHIFT + RVKVM_PGD_XBITS +
			      rvkvm_host.gstage_levels * (PAGE_SHIFT - 3);
	return 0;
}

/**
 * rvkvm_gstage_alloc_pgd() - allocate a VM's zeroed G-stage root
 * @kvm: the VM
 *
 * Return: 0 or -ENOMEM.
 */
int rvkvm_gstage_alloc_pgd(struct kvm *kvm)
{
	struct page *page;

	page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, RVKVM_PGD_ORDER);
	if (!page)
		return -ENOMEM;
	kvm->arch.pgd = page_to_virt(page);
	kvm->arch.pgd_phys = page_to_phys(page);
	return 0;
}

/**
 * rvkvm_gstage_free_pgd() - free a VM's G-stage root
 * @kvm: the VM, with no vCPU left that could use the table
 */
void rvkvm_gstage_free_pgd(struct kvm *kvm)
{
	if (!kvm->arch.pgd)
		return;
	free_pages((unsigned long)kvm->arch.pgd, RVKVM_PGD_ORDER);
	kvm->arch.pgd = NULL;
	kvm->arch.pgd_phys = 0;
}

/**
 * kvm_arch_prepare_memory_region() - vet a memslot change before it lands
 * @kvm: the VM
 * @old: the slot as it is, or NULL
 * @new: the slot as it will be, or NULL on delete
 * @change: what kind of change
 *
 * Return: 0, or -EFAULT if the slot ends beyond the guest-physical space.
 */
int kvm_arch_prepare_memory_region(struct kvm *kvm,
				   const struct kvm_memory_slot *old,
				   struct kvm_memory_slot *new,
				   enum kvm_mr_change change)
{
	if (change == KVM_MR_DELETE || change == KVM_MR_FLAGS_ONLY)
		return 0;
	/* The slot must fit the guest-physical space of the G-stage mode. */
	if ((new->base_gfn + new->npages) >
	    (BIT_ULL(rvkvm_host.gpa_bits) >> PAGE_SHIFT))
		return -EFAULT;
	return 0;
}

/**
 * kvm_arch_commit_memory_region() - act on a memslot change that landed
 * @kvm: the VM
 * @old: the slot as it was, or NULL
 * @new: the slot as it is now, or NULL on delete
 * @change: what kind of change
 */
void kvm_arch_commit_memory_region(struct kvm *kvm,
				   struct kvm_memory_slot *old,
				   const struct kvm_memory_slot *new,
				   enum kvm_mr_change change)
{
}

/**
 * kvm_arch_free_memslot() - free a slot's arch data (there is none)
 * @kvm: the VM
 * @slot: the slot
 */
void kvm_arch_free_memslot(struct kvm *kvm, struct kvm_memory_slot *slot)
{
}

/**
 * kvm_arch_memslots_updated() - note a new memslot generation
 * @kvm: the VM
 * @gen: the generation
 */
void kvm_arch_memslots_updated(struct kvm *kvm, u64 gen)
{
}

/**
 * kvm_arch_flush_shadow_all() - drop every G-stage mapping of a VM
 * @kvm: the VM
 */
void kvm_arch_flush_shadow_all(struct kvm *kvm)
{
}

/**
 * kvm_arch_flush_shadow_memslot() - drop a slot's G-stage mappings
 * @kvm: the VM
 * @slot: the slot being deleted or moved
 */
void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot)
{
}

/**
 * kvm_arch_sync_dirty_log() - fold hardware dirty state into the bitmap
 * @kvm: the VM
 * @memslot: the slot
 *
 * G-stage dirty tracking is by write faults, already in the bitmap.
 */
void kvm_arch_sync_dirty_log(struct kvm *kvm, struct kvm_memory_slot *memslot)
{
}

/**
 * kvm_arch_mmu_enable_log_dirty_pt_masked() - re-protect logged pages
 * @kvm: the VM
 * @slot: the slot
 * @gfn_offset: first page of the 64-page window, relative to the slot
 * @mask: which pages of the window
 */
void kvm_arch_mmu_enable_log_dirty_pt_masked(struct kvm *kvm,
					     struct kvm_memory_slot *slot,
					     gfn_t gfn_offset,
					     unsigned long mask)
{
}

/**
 * kvm_unmap_gfn_range() - MMU notifier: unmap a guest-physical range
 * @kvm: the VM
 * @range: the range
 *
 * Return: true if a TLB flush is needed.
 */
bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return false;
}

/**
 * kvm_age_gfn() - MMU notifier: clear the accessed bits of a range
 * @kvm: the VM
 * @range: the range
 *
 * Return: true if any page was young.
 */
bool kvm_age_gfn(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return false;
}

/**
 * kvm_test_age_gfn() - MMU notifier: test the accessed bits of a range
 * @kvm: the VM
 * @range: the range
 *
 * Return: true if any page is young.
 */
bool kvm_test_age_gfn(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return false;
}
