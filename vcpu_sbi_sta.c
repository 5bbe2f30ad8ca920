// SPDX-License-Identifier: GPL-2.0
/*
 * SBI STA, steal-time accounting.  Each guest hart may name a 64-byte
 * record in its memory; whenever the vCPU's thread was scheduled back in,
 * the time it spent runnable but waiting for a CPU (the scheduler's
 * sched_info.run_delay) is added to the record's steal field before the
 * guest runs again.  The guest reads the record without trapping, so the
 * update is bracketed by a sequence count that is odd while it lasts.
 */
#include <rvkvm/sbi.h>
#include <linux/sched/stat.h>

#define RVKVM_STA_SIZE		sizeof(struct sbi_sta_struct)
#define RVKVM_STA_SEQ		offsetof(struct sbi_sta_struct, sequence)
#define RVKVM_STA_STEAL		offsetof(struct sbi_sta_struct, steal)

/* The spec's alignment, which also keeps the record inside one page. */
static_assert(RVKVM_STA_SIZE == 64);

/* Nanoseconds the current thread has waited on a run queue. */
static u64 rvkvm_sta_run_delay(void)
{
#ifdef CONFIG_SCHED_INFO
	return READ_ONCE(current->sched_info.run_delay);
#else
	return 0;
#endif
}

/* Without sched_info there is nothing to report, so no STA at all. */
static bool rvkvm_sta_probe(struct kvm_vcpu *vcpu)
{
	return sched_info_on();
}

/**
 * rvkvm_sta_reset() - a reset hart reports no steal time
 * @vcpu: the vCPU
 */
void rvkvm_sta_reset(struct kvm_vcpu *vcpu)
{
	vcpu->arch.sta.shmem = INVALID_GPA;
}

/**
 * rvkvm_sta_load() - the vCPU's thread is on a CPU again
 * @vcpu: the vCPU, being loaded
 *
 * It may have waited for that CPU: ask for an update before the guest
 * next runs, when user memory may be touched (not here, in the
 * scheduler's preempt notifier).
 */
void __rvkvm_hot rvkvm_sta_load(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.sta.shmem != INVALID_GPA)
		kvm_make_request(KVM_REQ_STEAL_UPDATE, vcpu);
}

/* The cache is keyed by the record's address: (re)build it on a change. */
static int rvkvm_sta_cache(struct kvm_vcpu *vcpu)
{
	struct rvkvm_sta *sta = &vcpu->arch.sta;
	int r;

	if (sta->ghc.gpa == sta->shmem && sta->ghc.len == RVKVM_STA_SIZE)
		return 0;
	r = kvm_gfn_to_hva_cache_init(vcpu->kvm, &sta->ghc, sta->shmem,
				      RVKVM_STA_SIZE);
	/* A failed init leaves the old key behind: match nothing instead. */
	if (r)
		sta->ghc.len = 0;
	return r;
}

static int rvkvm_sta_put(struct kvm_vcpu *vcpu, unsigned int offset,
			 void *val, unsigned long len)
{
	return kvm_write_guest_offset_cached(vcpu->kvm, &vcpu->arch.sta.ghc,
					     val, offset, len);
}

static int rvkvm_sta_get(struct kvm_vcpu *vcpu, unsigned int offset,
			 void *val, unsigned long len)
{
	return kvm_read_guest_offset_cached(vcpu->kvm, &vcpu->arch.sta.ghc,
					    val, offset, len);
}

/* The run_delay not yet reported, and it counted as reported. */
static u64 rvkvm_sta_take_delay(struct rvkvm_sta *sta)
{
	u64 now = rvkvm_sta_run_delay(), delta = now - sta->run_delay;

	/* A new baseline, or another thread (its own count): no jump. */
	if (sta->rebase || now < sta->run_delay)
		delta = 0;
	sta->rebase = false;
	sta->run_delay = now;
	return delta;
}

/**
 * rvkvm_sta_record() - add the time stolen since the last update
 * @vcpu: the vCPU, in its run loop (kvm->srcu held, preemptible)
 *
 * A record that has become unreachable (its memslot went away, userspace
 * restored an address without memory) is skipped: the guest's problem or
 * the VMM's, never the host's.  The steal time is then reported at the
 * next update that succeeds.
 */
void rvkvm_sta_record(struct kvm_vcpu *vcpu)
{
	struct rvkvm_sta *sta = &vcpu->arch.sta;
	__le64 steal;
	__le32 seq;
	u32 odd;

	if (sta->shmem == INVALID_GPA || rvkvm_sta_cache(vcpu))
		return;
	if (rvkvm_sta_get(vcpu, RVKVM_STA_SEQ, &seq, sizeof(seq)) ||
	    rvkvm_sta_get(vcpu, RVKVM_STA_STEAL, &steal, sizeof(steal)))
		return;

	/* The guest is told not to write the count; odd even if it did. */
	odd = (le32_to_cpu(seq) + 1) | 1;
	seq = cpu_to_le32(odd);
	if (rvkvm_sta_put(vcpu, RVKVM_STA_SEQ, &seq, sizeof(seq)))
		return;
	/* Other guest harts may read the record: odd count, then steal. */
	smp_wmb();
	steal = cpu_to_le64(le64_to_cpu(steal) + rvkvm_sta_take_delay(sta));
	rvkvm_sta_put(vcpu, RVKVM_STA_STEAL, &steal, sizeof(steal));
	/* And the new steal before the even count that makes it valid. */
	smp_wmb();
	seq = cpu_to_le32(odd + 1);
	rvkvm_sta_put(vcpu, RVKVM_STA_SEQ, &seq, sizeof(seq));
}

