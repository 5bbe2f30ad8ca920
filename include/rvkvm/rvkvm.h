/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide declarations of rvkvm.  Include first in every rvkvm file:
 * it sets the log prefix before printk.h is seen.
 */
#ifndef __RVKVM_RVKVM_H
#define __RVKVM_RVKVM_H

#define pr_fmt(fmt) "rvkvm: " fmt

#include <linux/kvm_host.h>
#include <rvkvm/compat.h>
#include <rvkvm/aia.h>

/*
 * The code of the exits a guest makes most (the fast path, an exit to
 * userspace and back, vCPU load and put), kept together in one section:
 * every code page an exit touches costs an iTLB miss, and in QEMU's
 * emulated host, which drops its whole TLB at each switch into and out
 * of the guest, a page walk.  vcpu_switch.S puts the world switch there.
 */
#define __rvkvm_hot	__section(".text.rvkvm_hot")

/* The binary-stats header for a descriptor array: data follows descs. */
#define RVKVM_STATS_HEADER(descs) {					\
	.name_size = KVM_STATS_NAME_SIZE,				\
	.num_desc = ARRAY_SIZE(descs),					\
	.id_offset = sizeof(struct kvm_stats_header),			\
	.desc_offset = sizeof(struct kvm_stats_header) + KVM_STATS_NAME_SIZE, \
	.data_offset = sizeof(struct kvm_stats_header) + KVM_STATS_NAME_SIZE + \
		       sizeof(descs),					\
}

/* What the host offers, found once at module load (main.c). */
struct rvkvm_host {
	unsigned long gstage_mode;	/* HGATP_MODE_* */
	unsigned int gstage_levels;	/* page-table levels, root included */
	unsigned int gpa_bits;		/* guest-physical address width */
	unsigned int vmid_bits;		/* 0: no VMIDs, flush on every switch */
};

extern struct rvkvm_host rvkvm_host;

/*
 * Exit handlers return RVKVM_RESUME to re-enter the guest at once,
 * RVKVM_TO_USER after filling vcpu->run for userspace, or a -errno that
 * KVM_RUN returns.  Called from the exit fast path (@fast), they may
 * also return RVKVM_SLOW, before changing anything: "not here", and the
 * exit is handled again in full, with interrupts on.
 */
#define RVKVM_RESUME	1
#define RVKVM_TO_USER	0
#define RVKVM_SLOW	2

/* Guest xN as an instruction sees it: slot 0 holds the pc, x0 reads 0. */
static inline unsigned long rvkvm_gpr(struct kvm_vcpu *vcpu, unsigned int n)
{
	return n ? vcpu->arch.guest.gpr[n] : 0;
}

/* Assembly: vcpu_switch.S, vcpu_unpriv.S, vcpu_fp_switch.S */
void __rvkvm_switch_to(struct kvm_vcpu_arch *arch);
unsigned long __rvkvm_hlvx_hu(unsigned long gva, struct rvkvm_trap *trap);
unsigned long __rvkvm_hlv_d(unsigned long gva, struct rvkvm_trap *trap);
void __rvkvm_fp_store(struct rvkvm_fp *fp);
void __rvkvm_fp_load(const struct rvkvm_fp *fp);

/* layout.c */
int rvkvm_layout_check(void);

