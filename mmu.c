// SPDX-License-Identifier: GPL-2.0
/*
 * G-stage (guest-physical to host-physical) translation: mode detection,
 * the per-VM table tree, the guest page-fault path, and the memslot and
 * MMU-notifier hooks the generic core calls.
 *
 * Levels are numbered from the leaves: level 0 maps 4 KiB, level 1 2 MiB,
 * level 2 1 GiB, and level gstage_levels - 1 is the root.  The root of an
 * x4 mode is four pages: its index has two more bits than the others.
 * Each VM has its own mode (levels): the host's widest unless userspace
 * asked for fewer guest-physical bits (KVM_CAP_VM_GPA_BITS).
 *
 * Every change to the tree is made under kvm->mmu_lock (a spinlock on
 * RISC-V); hardware walks it concurrently and may set A/D, so the
 * entries are read and written once, and bits are cleared atomically.
 *
 * Unmapping clears leaves.  Tables are freed only where a memslot's
 * range is deleted or moved (or every slot goes): those left empty are
 * unlinked under mmu_lock and freed after the VM's TLB flush, which waits
 * for every hart that may still walk them (the translation rule, tlb.c).
 * Software walks start at the root under mmu_lock and keep no table
 * pointer across a drop of the lock.  The rest of the tree is freed
 * whole when the VM is destroyed.
 */
#include <rvkvm/rvkvm.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <asm/insn-def.h>

/* The root of an x4 mode is four pages: two more index bits. */
#define RVKVM_PGD_ORDER		2
#define RVKVM_PGD_XBITS		2
/* Index bits of every other level: 512 eight-byte entries per page. */
#define RVKVM_INDEX_BITS	(PAGE_SHIFT - 3)
#define RVKVM_TABLE_ENTRIES	BIT(RVKVM_INDEX_BITS)
#define RVKVM_ROOT_ENTRIES	BIT(RVKVM_INDEX_BITS + RVKVM_PGD_XBITS)
/* The largest leaf the fault path creates: 1 GiB (host PUD hugetlb). */
#define RVKVM_MAX_MAP_LEVEL	2

/*
 * G-stage PTE bits.  The format is the Sv39/48/57 one, which is also the
 * host's, so the host's bit names are reused; only the use differs:
 *  - every G-stage access counts as a user access, so leaves need U;
 *  - A and D are set up front, so hardware that does not update them
 *    never faults for them (write tracking uses W instead);
 *  - G is unused for the G-stage and stays clear, as do the RSW bits.
 */
#define RVKVM_PTE_V		_PAGE_PRESENT
#define RVKVM_PTE_R		_PAGE_READ
#define RVKVM_PTE_W		_PAGE_WRITE
#define RVKVM_PTE_X		_PAGE_EXEC
#define RVKVM_PTE_RWX		(RVKVM_PTE_R | RVKVM_PTE_W | RVKVM_PTE_X)
#define RVKVM_PTE_LEAF		(RVKVM_PTE_V | _PAGE_USER | _PAGE_ACCESSED | \
				 _PAGE_DIRTY)
#define RVKVM_PTE_W_BIT		2	/* for the atomic bit ops */
static_assert(BIT(RVKVM_PTE_W_BIT) == RVKVM_PTE_W);

/* Widest first: the largest guest-physical space the hart supports. */
static const struct {
	unsigned long mode;
	unsigned int levels;
} rvkvm_gstage_modes[] = {
	{ HGATP_MODE_SV57X4, 5 },
	{ HGATP_MODE_SV48X4, 4 },
	{ HGATP_MODE_SV39X4, 3 },
};

static unsigned int rvkvm_levels_gpa_bits(unsigned int levels)
{
	return PAGE_SHIFT + RVKVM_PGD_XBITS + levels * RVKVM_INDEX_BITS;
}

/* The hgatp MODE of the x4 mode with @levels levels. */
static unsigned long rvkvm_levels_mode(unsigned int levels)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_gstage_modes) - 1; i++)
		if (rvkvm_gstage_modes[i].levels == levels)
			break;
	return rvkvm_gstage_modes[i].mode;	/* the last: Sv39x4 */
}

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
	rvkvm_host.gpa_bits = rvkvm_levels_gpa_bits(rvkvm_host.gstage_levels);
	return 0;
}

/* --- Geometry ---------------------------------------------------------- */

static unsigned int rvkvm_root_level(const struct kvm *kvm)
{
	return kvm->arch.gstage_levels - 1;
}

static unsigned int rvkvm_level_shift(unsigned int level)
{
	return PAGE_SHIFT + level * RVKVM_INDEX_BITS;
}

/* Bytes one entry of @level maps. */
static gpa_t rvkvm_level_size(unsigned int level)
{
	return BIT_ULL(rvkvm_level_shift(level));
}

/* 4 KiB pages one entry of @level maps. */
static unsigned long rvkvm_level_pages(unsigned int level)
{
	return BIT(level * RVKVM_INDEX_BITS);
}

