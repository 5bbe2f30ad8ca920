/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SBI extension table's entry type.  Each extension lives in its own
 * vcpu_sbi_*.c and is listed once in vcpu_sbi.c.
 */
#ifndef __RVKVM_SBI_H
#define __RVKVM_SBI_H

#include <rvkvm/rvkvm.h>
#include <asm/sbi.h>

/* One guest ecall: a7/a6/a0..a5 in, a0 (error) and a1 (value) out. */
struct rvkvm_sbi_call {
	unsigned long eid;
	unsigned long fid;
	unsigned long args[6];
	long error;
	unsigned long value;
	/*
	 * Set by a handler that redirected a trap into the guest, wants
	 * the ecall to run again, or moved the guest elsewhere itself: the
	 * pc and a0/a1 are left as they are.
	 */
	bool trapped;
};

/* The v0.1 legacy calls are extension ids 0 to 8, one per call. */
#define RVKVM_SBI_V01_LAST	0x8

/* No KVM_RISCV_SBI_EXT_* id: always on, userspace cannot disable it. */
#define RVKVM_SBI_ALWAYS	(-1)

struct rvkvm_sbi_ext {
	unsigned long eid_first;
	unsigned long eid_last;
	int kvm_id;		/* KVM_RISCV_SBI_EXT_* or RVKVM_SBI_ALWAYS */
	bool default_off;	/* userspace must enable it */
	/* NULL: available wherever the module is. */
	bool (*probe)(struct kvm_vcpu *vcpu);
	/*
	 * RVKVM_RESUME with call->error/value set, RVKVM_TO_USER after
	 * filling vcpu->run, or a -errno for KVM_RUN.
	 */
	int (*handle)(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call);
	/*
	 * May @handle run for @call in the exit fast path (interrupts
	 * off)?  Only if it then neither sleeps, nor needs kvm->srcu, nor
	 * waits for another hart.  NULL: never.
	 */
	bool (*fast)(struct kvm_vcpu *vcpu, const struct rvkvm_sbi_call *call);
};

/* vcpu_sbi.c */
bool rvkvm_sbi_fast_always(struct kvm_vcpu *vcpu,
			   const struct rvkvm_sbi_call *call);
int rvkvm_sbi_forward(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call);
const struct rvkvm_sbi_ext *rvkvm_sbi_find(struct kvm_vcpu *vcpu,
					   unsigned long eid);
long rvkvm_sbi_hart_mask(struct kvm *kvm, unsigned long hmask,
			 unsigned long hbase, unsigned long *vcpus);

/* vcpu_sbi_remote.c, vcpu_sbi_srst.c: shared with the v0.1 calls */
void rvkvm_sbi_send_ipi(struct kvm_vcpu *vcpu, const unsigned long *targets);
void rvkvm_sbi_remote_fence(struct kvm_vcpu *vcpu, unsigned long fid,
			    unsigned long *targets, const unsigned long *range);
int rvkvm_sbi_system_event(struct kvm_vcpu *vcpu, u32 event, u64 reason);

/* vcpu_sbi_hsm.c: shared with SUSP */
void rvkvm_hsm_boot_at(struct kvm_vcpu *t, unsigned long pc, unsigned long a1);
bool rvkvm_hsm_addr_ok(struct kvm_vcpu *vcpu, unsigned long addr);

extern const struct rvkvm_sbi_ext rvkvm_sbi_base;
extern const struct rvkvm_sbi_ext rvkvm_sbi_hsm;
extern const struct rvkvm_sbi_ext rvkvm_sbi_srst;
extern const struct rvkvm_sbi_ext rvkvm_sbi_ipi;
extern const struct rvkvm_sbi_ext rvkvm_sbi_rfence;
extern const struct rvkvm_sbi_ext rvkvm_sbi_time;	/* vcpu_timer.c */
extern const struct rvkvm_sbi_ext rvkvm_sbi_sta;
extern const struct rvkvm_sbi_ext rvkvm_sbi_v01;
extern const struct rvkvm_sbi_ext rvkvm_sbi_pmu;
extern const struct rvkvm_sbi_ext rvkvm_sbi_susp;	/* 7.x only */
extern const struct rvkvm_sbi_ext rvkvm_sbi_fwft;	/* 7.x only */

#endif /* __RVKVM_SBI_H */
