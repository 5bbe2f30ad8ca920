// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's supervisor timer.
 *
 * Guest time is the host's time CSR plus the VM's time_delta, which the
 * hart adds by itself once it sits in htimedelta (written at vcpu_load).
 * How the guest's comparator works depends on Sstc:
 *
 *  - with Sstc (host and guest, henvcfg.STCE set) the comparator is the
 *    hardware's vstimecmp: the guest writes stimecmp without exiting and
 *    the hart raises VSTIP.  We only move the value in and out at
 *    load/put, and park all ones in the CSR while the vCPU is away so
 *    that a stale compare does not wake the host's WFI.  A blocked vCPU
 *    is not loaded, so an hrtimer at the compare kicks it awake;
 *
 *  - without Sstc the guest asks through SBI (TIME set_timer, or the
 *    v0.1 call), and an hrtimer at the compare raises VSTIP in hvip.
 *
 * Nothing here runs per exit.
 */
#include <rvkvm/sbi.h>
#include <rvkvm/pmu.h>
#include <linux/math64.h>
#include <asm/delay.h>
#include <asm/timex.h>

/*
 * The longest wait programmed into an hrtimer at once.  A compare further
 * out re-arms on expiry; this bounds the cycles-to-ns multiplication.
 */
#define RVKVM_TIMER_MAX_WAIT_S	3600

static u64 rvkvm_guest_time(struct kvm *kvm)
{
	return get_cycles64() + READ_ONCE(kvm->arch.time_delta);
}

/* Does @vcpu's comparator live in vstimecmp? */
static bool rvkvm_timer_sstc(struct kvm_vcpu *vcpu)
{
	return riscv_has_extension_unlikely(RISCV_ISA_EXT_SSTC) &&
	       rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SSTC);
}

/*
 * With Sstc, is the compare in this hart's vstimecmp right now?  The
 * caller keeps preemption off until it is done with the CSR.
 */
static bool rvkvm_timer_in_csr(struct kvm_vcpu *vcpu)
{
	return rvkvm_timer_sstc(vcpu) && vcpu->cpu == smp_processor_id();
}

/* The guest's compare, wherever it lives at the moment. */
static u64 rvkvm_timer_compare(struct kvm_vcpu *vcpu)
{
	u64 compare;

	preempt_disable();
	if (rvkvm_timer_in_csr(vcpu))
		compare = csr_read(CSR_VSTIMECMP);
	else
		compare = vcpu->arch.timer.compare;
	preempt_enable();
	return compare;
}

/* Store a new compare, and into vstimecmp too if it lives there now. */
static void rvkvm_timer_store_compare(struct kvm_vcpu *vcpu, u64 compare)
{
	preempt_disable();
	vcpu->arch.timer.compare = compare;
	if (rvkvm_timer_in_csr(vcpu))
		csr_write(CSR_VSTIMECMP, compare);
	preempt_enable();
}

/* Nanoseconds from now until guest time reaches @compare, capped. */
static u64 rvkvm_timer_ns_until(struct kvm_vcpu *vcpu, u64 compare)
{
	u64 now = rvkvm_guest_time(vcpu->kvm);
	u64 cycles;

	if (compare <= now)
		return 0;
	cycles = min_t(u64, compare - now,
		       (u64)riscv_timebase * RVKVM_TIMER_MAX_WAIT_S);
	return mul_u64_u32_div(cycles, NSEC_PER_SEC, riscv_timebase);
}

/*
 * The hrtimer went off.  Host and guest clocks are the same counter, but
 * the hrtimer runs on the monotonic clock: if guest time is still short
 * of the compare (or the wait was capped), wait the rest.
 */
static enum hrtimer_restart rvkvm_timer_expired(struct hrtimer *hrt)
{
	struct rvkvm_timer *t = container_of(hrt, struct rvkvm_timer, hrt);
	struct kvm_vcpu *vcpu = container_of(t, struct kvm_vcpu, arch.timer);
	u64 ns = rvkvm_timer_ns_until(vcpu, READ_ONCE(t->compare));

	if (ns) {
		hrtimer_forward_now(hrt, ns_to_ktime(ns));
		return HRTIMER_RESTART;
	}
	if (rvkvm_timer_sstc(vcpu)) {
		/* vstimecmp raises VSTIP itself once reloaded: just wake. */
		kvm_vcpu_kick(vcpu);
	} else {
		WRITE_ONCE(t->armed, false);
		rvkvm_vcpu_set_irq(vcpu, IRQ_VS_TIMER, true);
	}
	return HRTIMER_NORESTART;
}