/* Entries of a table of @level in a tree whose root is level @root. */
static unsigned long rvkvm_level_entries(unsigned int level, unsigned int root)
{
	return level == root ? RVKVM_ROOT_ENTRIES : RVKVM_TABLE_ENTRIES;
}

static unsigned long rvkvm_index(gpa_t gpa, unsigned int level,
				 unsigned int root)
{
	return (gpa >> rvkvm_level_shift(level)) &
	       (rvkvm_level_entries(level, root) - 1);
}

/* --- Entries ----------------------------------------------------------- */

static bool rvkvm_pte_valid(unsigned long pte)
{
	return pte & RVKVM_PTE_V;
}

/* Valid with R, W and X all clear: a pointer to the next level. */
static bool rvkvm_pte_is_table(unsigned long pte)
{
	return rvkvm_pte_valid(pte) && !(pte & RVKVM_PTE_RWX);
}

static kvm_pfn_t rvkvm_pte_pfn(unsigned long pte)
{
	return (pte & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT;
}

static unsigned long rvkvm_mk_pte(kvm_pfn_t pfn, unsigned long bits)
{
	return (pfn << _PAGE_PFN_SHIFT) | bits;
}

static unsigned long *rvkvm_pte_table(unsigned long pte)
{
	return pfn_to_virt(rvkvm_pte_pfn(pte));
}

static unsigned long *rvkvm_pgd(struct kvm *kvm)
{
	return (unsigned long *)kvm->arch.pgd;
}

/* --- Walking ----------------------------------------------------------- */

/*
 * Find the entry that decides how @gpa translates: the leaf that maps it,
 * or the empty entry where the walk ends.  *@level gets its level.
 */
static unsigned long *rvkvm_lookup(struct kvm *kvm, gpa_t gpa,
				   unsigned int *level)
{
	unsigned long *table = rvkvm_pgd(kvm);
	unsigned int root = rvkvm_root_level(kvm), l = root;
	unsigned long *ptep = &table[rvkvm_index(gpa, l, root)];

	while (l > 0 && rvkvm_pte_is_table(READ_ONCE(*ptep))) {
		table = rvkvm_pte_table(READ_ONCE(*ptep));
		l--;
		ptep = &table[rvkvm_index(gpa, l, root)];
	}
	*level = l;
	return ptep;
}

/* What a range walk does to one leaf; returns whether it changed or hit. */
typedef bool (*rvkvm_leaf_fn)(unsigned long *ptep);

/*
 * Apply @fn to every leaf that maps part of [@start, @end).  A huge leaf
 * the range covers only in part is handled whole: unmapping or
 * protecting more than asked is always safe (it costs a fault), whereas
 * leaving part of it alone would leave a stale mapping behind.
 *
 * Each step walks from the root again, so with @may_block the lock can
 * be dropped between steps: no table pointer outlives the lock.
 * Changes made so far are flushed first: whoever takes the lock next
 * may find those leaves already gone and return to the host, which then
 * frees the memory, believing no TLB entry for it is left.
 *
 * Return: true if @fn returned true for a leaf since the last flush.
 */
static bool rvkvm_walk_leaves(struct kvm *kvm, gpa_t start, gpa_t end,
			      rvkvm_leaf_fn fn, bool may_block)
{
	gpa_t addr = start;
	bool any = false;

	lockdep_assert_held(&kvm->mmu_lock);
	if (!kvm->arch.pgd)
		return false;

	while (addr < end) {
		unsigned int level;
		unsigned long *ptep = rvkvm_lookup(kvm, addr, &level);
		gpa_t size = rvkvm_level_size(level);

		if (rvkvm_pte_valid(READ_ONCE(*ptep)))
			any |= fn(ptep);
		addr = ALIGN_DOWN(addr, size) + size;

		if (!may_block || addr >= end ||
		    !(need_resched() || spin_needbreak(&kvm->mmu_lock)))
			continue;
		if (any)
			kvm_flush_remote_tlbs(kvm);
		any = false;
		cond_resched_lock(&kvm->mmu_lock);
	}
	return any;
}

static bool rvkvm_leaf_clear(unsigned long *ptep)
{
	WRITE_ONCE(*ptep, 0);
	return true;
}

static bool rvkvm_leaf_wrprotect(unsigned long *ptep)
{
	return test_and_clear_bit(RVKVM_PTE_W_BIT, ptep);
}

static bool rvkvm_leaf_age(unsigned long *ptep)
{
	return test_and_clear_bit(_PAGE_ACCESSED_OFFSET, ptep);
}

static bool rvkvm_leaf_young(unsigned long *ptep)
{
	return READ_ONCE(*ptep) & _PAGE_ACCESSED;
}

/* --- Table pages -------------------------------------------------------- */

/*
 * @pages table pages at @table join (or, negative, leave) the VM's tree:
 * the VM stat, and the host's SecPageTables (and memcg's sec_pagetables).
 */
static void rvkvm_account_tables(struct kvm *kvm, void *table, int pages)
{
	kvm->stat.gstage_table_pages += pages;
	kvm_account_pgtable_pages(table, pages);
}

/* --- Building ---------------------------------------------------------- */

/*
 * Turn the leaf @pte of @level into @table, one level finer, mapping the
 * same memory with the same permissions: the other pages of a huge leaf
 * stay mapped when one of them needs different treatment.
 */
static void rvkvm_split_leaf(unsigned long *table, unsigned long pte,
			     unsigned int level)
{
	unsigned long bits = pte & ~_PAGE_PFN_MASK;
	unsigned long step = rvkvm_level_pages(level - 1);
	kvm_pfn_t pfn = rvkvm_pte_pfn(pte);
	unsigned long i;

	for (i = 0; i < RVKVM_TABLE_ENTRIES; i++)
		table[i] = rvkvm_mk_pte(pfn + i * step, bits);
}

/*
 * The table below *@ptep (of @level), made if missing, or split out of a
 * huge leaf.  New tables come from @mc, filled before mmu_lock was taken.
 */
static unsigned long *rvkvm_next_table(struct kvm *kvm, unsigned long *ptep,
				       unsigned int level,
				       struct kvm_mmu_memory_cache *mc)
{
	unsigned long pte = READ_ONCE(*ptep);
	unsigned long *table;

	if (rvkvm_pte_is_table(pte))
		return rvkvm_pte_table(pte);

	table = kvm_mmu_memory_cache_alloc(mc);
	if (!table)
		return NULL;
	rvkvm_account_tables(kvm, table, 1);
	if (rvkvm_pte_valid(pte))
		rvkvm_split_leaf(table, pte, level);
	WRITE_ONCE(*ptep, rvkvm_mk_pte(virt_to_pfn(table), RVKVM_PTE_V));
	return table;
}

/*
 * Write the leaf for @gpa at @level.  A fault never takes a permission
 * away: W already granted on the same memory stays.  Replacing a leaf
 * for other memory (which the MMU notifier should have made impossible)
 * must not leave the old one in any hart's TLB.
 */
static void rvkvm_set_leaf(struct kvm *kvm, unsigned long *ptep,
			   unsigned int level, gpa_t gpa, kvm_pfn_t pfn,
			   unsigned long prot)
{
	unsigned long mask = rvkvm_level_pages(level) - 1;
	kvm_pfn_t base = pfn - ((gpa >> PAGE_SHIFT) & mask);
	unsigned long old = READ_ONCE(*ptep);
	unsigned long new = rvkvm_mk_pte(base, RVKVM_PTE_LEAF | prot);

	if (!rvkvm_pte_valid(old)) {
		WRITE_ONCE(*ptep, new);
		return;
	}
	if (rvkvm_pte_pfn(old) == base) {
		WRITE_ONCE(*ptep, new | (old & RVKVM_PTE_W));
		return;
	}
	WRITE_ONCE(*ptep, new);
	kvm_flush_remote_tlbs(kvm);
}

/*
 * Map @gpa to @pfn with a leaf of @level, or of a lower level where finer
 * tables already exist (they may hold mappings of their own; folding
 * them into a huge leaf would need a flush before freeing them).
 *
 * Return: the level of the leaf written, or -ENOMEM.
 */
static int rvkvm_map(struct kvm *kvm, struct kvm_mmu_memory_cache *mc,
		     gpa_t gpa, kvm_pfn_t pfn, unsigned int level,
		     unsigned long prot)
{
	unsigned long *table = rvkvm_pgd(kvm);
	unsigned int root = rvkvm_root_level(kvm), l = root;
	unsigned long *ptep;

	for (;;) {
		ptep = &table[rvkvm_index(gpa, l, root)];
		/* Level 0 never holds tables, so this ends there at the latest. */
		if (l <= level && !rvkvm_pte_is_table(READ_ONCE(*ptep)))
			break;
		table = rvkvm_next_table(kvm, ptep, l, mc);
		if (!table)
			return -ENOMEM;
		l--;
	}
	rvkvm_set_leaf(kvm, ptep, l, gpa, pfn, prot);
	return l;
}

/*
 * Free the tables below @table, itself of @level with @entries entries;
 * not @table itself.
 */
static void rvkvm_free_tables(struct kvm *kvm, unsigned long *table,
			      unsigned int level, unsigned long entries)
{
	unsigned long i;

	if (!level)
		return;
	for (i = 0; i < entries; i++) {
		unsigned long pte = table[i];
		unsigned long *child;

		if (!rvkvm_pte_is_table(pte))
			continue;
		child = rvkvm_pte_table(pte);
		rvkvm_free_tables(kvm, child, level - 1, RVKVM_TABLE_ENTRIES);
		rvkvm_account_tables(kvm, child, -1);
		free_page((unsigned long)child);
	}
}

/*
 * Unlink the tables below @table (of @level) within [@start, @end) that
 * map nothing, onto @freed; a parent emptied that way goes too.  Hardware
 * may still walk them until the caller's flush, so they are not freed
 * here.
 */
static void rvkvm_prune(struct kvm *kvm, unsigned long *table,
			unsigned int level, gpa_t start, gpa_t end,
			struct list_head *freed)
{
	unsigned int root = rvkvm_root_level(kvm);
	gpa_t size = rvkvm_level_size(level), addr, next;

	for (addr = start; addr < end; addr = next) {
		unsigned long *ptep = &table[rvkvm_index(addr, level, root)];
		unsigned long pte = READ_ONCE(*ptep);
		unsigned long *child;

		next = min(ALIGN_DOWN(addr, size) + size, end);
		if (!level || !rvkvm_pte_is_table(pte))
			continue;
		child = rvkvm_pte_table(pte);
		rvkvm_prune(kvm, child, level - 1, addr, next, freed);
		if (memchr_inv(child, 0, PAGE_SIZE))
			continue;
		WRITE_ONCE(*ptep, 0);
		rvkvm_account_tables(kvm, child, -1);
		list_add(&virt_to_page(child)->lru, freed);
	}
}

static void rvkvm_free_table_list(struct list_head *freed)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, freed, lru)
		__free_page(page);
}

