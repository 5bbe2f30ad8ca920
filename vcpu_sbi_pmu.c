// SPDX-License-Identifier: GPL-2.0
/*
 * SBI PMU: the guest's calls about its counters, decoded from the
 * registers and handed to vcpu_pmu.c.  Offered only to vCPUs that have
 * counters (a host with the SBI PMU perf driver and Sscofpmf).
 */
#include <rvkvm/sbi.h>
#include <rvkvm/pmu.h>

/* a0..a5 of the call, by name. */
#define CBASE(c)	((c)->args[0])
#define CMASK(c)	((c)->args[1])

static long rvkvm_sbi_pmu_num(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *c)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;

	c->value = pmu->num_hw + pmu->num_fw;
	return SBI_SUCCESS;
}

static long rvkvm_sbi_pmu_info(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *c)
{
	return rvkvm_pmu_get_info(vcpu, c->args[0], &c->value);
}

static long rvkvm_sbi_pmu_match(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *c)
{
	/* RV32 passes the 64-bit event data in a4 (low) and a5 (high). */
	u64 edata = c->args[4];

	if (!IS_ENABLED(CONFIG_64BIT))
		edata |= (u64)c->args[5] << 32;
	return rvkvm_pmu_config(vcpu, CBASE(c), CMASK(c), c->args[2],
				c->args[3], edata, &c->value);
}

static long rvkvm_sbi_pmu_start(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *c)
{
	u64 ival = c->args[3];

	if (!IS_ENABLED(CONFIG_64BIT))
		ival |= (u64)c->args[4] << 32;
	return rvkvm_pmu_start(vcpu, CBASE(c), CMASK(c), c->args[2], ival);
}

static long rvkvm_sbi_pmu_stop(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *c)
{
	return rvkvm_pmu_stop(vcpu, CBASE(c), CMASK(c), c->args[2]);
}

static long rvkvm_sbi_pmu_fw_read(struct kvm_vcpu *vcpu,
				  struct rvkvm_sbi_call *c)
{
	return rvkvm_pmu_fw_read(vcpu, c->args[0], &c->value);
}

/*
 * The upper half of a firmware counter, for RV32.  On RV64 the spec
 * has it read 0 (6.12 answers 0 for any index there).
 */
static long rvkvm_sbi_pmu_fw_read_hi(struct kvm_vcpu *vcpu,
				     struct rvkvm_sbi_call *c)
{
	unsigned long lo;
	long err = rvkvm_pmu_fw_read(vcpu, c->args[0], &lo);

	c->value = 0;
	if (!IS_ENABLED(CONFIG_64BIT) && !err)
		c->value = upper_32_bits(lo);
	return err;
}

static long rvkvm_sbi_pmu_shmem(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *c)
{
	return rvkvm_pmu_set_shmem(vcpu, c->args[0], c->args[1], c->args[2]);
}

/* By function id; ids past the end (event_get_info, ...) are not offered. */
static long (*const rvkvm_sbi_pmu_fns[])(struct kvm_vcpu *vcpu,
					 struct rvkvm_sbi_call *c) = {
	[SBI_EXT_PMU_NUM_COUNTERS]	= rvkvm_sbi_pmu_num,
	[SBI_EXT_PMU_COUNTER_GET_INFO]	= rvkvm_sbi_pmu_info,
	[SBI_EXT_PMU_COUNTER_CFG_MATCH]	= rvkvm_sbi_pmu_match,
	[SBI_EXT_PMU_COUNTER_START]	= rvkvm_sbi_pmu_start,
	[SBI_EXT_PMU_COUNTER_STOP]	= rvkvm_sbi_pmu_stop,
	[SBI_EXT_PMU_COUNTER_FW_READ]	= rvkvm_sbi_pmu_fw_read,
	[SBI_EXT_PMU_COUNTER_FW_READ_HI] = rvkvm_sbi_pmu_fw_read_hi,
	[SBI_EXT_PMU_SNAPSHOT_SET_SHMEM] = rvkvm_sbi_pmu_shmem,
};

static int rvkvm_sbi_pmu_handle(struct kvm_vcpu *vcpu,
				struct rvkvm_sbi_call *call)
{
	if (call->fid >= ARRAY_SIZE(rvkvm_sbi_pmu_fns))
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	call->value = 0;
	call->error = rvkvm_sbi_pmu_fns[call->fid](vcpu, call);
	return RVKVM_RESUME;
}

static bool rvkvm_sbi_pmu_probe(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.pmu;
}

const struct rvkvm_sbi_ext rvkvm_sbi_pmu = {
	.eid_first = SBI_EXT_PMU,
	.eid_last = SBI_EXT_PMU,
	.kvm_id = KVM_RISCV_SBI_EXT_PMU,
	.probe = rvkvm_sbi_pmu_probe,
	.handle = rvkvm_sbi_pmu_handle,
};