/* Without Sstc: start the comparator at @compare, or fire now if past. */
static void rvkvm_timer_arm(struct kvm_vcpu *vcpu, u64 compare)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 ns;

	t->compare = compare;
	if (compare == U64_MAX) {
		/* The guest's way of saying "no next event". */
		WRITE_ONCE(t->armed, false);
		return;
	}
	ns = rvkvm_timer_ns_until(vcpu, compare);
	if (!ns) {
		WRITE_ONCE(t->armed, false);
		rvkvm_vcpu_set_irq(vcpu, IRQ_VS_TIMER, true);
		return;
	}
	WRITE_ONCE(t->armed, true);
	hrtimer_start(&t->hrt, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

/* Without Sstc: stop the comparator; no expiry runs after this. */
static void rvkvm_timer_disarm(struct kvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.timer.hrt);
	WRITE_ONCE(vcpu->arch.timer.armed, false);
}

/**
 * rvkvm_timer_sbi_set_timer() - SBI set_timer, from TIME or v0.1
 * @vcpu: the vCPU, loaded (called from an SBI call's handler)
 * @args: the call's a0..; the compare, in guest time, is a0 (RV32: a0
 *        low, a1 high)
 *
 * Clear the pending timer interrupt and fire it when guest time reaches
 * the compare.  With Sstc the compare goes into vstimecmp, which does
 * both in hardware; it must, because with STCE set hvip.VSTIP would not
 * be the only source of VSTIP.  Counted as the SBI PMU firmware event.
 */
void __rvkvm_hot rvkvm_timer_sbi_set_timer(struct kvm_vcpu *vcpu, const unsigned long *args)
{
	u64 cycles = args[0];

	if (!IS_ENABLED(CONFIG_64BIT))
		cycles |= (u64)args[1] << 32;
	rvkvm_pmu_fw_event(vcpu, SBI_PMU_FW_SET_TIMER);
	if (rvkvm_timer_sstc(vcpu)) {
		rvkvm_timer_store_compare(vcpu, cycles);
		return;
	}
	rvkvm_timer_disarm(vcpu);
	rvkvm_vcpu_set_irq(vcpu, IRQ_VS_TIMER, false);
	rvkvm_timer_arm(vcpu, cycles);
}

/**
 * rvkvm_timer_vm_init() - guest time starts at zero when the VM is made
 * @kvm: the new VM
 */
void rvkvm_timer_vm_init(struct kvm *kvm)
{
	kvm->arch.time_delta = -get_cycles64();
}

/**
 * rvkvm_timer_vcpu_init() - set up the timer of a new vCPU
 * @vcpu: the vCPU, before its first reset
 */
void rvkvm_timer_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;

	rvkvm_hrtimer_setup(&t->hrt, rvkvm_timer_expired, CLOCK_MONOTONIC,
			    HRTIMER_MODE_REL_HARD);
	t->compare = U64_MAX;
	t->armed = false;
}

/**
 * rvkvm_timer_vcpu_reset() - no timer event after a vCPU reset
 * @vcpu: the vCPU, loaded or not
 */
void rvkvm_timer_vcpu_reset(struct kvm_vcpu *vcpu)
{
	rvkvm_timer_disarm(vcpu);
	rvkvm_timer_store_compare(vcpu, U64_MAX);
}

/**
 * rvkvm_timer_vcpu_destroy() - stop the hrtimer before the vCPU is freed
 * @vcpu: the vCPU
 */
void rvkvm_timer_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.timer.hrt);
}

/**
 * rvkvm_timer_load() - the timer's part of kvm_arch_vcpu_load()
 * @vcpu: the vCPU being loaded, preemption off
 */
void __rvkvm_hot rvkvm_timer_load(struct kvm_vcpu *vcpu)
{
	csr_write(CSR_HTIMEDELTA, READ_ONCE(vcpu->kvm->arch.time_delta));
	if (rvkvm_timer_sstc(vcpu))
		csr_write(CSR_VSTIMECMP, vcpu->arch.timer.compare);
}