/* --- Range operations with their TLB flush ------------------------------ */

static gpa_t rvkvm_gfn_to_gpa(gfn_t gfn)
{
	return (gpa_t)gfn << PAGE_SHIFT;
}

/*
 * Apply @fn to [@start, @end) and, if any leaf changed, make every vCPU
 * flush the VM's G-stage TLB entries before it enters the guest again.
 * With @prune, also free the tables that leaves empty, once no hart can
 * walk them any more: without this, memslots created and deleted at
 * ever new addresses would grow the tree without bound.
 */
static void rvkvm_range_and_flush(struct kvm *kvm, gpa_t start, gpa_t end,
				  rvkvm_leaf_fn fn, bool prune)
{
	LIST_HEAD(freed);
	bool flush;

	spin_lock(&kvm->mmu_lock);
	flush = rvkvm_walk_leaves(kvm, start, end, fn, true);
	if (prune && kvm->arch.pgd)
		rvkvm_prune(kvm, rvkvm_pgd(kvm), rvkvm_root_level(kvm), start,
			    end, &freed);
	spin_unlock(&kvm->mmu_lock);
	if (flush || !list_empty(&freed))
		kvm_flush_remote_tlbs(kvm);
	rvkvm_free_table_list(&freed);
}

static void rvkvm_slot_range_and_flush(struct kvm *kvm,
				       const struct kvm_memory_slot *slot,
				       rvkvm_leaf_fn fn)
{
	rvkvm_range_and_flush(kvm, rvkvm_gfn_to_gpa(slot->base_gfn),
			      rvkvm_gfn_to_gpa(slot->base_gfn + slot->npages),
			      fn, false);
}

