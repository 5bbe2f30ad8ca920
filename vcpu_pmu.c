// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's performance counters.  Hardware counters are host perf
 * events that count only while this vCPU's thread is in the guest
 * (Sscofpmf mode filtering); firmware counters count SBI work this
 * module does for the guest.  Counter indices are virtual: the hpmcounter
 * CSR a counter reports is CSR_CYCLE plus its index, whatever host
 * counter perf picks, and every guest read of it traps here.
 */
#include <rvkvm/pmu.h>
#include <linux/perf_event.h>
#include <linux/perf/riscv_pmu.h>
#include <asm/cpufeature.h>

#define RVKVM_PMU_TIME		1	/* counter 1 is the time CSR */
#define RVKVM_PMU_WIDTH_64	63	/* cycle, instret, firmware */

/* The SBI event index: a type in bits 19:16, a code in bits 15:0. */
static unsigned int rvkvm_pmu_etype(unsigned long eidx)
{
	return (eidx & SBI_PMU_EVENT_IDX_TYPE_MASK) >> 16;
}

static unsigned int rvkvm_pmu_ecode(unsigned long eidx)
{
	return eidx & SBI_PMU_EVENT_IDX_CODE_MASK;
}

/* SBI's general hardware events, by code, as perf names them. */
static const struct {
	u16 sbi;
	u8 perf;
} rvkvm_pmu_hw_events[] = {
	{ SBI_PMU_HW_CPU_CYCLES,		PERF_COUNT_HW_CPU_CYCLES },
	{ SBI_PMU_HW_INSTRUCTIONS,		PERF_COUNT_HW_INSTRUCTIONS },
	{ SBI_PMU_HW_CACHE_REFERENCES,		PERF_COUNT_HW_CACHE_REFERENCES },
	{ SBI_PMU_HW_CACHE_MISSES,		PERF_COUNT_HW_CACHE_MISSES },
	{ SBI_PMU_HW_BRANCH_INSTRUCTIONS,	PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ SBI_PMU_HW_BRANCH_MISSES,		PERF_COUNT_HW_BRANCH_MISSES },
	{ SBI_PMU_HW_BUS_CYCLES,		PERF_COUNT_HW_BUS_CYCLES },
	{ SBI_PMU_HW_STALLED_CYCLES_FRONTEND,	PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
	{ SBI_PMU_HW_STALLED_CYCLES_BACKEND,	PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
	{ SBI_PMU_HW_REF_CPU_CYCLES,		PERF_COUNT_HW_REF_CPU_CYCLES },
};

/*
 * A cache event code packs cache id (bits 15:3), operation (2:1) and
 * result (0); perf wants them a byte apart.
 */
static bool rvkvm_pmu_cache_config(unsigned int code, u64 *config)
{
	unsigned int id = code >> 3, op = (code >> 1) & 3, result = code & 1;

	if (id >= PERF_COUNT_HW_CACHE_MAX || op >= PERF_COUNT_HW_CACHE_OP_MAX ||
	    result >= PERF_COUNT_HW_CACHE_RESULT_MAX)
		return false;
	*config = id | (op << 8) | (result << 16);
	return true;
}

/*
 * The perf type and config of a hardware-counter event, false for one
 * this PMU cannot count.  @edata carries a raw event's selector.
 */
static bool rvkvm_pmu_perf_config(unsigned long eidx, u64 edata, u32 *type,
				  u64 *config)
{
	unsigned int code = rvkvm_pmu_ecode(eidx);
	int i;

	if (eidx & ~SBI_PMU_EVENT_IDX_MASK)
		return false;
	switch (rvkvm_pmu_etype(eidx)) {
	case SBI_PMU_EVENT_TYPE_HW:
		*type = PERF_TYPE_HARDWARE;
		for (i = 0; i < ARRAY_SIZE(rvkvm_pmu_hw_events); i++) {
			if (rvkvm_pmu_hw_events[i].sbi == code) {
				*config = rvkvm_pmu_hw_events[i].perf;
				return true;
			}
		}
		return false;
	case SBI_PMU_EVENT_TYPE_CACHE:
		*type = PERF_TYPE_HW_CACHE;
		return rvkvm_pmu_cache_config(code, config);
	case SBI_PMU_EVENT_TYPE_RAW:
		*type = PERF_TYPE_RAW;
		*config = edata & RISCV_PMU_RAW_EVENT_MASK;
		return code == 0;
	default:
		return false;
	}
}

static bool rvkvm_pmu_is_fw_event(unsigned long eidx)
{
	return rvkvm_pmu_etype(eidx) == SBI_PMU_EVENT_TYPE_FW;
}

static bool rvkvm_pmu_is_fw(struct rvkvm_pmu *pmu, unsigned int cidx)
{
	return cidx >= pmu->num_hw;
}

static unsigned int rvkvm_pmu_count(struct rvkvm_pmu *pmu)
{
	return pmu->num_hw + pmu->num_fw;
}

/* Is @cidx a counter of this vCPU (time is not one)? */
static bool rvkvm_pmu_valid(struct rvkvm_pmu *pmu, unsigned long cidx)
{
	return cidx < rvkvm_pmu_count(pmu) && cidx != RVKVM_PMU_TIME;
}

static u64 rvkvm_pmu_mask(struct rvkvm_pmc *pmc)
{
	return GENMASK_ULL(pmc->width, 0);
}

/*
 * What the counter's source has counted so far, in its own terms, into
 * *@count.  False only with @fast (the exit fast path, interrupts off)
 * where perf's event is not counting on this hart: perf_event_read_value()
 * may sleep, and perf's irq-safe reader is not exported.  An event
 * counting on this hart (a task event of this vCPU thread) needs no
 * other: nothing can schedule it out or change its count meanwhile, as
 * both need this hart's interrupts, and, made for one task, it has no
 * inherited children to add.
 */
static bool __rvkvm_hot rvkvm_pmu_source_read(struct rvkvm_pmu *pmu,
					      struct rvkvm_pmc *pmc, bool fast, u64 *count)
{
	struct perf_event *event = pmc->event;
	u64 enabled, running;

	*count = 0;
	if (rvkvm_pmu_is_fw_event(pmc->eidx)) {
		*count = atomic64_read(&pmu->fw_tally[rvkvm_pmu_ecode(pmc->eidx)]);
		return true;
	}
	if (!event)
		return true;
	if (!fast) {
		*count = perf_event_read_value(event, &enabled, &running);
		return true;
	}
	if (READ_ONCE(event->state) != PERF_EVENT_STATE_ACTIVE ||
	    READ_ONCE(event->oncpu) != smp_processor_id())
		return false;
	event->pmu->read(event);
	*count = local64_read(&event->count);
	return true;
}

static u64 rvkvm_pmu_source(struct rvkvm_pmu *pmu, struct rvkvm_pmc *pmc)
{
	u64 count;

	rvkvm_pmu_source_read(pmu, pmc, false, &count);
	return count;
}

/* The counter's value into *@val; false as rvkvm_pmu_source_read(). */
static bool __rvkvm_hot rvkvm_pmu_read(struct rvkvm_pmu *pmu, struct rvkvm_pmc *pmc,
				       bool fast, u64 *val)
{
	u64 src;

	*val = pmc->value;
	if (!pmc->started)
		return true;
	if (!rvkvm_pmu_source_read(pmu, pmc, fast, &src))
		return false;
	*val = (pmc->value + src - pmc->mark) & rvkvm_pmu_mask(pmc);
	return true;
}

static u64 rvkvm_pmu_value(struct rvkvm_pmu *pmu, struct rvkvm_pmc *pmc)
{
	u64 val;

	rvkvm_pmu_read(pmu, pmc, false, &val);
	return val;
}

/* Fold what was counted into @value and count on from here. */
static void rvkvm_pmu_fold(struct rvkvm_pmu *pmu, struct rvkvm_pmc *pmc)
{
	pmc->value = rvkvm_pmu_value(pmu, pmc);
	pmc->mark = rvkvm_pmu_source(pmu, pmc);
}

/*
 * Events until the counter wraps.  perf refuses periods with bit 63 set;
 * a longer wait than that never ends in practice, so its end is no
 * overflow.
 */
static u64 rvkvm_pmu_period(struct rvkvm_pmc *pmc)
{
	u64 left = (-pmc->value) & rvkvm_pmu_mask(pmc);

	pmc->wrap_in_reach = left && left <= S64_MAX;
	return pmc->wrap_in_reach ? left : S64_MAX;
}

static bool rvkvm_pmu_host_ok(void)
{
	/* Without mode filtering the host's own work would count too. */
	return riscv_isa_extension_available(NULL, SSCOFPMF);
}

/*
 * Counter overflow: perf calls this from the host's counter interrupt
 * when the period ends.  The guest sees it as LCOFI, once per start,
 * if its ISA has Sscofpmf.
 */
static void rvkvm_pmu_overflow(struct perf_event *event,
			       struct perf_sample_data *data,
			       struct pt_regs *regs)
{
	struct rvkvm_pmc *pmc = event->overflow_handler_context;
	struct kvm_vcpu *vcpu = pmc->vcpu;
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;

	if (!pmc->wrap_in_reach)
		return;
	if (test_and_set_bit(pmc - pmu->pmc, pmu->overflown))
		return;
	if (rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SSCOFPMF))
		rvkvm_vcpu_set_irq(vcpu, IRQ_PMU_OVF, true);
}

static void rvkvm_pmu_release(struct rvkvm_pmc *pmc)
{
	if (!pmc->event)
		return;
	perf_event_release_kernel(pmc->event);
	pmc->event = NULL;
}

/*
 * A perf event for @pmc counting @eidx for the guest's privilege levels
 * that @flags does not inhibit, disabled until the counter starts.  It
 * is not installed: the counter keeps its old event until the caller
 * knows the new one exists.
 */
static struct perf_event *rvkvm_pmu_perf_create(struct rvkvm_pmc *pmc,
						unsigned long flags,
						unsigned long eidx, u64 edata)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.disabled = 1,
		.pinned = 1,
		.exclude_host = 1,
		.exclude_hv = 1,
		.exclude_kernel = !!(flags & SBI_PMU_CFG_FLAG_SET_SINH),
		.exclude_user = !!(flags & SBI_PMU_CFG_FLAG_SET_UINH),
		/* Tells the SBI PMU driver to filter on VS/VU, not S/U. */
		.config1 = RISCV_PMU_CONFIG1_GUEST_EVENTS,
	};

	if (!rvkvm_pmu_perf_config(eidx, edata, &attr.type, &attr.config))
		return ERR_PTR(-EOPNOTSUPP);
	attr.sample_period = rvkvm_pmu_period(pmc);
	/* Counted for this thread, which is the vCPU's. */
	return perf_event_create_kernel_counter(&attr, -1, current,
						rvkvm_pmu_overflow, pmc);
}