/**
 * rvkvm_timer_put() - the timer's part of kvm_arch_vcpu_put()
 * @vcpu: the vCPU being put, preemption off
 *
 * The compare leaves vstimecmp, and all ones stay behind: 6.12 leaves the
 * guest's value armed, and a past compare then keeps VSTIP pending on
 * this hart, which ends every WFI of the host's idle loop at once.
 */
void __rvkvm_hot rvkvm_timer_put(struct kvm_vcpu *vcpu)
{
	if (rvkvm_timer_sstc(vcpu))
		WRITE_ONCE(vcpu->arch.timer.compare,
			   csr_swap(CSR_VSTIMECMP, U64_MAX));
}

/**
 * rvkvm_timer_park_cpu() - no guest compare left in this hart's vstimecmp
 *
 * At hardware enable and disable.  The CSR keeps whatever its last user
 * wrote: Debian's kvm.ko, unloaded before ours, leaves a guest's compare
 * there, which keeps VSTIP pending on the hart once it is past.
 */
void rvkvm_timer_park_cpu(void)
{
	if (riscv_has_extension_unlikely(RISCV_ISA_EXT_SSTC))
		csr_write(CSR_VSTIMECMP, U64_MAX);
}

/**
 * rvkvm_timer_blocking() - @vcpu is about to sleep (kvm_vcpu_block)
 * @vcpu: the vCPU, still loaded, preemption off
 *
 * With Sstc, vstimecmp cannot wake a vCPU that is not on a hart: an
 * hrtimer at the compare does.  Without Sstc the hrtimer already runs.
 */
void rvkvm_timer_blocking(struct kvm_vcpu *vcpu)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;
	u64 compare;

	if (!rvkvm_timer_sstc(vcpu))
		return;
	compare = rvkvm_timer_compare(vcpu);
	if (compare == U64_MAX)
		return;
	/* The expiry reads it; put will store the same value. */
	WRITE_ONCE(t->compare, compare);
	hrtimer_start(&t->hrt, ns_to_ktime(rvkvm_timer_ns_until(vcpu, compare)),
		      HRTIMER_MODE_REL_HARD);
}

/**
 * rvkvm_timer_unblocking() - @vcpu stopped sleeping
 * @vcpu: the vCPU
 */
void rvkvm_timer_unblocking(struct kvm_vcpu *vcpu)
{
	if (rvkvm_timer_sstc(vcpu))
		hrtimer_cancel(&vcpu->arch.timer.hrt);
}

/**
 * rvkvm_timer_pending() - has the guest's timer fired, and does it count?
 * @vcpu: the vCPU
 *
 * A WFI resumes for a pending interrupt the guest enabled in sie, whatever
 * sstatus.SIE says.  csr.vsie is current here: the WFI exit and put save it.
 *
 * Return: true if the timer interrupt is pending and enabled.
 */
bool rvkvm_timer_pending(struct kvm_vcpu *vcpu)
{
	if (!(vcpu->arch.csr.vsie & BIT(IRQ_S_TIMER)))
		return false;
	if (!rvkvm_timer_sstc(vcpu))
		return rvkvm_vcpu_irq_level(vcpu, IRQ_VS_TIMER);
	return rvkvm_timer_compare(vcpu) <= rvkvm_guest_time(vcpu->kvm);
}

/* ONE_REG TIMER -------------------------------------------------------- */

#define RVKVM_TIMER_REG(name)	KVM_REG_RISCV_TIMER_REG(name)

/* Is the guest's comparator going to fire? */
static bool rvkvm_timer_on(struct kvm_vcpu *vcpu)
{
	if (rvkvm_timer_sstc(vcpu))
		return rvkvm_timer_compare(vcpu) != U64_MAX;
	return READ_ONCE(vcpu->arch.timer.armed);
}

/**
 * rvkvm_timer_reg_get() - read one struct kvm_riscv_timer register
 * @vcpu: the vCPU, its mutex held
 * @index: KVM_REG_RISCV_TIMER_REG(...), below 4
 * @val: the value
 *
 * Return: 0, or -ENOENT for an index that names no register.
 */