/* --- Guest page faults -------------------------------------------------- */

/*
 * Whether a leaf of @level may map the block around @gpa: the block must
 * lie inside @slot, and @hva must sit at the same page offset in its
 * block as @gpa, or the block's host pages would not be the guest's.
 * (@gpa is the faulting address, anywhere in its page; @hva a page's.)
 */
static bool rvkvm_block_fits(const struct kvm_memory_slot *slot, gpa_t gpa,
			     unsigned long hva, unsigned int level)
{
	gpa_t size = rvkvm_level_size(level);
	gpa_t block = ALIGN_DOWN(gpa, size);

	return ((gpa ^ hva) & (size - 1) & PAGE_MASK) == 0 &&
	       block >= rvkvm_gfn_to_gpa(slot->base_gfn) &&
	       block + size <= rvkvm_gfn_to_gpa(slot->base_gfn + slot->npages);
}

/*
 * The largest leaf level a hugetlbfs mapping of @hva allows, and the
 * host's page shift (for a poison signal).  Transparent huge pages are
 * found later, in the host's page table (rvkvm_thp_level()).
 *
 * The caller holds current->mm's mmap lock.
 */
static unsigned int rvkvm_host_level(const struct kvm_memory_slot *slot,
				     gpa_t gpa, unsigned long hva,
				     unsigned int *host_shift)
{
	struct vm_area_struct *vma = vma_lookup(current->mm, hva);
	unsigned long host_size = vma ? vma_kernel_pagesize(vma) : PAGE_SIZE;
	unsigned int level;

	*host_shift = __ffs(host_size);
	/* Dirty logging tracks 4 KiB pages: each must fault on its own. */
	if (kvm_slot_dirty_track_enabled(slot))
		return 0;
	for (level = RVKVM_MAX_MAP_LEVEL; level > 0; level--)
		if (rvkvm_level_size(level) <= host_size &&
		    rvkvm_block_fits(slot, gpa, hva, level))
			return level;
	return 0;
}

/*
 * p4d_offset() and pud_offset() are out of line and not exported on
 * riscv: the same steps, on an entry already read (a folded level is the
 * entry above it).
 */
static p4d_t *rvkvm_p4d_offset(pgd_t *pgd, unsigned long hva)
{
	return pgtable_l5_enabled ? pgd_pgtable(*pgd) + p4d_index(hva) :
				    (p4d_t *)pgd;
}