/* Counter mask -------------------------------------------------------- */

/*
 * @cbase and @cmask name counters cbase + i for each set bit i; all of
 * them must exist.
 */
static bool rvkvm_pmu_mask_ok(struct rvkvm_pmu *pmu, unsigned long cbase,
			      unsigned long cmask)
{
	unsigned int n = rvkvm_pmu_count(pmu);

	return cmask && cbase < n && __fls(cmask) < n - cbase;
}

/* May counter @cidx count @eidx at all? */
static bool rvkvm_pmu_fits(struct rvkvm_pmu *pmu, unsigned int cidx,
			   unsigned long eidx)
{
	if (!rvkvm_pmu_valid(pmu, cidx))
		return false;
	if (rvkvm_pmu_is_fw_event(eidx))
		return rvkvm_pmu_is_fw(pmu, cidx);
	if (rvkvm_pmu_is_fw(pmu, cidx))
		return false;
	/* cycle and instret are fixed to their one event each. */
	if (cidx == 0)
		return eidx == SBI_PMU_HW_CPU_CYCLES;
	if (cidx == 2)
		return eidx == SBI_PMU_HW_INSTRUCTIONS;
	return true;
}

/* The first free counter of the set that can count @eidx, or -1. */
static int rvkvm_pmu_pick(struct rvkvm_pmu *pmu, unsigned long cbase,
			  unsigned long cmask, unsigned long eidx)
{
	unsigned long i;

	for_each_set_bit(i, &cmask, BITS_PER_LONG)
		if (!test_bit(cbase + i, pmu->configured) &&
		    rvkvm_pmu_fits(pmu, cbase + i, eidx))
			return cbase + i;
	return -1;
}

