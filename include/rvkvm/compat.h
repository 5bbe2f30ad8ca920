/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernels rvkvm builds against, and what differs between them for
 * our code.  The rest of the code calls the rvkvm_* names below.  What
 * differs for the generic core's view of our structs and hooks is in
 * asm/kvm_host.h, marked "compat".  Documentation/compat.rst lists every
 * difference with its reason.  Included by rvkvm.h, after
 * linux/kvm_host.h.
 *
 * A difference is keyed on the config symbol that carries it where the
 * kernel has one, and otherwise on RVKVM_LINUX_7 (Kbuild): 0 for 6.12.y,
 * 1 for 7.2.y, the only kernels the build accepts.
 */
#ifndef __RVKVM_COMPAT_H
#define __RVKVM_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/irqchip/riscv-imsic.h>

/*
 * 1. The host's built-in entry code.  6.12's kernel/entry/kvm.c takes the
 * vCPU and writes vcpu->run and vcpu->stat.signal_exits at the host's
 * offsets (RVKVM_HOST_WRITES_VCPU, asm/kvm_host.h and layout.c).  7.x's
 * kernel/entry/virt.c takes no vCPU: the KVM half is inline in our build.
 */
#ifdef CONFIG_KVM_XFER_TO_GUEST_WORK
#include <linux/entry-kvm.h>
#define rvkvm_xfer_to_guest_work(vcpu)	xfer_to_guest_mode_handle_work(vcpu)
#else
#include <linux/entry-virt.h>
#define rvkvm_xfer_to_guest_work(vcpu)	kvm_xfer_to_guest_mode_handle_work(vcpu)
#endif

/*
 * 2. The vCPU ioctls that skip vcpu->mutex: an optional hook behind
 * HAVE_KVM_VCPU_ASYNC_IOCTL in 6.12, renamed and mandatory in 7.x.
 */
#ifdef CONFIG_HAVE_KVM_VCPU_ASYNC_IOCTL
#define rvkvm_vcpu_unlocked_ioctl	kvm_arch_vcpu_async_ioctl
#else
#define rvkvm_vcpu_unlocked_ioctl	kvm_arch_vcpu_unlocked_ioctl
#endif

/*
 * 3. Faulting in guest memory.  6.12 returns a pfn with a reference and
 * dirties it through the pfn; 7.x returns the struct page as well and
 * releases it with kvm_release_faultin_page(), which must run under
 * mmu_lock when the page was mapped.  Both are released under mmu_lock.
 */
struct rvkvm_faultin {
	kvm_pfn_t pfn;
	struct page *page;		/* 7.x: NULL for memory without one */
	bool writable;
};

static inline void rvkvm_faultin_pfn(struct kvm_memory_slot *slot, gfn_t gfn,
				     bool write, struct rvkvm_faultin *f)
{
#if RVKVM_LINUX_7
	f->pfn = __kvm_faultin_pfn(slot, gfn,
				   FOLL_INTERRUPTIBLE | (write ? FOLL_WRITE : 0),
				   &f->writable, &f->page);
#else
	f->page = NULL;
	f->pfn = __gfn_to_pfn_memslot(slot, gfn, false, true, NULL, write,
				      &f->writable, NULL);
#endif
}

/* @mapped: the pfn went into the G-stage; @dirty: and writable. */
static inline void rvkvm_faultin_release(struct kvm *kvm,
					 struct rvkvm_faultin *f,
					 bool mapped, bool dirty)
{
	lockdep_assert_held(&kvm->mmu_lock);
#if RVKVM_LINUX_7
	kvm_release_faultin_page(kvm, f->page, !mapped, dirty);
#else
	if (mapped && dirty)
		kvm_set_pfn_dirty(f->pfn);
	kvm_release_pfn_clean(f->pfn);
#endif
}

/* 4. hrtimer_setup() replaced hrtimer_init() plus ->function in 6.13. */
static inline void rvkvm_hrtimer_setup(struct hrtimer *t,
				       enum hrtimer_restart (*fn)(struct hrtimer *),
				       clockid_t clock, enum hrtimer_mode mode)
{
#if RVKVM_LINUX_7
	hrtimer_setup(t, fn, clock, mode);
#else
	hrtimer_init(t, clock, mode);
	t->function = fn;
#endif
}

/*
 * 5. The dirty ring: 7.x's riscv config has HAVE_KVM_DIRTY_RING, and a
 * full ring must stop the vCPU with KVM_EXIT_DIRTY_RING_FULL.  6.12's
 * config lacks it and has no stub for the check.
 */
static inline bool rvkvm_dirty_ring_full(struct kvm_vcpu *vcpu)
{
#ifdef CONFIG_HAVE_KVM_DIRTY_RING
	return kvm_dirty_ring_check_request(vcpu);
#else
	return false;
#endif
}

/*
 * 6. henvcfg fields behind ISA ids of 7.x's uapi only: ADUE for a guest
 * with Svadu and without Svade, and PMM, which SBI FWFT's pointer masking
 * owns.  6.12's headers know neither the fields nor the extensions; the
 * ids given there are out of range, so no guest has them.
 */
#if RVKVM_LINUX_7
#define RVKVM_ISA_EXT_SVADE	RISCV_ISA_EXT_SVADE
#define RVKVM_ISA_EXT_SVADU	RISCV_ISA_EXT_SVADU
#define RVKVM_HENVCFG_ADUE	ENVCFG_ADUE
#define RVKVM_HENVCFG_FWFT	ENVCFG_PMM
#else
#define RVKVM_ISA_EXT_SVADE	RISCV_ISA_EXT_MAX
#define RVKVM_ISA_EXT_SVADU	RISCV_ISA_EXT_MAX
#define RVKVM_HENVCFG_ADUE	0ULL
#define RVKVM_HENVCFG_FWFT	0ULL
#endif

/*
 * 7. Perf's guest callbacks (perf kvm: samples taken in a guest are the
 * guest's, at its pc).  Registered where the config has
 * GUEST_PERF_EVENTS (7.2's); 6.12's stub takes an ignored argument, 7.x's
 * none.
 */
#if RVKVM_LINUX_7
#define rvkvm_perf_callbacks_register()	kvm_register_perf_callbacks()
#else
#define rvkvm_perf_callbacks_register()	kvm_register_perf_callbacks(NULL)
#endif

/*
 * 8. Guest interrupt files per hart of the host's IMSIC: 7.x counts what
 * each hart's MMIO region holds; 6.12 gives only the guest index width.
 */
static inline unsigned int
rvkvm_imsic_files(const struct imsic_global_config *gc, int cpu)
{
#if RVKVM_LINUX_7
	return per_cpu_ptr(gc->local, cpu)->nr_guest_files;
#else
	return BIT(gc->guest_index_bits) - 1;
#endif
}

/*
 * 9. Where 7.x's ABI differs, the code tests RVKVM_LINUX_7 in place:
 * the uapi's new ids sit in their tables under #if (isa.c, vcpu_sbi.c,
 * vcpu_onereg.c), SUSP and FWFT are built for 7.x only (Kbuild), and the
 * SBI version, the cache-block sizes and the PMU's firmware-counter read
 * follow the kernel's own module.  compat.rst lists each.
 */

#endif /* __RVKVM_COMPAT_H */