static pud_t *rvkvm_pud_offset(p4d_t *p4d, unsigned long hva)
{
	return pgtable_l4_enabled ? p4d_pgtable(*p4d) + pud_index(hva) :
				    (pud_t *)p4d;
}

/*
 * The level of the host's own leaf for @hva in @mm: 1 for a PMD leaf (a
 * transparent huge page), 2 for a PUD leaf, else 0.  A lockless walk,
 * as GUP-fast does it: with interrupts off no table can be freed under
 * it.  The answer may be stale at once; the caller's
 * mmu_invalidate_retry() throws the fault away if the mapping changed.
 */
static unsigned int rvkvm_host_leaf_level(struct mm_struct *mm,
					  unsigned long hva)
{
	unsigned int level = 0;
	unsigned long flags;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;

	local_irq_save(flags);
	pgd = pgdp_get(pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = p4dp_get(rvkvm_p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = pudp_get(rvkvm_pud_offset(&p4d, hva));
	if (pud_leaf(pud)) {
		level = 2;
		goto out;
	}
	if (!pud_present(pud))
		goto out;
	if (pmd_leaf(pmdp_get_lockless(pmd_offset(&pud, hva))))
		level = 1;
out:
	local_irq_restore(flags);
	return level;
}

/*
 * The leaf level for a page the host may map with a transparent huge
 * page: the host's own leaf level, as far as the block fits @slot.  The
 * page lookup has just faulted the memory in, so a THP the host chose
 * for it shows already.
 */
static unsigned int rvkvm_thp_level(const struct kvm_memory_slot *slot,
				    gpa_t gpa, unsigned long hva)
{
	unsigned int level;

	/* Not even a 2 MiB block fits here: spare the walk. */
	if (!rvkvm_block_fits(slot, gpa, hva, 1))
		return 0;
	level = min(rvkvm_host_leaf_level(current->mm, hva), RVKVM_MAX_MAP_LEVEL);
	while (level && !rvkvm_block_fits(slot, gpa, hva, level))
		level--;
	return level;
}

/* What a pfn lookup that failed means for the guest. */
static int rvkvm_pfn_error(kvm_pfn_t pfn, unsigned long hva,
			   unsigned int host_shift)
{
	if (pfn == KVM_PFN_ERR_HWPOISON) {
		send_sig_mceerr(BUS_MCEERR_AR, (void __user *)hva, host_shift,
				current);
		return 0;
	}
	/* A signal interrupted the lookup: KVM_RUN exits for it, then retries. */
	if (is_sigpending_pfn(pfn))
		return 0;
	return -EFAULT;
}

/*
 * Install the mapping found, unless the host mapping changed since @seq
 * was read (then the guest faults again and the lookup is redone), and
 * drop the reference the lookup took either way.
 */
static int rvkvm_fault_install(struct kvm_vcpu *vcpu,
			       struct kvm_memory_slot *slot, gpa_t gpa,
			       struct rvkvm_faultin *f, unsigned int level,
			       unsigned long seq)
{
	struct kvm *kvm = vcpu->kvm;
	unsigned long prot = RVKVM_PTE_R | RVKVM_PTE_X;
	int r = 0;

	if (f->writable)
		prot |= RVKVM_PTE_W;

	spin_lock(&kvm->mmu_lock);
	if (mmu_invalidate_retry(kvm, seq)) {
		rvkvm_faultin_release(kvm, f, false, false);
		goto out;
	}
	r = rvkvm_map(kvm, &vcpu->arch.mmu_cache, gpa, f->pfn, level, prot);
	/* Released under the lock: the notifier cannot run in between. */
	rvkvm_faultin_release(kvm, f, r >= 0, f->writable);
	if (r < 0)
		goto out;
	if (f->writable)
		mark_page_dirty_in_slot(kvm, slot, gpa >> PAGE_SHIFT);
	/*
	 * This hart may still cache the missing or read-only translation
	 * that faulted.  One fence at the faulting address is enough to
	 * make progress; other stale entries fault and land here too.  If
	 * the vCPU moves on, the next hart is flushed on arrival.
	 */
	rvkvm_local_hfence_gvma_vmid_gpa(rvkvm_vmid_hw(kvm), gpa & PAGE_MASK,
					 PAGE_SIZE);
	r = 0;
out:
	spin_unlock(&kvm->mmu_lock);
	return r;
}

/**
 * rvkvm_gstage_fault() - resolve a guest page fault on guest RAM
 * @vcpu: the vCPU that faulted, in its thread, with kvm->srcu held
 * @gpa: the faulting guest-physical address
 * @write: the access was a store or AMO
 * @exec: the access was an instruction fetch
 *
 * Maps the page (or the largest block the memslot and a hugetlbfs VMA
 * allow) from the memslot's host memory.  Guest RAM is always mapped
 * executable, so @exec changes nothing today.  While the slot logs dirty
 * pages, a read maps the page read-only so that the first write faults
 * here again and is logged.
 *
 * Return: 0 to resume the guest (also to retry: after an invalidation
 * race, with a signal pending, on a slot being changed, or on a poisoned
 * page, which is signalled to the VMM), -EFAULT if @gpa has no (writable,
 * for @write) memory behind it, or -ENOMEM.
 */
int rvkvm_gstage_fault(struct kvm_vcpu *vcpu, gpa_t gpa, bool write,
		       bool exec)
{
	struct kvm_mmu_memory_cache *mc = &vcpu->arch.mmu_cache;
	struct kvm *kvm = vcpu->kvm;
	gfn_t gfn = gpa >> PAGE_SHIFT;
	struct kvm_memory_slot *slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn);
	unsigned int level, host_shift;
	unsigned long hva, seq;
	struct rvkvm_faultin f;
	int r;

	if (!slot || (write && (slot->flags & KVM_MEM_READONLY)))
		return -EFAULT;
	/* Being deleted or moved: fault again once the change has landed. */
	if (slot->flags & KVM_MEMSLOT_INVALID)
		return 0;
	hva = gfn_to_hva_memslot_prot(slot, gfn, NULL);
	if (kvm_is_error_hva(hva))
		return -EFAULT;

	/* Enough tables for a whole walk, allocated while we may sleep. */
	mc->gfp_zero = __GFP_ZERO;
	r = kvm_mmu_topup_memory_cache(mc, kvm->arch.gstage_levels);
	if (r)
		return r;

	/*
	 * Read the invalidation count before looking at the host mapping:
	 * any change to it from here on bumps the count, and the install
	 * step then throws our result away.  Under the mmap lock, the VMA
	 * cannot change between the read and the lookup.
	 */
	mmap_read_lock(current->mm);
	seq = kvm->mmu_invalidate_seq;
	level = rvkvm_host_level(slot, gpa, hva, &host_shift);
	mmap_read_unlock(current->mm);
	/* Order the count before the host page-table reads of the lookup. */
	smp_rmb();

	rvkvm_faultin_pfn(slot, gfn, write, &f);
	if (is_error_noslot_pfn(f.pfn))
		return rvkvm_pfn_error(f.pfn, hva, host_shift);

	if (kvm_slot_dirty_track_enabled(slot)) {
		/* Keep clean pages read-only, to see the first write. */
		if (!write)
			f.writable = false;
	} else if (!level) {
		level = rvkvm_thp_level(slot, gpa, hva);
	}
	/* A block leaf needs its host memory aligned like the guest's. */
	while (level && ((f.pfn ^ gfn) & (rvkvm_level_pages(level) - 1)))
		level--;

	return rvkvm_fault_install(vcpu, slot, gpa, &f, level, seq);
}

/* --- Device pages ------------------------------------------------------ */

/**
 * rvkvm_gstage_map_device() - map one guest page to a host device page
 * @vcpu: the vCPU whose table cache pays for the walk, in its thread
 * @gpa: the guest page
 * @pa: the host page (an IMSIC guest interrupt file), outside host RAM
 *
 * No memslot is behind @gpa, so the MMU notifier never sees this leaf;
 * rvkvm_gstage_unmap_device() takes it away again.
 *
 * Return: 0, or -ENOMEM.
 */
int rvkvm_gstage_map_device(struct kvm_vcpu *vcpu, gpa_t gpa, phys_addr_t pa)
{
	struct kvm_mmu_memory_cache *mc = &vcpu->arch.mmu_cache;
	struct kvm *kvm = vcpu->kvm;
	int r;

	mc->gfp_zero = __GFP_ZERO;
	r = kvm_mmu_topup_memory_cache(mc, kvm->arch.gstage_levels);
	if (r)
		return r;
	spin_lock(&kvm->mmu_lock);
	r = rvkvm_map(kvm, mc, gpa & PAGE_MASK, PHYS_PFN(pa), 0,
		      RVKVM_PTE_R | RVKVM_PTE_W);
	/* As after a fault: this hart may cache the missing translation. */
	rvkvm_local_hfence_gvma_vmid_gpa(rvkvm_vmid_hw(kvm), gpa & PAGE_MASK,
					 PAGE_SIZE);
	spin_unlock(&kvm->mmu_lock);
	return r < 0 ? r : 0;
}

/**
 * rvkvm_gstage_unmap_device() - take a device page's leaf away
 * @kvm: the VM
 * @gpa: the guest page
 *
 * No hart translates through the old leaf once this returns.
 */
void rvkvm_gstage_unmap_device(struct kvm *kvm, gpa_t gpa)
{
	gpa &= PAGE_MASK;
	rvkvm_range_and_flush(kvm, gpa, gpa + PAGE_SIZE, rvkvm_leaf_clear, false);
}

/* --- VM and vCPU lifetime ----------------------------------------------- */

/**
 * rvkvm_gstage_alloc_pgd() - allocate a VM's zeroed G-stage root
 * @kvm: the VM
 *
 * The VM starts with the host's widest G-stage mode.
 *
 * Return: 0 or -ENOMEM.
 */
int rvkvm_gstage_alloc_pgd(struct kvm *kvm)
{
	struct page *page;

	page = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, RVKVM_PGD_ORDER);
	if (!page)
		return -ENOMEM;
	kvm->arch.gstage_levels = rvkvm_host.gstage_levels;
	kvm->arch.pgd = page_to_virt(page);
	kvm->arch.pgd_phys = page_to_phys(page);
	rvkvm_account_tables(kvm, kvm->arch.pgd, 1 << RVKVM_PGD_ORDER);
	return 0;
}