/* SBI calls ----------------------------------------------------------- */

/**
 * rvkvm_pmu_get_info() - SBI counter_get_info
 * @vcpu: the vCPU
 * @cidx: counter index
 * @info: the counter's union sbi_pmu_ctr_info
 *
 * Return: SBI_SUCCESS or SBI_ERR_INVALID_PARAM.
 */
long rvkvm_pmu_get_info(struct kvm_vcpu *vcpu, unsigned long cidx,
			unsigned long *info)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	union sbi_pmu_ctr_info ci = { .value = 0 };

	if (!rvkvm_pmu_valid(pmu, cidx))
		return SBI_ERR_INVALID_PARAM;
	ci.width = pmu->pmc[cidx].width;
	if (rvkvm_pmu_is_fw(pmu, cidx))
		ci.type = SBI_PMU_CTR_TYPE_FW;
	else
		ci.csr = CSR_CYCLE + cidx;
	*info = ci.value;
	return SBI_SUCCESS;
}

static void rvkvm_pmu_begin(struct rvkvm_pmu *pmu, struct rvkvm_pmc *pmc)
{
	pmc->mark = rvkvm_pmu_source(pmu, pmc);
	clear_bit(pmc - pmu->pmc, pmu->overflown);
	if (pmc->event) {
		perf_event_period(pmc->event, rvkvm_pmu_period(pmc));
		perf_event_enable(pmc->event);
	}
	pmc->started = true;
}

