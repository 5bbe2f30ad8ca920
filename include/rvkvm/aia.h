/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel AIA of a VM: its device (aia_device.c), its APLIC
 * (aia_aplic.c) and one IMSIC interrupt file per vCPU (aia_imsic.c).
 */
#ifndef __RVKVM_AIA_H
#define __RVKVM_AIA_H

#include <linux/kvm_host.h>

#define RVKVM_AIA_NO_ADDR	(~0ULL)

static inline u32 rvkvm_aia_cfg(const struct kvm *kvm, unsigned int attr)
{
	return kvm->arch.aia.config[attr];
}

static inline bool rvkvm_aia_ready(const struct kvm *kvm)
{
	/* Pairs with the release in CTRL_INIT: the chip is built before. */
	return smp_load_acquire(&kvm->arch.aia.ready);
}

/* A vCPU's IMSIC file, once the chip is ready; NULL without one. */
static inline struct rvkvm_imsic *rvkvm_vcpu_imsic(struct kvm_vcpu *vcpu)
{
	return rvkvm_aia_ready(vcpu->kvm) ? vcpu->arch.vaia.imsic : NULL;
}

/* aia_device.c */
int rvkvm_aia_register(void);
void rvkvm_aia_unregister(void);
void rvkvm_aia_vm_init(struct kvm *kvm);
void rvkvm_aia_vm_destroy(struct kvm *kvm);
void rvkvm_aia_vcpu_init(struct kvm_vcpu *vcpu);
void rvkvm_aia_vcpu_destroy(struct kvm_vcpu *vcpu);
u64 rvkvm_aia_imsic_base(struct kvm *kvm, u64 addr);

/* irq.c */
int rvkvm_aia_default_routes(struct kvm *kvm, u32 srcs);

/* aia_imsic.c */
int rvkvm_imsic_create(struct kvm_vcpu *vcpu);
void rvkvm_imsic_destroy(struct kvm_vcpu *vcpu);
int rvkvm_imsic_deliver(struct kvm *kvm, u64 addr, u32 data);
int rvkvm_imsic_attr(struct kvm_vcpu *vcpu, u32 isel, unsigned long *val,
		     bool write);
int rvkvm_imsic_isel_check(struct kvm_vcpu *vcpu, u32 isel);
int rvkvm_imsic_update(struct kvm_vcpu *vcpu);
bool rvkvm_imsic_enter(struct kvm_vcpu *vcpu);
void rvkvm_imsic_exit(struct kvm_vcpu *vcpu);
void rvkvm_imsic_sgei(struct kvm_vcpu *vcpu);
bool rvkvm_imsic_pending(struct kvm_vcpu *vcpu);
int rvkvm_imsic_csr_sireg(struct kvm_vcpu *vcpu, unsigned int csr,
			  unsigned long *val, unsigned long new_val,
			  unsigned long wr_mask, bool fast);
int rvkvm_imsic_csr_stopei(struct kvm_vcpu *vcpu, unsigned int csr,
			   unsigned long *val, unsigned long new_val,
			   unsigned long wr_mask, bool fast);

/* aia_aplic.c */
int rvkvm_aplic_create(struct kvm *kvm);
void rvkvm_aplic_destroy(struct kvm *kvm);
int rvkvm_aplic_set_line(struct kvm *kvm, u32 source, bool level);
int rvkvm_aplic_attr(struct kvm *kvm, u32 offset, u32 *val, bool write);

#endif /* __RVKVM_AIA_H */