/**
 * rvkvm_gstage_gpa_bits() - the guest-physical address width of a VM
 * @kvm: the VM
 *
 * Return: the bits its G-stage mode translates (41, 50 or 59).
 */
unsigned int rvkvm_gstage_gpa_bits(const struct kvm *kvm)
{
	return rvkvm_levels_gpa_bits(kvm->arch.gstage_levels);
}

/* Is the tree empty: no table and no leaf in the root? */
static bool rvkvm_gstage_tree_empty(struct kvm *kvm)
{
	return !memchr_inv(rvkvm_pgd(kvm), 0, RVKVM_ROOT_ENTRIES * sizeof(long));
}

/**
 * rvkvm_gstage_set_gpa_bits() - pick a VM's G-stage mode by width
 * @kvm: the VM
 * @bits: the guest-physical address bits userspace needs
 *
 * KVM_CAP_VM_GPA_BITS: the narrowest x4 mode that has @bits bits, so
 * Sv39x4 up to 41, Sv48x4 up to 50 and Sv57x4 up to 59.  Narrower modes
 * walk fewer levels on every TLB miss.
 *
 * Return: 0, -EINVAL for 0 bits or more than the host's widest mode has,
 * or -EBUSY once the VM has vCPUs, memslots or G-stage tables.
 */