static void rvkvm_pmu_end(struct rvkvm_pmu *pmu, struct rvkvm_pmc *pmc)
{
	if (pmc->event)
		perf_event_disable(pmc->event);
	rvkvm_pmu_fold(pmu, pmc);
	pmc->started = false;
}

/**
 * rvkvm_pmu_config() - SBI counter_config_matching
 * @vcpu: the vCPU, in its thread
 * @cbase: first counter of the set
 * @cmask: the set, relative to @cbase
 * @flags: SBI_PMU_CFG_FLAG_*
 * @eidx: the SBI event index
 * @edata: event data (a raw event's selector)
 * @cidx: the counter chosen
 *
 * With SKIP_MATCH the first counter of the set is taken as it is, as the
 * spec says; otherwise the first free one that can count the event.
 *
 * Return: an SBI error code.
 */
long rvkvm_pmu_config(struct kvm_vcpu *vcpu, unsigned long cbase,
		      unsigned long cmask, unsigned long flags,
		      unsigned long eidx, u64 edata, unsigned long *cidx)
{
	bool fw = rvkvm_pmu_is_fw_event(eidx);
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	struct perf_event *event = NULL;
	struct rvkvm_pmc *pmc;
	u64 config;
	u32 type;
	int i;

	if (!rvkvm_pmu_mask_ok(pmu, cbase, cmask))
		return SBI_ERR_INVALID_PARAM;
	/* An event nobody can count leaves every counter as it was. */
	if (fw ? rvkvm_pmu_ecode(eidx) >= SBI_PMU_FW_MAX :
		 !rvkvm_pmu_perf_config(eidx, edata, &type, &config))
		return SBI_ERR_NOT_SUPPORTED;

	if (flags & SBI_PMU_CFG_FLAG_SKIP_MATCH) {
		i = cbase + __ffs(cmask);
		if (!rvkvm_pmu_fits(pmu, i, eidx))
			return SBI_ERR_NOT_SUPPORTED;
	} else {
		i = rvkvm_pmu_pick(pmu, cbase, cmask, eidx);
		if (i < 0)
			return SBI_ERR_NOT_SUPPORTED;
	}
	pmc = &pmu->pmc[i];
	/* Failing here leaves the counter (SKIP_MATCH: configured) as it was. */
	if (!fw) {
		event = rvkvm_pmu_perf_create(pmc, flags, eidx, edata);
		if (IS_ERR(event))
			return SBI_ERR_NOT_SUPPORTED;
	}
	if (pmc->started)
		rvkvm_pmu_end(pmu, pmc);
	rvkvm_pmu_release(pmc);
	pmc->event = event;
	if (flags & SBI_PMU_CFG_FLAG_CLEAR_VALUE)
		pmc->value = 0;
	pmc->eidx = eidx;
	set_bit(i, pmu->configured);
	if (flags & SBI_PMU_CFG_FLAG_AUTO_START)
		rvkvm_pmu_begin(pmu, pmc);
	*cidx = i;
	return SBI_SUCCESS;
}

