/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide declarations of rvkvm.  Include first in every rvkvm file:
 * it sets the log prefix before printk.h is seen.
 */
#ifndef __RVKVM_RVKVM_H
#define __RVKVM_RVKVM_H

#define pr_fmt(fmt) "rvkvm: " fmt

#include <linux/kvm_host.h>

/* What the host offers, found once at module load (main.c). */
struct rvkvm_host {
	unsigned long gstage_mode;	/* HGATP_MODE_* */
	unsigned int gstage_levels;	/* page-table levels, root included */
	unsigned int gpa_bits;		/* guest-physical address width */
	unsigned int vmid_bits;		/* 0: no VMIDs, flush on every switch */
};

extern struct rvkvm_host rvkvm_host;

/* layout.c */
int rvkvm_layout_check(void);

/* mmu.c */
int rvkvm_gstage_detect(void);
int rvkvm_gstage_alloc_pgd(struct kvm *kvm);
void rvkvm_gstage_free_pgd(struct kvm *kvm);

/* vmid.c */
void rvkvm_vmid_detect(void);
void rvkvm_vmid_init(struct kvm *kvm);

#endif /* __RVKVM_RVKVM_H */