int rvkvm_gstage_set_gpa_bits(struct kvm *kvm, unsigned long bits)
{
	unsigned int levels = rvkvm_gstage_modes[ARRAY_SIZE(rvkvm_gstage_modes) - 1].levels;
	int r = 0;

	while (levels < rvkvm_host.gstage_levels &&
	       rvkvm_levels_gpa_bits(levels) < bits)
		levels++;
	if (!bits || rvkvm_levels_gpa_bits(levels) < bits)
		return -EINVAL;

	/* vCPUs are created under kvm->lock, memslots under slots_lock. */
	mutex_lock(&kvm->lock);
	mutex_lock(&kvm->slots_lock);
	if (kvm->created_vcpus || !kvm_are_all_memslots_empty(kvm) ||
	    !rvkvm_gstage_tree_empty(kvm))
		r = -EBUSY;
	else
		kvm->arch.gstage_levels = levels;
	mutex_unlock(&kvm->slots_lock);
	mutex_unlock(&kvm->lock);
	return r;
}

/**
 * rvkvm_gstage_free_pgd() - free a VM's whole G-stage table tree
 * @kvm: the VM, with no vCPU left that could use the tree
 *
 * Leaves hold no page references, so dropping them with their tables is
 * all the unmapping there is.  No TLB flush is needed either: the VMID is
 * not handed out again before a rollover, which flushes every hart, and
 * without VMIDs every hart flushes when a vCPU other than its last one
 * arrives (rvkvm_vcpu_tlb_sanitize()).
 */
void rvkvm_gstage_free_pgd(struct kvm *kvm)
{
	if (!kvm->arch.pgd)
		return;
	rvkvm_free_tables(kvm, rvkvm_pgd(kvm), rvkvm_root_level(kvm),
			  RVKVM_ROOT_ENTRIES);
	rvkvm_account_tables(kvm, kvm->arch.pgd, -(1 << RVKVM_PGD_ORDER));
	free_pages((unsigned long)kvm->arch.pgd, RVKVM_PGD_ORDER);
	kvm->arch.pgd = NULL;
	kvm->arch.pgd_phys = 0;
}

/**
 * rvkvm_gstage_vcpu_free() - release a vCPU's G-stage resources
 * @vcpu: the vCPU being destroyed
 *
 * Call from kvm_arch_vcpu_destroy(): frees the vCPU's page-table cache
 * and makes the harts forget the vCPU, so a later vCPU allocated at the
 * same address is not mistaken for it.
 */
void rvkvm_gstage_vcpu_free(struct kvm_vcpu *vcpu)
{
	kvm_mmu_free_memory_cache(&vcpu->arch.mmu_cache);
	rvkvm_vcpu_tlb_forget(vcpu);
}

/**
 * rvkvm_gstage_load_hgatp() - point this hart's hgatp at @vcpu's VM
 * @vcpu: the vCPU about to run here
 *
 * Call at vcpu_load and for KVM_REQ_UPDATE_HGATP.  Writing hgatp flushes
 * nothing: rvkvm_vcpu_tlb_sanitize() decides what this hart must forget.
 */