/* The snapshot area's counter value @i, or its overflow mask. */
static gpa_t rvkvm_pmu_snap_value(struct rvkvm_pmu *pmu, unsigned long i)
{
	return pmu->shmem + offsetof(struct riscv_pmu_snapshot_data,
				     ctr_values[i]);
}

static gpa_t rvkvm_pmu_snap_ovf(struct rvkvm_pmu *pmu)
{
	return pmu->shmem + offsetof(struct riscv_pmu_snapshot_data,
				     ctr_overflow_mask);
}

/**
 * rvkvm_pmu_start() - SBI counter_start
 * @vcpu: the vCPU, in its thread
 * @cbase: first counter of the set
 * @cmask: the set, relative to @cbase
 * @flags: SBI_PMU_START_FLAG_*
 * @ival: initial value, with SET_INIT_VALUE
 *
 * Counters of the set that are not configured are passed over, as 6.12
 * does; one already running makes the answer ALREADY_STARTED, the rest
 * still start.  INIT_SNAPSHOT takes each initial value from the snapshot
 * area, at the counter's place relative to @cbase.
 *
 * Return: an SBI error code.
 */
long rvkvm_pmu_start(struct kvm_vcpu *vcpu, unsigned long cbase,
		     unsigned long cmask, unsigned long flags, u64 ival)
{
	bool from_snap = flags & SBI_PMU_START_FLAG_INIT_SNAPSHOT;
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	long ret = SBI_SUCCESS;
	struct rvkvm_pmc *pmc;
	unsigned long i;
	u64 v;

	if (!rvkvm_pmu_mask_ok(pmu, cbase, cmask))
		return SBI_ERR_INVALID_PARAM;
	if (from_snap && pmu->shmem == INVALID_GPA)
		return SBI_ERR_NO_SHMEM;

	for_each_set_bit(i, &cmask, BITS_PER_LONG) {
		if (!test_bit(cbase + i, pmu->configured))
			continue;
		pmc = &pmu->pmc[cbase + i];
		if (pmc->started) {
			ret = SBI_ERR_ALREADY_STARTED;
			continue;
		}
		if (flags & SBI_PMU_START_FLAG_SET_INIT_VALUE) {
			pmc->value = ival & rvkvm_pmu_mask(pmc);
		} else if (from_snap) {
			if (kvm_vcpu_read_guest(vcpu,
						rvkvm_pmu_snap_value(pmu, i),
						&v, sizeof(v)))
				return SBI_ERR_FAILURE;
			pmc->value = v & rvkvm_pmu_mask(pmc);
		}
		rvkvm_pmu_begin(pmu, pmc);
	}
	return ret;
}