/* Where lo (and, on RV32, hi) point; all ones in hi is no address. */
static long rvkvm_sta_shmem_gpa(unsigned long lo, unsigned long hi,
				gpa_t *gpa)
{
	if (!IS_ALIGNED(lo, RVKVM_STA_SIZE))
		return SBI_ERR_INVALID_PARAM;
	*gpa = lo;
	if (!IS_ENABLED(CONFIG_64BIT))
		*gpa |= (u64)hi << 32;
	else if (hi)
		return SBI_ERR_INVALID_ADDRESS;	/* above 2^64 */
	return SBI_SUCCESS;
}

/*
 * set_shmem(lo, hi, flags): start reporting into a zeroed record at
 * (hi:lo), which must be writable guest RAM, or stop with all ones.
 */
static long rvkvm_sta_set_shmem(struct kvm_vcpu *vcpu,
				const struct rvkvm_sbi_call *call)
{
	unsigned long lo = call->args[0], hi = call->args[1];
	struct rvkvm_sta *sta = &vcpu->arch.sta;
	struct sbi_sta_struct zero = { };
	bool writable;
	gpa_t gpa;
	long err;

	if (call->args[2])
		return SBI_ERR_INVALID_PARAM;	/* no flags are defined */
	if (lo == SBI_SHMEM_DISABLE && hi == SBI_SHMEM_DISABLE) {
		sta->shmem = INVALID_GPA;
		return SBI_SUCCESS;
	}
	err = rvkvm_sta_shmem_gpa(lo, hi, &gpa);
	if (err)
		return err;
	if (kvm_is_error_hva(kvm_vcpu_gfn_to_hva_prot(vcpu, gpa_to_gfn(gpa),
						      &writable)) || !writable)
		return SBI_ERR_INVALID_ADDRESS;

	sta->shmem = gpa;
	if (rvkvm_sta_cache(vcpu) ||
	    rvkvm_sta_put(vcpu, 0, &zero, sizeof(zero))) {
		sta->shmem = INVALID_GPA;
		return SBI_ERR_FAILURE;
	}
	/* Steal time counts from now on. */
	sta->run_delay = rvkvm_sta_run_delay();
	sta->rebase = false;
	return SBI_SUCCESS;
}

static int rvkvm_sbi_sta_handle(struct kvm_vcpu *vcpu,
				struct rvkvm_sbi_call *call)
{
	if (call->fid != SBI_EXT_STA_STEAL_TIME_SET_SHMEM)
		return RVKVM_RESUME;	/* NOT_SUPPORTED, preset */
	call->error = rvkvm_sta_set_shmem(vcpu, call);
	call->value = 0;
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_sta = {
	.eid_first = SBI_EXT_STA,
	.eid_last = SBI_EXT_STA,
	.kvm_id = KVM_RISCV_SBI_EXT_STA,
	.probe = rvkvm_sta_probe,
	.handle = rvkvm_sbi_sta_handle,
};

/* ONE_REG SBI_STATE / SBI_STA ------------------------------------------ */

#define RVKVM_STA_LO	KVM_REG_RISCV_SBI_STA_REG(shmem_lo)
#define RVKVM_STA_HI	KVM_REG_RISCV_SBI_STA_REG(shmem_hi)

/**
 * rvkvm_sta_reg_get() - read shmem_lo or shmem_hi
 * @vcpu: the vCPU
 * @index: KVM_REG_RISCV_SBI_STA_REG(shmem_lo) or (shmem_hi)
 * @val: the value
 *
 * Return: 0, or -EINVAL for another index (6.12's errno).
 */
int rvkvm_sta_reg_get(struct kvm_vcpu *vcpu, unsigned long index,
		      unsigned long *val)
{
	gpa_t shmem = vcpu->arch.sta.shmem;

	switch (index) {
	case RVKVM_STA_LO:
		*val = (unsigned long)shmem;
		return 0;
	case RVKVM_STA_HI:
		*val = IS_ENABLED(CONFIG_64BIT) ? 0 : upper_32_bits(shmem);
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * rvkvm_sta_reg_set() - restore shmem_lo or shmem_hi
 * @vcpu: the vCPU
 * @index: KVM_REG_RISCV_SBI_STA_REG(shmem_lo) or (shmem_hi)
 * @val: the value
 *
 * The address is taken as it comes (the memslots may not be there yet),
 * but it must be all ones (no record) or 64-byte aligned: 6.12 takes
 * any value, and a misaligned record could straddle two pages.  Steal
 * time is then counted from the vCPU's next entry.
 *
 * Return: 0, or -EINVAL for a misaligned address, for bits above 63
 * (shmem_hi on RV64), or for another index.
 */
int rvkvm_sta_reg_set(struct kvm_vcpu *vcpu, unsigned long index,
		      unsigned long val)
{
	struct rvkvm_sta *sta = &vcpu->arch.sta;
	gpa_t shmem = sta->shmem;

	switch (index) {
	case RVKVM_STA_LO:
		shmem = IS_ENABLED(CONFIG_64BIT) ? val :
			(shmem & GENMASK_ULL(63, 32)) | val;
		break;
	case RVKVM_STA_HI:
		if (IS_ENABLED(CONFIG_64BIT))
			return val ? -EINVAL : 0;
		shmem = lower_32_bits(shmem) | ((u64)val << 32);
		break;
	default:
		return -EINVAL;
	}
	if (shmem != INVALID_GPA && !IS_ALIGNED(shmem, RVKVM_STA_SIZE))
		return -EINVAL;
	sta->shmem = shmem;
	sta->rebase = true;
	return 0;
}