void rvkvm_gstage_load_hgatp(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	unsigned long hgatp;

	hgatp = rvkvm_levels_mode(kvm->arch.gstage_levels) << HGATP_MODE_SHIFT;
	hgatp |= (rvkvm_vmid_hw(kvm) << HGATP_VMID_SHIFT) & HGATP_VMID;
	hgatp |= PFN_DOWN(kvm->arch.pgd_phys) & HGATP_PPN;
	csr_write(CSR_HGATP, hgatp);
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
	    (BIT_ULL(rvkvm_gstage_gpa_bits(kvm)) >> PAGE_SHIFT))
		return -EFAULT;
	return 0;
}

/**
 * kvm_arch_commit_memory_region() - act on a memslot change that landed
 * @kvm: the VM
 * @old: the slot as it was, or NULL
 * @new: the slot as it is now, or NULL on delete
 * @change: what kind of change
 *
 * Switching dirty logging on write-protects what the slot has mapped, so
 * every later write faults and is logged.  A new or moved slot has
 * nothing mapped yet; a deleted one was unmapped before the change.
 * With KVM_DIRTY_LOG_INITIALLY_SET, all pages start out dirty and are
 * protected as userspace clears them, so nothing is done here.
 */
void kvm_arch_commit_memory_region(struct kvm *kvm,
				   struct kvm_memory_slot *old,
				   const struct kvm_memory_slot *new,
				   enum kvm_mr_change change)
{
	if (change != KVM_MR_FLAGS_ONLY)
		return;
	if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES) ||
	    (old->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return;
	if (kvm_dirty_log_manual_protect_and_init_set(kvm))
		return;
	rvkvm_slot_range_and_flush(kvm, new, rvkvm_leaf_wrprotect);
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
 *
 * The tables go with them; only the root stays, until
 * rvkvm_gstage_free_pgd().
 */
void kvm_arch_flush_shadow_all(struct kvm *kvm)
{
	rvkvm_range_and_flush(kvm, 0, BIT_ULL(rvkvm_gstage_gpa_bits(kvm)),
			      rvkvm_leaf_clear, true);
}

/**
 * kvm_arch_flush_shadow_memslot() - drop a slot's G-stage mappings
 * @kvm: the VM
 * @slot: the slot being deleted or moved
 *
 * With the tables the slot's range leaves empty.
 */
void kvm_arch_flush_shadow_memslot(struct kvm *kvm,
				   struct kvm_memory_slot *slot)
{
	rvkvm_range_and_flush(kvm, rvkvm_gfn_to_gpa(slot->base_gfn),
			      rvkvm_gfn_to_gpa(slot->base_gfn + slot->npages),
			      rvkvm_leaf_clear, true);
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
 * @kvm: the VM, with mmu_lock held
 * @slot: the slot
 * @gfn_offset: first page of the 64-page window, relative to the slot
 * @mask: which pages of the window
 *
 * Protects the span from the first to the last page of @mask: pages in
 * between are either already read-only or harmlessly protected again.
 * The caller flushes the TLBs.
 */
void kvm_arch_mmu_enable_log_dirty_pt_masked(struct kvm *kvm,
					     struct kvm_memory_slot *slot,
					     gfn_t gfn_offset,
					     unsigned long mask)
{
	gfn_t base = slot->base_gfn + gfn_offset;

	rvkvm_walk_leaves(kvm, rvkvm_gfn_to_gpa(base + __ffs(mask)),
			  rvkvm_gfn_to_gpa(base + __fls(mask) + 1),
			  rvkvm_leaf_wrprotect, false);
}

/**
 * kvm_unmap_gfn_range() - MMU notifier: unmap a guest-physical range
 * @kvm: the VM, with mmu_lock held
 * @range: the range
 *
 * Return: true if anything was unmapped: the caller then flushes the
 * TLBs before the host may reuse the memory.
 */
bool kvm_unmap_gfn_range(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return rvkvm_walk_leaves(kvm, rvkvm_gfn_to_gpa(range->start),
				 rvkvm_gfn_to_gpa(range->end),
				 rvkvm_leaf_clear, range->may_block);
}

/**
 * kvm_age_gfn() - MMU notifier: clear the accessed bits of a range
 * @kvm: the VM, with mmu_lock held
 * @range: the range
 *
 * On hardware that does not set A itself, the guest's next access to an
 * aged page faults and rvkvm_gstage_fault() maps it again, A set.
 *
 * Return: true if any page was young.
 */
bool kvm_age_gfn(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return rvkvm_walk_leaves(kvm, rvkvm_gfn_to_gpa(range->start),
				 rvkvm_gfn_to_gpa(range->end),
				 rvkvm_leaf_age, false);
}

/**
 * kvm_test_age_gfn() - MMU notifier: test the accessed bits of a range
 * @kvm: the VM, with mmu_lock held
 * @range: the range
 *
 * Return: true if any page is young.
 */
bool kvm_test_age_gfn(struct kvm *kvm, struct kvm_gfn_range *range)
{
	return rvkvm_walk_leaves(kvm, rvkvm_gfn_to_gpa(range->start),
				 rvkvm_gfn_to_gpa(range->end),
				 rvkvm_leaf_young, false);
}