/* Record counter @i (relative to the call's base) in the snapshot area. */
static int rvkvm_pmu_snap_save(struct kvm_vcpu *vcpu, unsigned long i,
			       u64 value, bool overflown)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	u64 mask;

	if (kvm_vcpu_write_guest(vcpu, rvkvm_pmu_snap_value(pmu, i), &value,
				 sizeof(value)) ||
	    kvm_vcpu_read_guest(vcpu, rvkvm_pmu_snap_ovf(pmu), &mask,
				sizeof(mask)))
		return -EFAULT;
	if (overflown)
		mask |= BIT_ULL(i);
	else
		mask &= ~BIT_ULL(i);
	return kvm_vcpu_write_guest(vcpu, rvkvm_pmu_snap_ovf(pmu), &mask,
				    sizeof(mask));
}

/**
 * rvkvm_pmu_stop() - SBI counter_stop
 * @vcpu: the vCPU, in its thread
 * @cbase: first counter of the set
 * @cmask: the set, relative to @cbase
 * @flags: SBI_PMU_STOP_FLAG_*
 *
 * A counter already stopped makes the answer ALREADY_STOPPED, and is
 * still reset or recorded if asked.  TAKE_SNAPSHOT writes each value
 * and overflow bit at its place relative to @cbase; RESET frees the
 * counter (and forgets its overflow).
 *
 * Return: an SBI error code.
 */
long rvkvm_pmu_stop(struct kvm_vcpu *vcpu, unsigned long cbase,
		    unsigned long cmask, unsigned long flags)
{
	bool to_snap = flags & SBI_PMU_STOP_FLAG_TAKE_SNAPSHOT;
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	long ret = SBI_SUCCESS;
	struct rvkvm_pmc *pmc;
	unsigned long i, c;

	if (!rvkvm_pmu_mask_ok(pmu, cbase, cmask))
		return SBI_ERR_INVALID_PARAM;
	if (to_snap && pmu->shmem == INVALID_GPA)
		return SBI_ERR_NO_SHMEM;

	for_each_set_bit(i, &cmask, BITS_PER_LONG) {
		c = cbase + i;
		if (!test_bit(c, pmu->configured))
			continue;
		pmc = &pmu->pmc[c];
		if (pmc->started)
			rvkvm_pmu_end(pmu, pmc);
		else
			ret = SBI_ERR_ALREADY_STOPPED;
		if (flags & SBI_PMU_STOP_FLAG_RESET) {
			rvkvm_pmu_release(pmc);
			clear_bit(c, pmu->configured);
			clear_bit(c, pmu->overflown);
			pmc->eidx = SBI_PMU_EVENT_IDX_INVALID;
		}
		if (to_snap &&
		    rvkvm_pmu_snap_save(vcpu, i, pmc->value,
					test_bit(c, pmu->overflown)))
			return SBI_ERR_FAILURE;
	}
	return ret;
}

/**
 * rvkvm_pmu_fw_read() - SBI counter_fw_read
 * @vcpu: the vCPU
 * @cidx: a firmware counter: on 7.x a configured one (compat: 6.12's
 *	module and selftests read unconfigured ones too, 7.2's refuse them)
 * @val: its value
 *
 * Return: SBI_SUCCESS, or SBI_ERR_INVALID_PARAM for any other counter.
 */
long rvkvm_pmu_fw_read(struct kvm_vcpu *vcpu, unsigned long cidx,
		       unsigned long *val)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;

	if (!rvkvm_pmu_valid(pmu, cidx) || !rvkvm_pmu_is_fw(pmu, cidx) ||
	    (RVKVM_LINUX_7 && !test_bit(cidx, pmu->configured)))
		return SBI_ERR_INVALID_PARAM;
	*val = rvkvm_pmu_value(pmu, &pmu->pmc[cidx]);
	return SBI_SUCCESS;
}

