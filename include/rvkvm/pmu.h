/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's performance counters (SBI PMU): vcpu_pmu.c keeps them,
 * vcpu_sbi_pmu.c answers the guest's calls about them.
 */
#ifndef __RVKVM_PMU_H
#define __RVKVM_PMU_H

#include <rvkvm/rvkvm.h>
#include <asm/sbi.h>

/*
 * The SBI counter index space: hardware counters first (0 is cycle, 1
 * the time CSR, never a PMU counter, 2 instret, then the programmable
 * ones), firmware counters after them.  The spec caps the whole at 64.
 */
#define RVKVM_PMU_MAX_HW	32
#define RVKVM_PMU_MAX		64
static_assert(RVKVM_PMU_MAX_HW + SBI_PMU_FW_MAX <= RVKVM_PMU_MAX);

/*
 * One virtual counter.  Its value is @value plus whatever its source
 * (the perf event, or the firmware event's tally) counted since @mark,
 * wrapped to @width + 1 bits; start and stop fold the difference in.
 */
struct rvkvm_pmc {
	struct perf_event *event;	/* hardware counters, once configured */
	struct kvm_vcpu *vcpu;		/* for the overflow handler */
	u64 value;
	u64 mark;
	unsigned long eidx;		/* SBI event index it counts */
	u8 width;			/* bits - 1, as counter_get_info says */
	bool started;
	bool wrap_in_reach;		/* the perf period ends at the wrap */
};

struct rvkvm_pmu {
	unsigned int num_hw;		/* hardware counters, time included */
	unsigned int num_fw;
	DECLARE_BITMAP(configured, RVKVM_PMU_MAX);
	DECLARE_BITMAP(overflown, RVKVM_PMU_MAX);	/* since last start */
	struct rvkvm_pmc pmc[RVKVM_PMU_MAX];
	/* Firmware events of this vCPU so far; other vCPUs add to them. */
	atomic64_t fw_tally[SBI_PMU_FW_MAX];
	gpa_t shmem;			/* snapshot area, or INVALID_GPA */
};

/* vcpu_pmu.c */
int rvkvm_pmu_vcpu_create(struct kvm_vcpu *vcpu);
void rvkvm_pmu_vcpu_reset(struct kvm_vcpu *vcpu);
void rvkvm_pmu_vcpu_destroy(struct kvm_vcpu *vcpu);
void rvkvm_pmu_enable_cpu(void);
void rvkvm_pmu_disable_cpu(void);
void rvkvm_pmu_fw_event(struct kvm_vcpu *vcpu, unsigned int code);
int rvkvm_pmu_csr_read(struct kvm_vcpu *vcpu, unsigned int csr,
		       unsigned long *val, unsigned long new_val,
		       unsigned long wr_mask, bool fast);
long rvkvm_pmu_get_info(struct kvm_vcpu *vcpu, unsigned long cidx,
			unsigned long *info);
long rvkvm_pmu_config(struct kvm_vcpu *vcpu, unsigned long cbase,
		      unsigned long cmask, unsigned long flags,
		      unsigned long eidx, u64 edata, unsigned long *cidx);
long rvkvm_pmu_start(struct kvm_vcpu *vcpu, unsigned long cbase,
		     unsigned long cmask, unsigned long flags, u64 ival);
long rvkvm_pmu_stop(struct kvm_vcpu *vcpu, unsigned long cbase,
		    unsigned long cmask, unsigned long flags);
long rvkvm_pmu_fw_read(struct kvm_vcpu *vcpu, unsigned long cidx,
		       unsigned long *val);
long rvkvm_pmu_set_shmem(struct kvm_vcpu *vcpu, unsigned long lo,
			 unsigned long hi, unsigned long flags);

#endif /* __RVKVM_PMU_H */