int rvkvm_timer_reg_get(struct kvm_vcpu *vcpu, unsigned long index, u64 *val)
{
	switch (index) {
	case RVKVM_TIMER_REG(frequency):
		*val = riscv_timebase;
		return 0;
	case RVKVM_TIMER_REG(time):
		*val = rvkvm_guest_time(vcpu->kvm);
		return 0;
	case RVKVM_TIMER_REG(compare):
		*val = rvkvm_timer_compare(vcpu);
		return 0;
	case RVKVM_TIMER_REG(state):
		*val = rvkvm_timer_on(vcpu) ? KVM_RISCV_TIMER_STATE_ON :
					      KVM_RISCV_TIMER_STATE_OFF;
		return 0;
	default:
		return -ENOENT;
	}
}

static int rvkvm_timer_set_state(struct kvm_vcpu *vcpu, u64 state)
{
	bool sstc = rvkvm_timer_sstc(vcpu);

	switch (state) {
	case KVM_RISCV_TIMER_STATE_ON:
		/*
		 * Arm at the compare userspace saved or set.  6.12 arms at
		 * the register's value instead, the constant 1, so a timer
		 * restored as ON fires at once, not when it was due.  With
		 * Sstc the compare is live in vstimecmp from the next load.
		 */
		if (!sstc) {
			rvkvm_timer_disarm(vcpu);
			rvkvm_timer_arm(vcpu, vcpu->arch.timer.compare);
		}
		return 0;
	case KVM_RISCV_TIMER_STATE_OFF:
		/* Stopping a stopped timer is -EINVAL, as in 6.12. */
		if (!rvkvm_timer_on(vcpu))
			return -EINVAL;
		if (sstc)
			rvkvm_timer_store_compare(vcpu, U64_MAX);
		else
			rvkvm_timer_disarm(vcpu);
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * rvkvm_timer_reg_set() - write one struct kvm_riscv_timer register
 * @vcpu: the vCPU, its mutex held
 * @index: KVM_REG_RISCV_TIMER_REG(...), below 4
 * @val: the value
 *
 * time sets the whole VM's guest time (time_delta is per VM), as in 6.12;
 * other vCPUs see it at their next load.
 *
 * Return: 0, -EINVAL for a frequency other than the host's or a state
 * that is neither ON nor OFF, or for OFF on a stopped timer, -ENOENT for
 * an index that names no register.
 */
int rvkvm_timer_reg_set(struct kvm_vcpu *vcpu, unsigned long index, u64 val)
{
	struct rvkvm_timer *t = &vcpu->arch.timer;

	switch (index) {
	case RVKVM_TIMER_REG(frequency):
		return val == riscv_timebase ? 0 : -EINVAL;
	case RVKVM_TIMER_REG(time):
		WRITE_ONCE(vcpu->kvm->arch.time_delta, val - get_cycles64());
		return 0;
	case RVKVM_TIMER_REG(compare):
		if (rvkvm_timer_sstc(vcpu)) {
			rvkvm_timer_store_compare(vcpu, val);
		} else if (READ_ONCE(t->armed)) {
			rvkvm_timer_disarm(vcpu);
			rvkvm_timer_arm(vcpu, val);
		} else {
			t->compare = val;
		}
		return 0;
	case RVKVM_TIMER_REG(state):
		return rvkvm_timer_set_state(vcpu, val);
	default:
		return -ENOENT;
	}
}

/* SBI TIME ------------------------------------------------------------- */

static int __rvkvm_hot rvkvm_sbi_time_handle(struct kvm_vcpu *vcpu,
					     struct rvkvm_sbi_call *call)
{
	if (call->fid != SBI_EXT_TIME_SET_TIMER)
		return RVKVM_RESUME;	/* SBI_ERR_NOT_SUPPORTED */
	rvkvm_timer_sbi_set_timer(vcpu, call->args);
	call->error = SBI_SUCCESS;
	call->value = 0;
	return RVKVM_RESUME;
}

/* With Sstc, set_timer is a CSR write; without, it drives an hrtimer. */
static bool __rvkvm_hot rvkvm_sbi_time_fast(struct kvm_vcpu *vcpu,
					    const struct rvkvm_sbi_call *call)
{
	return rvkvm_timer_sstc(vcpu);
}

const struct rvkvm_sbi_ext rvkvm_sbi_time = {
	.eid_first = SBI_EXT_TIME,
	.eid_last = SBI_EXT_TIME,
	.kvm_id = KVM_RISCV_SBI_EXT_TIME,
	.handle = rvkvm_sbi_time_handle,
	.fast = rvkvm_sbi_time_fast,
};