/**
 * rvkvm_pmu_set_shmem() - SBI snapshot_set_shmem
 * @vcpu: the vCPU, in its thread
 * @lo: low XLEN bits of the area's guest-physical address
 * @hi: high bits (zero on RV64)
 * @flags: none are defined
 *
 * The area is one 4 KiB page, zeroed here; both halves all ones turn
 * snapshots off.
 *
 * Return: an SBI error code.
 */
long rvkvm_pmu_set_shmem(struct kvm_vcpu *vcpu, unsigned long lo,
			 unsigned long hi, unsigned long flags)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	unsigned long hva;
	bool writable;

	if (flags)
		return SBI_ERR_INVALID_PARAM;
	if (lo == SBI_SHMEM_DISABLE && hi == SBI_SHMEM_DISABLE) {
		pmu->shmem = INVALID_GPA;
		return SBI_SUCCESS;
	}
	/* An RV64 address above 2^64 does not exist. */
	if (hi)
		return SBI_ERR_INVALID_ADDRESS;
	if (lo & (sizeof(struct riscv_pmu_snapshot_data) - 1))
		return SBI_ERR_INVALID_PARAM;
	hva = kvm_vcpu_gfn_to_hva_prot(vcpu, gpa_to_gfn(lo), &writable);
	if (kvm_is_error_hva(hva) || !writable)
		return SBI_ERR_INVALID_ADDRESS;
	if (kvm_clear_guest(vcpu->kvm, lo,
			    sizeof(struct riscv_pmu_snapshot_data)))
		return SBI_ERR_FAILURE;
	pmu->shmem = lo;
	return SBI_SUCCESS;
}

/* Guest reads of the counter CSRs ------------------------------------ */

/**
 * rvkvm_pmu_csr_read() - emulate a read of cycle, instret or hpmcounterN
 * @vcpu: the vCPU
 * @csr: CSR_CYCLE + counter index
 * @val: the value read
 * @new_val: unused: the counters are read-only
 * @wr_mask: non-zero for a write
 * @fast: from the exit fast path, with interrupts off
 *
 * hcounteren traps every counter but time.  A configured hardware
 * counter reads its value; any other, or a write, is an illegal
 * instruction, as is a VU-mode read the guest's scounteren forbids.
 * Without a PMU, cycle and instret read 0 for guests that read them
 * without asking (6.12 does the same) and the rest are illegal.
 *
 * Return: RVKVM_RESUME with *val set, -EINVAL, or RVKVM_SLOW (@fast only)
 * for a counter perf must read with interrupts on.
 */
int __rvkvm_hot rvkvm_pmu_csr_read(struct kvm_vcpu *vcpu, unsigned int csr,
				   unsigned long *val, unsigned long new_val,
				   unsigned long wr_mask, bool fast)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;
	unsigned int cidx = csr - CSR_CYCLE;
	struct kvm_vcpu_arch *a = &vcpu->arch;
	u64 v;

	if (wr_mask)
		return -EINVAL;
	if (!(a->guest.hstatus & HSTATUS_SPVP) &&
	    !(a->guest.scounteren & BIT(cidx)))
		return -EINVAL;
	if (!pmu) {
		if (cidx != 0 && cidx != 2)
			return -EINVAL;
		*val = 0;
		return RVKVM_RESUME;
	}
	if (rvkvm_pmu_is_fw(pmu, cidx) || !test_bit(cidx, pmu->configured))
		return -EINVAL;
	if (!rvkvm_pmu_read(pmu, &pmu->pmc[cidx], fast, &v))
		return RVKVM_SLOW;
	*val = v;
	return RVKVM_RESUME;
}

/* Firmware events --------------------------------------------------- */

/**
 * rvkvm_pmu_fw_event() - count one firmware event of @vcpu
 * @vcpu: the vCPU it happened for (any thread may call)
 * @code: an SBI_PMU_FW_* code
 */
void rvkvm_pmu_fw_event(struct kvm_vcpu *vcpu, unsigned int code)
{
	struct rvkvm_pmu *pmu = vcpu->arch.pmu;

	if (pmu && code < SBI_PMU_FW_MAX)
		atomic64_inc(&pmu->fw_tally[code]);
}