/* vcpu_irq.c */
void rvkvm_vcpu_set_irq(struct kvm_vcpu *vcpu, unsigned int irq, bool level);
bool rvkvm_vcpu_irq_level(struct kvm_vcpu *vcpu, unsigned int irq);
bool rvkvm_vcpu_irq_deliverable(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_flush_irqs(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_sync_irqs(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_irq_reset(struct kvm_vcpu *vcpu);
unsigned long rvkvm_vcpu_sip_get(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_sip_set(struct kvm_vcpu *vcpu, unsigned long sip);

/* vcpu.c */
void rvkvm_vcpu_power_off(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_power_on(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_wait_irq(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_hold(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_csrs_changed(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_forget_csrs_here(void);

/*
 * Has a loaded guest changed the unit under @mask (SR_FS or SR_VS, whose
 * Dirty is all ones and Off zero) since its load?  Either status counts:
 * the HS-level one the world switch carries, or the guest's own vsstatus,
 * which put reads into arch.csr first; QEMU marks only the latter when
 * the guest writes fcsr, frm, fflags, vcsr, vxrm or vxsat by a CSR
 * instruction.  Never for a guest whose unit is Off: the hardware then
 * holds the host's registers, whatever the guest wrote into vsstatus.
 */
static inline bool rvkvm_guest_dirtied(struct kvm_vcpu *vcpu,
				       unsigned long mask)
{
	unsigned long s = vcpu->arch.guest.sstatus & mask;

	return s == mask || (s && (vcpu->arch.csr.vsstatus & mask) == mask);
}

/* vcpu_fp.c */
void rvkvm_vcpu_fp_load(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_fp_put(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_fp_config(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_fp_reset(struct kvm_vcpu *vcpu);

/* vcpu_vector.c */
int rvkvm_vcpu_vector_create(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_vector_destroy(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_vector_load(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_vector_put(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_vector_config(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_vector_reset(struct kvm_vcpu *vcpu);

/* aia.c: what the host's AIA offers guests, found at load. */
struct rvkvm_aia_host {
	bool ssaia;		/* the in-kernel AIA can be created */
	unsigned int files;	/* guest interrupt files per hart, 0: none */
};

extern struct rvkvm_aia_host rvkvm_aia_host;

int rvkvm_aia_init(void);
void rvkvm_aia_exit(void);
void rvkvm_hgei_enable_cpu(void);
void rvkvm_hgei_disable_cpu(void);
unsigned int rvkvm_hgei_take(struct kvm_vcpu *vcpu, phys_addr_t *pa,
			     void __iomem **va);
void rvkvm_hgei_release(int cpu, unsigned int line);
bool rvkvm_hgei_free_here(void);

/* vcpu_aia.c */
void rvkvm_aia_enable_cpu(void);
void rvkvm_aia_ext_line(bool pending);
void rvkvm_aia_vcpu_config(struct kvm_vcpu *vcpu);
void rvkvm_aia_vcpu_reset(struct kvm_vcpu *vcpu);
void rvkvm_aia_vcpu_load(struct kvm_vcpu *vcpu);
void rvkvm_aia_vcpu_put(struct kvm_vcpu *vcpu);

/* vcpu_exit.c */
int rvkvm_vcpu_exit(struct kvm_vcpu *vcpu, bool fast);
void rvkvm_vcpu_redirect_trap(struct kvm_vcpu *vcpu, unsigned long scause,
			      unsigned long stval);
int rvkvm_vcpu_complete_exit(struct kvm_vcpu *vcpu);

/* vcpu_gva.c */
int rvkvm_read_gva(struct kvm_vcpu *vcpu, unsigned long gva, bool fetch,
		   unsigned long *val, struct rvkvm_trap *fault);
int rvkvm_vcpu_read_insn(struct kvm_vcpu *vcpu, unsigned long pc,
			 unsigned long *insn);

/* vcpu_insn.c */
int rvkvm_mmio_access(struct kvm_vcpu *vcpu, gpa_t gpa, bool store);
int rvkvm_mmio_complete(struct kvm_vcpu *vcpu);
int rvkvm_virtual_insn(struct kvm_vcpu *vcpu, bool fast);
int rvkvm_csr_complete(struct kvm_vcpu *vcpu);

/* vcpu_sbi.c */
int rvkvm_sbi_ecall(struct kvm_vcpu *vcpu, bool fast);
int rvkvm_sbi_complete(struct kvm_vcpu *vcpu, bool legacy);
bool rvkvm_sbi_ext_available(struct kvm_vcpu *vcpu, unsigned long kvm_id);
void rvkvm_sbi_vcpu_init(struct kvm_vcpu *vcpu);

/* vcpu_onereg.c */
void rvkvm_onereg_vcpu_init(struct kvm_vcpu *vcpu);
int rvkvm_onereg_get(struct kvm_vcpu *vcpu, const struct kvm_one_reg *reg);
int rvkvm_onereg_set(struct kvm_vcpu *vcpu, const struct kvm_one_reg *reg);
unsigned long rvkvm_onereg_count(struct kvm_vcpu *vcpu);
int rvkvm_onereg_list(struct kvm_vcpu *vcpu, u64 __user *uindices);

/* isa.c */
bool rvkvm_isa_offered(unsigned long kvm_id);
void rvkvm_isa_init(unsigned long *isa);
unsigned long rvkvm_isa_letters_allowed(unsigned long want);
int rvkvm_isa_ext_get(struct kvm_vcpu *vcpu, unsigned long kvm_id,
		      unsigned long *val);
int rvkvm_isa_ext_set(struct kvm_vcpu *vcpu, unsigned long kvm_id,
		      unsigned long val);
bool rvkvm_guest_has_ext(struct kvm_vcpu *vcpu, unsigned int host_ext);

/* vcpu_sbi_fwft.c: SBI FWFT is 7.x's uapi (compat) */
#if RVKVM_LINUX_7
void rvkvm_fwft_detect(void);
void rvkvm_fwft_reset(struct kvm_vcpu *vcpu);
void rvkvm_fwft_prune(struct kvm_vcpu *vcpu);
bool rvkvm_fwft_reg_present(struct kvm_vcpu *vcpu, unsigned long index);
int rvkvm_fwft_reg_get(struct kvm_vcpu *vcpu, unsigned long index,
		       unsigned long *val);
int rvkvm_fwft_reg_set(struct kvm_vcpu *vcpu, unsigned long index,
		       unsigned long val);
#else
static inline void rvkvm_fwft_detect(void) {}
static inline void rvkvm_fwft_reset(struct kvm_vcpu *vcpu) {}
static inline void rvkvm_fwft_prune(struct kvm_vcpu *vcpu) {}
#endif

/* vcpu_sbi_sta.c */
void rvkvm_sta_reset(struct kvm_vcpu *vcpu);
void rvkvm_sta_load(struct kvm_vcpu *vcpu);
void rvkvm_sta_record(struct kvm_vcpu *vcpu);
int rvkvm_sta_reg_get(struct kvm_vcpu *vcpu, unsigned long index,
		      unsigned long *val);
int rvkvm_sta_reg_set(struct kvm_vcpu *vcpu, unsigned long index,
		      unsigned long val);

/* vcpu_timer.c */
void rvkvm_timer_vm_init(struct kvm *kvm);
void rvkvm_timer_vcpu_init(struct kvm_vcpu *vcpu);
void rvkvm_timer_vcpu_reset(struct kvm_vcpu *vcpu);
void rvkvm_timer_vcpu_destroy(struct kvm_vcpu *vcpu);
void rvkvm_timer_load(struct kvm_vcpu *vcpu);
void rvkvm_timer_park_cpu(void);
void rvkvm_timer_put(struct kvm_vcpu *vcpu);
void rvkvm_timer_blocking(struct kvm_vcpu *vcpu);
void rvkvm_timer_unblocking(struct kvm_vcpu *vcpu);
bool rvkvm_timer_pending(struct kvm_vcpu *vcpu);
void rvkvm_timer_sbi_set_timer(struct kvm_vcpu *vcpu, const unsigned long *args);
int rvkvm_timer_reg_get(struct kvm_vcpu *vcpu, unsigned long index, u64 *val);
int rvkvm_timer_reg_set(struct kvm_vcpu *vcpu, unsigned long index, u64 val);

/* mmu.c */
int rvkvm_gstage_detect(void);
int rvkvm_gstage_alloc_pgd(struct kvm *kvm);
void rvkvm_gstage_free_pgd(struct kvm *kvm);
unsigned int rvkvm_gstage_gpa_bits(const struct kvm *kvm);
int rvkvm_gstage_set_gpa_bits(struct kvm *kvm, unsigned long bits);
int rvkvm_gstage_fault(struct kvm_vcpu *vcpu, gpa_t gpa, bool write,
		       bool exec);
void rvkvm_gstage_load_hgatp(struct kvm_vcpu *vcpu);
int rvkvm_gstage_map_device(struct kvm_vcpu *vcpu, gpa_t gpa, phys_addr_t pa);
void rvkvm_gstage_unmap_device(struct kvm *kvm, gpa_t gpa);
void rvkvm_gstage_vcpu_free(struct kvm_vcpu *vcpu);

/* vmid.c */
void rvkvm_vmid_detect(void);
void rvkvm_vmid_init(struct kvm *kvm);
bool rvkvm_vmid_stale(struct kvm *kvm);
void rvkvm_vmid_update(struct kvm_vcpu *vcpu);
unsigned long rvkvm_vmid_hw(struct kvm *kvm);

/* tlb.c */
void rvkvm_local_hfence_gvma_vmid_all(unsigned long vmid);
void rvkvm_local_hfence_gvma_vmid_gpa(unsigned long vmid, gpa_t gpa,
				      gpa_t size);
void rvkvm_local_hfence_gvma_all(void);
void rvkvm_local_hfence_vvma_all(unsigned long vmid);
void rvkvm_vcpus_fence_vvma(struct kvm *kvm, unsigned long *targets,
			    const struct rvkvm_vvma_fence *fence);
void rvkvm_vcpu_tlb_prepare(struct kvm_vcpu *vcpu);
bool rvkvm_vcpu_tlb_enter(struct kvm_vcpu *vcpu);
void rvkvm_guest_access_begin(struct kvm_vcpu *vcpu);
void rvkvm_guest_access_end(struct kvm_vcpu *vcpu);
void rvkvm_vcpu_tlb_forget(struct kvm_vcpu *vcpu);
bool rvkvm_percpu_forget_vcpu(struct kvm_vcpu *__percpu *slot,
			      struct kvm_vcpu *vcpu);

#endif /* __RVKVM_RVKVM_H */