/* Lifetime ------------------------------------------------------------ */

/* Every counter free and stopped, no snapshot area; tallies go on. */
static void rvkvm_pmu_clear(struct rvkvm_pmu *pmu)
{
	unsigned int i;

	for (i = 0; i < RVKVM_PMU_MAX; i++) {
		rvkvm_pmu_release(&pmu->pmc[i]);
		pmu->pmc[i].started = false;
		pmu->pmc[i].value = 0;
		pmu->pmc[i].eidx = SBI_PMU_EVENT_IDX_INVALID;
	}
	bitmap_zero(pmu->configured, RVKVM_PMU_MAX);
	bitmap_zero(pmu->overflown, RVKVM_PMU_MAX);
	pmu->shmem = INVALID_GPA;
}

/**
 * rvkvm_pmu_vcpu_create() - give a new vCPU its counters
 * @vcpu: the vCPU
 *
 * Only where the host's SBI PMU driver found counters and the host has
 * Sscofpmf; otherwise the vCPU has none and SBI PMU is not offered.
 *
 * Return: 0 or -ENOMEM.
 */
int rvkvm_pmu_vcpu_create(struct kvm_vcpu *vcpu)
{
	u32 hpm_width = 0, hpm_count = 0;
	struct rvkvm_pmu *pmu;
	unsigned int i;

	if (!rvkvm_pmu_host_ok() ||
	    riscv_pmu_get_hpm_info(&hpm_width, &hpm_count) ||
	    !hpm_width || !hpm_count)
		return 0;
	pmu = kzalloc(sizeof(*pmu), GFP_KERNEL_ACCOUNT);
	if (!pmu)
		return -ENOMEM;
	/* The host's count leaves out time, which still takes an index. */
	pmu->num_hw = min(hpm_count + 1, RVKVM_PMU_MAX_HW);
	pmu->num_fw = SBI_PMU_FW_MAX;
	for (i = 0; i < RVKVM_PMU_MAX; i++) {
		pmu->pmc[i].vcpu = vcpu;
		pmu->pmc[i].width = (i < 3 || i >= pmu->num_hw) ?
				    RVKVM_PMU_WIDTH_64 : hpm_width;
	}
	rvkvm_pmu_clear(pmu);
	vcpu->arch.pmu = pmu;
	return 0;
}

/**
 * rvkvm_pmu_vcpu_reset() - free and stop every counter of @vcpu
 * @vcpu: the vCPU, in a context that may sleep (perf's locks)
 */
void rvkvm_pmu_vcpu_reset(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.pmu)
		rvkvm_pmu_clear(vcpu->arch.pmu);
}

/**
 * rvkvm_pmu_vcpu_destroy() - release @vcpu's perf events and counters
 * @vcpu: the vCPU
 */
void rvkvm_pmu_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	rvkvm_pmu_vcpu_reset(vcpu);
	kfree(vcpu->arch.pmu);
	vcpu->arch.pmu = NULL;
}

/*
 * LCOFI reaches VS mode only through hvip bit 13, which AIA's hvien
 * makes writable; the guest gets Sscofpmf only on such hosts.
 */
static bool rvkvm_pmu_lcofi_injectable(void)
{
	return rvkvm_pmu_host_ok() &&
	       riscv_isa_extension_available(NULL, SSAIA);
}

/**
 * rvkvm_pmu_enable_cpu() - let this hart inject LCOFI into guests
 */
void rvkvm_pmu_enable_cpu(void)
{
	if (rvkvm_pmu_lcofi_injectable())
		csr_set(CSR_HVIEN, BIT(IRQ_PMU_OVF));
}

/**
 * rvkvm_pmu_disable_cpu() - undo rvkvm_pmu_enable_cpu()
 */
void rvkvm_pmu_disable_cpu(void)
{
	if (rvkvm_pmu_lcofi_injectable())
		csr_clear(CSR_HVIEN, BIT(IRQ_PMU_OVF));
}
