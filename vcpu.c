// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU lifetime, the run loop, interrupts, vCPU ioctls and statistics.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/pmu.h>
#include <rvkvm/trace.h>

#define RVKVM_COUNTER(name)	STATS_DESC_COUNTER(VCPU, name)

/* In struct kvm_vcpu_stat's order, which is the ABI's. */
const struct kvm_stats_desc kvm_vcpu_stats_desc[] = {
	KVM_GENERIC_VCPU_STATS(),
	RVKVM_COUNTER(ecall_exit_stat), RVKVM_COUNTER(wfi_exit_stat),
	RVKVM_COUNTER(wrs_exit_stat),
	RVKVM_COUNTER(mmio_exit_user), RVKVM_COUNTER(mmio_exit_kernel),
	RVKVM_COUNTER(csr_exit_user), RVKVM_COUNTER(csr_exit_kernel),
	RVKVM_COUNTER(signal_exits), RVKVM_COUNTER(exits),
	/* Ours: after the ones 6.12 has, in its order. */
	RVKVM_COUNTER(fast_exits),
	RVKVM_COUNTER(vvma_fence_range), RVKVM_COUNTER(vvma_fence_all),
};

/* One descriptor per counter: the generic part holds histograms, so
 * compare where the last counter ends instead of counting words.
 */
static_assert(offsetof(struct kvm_vcpu_stat, vvma_fence_all) + sizeof(u64) ==
	      sizeof(struct kvm_vcpu_stat));

const struct kvm_stats_header kvm_vcpu_stats_header =
	RVKVM_STATS_HEADER(kvm_vcpu_stats_desc);

/* Exceptions the guest handles itself; breakpoints unless debugged. */
#define RVKVM_HEDELEG_DEFAULT	(BIT(EXC_INST_MISALIGNED) | BIT(EXC_BREAKPOINT) | \
				 BIT(EXC_SYSCALL) | BIT(EXC_INST_PAGE_FAULT) | \
				 BIT(EXC_LOAD_PAGE_FAULT) | BIT(EXC_STORE_PAGE_FAULT))

/* Architectural reset: what a hart looks like before its first insn. */
static void rvkvm_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	/* The IMSIC file stays in its VS-file (aia_imsic.c). */
	unsigned long vgein = a->guest.hstatus & HSTATUS_VGEIN;

	memset(&a->guest, 0, sizeof(a->guest));
	memset(&a->csr, 0, sizeof(a->csr));
	/* sret lands in VS-mode: SPV with SPP set. */
	a->guest.sstatus = SR_SPP | SR_SPIE;
	/* cycle, time and instret readable from VU, as firmware leaves them. */
	a->guest.scounteren = 0x7;
	a->guest.hstatus = HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | vgein;
	if (IS_ENABLED(CONFIG_64BIT))
		a->guest.hstatus |= 2UL << HSTATUS_VSXL_SHIFT;
	rvkvm_vcpu_irq_reset(vcpu);
	a->pending = RVKVM_PENDING_NONE;
	rvkvm_timer_vcpu_reset(vcpu);
	rvkvm_vcpu_fp_reset(vcpu);
	rvkvm_vcpu_vector_reset(vcpu);
	rvkvm_sta_reset(vcpu);
	rvkvm_fwft_reset(vcpu);
	rvkvm_aia_vcpu_reset(vcpu);
	rvkvm_vcpu_csrs_changed(vcpu);

	/* An SBI HSM start: begin there, a0 = hart id, a1 = its opaque. */
	spin_lock(&a->mp_lock);
	if (a->boot.pending) {
		a->guest.gpr[RVKVM_PC] = a->boot.pc;
		a->guest.gpr[10] = vcpu->vcpu_id;
		a->guest.gpr[11] = a->boot.a1;
		a->boot.pending = false;
	}
	spin_unlock(&a->mp_lock);
}

/*
 * Which vCPU's guest state (VS CSRs, hvip, henvcfg, senvcfg, vstimecmp,
 * FP and vector registers, AIA CSRs) is live on each hart, from its load
 * to its put.  A hart's state is saved only into the vCPU it was loaded
 * from, and a load first saves whatever vCPU the hart still holds.  So
 * one vCPU's state never reaches another's, even when a context switch
 * skips a preempt notifier (Documentation/design.rst, "Held state").
 */
static DEFINE_PER_CPU(struct kvm_vcpu *, rvkvm_held_vcpu);

/*
 * Take this hart for @vcpu.  Return: false if it holds @vcpu already,
 * with state newer than the saved copy: keep it.
 */
static bool rvkvm_vcpu_claim(struct kvm_vcpu *vcpu, int cpu)
{
	struct kvm_vcpu *held = __this_cpu_read(rvkvm_held_vcpu);
	int was = READ_ONCE(vcpu->cpu);

	if (unlikely(held == vcpu)) {
		vcpu->cpu = cpu;
		return false;
	}
	if (unlikely(held))
		kvm_arch_vcpu_put(held);
	/* A copy left on another hart is older than what we load now. */
	if (unlikely(was >= 0 && was != cpu))
		cmpxchg(per_cpu_ptr(&rvkvm_held_vcpu, was), vcpu, NULL);
	__this_cpu_write(rvkvm_held_vcpu, vcpu);
	return true;
}

/* Give this hart up.  Return: false if it does not hold @vcpu's state. */
static bool rvkvm_vcpu_release(struct kvm_vcpu *vcpu)
{
	int cpu = smp_processor_id();

	if (READ_ONCE(vcpu->cpu) == cpu)
		vcpu->cpu = -1;
	if (unlikely(__this_cpu_read(rvkvm_held_vcpu) != vcpu))
		return false;
	__this_cpu_write(rvkvm_held_vcpu, NULL);
	return true;
}

/**
 * rvkvm_vcpu_hold() - make sure this hart holds @vcpu's guest state
 * @vcpu: the vCPU, in its own thread, with preemption off until it is
 *	done with the hart's state
 *
 * Every use of the live state outside load and put goes through here:
 * if the context switch that brought this thread here did not load
 * @vcpu, load it now.
 */
void __rvkvm_hot rvkvm_vcpu_hold(struct kvm_vcpu *vcpu)
{
	int cpu = smp_processor_id();

	if (likely(__this_cpu_read(rvkvm_held_vcpu) == vcpu))
		return;
	pr_info_ratelimited("vCPU %d: CPU %d did not hold its state (a context switch without the preempt notifier); loaded it\n",
			    vcpu->vcpu_id, cpu);
	kvm_arch_vcpu_load(vcpu, cpu);
}

/* @vcpu is being freed: no hart may save into it any more. */
static void rvkvm_vcpu_forget_held(struct kvm_vcpu *vcpu)
{
	/* A load that read it before the swap puts it with preemption off. */
	if (unlikely(rvkvm_percpu_forget_vcpu(&rvkvm_held_vcpu, vcpu)))
		synchronize_rcu();
}

/*
 * Lean load: after a put, a hart keeps the VS CSRs it saved (a put
 * changes only vsie, hvip, senvcfg and the timer and AIA CSRs).  When
 * the vCPU comes back to it with no other vCPU loaded there meanwhile
 * and its saved copy unchanged, the load skips writing them again: a
 * vCPU that blocks in WFI, or returns to userspace and back, pays for
 * what changed only.  Every write to the saved copy outside load and
 * put, and a hart's hardware (re)enable, break the link.
 */
static DEFINE_PER_CPU(struct kvm_vcpu *, rvkvm_former_vcpu);

/**
 * rvkvm_vcpu_csrs_changed() - @vcpu's saved VS CSRs or cfg were written
 * @vcpu: the vCPU, not loaded (or about to be loaded again in full)
 */
void rvkvm_vcpu_csrs_changed(struct kvm_vcpu *vcpu)
{
	vcpu->arch.csrs_cpu = -1;
}

/**
 * rvkvm_vcpu_forget_csrs_here() - this hart's VS CSRs hold nobody's state
 *
 * At hardware enable: a hart that was off may have lost them.
 */
void rvkvm_vcpu_forget_csrs_here(void)
{
	__this_cpu_write(rvkvm_former_vcpu, NULL);
}

static bool rvkvm_vcpu_csrs_kept(struct kvm_vcpu *vcpu, int cpu)
{
	return vcpu->arch.csrs_cpu == cpu &&
	       __this_cpu_read(rvkvm_former_vcpu) == vcpu;
}

/* The VS CSRs and trap configuration the hart keeps over a put. */
static void rvkvm_vcpu_load_csrs(struct kvm_vcpu *vcpu)
{
	struct rvkvm_vs_csrs *c = &vcpu->arch.csr;

	csr_write(CSR_VSSTATUS, c->vsstatus);
	csr_write(CSR_VSTVEC, c->vstvec);
	csr_write(CSR_VSSCRATCH, c->vsscratch);
	csr_write(CSR_VSEPC, c->vsepc);
	csr_write(CSR_VSCAUSE, c->vscause);
	csr_write(CSR_VSTVAL, c->vstval);
	csr_write(CSR_VSATP, c->vsatp);
	csr_write(CSR_HEDELEG, vcpu->arch.cfg.hedeleg);
	csr_write(CSR_HENVCFG, vcpu->arch.cfg.henvcfg);
	/* A new VMID meanwhile comes with KVM_REQ_UPDATE_HGATP. */
	rvkvm_gstage_load_hgatp(vcpu);
	__this_cpu_write(rvkvm_former_vcpu, vcpu);
}

/* Reset while loaded: the VS CSRs are live in hardware, not in csr. */
static void rvkvm_vcpu_reset_loaded(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	kvm_arch_vcpu_put(vcpu);
	rvkvm_vcpu_reset(vcpu);
	kvm_arch_vcpu_load(vcpu, smp_processor_id());
	preempt_enable();
}

/**
 * kvm_arch_vcpu_precreate() - veto a vCPU before it is allocated
 * @kvm: the VM
 * @id: the vCPU id userspace asked for
 *
 * Return: 0: the generic core already bounds @id by KVM_MAX_VCPU_IDS.
 */
int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id)
{
	return 0;
}

/**
 * kvm_arch_vcpu_create() - set up the arch half of a new vCPU
 * @vcpu: the vCPU, zeroed
 *
 * Return: 0, or -ENOMEM.
 */
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r;

	r = rvkvm_vcpu_vector_create(vcpu);
	if (r)
		return r;
	r = rvkvm_pmu_vcpu_create(vcpu);
	if (r) {
		rvkvm_vcpu_vector_destroy(vcpu);
		return r;
	}
	vcpu->arch.mmu_cache.gfp_zero = __GFP_ZERO;
	vcpu->arch.cfg.hedeleg = RVKVM_HEDELEG_DEFAULT;
	vcpu->arch.last_cpu = -1;
	vcpu->arch.csrs_cpu = -1;
	spin_lock_init(&vcpu->arch.mp_lock);
	spin_lock_init(&vcpu->arch.vvma.lock);
	rvkvm_timer_vcpu_init(vcpu);
	rvkvm_vcpu_reset(vcpu);
	rvkvm_sbi_vcpu_init(vcpu);
	rvkvm_onereg_vcpu_init(vcpu);
	rvkvm_aia_vcpu_init(vcpu);
	return 0;
}

/**
 * kvm_arch_vcpu_postcreate() - act once the vCPU has its index
 * @vcpu: the vCPU
 *
 * The boot vCPU starts runnable; the others wait, stopped, to be started
 * by the guest (SBI HSM) or by userspace (KVM_SET_MP_STATE).  Decided
 * here because the generic core assigns vcpu_idx only after
 * kvm_arch_vcpu_create() returns.
 */
void kvm_arch_vcpu_postcreate(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.power_off, vcpu->vcpu_idx != 0);
}

/**
 * kvm_arch_vcpu_destroy() - free the arch half of a vCPU
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	rvkvm_vcpu_forget_held(vcpu);
	rvkvm_percpu_forget_vcpu(&rvkvm_former_vcpu, vcpu);
	rvkvm_timer_vcpu_destroy(vcpu);
	rvkvm_pmu_vcpu_destroy(vcpu);
	rvkvm_gstage_vcpu_free(vcpu);
	rvkvm_vcpu_vector_destroy(vcpu);
	rvkvm_aia_vcpu_destroy(vcpu);
}

/**
 * kvm_arch_vcpu_load() - make @vcpu current on this hart
 * @vcpu: the vCPU
 * @cpu: this hart
 *
 * The guest's VS CSRs stay live in hardware from here to the matching
 * put, so exits pay nothing for them.
 */
void __rvkvm_hot kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct rvkvm_vs_csrs *c = &vcpu->arch.csr;

	if (!rvkvm_vcpu_claim(vcpu, cpu))
		return;
	if (!rvkvm_vcpu_csrs_kept(vcpu, cpu))
		rvkvm_vcpu_load_csrs(vcpu);
	csr_write(CSR_VSIE, c->vsie);
	csr_write(CSR_HVIP, c->hvip);
	if (riscv_has_extension_unlikely(RISCV_ISA_EXT_XLINUXENVCFG))
		vcpu->arch.host_senvcfg = csr_swap(CSR_SENVCFG, c->senvcfg);
	rvkvm_timer_load(vcpu);
	rvkvm_aia_vcpu_load(vcpu);

	rvkvm_vcpu_fp_load(vcpu);
	rvkvm_vcpu_vector_load(vcpu);
	rvkvm_sta_load(vcpu);
	vcpu->cpu = cpu;
}

/**
 * kvm_arch_vcpu_put() - stop @vcpu being current on this hart
 * @vcpu: the vCPU
 */
void __rvkvm_hot kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
	struct rvkvm_vs_csrs *c = &vcpu->arch.csr;

	if (!rvkvm_vcpu_release(vcpu))
		return;
	c->vsstatus = csr_read(CSR_VSSTATUS);
	rvkvm_vcpu_fp_put(vcpu);
	rvkvm_vcpu_vector_put(vcpu);
	c->vsie = csr_read(CSR_VSIE);
	c->vstvec = csr_read(CSR_VSTVEC);
	c->vsscratch = csr_read(CSR_VSSCRATCH);
	c->vsepc = csr_read(CSR_VSEPC);
	c->vscause = csr_read(CSR_VSCAUSE);
	c->vstval = csr_read(CSR_VSTVAL);
	c->hvip = csr_read(CSR_HVIP);
	c->vsatp = csr_read(CSR_VSATP);
	/*
	 * A pending and enabled VS interrupt left behind would end every
	 * WFI of the host's idle loop on this hart: park both at zero.
	 */
	csr_write(CSR_HVIP, 0);
	csr_write(CSR_VSIE, 0);
	if (riscv_has_extension_unlikely(RISCV_ISA_EXT_XLINUXENVCFG))
		c->senvcfg = csr_swap(CSR_SENVCFG, vcpu->arch.host_senvcfg);
	rvkvm_timer_put(vcpu);
	rvkvm_aia_vcpu_put(vcpu);
	vcpu->arch.csrs_cpu = smp_processor_id();
}

/**
 * kvm_arch_vcpu_blocking() - @vcpu is about to block in the host
 * @vcpu: the vCPU
 *
 * With Sstc the guest's timer must now wake it from an hrtimer.
 */
void kvm_arch_vcpu_blocking(struct kvm_vcpu *vcpu)
{
	rvkvm_timer_blocking(vcpu);
}

/**
 * kvm_arch_vcpu_unblocking() - @vcpu stopped blocking
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_unblocking(struct kvm_vcpu *vcpu)
{
	rvkvm_timer_unblocking(vcpu);
}

/**
 * kvm_arch_vcpu_runnable() - may a blocked @vcpu run again?
 * @vcpu: the vCPU
 *
 * Return: true if it is not stopped and an enabled interrupt is pending.
 */
int kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return !READ_ONCE(vcpu->arch.power_off) &&
	       (rvkvm_vcpu_irq_deliverable(vcpu) || rvkvm_imsic_pending(vcpu));
}

/**
 * kvm_cpu_has_pending_timer() - has @vcpu's timer expired?
 * @vcpu: the vCPU
 *
 * kvm_vcpu_check_block() asks this besides kvm_arch_vcpu_runnable(): with
 * Sstc the timer interrupt is pending in vstimecmp, not in arch.irqs.
 *
 * Return: true if the guest's timer fired and the guest enabled it.
 */
int kvm_cpu_has_pending_timer(struct kvm_vcpu *vcpu)
{
	return rvkvm_timer_pending(vcpu);
}

/**
 * kvm_arch_vcpu_should_kick() - does a request need an IPI to @vcpu?
 * @vcpu: the vCPU
 *
 * Return: true while @vcpu is in guest mode, which only an IPI ends.
 */
int kvm_arch_vcpu_should_kick(struct kvm_vcpu *vcpu)
{
	return kvm_vcpu_exiting_guest_mode(vcpu) == IN_GUEST_MODE;
}

/**
 * kvm_arch_vcpu_in_kernel() - was @vcpu in guest supervisor mode?
 * @vcpu: the vCPU
 *
 * Return: true if the guest trapped from VS-mode (sstatus.SPP set).
 */
bool kvm_arch_vcpu_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest.sstatus & SR_SPP;
}

#ifdef CONFIG_GUEST_PERF_EVENTS
/**
 * kvm_arch_vcpu_get_ip() - the guest pc, for perf samples taken in it
 * @vcpu: the vCPU
 *
 * Return: the pc at which the guest last trapped.
 */
unsigned long kvm_arch_vcpu_get_ip(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest.gpr[RVKVM_PC];
}
#endif

/**
 * kvm_arch_vcpu_fault() - mmap fault on the vCPU file beyond kvm_run
 * @vcpu: the vCPU
 * @vmf: the fault
 *
 * Return: VM_FAULT_SIGBUS: nothing else is mappable.
 */
vm_fault_t kvm_arch_vcpu_fault(struct kvm_vcpu *vcpu, struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

/* Interrupts ----------------------------------------------------------- */

/**
 * rvkvm_vcpu_wait_irq() - sleep until an enabled interrupt is pending
 * @vcpu: the loaded vCPU, in the run loop (kvm->srcu held)
 *
 * For WFI and the SBI retentive suspend; a signal or a request also ends
 * the wait, as on hardware any event may.
 */
void rvkvm_vcpu_wait_irq(struct kvm_vcpu *vcpu)
	__must_hold(&vcpu->kvm->srcu)
{
	/* vsie is live in hardware; runnable() reads the saved copy. */
	scoped_guard(preempt) {
		rvkvm_vcpu_hold(vcpu);
		vcpu->arch.csr.vsie = csr_read(CSR_VSIE);
	}
	if (kvm_arch_vcpu_runnable(vcpu))
		return;
	kvm_vcpu_srcu_read_unlock(vcpu);
	kvm_vcpu_halt(vcpu);
	kvm_vcpu_srcu_read_lock(vcpu);
}

/* Power state ---------------------------------------------------------- */

/**
 * rvkvm_vcpu_power_off() - stop @vcpu; it sleeps until powered on
 * @vcpu: the vCPU
 */
void rvkvm_vcpu_power_off(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.power_off, true);
	kvm_make_request(KVM_REQ_SLEEP, vcpu);
	kvm_vcpu_kick(vcpu);
}

/**
 * rvkvm_vcpu_power_on() - let a stopped @vcpu run again
 * @vcpu: the vCPU
 */
void rvkvm_vcpu_power_on(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.power_off, false);
	kvm_vcpu_wake_up(vcpu);
}

/*
 * A stopped vCPU sleeps in KVM_RUN until powered on; a signal wakes it
 * only to let the run loop return -EINTR.
 */
static void rvkvm_vcpu_sleep(struct kvm_vcpu *vcpu)
	__must_hold(&vcpu->kvm->srcu)
{
	kvm_vcpu_srcu_read_unlock(vcpu);
	rcuwait_wait_event(kvm_arch_vcpu_get_wait(vcpu),
			   !READ_ONCE(vcpu->arch.power_off),
			   TASK_INTERRUPTIBLE);
	kvm_vcpu_srcu_read_lock(vcpu);
}

/**
 * kvm_arch_vcpu_ioctl_get_mpstate() - KVM_GET_MP_STATE
 * @vcpu: the vCPU
 * @mp_state: where to put the state
 *
 * Return: 0.
 */
int kvm_arch_vcpu_ioctl_get_mpstate(struct kvm_vcpu *vcpu,
				    struct kvm_mp_state *mp_state)
{
	mp_state->mp_state = READ_ONCE(vcpu->arch.power_off) ?
			     KVM_MP_STATE_STOPPED : KVM_MP_STATE_RUNNABLE;
	return 0;
}

/**
 * kvm_arch_vcpu_ioctl_set_mpstate() - KVM_SET_MP_STATE
 * @vcpu: the vCPU, not running (the caller holds its mutex)
 * @mp_state: the new state: RUNNABLE or STOPPED, or INIT_RECEIVED once
 *	the VM enabled KVM_CAP_RISCV_MP_STATE_RESET
 *
 * INIT_RECEIVED resets the vCPU at once and keeps its power state.
 *
 * Return: 0, or -EINVAL for any other state.
 */
int kvm_arch_vcpu_ioctl_set_mpstate(struct kvm_vcpu *vcpu,
				    struct kvm_mp_state *mp_state)
{
	int r = 0;

	if (mp_state->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
		if (!READ_ONCE(vcpu->kvm->arch.mp_state_reset))
			return -EINVAL;
		/* Not loaded: its state is all in memory. */
		rvkvm_vcpu_reset(vcpu);
		rvkvm_pmu_vcpu_reset(vcpu);
		return 0;
	}
	spin_lock(&vcpu->arch.mp_lock);
	switch (mp_state->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		rvkvm_vcpu_power_on(vcpu);
		break;
	case KVM_MP_STATE_STOPPED:
		rvkvm_vcpu_power_off(vcpu);
		break;
	default:
		r = -EINVAL;
	}
	spin_unlock(&vcpu->arch.mp_lock);
	return r;
}

/* The run loop --------------------------------------------------------- */

/*
 * Requests are made from anywhere; act on them before entering.  The
 * TLB kinds are not among them: they are carried out in the translation
 * section (rvkvm_vcpu_tlb_enter()), on the hart that then translates.
 * Return: RVKVM_RESUME, RVKVM_TO_USER for a full dirty ring, or -EIO for
 * a VM the generic core declared dead.
 */
static int __rvkvm_hot rvkvm_vcpu_requests(struct kvm_vcpu *vcpu)
{
	if (!kvm_request_pending(vcpu) && !READ_ONCE(vcpu->arch.power_off))
		return RVKVM_RESUME;
	if (kvm_check_request(KVM_REQ_VM_DEAD, vcpu))
		return -EIO;
	if (rvkvm_dirty_ring_full(vcpu))
		return RVKVM_TO_USER;
	if (kvm_check_request(KVM_REQ_SLEEP, vcpu) ||
	    READ_ONCE(vcpu->arch.power_off))
		rvkvm_vcpu_sleep(vcpu);
	if (kvm_check_request(KVM_REQ_VCPU_RESET, vcpu)) {
		rvkvm_vcpu_reset_loaded(vcpu);
		/* Outside reset_loaded: perf may sleep, preemption may not. */
		rvkvm_pmu_vcpu_reset(vcpu);
	}
	if (kvm_check_request(KVM_REQ_STEAL_UPDATE, vcpu))
		rvkvm_sta_record(vcpu);
	return RVKVM_RESUME;
}

/*
 * The guest runs between these two calls.  noinstr: nothing may be
 * traced or instrumented while the host's state is half switched.
 */
static noinstr void rvkvm_vcpu_enter_exit(struct kvm_vcpu *vcpu)
{
	guest_state_enter_irqoff();
	__rvkvm_switch_to(&vcpu->arch);
	guest_state_exit_irqoff();
}

/*
 * The exit fast path (Documentation/design.rst): after an exit that
 * rvkvm_vcpu_exit(@vcpu, true) handled with interrupts still off, may
 * the guest be entered again at once?  Not while anything the full loop
 * acts on waits: a kick (the mode is no longer IN_GUEST_MODE), a
 * request, a signal or a reschedule, or a stale VMID.  The translation
 * section and the VS-file's hart still hold: nothing has left them.
 */
static bool __rvkvm_hot rvkvm_vcpu_reenter(struct kvm_vcpu *vcpu)
{
	if (READ_ONCE(vcpu->mode) != IN_GUEST_MODE ||
	    kvm_request_pending(vcpu) || xfer_to_guest_mode_work_pending() ||
	    !rvkvm_vcpu_tlb_enter(vcpu))
		return false;
	rvkvm_vcpu_flush_irqs(vcpu);
	return true;
}

/*
 * Entries into the guest and back, with everything that must happen
 * with interrupts off, the exits the fast path handles among them.
 * Return: what the last exit's handling returned, RVKVM_SLOW for an
 * exit still to handle, or RVKVM_RESUME with nothing run, when work
 * arrived after the last check and the loop must go round again.
 */
static int __rvkvm_hot rvkvm_vcpu_run_once(struct kvm_vcpu *vcpu)
	__must_hold(&vcpu->kvm->srcu)
{
	int r;

	preempt_disable();
	rvkvm_vcpu_hold(vcpu);
	rvkvm_vcpu_tlb_prepare(vcpu);
	local_irq_disable();

	/*
	 * Kicks from now on IPI us; anything earlier is seen below.  The
	 * translation section begins (rvkvm_vcpu_tlb_enter()) and lasts
	 * until the mode is OUTSIDE_GUEST_MODE again after the exits.
	 */
	smp_store_mb(vcpu->mode, IN_GUEST_MODE);
	if (!rvkvm_vcpu_tlb_enter(vcpu) || kvm_request_pending(vcpu) ||
	    xfer_to_guest_mode_work_pending() || !rvkvm_imsic_enter(vcpu)) {
		/* Nothing ran: no access to order before the mode. */
		smp_store_release(&vcpu->mode, OUTSIDE_GUEST_MODE);
		local_irq_enable();
		preempt_enable();
		return RVKVM_RESUME;
	}
	rvkvm_vcpu_flush_irqs(vcpu);
	kvm_vcpu_srcu_read_unlock(vcpu);

	guest_timing_enter_irqoff();
	for (;;) {
		trace_kvm_entry(vcpu);
		rvkvm_vcpu_enter_exit(vcpu);
		vcpu->stat.exits++;
		trace_kvm_exit(vcpu);
		rvkvm_vcpu_sync_irqs(vcpu);
		r = rvkvm_vcpu_exit(vcpu, true);
		trace_kvm_exit_handled(vcpu, true, r);
		if (r == RVKVM_SLOW)
			break;
		vcpu->stat.fast_exits++;
		if (r != RVKVM_RESUME || !rvkvm_vcpu_reenter(vcpu))
			break;
	}
	vcpu->mode = OUTSIDE_GUEST_MODE;
	vcpu->arch.ran_once = true;
	rvkvm_imsic_exit(vcpu);

	/* A host interrupt that ended the run is taken here, as guest time. */
	local_irq_enable();
	local_irq_disable();
	guest_timing_exit_irqoff();
	local_irq_enable();
	preempt_enable();
	kvm_vcpu_srcu_read_lock(vcpu);
	return r;
}

/* Table: which guest extension needs which henvcfg enable. */
static const struct {
	unsigned int ext;
	u64 bits;
} rvkvm_henvcfg_map[] = {
	{ RISCV_ISA_EXT_SVPBMT, ENVCFG_PBMTE },
	{ RISCV_ISA_EXT_ZICBOM, (ENVCFG_CBIE_INV << ENVCFG_CBIE_SHIFT) |
				ENVCFG_CBCFE },
	{ RISCV_ISA_EXT_ZICBOZ, ENVCFG_CBZE },
	{ RISCV_ISA_EXT_SSTC, ENVCFG_STCE },
};

/*
 * The ISA is frozen from the first KVM_RUN on (ONE_REG answers EBUSY), so
 * what it implies for the hardware is computed once, here.
 */
static void rvkvm_vcpu_first_run(struct kvm_vcpu *vcpu)
{
	u64 henvcfg;
	int i;

	/* What SBI FWFT owns (set before the first run by a restore) stays. */
	rvkvm_fwft_prune(vcpu);
	henvcfg = vcpu->arch.cfg.henvcfg & RVKVM_HENVCFG_FWFT;
	for (i = 0; i < ARRAY_SIZE(rvkvm_henvcfg_map); i++)
		if (rvkvm_guest_has_ext(vcpu, rvkvm_henvcfg_map[i].ext))
			henvcfg |= rvkvm_henvcfg_map[i].bits;
	/* Svadu's hardware A/D updates only where Svade does not ask for faults. */
	if (rvkvm_guest_has_ext(vcpu, RVKVM_ISA_EXT_SVADU) &&
	    !rvkvm_guest_has_ext(vcpu, RVKVM_ISA_EXT_SVADE))
		henvcfg |= RVKVM_HENVCFG_ADUE;
	guard(preempt)();
	rvkvm_vcpu_hold(vcpu);
	vcpu->arch.cfg.henvcfg = henvcfg;
	csr_write(CSR_HENVCFG, henvcfg);
	rvkvm_vcpu_fp_config(vcpu);
	rvkvm_vcpu_vector_config(vcpu);
	rvkvm_aia_vcpu_config(vcpu);
}

/**
 * kvm_arch_vcpu_ioctl_run() - KVM_RUN
 * @vcpu: the vCPU
 *
 * Finishes the userspace exit that ended the last KVM_RUN, then enters
 * the guest until an exit needs userspace, a signal arrives, or an
 * error ends the run.  The entry code (xfer_to_guest_mode_handle_work)
 * reschedules and turns signals into KVM_EXIT_INTR.
 *
 * Return: 0 with vcpu->run filled in, or a -errno (-EINTR on a signal or
 * with immediate_exit set).
 */
int __rvkvm_hot kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	vcpu_load(vcpu);
	kvm_vcpu_srcu_read_lock(vcpu);

	r = rvkvm_vcpu_complete_exit(vcpu);
	if (r <= 0)
		goto out;
	if (!vcpu->wants_to_run) {
		r = -EINTR;
		goto out;
	}

	if (!vcpu->arch.ran_once)
		rvkvm_vcpu_first_run(vcpu);
	kvm_sigset_activate(vcpu);
	run->exit_reason = KVM_EXIT_UNKNOWN;
	r = RVKVM_RESUME;
	while (r == RVKVM_RESUME) {
		r = rvkvm_xfer_to_guest_work(vcpu);
		if (r)
			break;
		rvkvm_vmid_update(vcpu);
		r = rvkvm_vcpu_requests(vcpu);
		if (r != RVKVM_RESUME)
			break;
		r = rvkvm_imsic_update(vcpu);
		if (r != RVKVM_RESUME)
			break;
		r = rvkvm_vcpu_run_once(vcpu);
		if (r == RVKVM_SLOW) {
			r = rvkvm_vcpu_exit(vcpu, false);
			trace_kvm_exit_handled(vcpu, false, r);
		}
	}
	kvm_sigset_deactivate(vcpu);
out:
	kvm_vcpu_srcu_read_unlock(vcpu);
	vcpu_put(vcpu);
	return r;
}

/*
 * The controls KVM_SET_GUEST_DEBUG takes.  Single-step is accepted and
 * not honoured, as in 6.12: QEMU's gdbstub asks for it on every stepi
 * (KVM_CAP_SET_GUEST_DEBUG is all it checks), and refusing it makes the
 * step fail where 6.12 lets the vCPU run on to the next breakpoint.
 */
#define RVKVM_GUESTDBG_VALID	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP)

/**
 * kvm_arch_vcpu_ioctl_set_guest_debug() - KVM_SET_GUEST_DEBUG
 * @vcpu: the vCPU
 * @dbg: the debug controls: KVM_GUESTDBG_ENABLE (ebreak), and
 *	KVM_GUESTDBG_SINGLESTEP, which is ignored
 *
 * With debugging on, ebreak is no longer delegated to the guest and
 * exits to userspace as KVM_EXIT_DEBUG.  The new hedeleg takes effect at
 * the next vcpu_load, which every KVM_RUN does.
 *
 * Return: 0, or -EINVAL for a control no RISC-V KVM defines.
 */
int kvm_arch_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu,
					struct kvm_guest_debug *dbg)
{
	if (dbg->control & ~RVKVM_GUESTDBG_VALID)
		return -EINVAL;
	rvkvm_vcpu_csrs_changed(vcpu);
	if (dbg->control & KVM_GUESTDBG_ENABLE) {
		vcpu->guest_debug = dbg->control;
		vcpu->arch.cfg.hedeleg &= ~BIT(EXC_BREAKPOINT);
	} else {
		vcpu->guest_debug = 0;
		vcpu->arch.cfg.hedeleg |= BIT(EXC_BREAKPOINT);
	}
	return 0;
}

/**
 * rvkvm_vcpu_unlocked_ioctl() - vCPU ioctls that skip the vCPU mutex
 * @filp: the vCPU file
 * @ioctl: the request
 * @arg: its argument
 *
 * The generic core's hook, kvm_arch_vcpu_async_ioctl() on 6.12 and
 * kvm_arch_vcpu_unlocked_ioctl() on 7.x (compat.h).  KVM_INTERRUPT must
 * work while another thread sits in KVM_RUN holding the vCPU mutex: it
 * only sets a bit and kicks.
 *
 * Return: 0, -EFAULT, -EINVAL for a value other than SET or UNSET, or
 * -ENOIOCTLCMD to hand other requests to the locked path.
 */
long __rvkvm_hot rvkvm_vcpu_unlocked_ioctl(struct file *filp, unsigned int ioctl,
					   unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	struct kvm_interrupt irq;

	if (ioctl != KVM_INTERRUPT)
		return -ENOIOCTLCMD;
	if (copy_from_user(&irq, (void __user *)arg, sizeof(irq)))
		return -EFAULT;
	switch (irq.irq) {
	case KVM_INTERRUPT_SET:
		rvkvm_vcpu_set_irq(vcpu, IRQ_VS_EXT, true);
		return 0;
	case KVM_INTERRUPT_UNSET:
		rvkvm_vcpu_set_irq(vcpu, IRQ_VS_EXT, false);
		return 0;
	default:
		return -EINVAL;
	}
}

static long rvkvm_vcpu_ioctl_one_reg(struct kvm_vcpu *vcpu, unsigned int ioctl,
				     struct kvm_one_reg __user *ureg)
{
	struct kvm_one_reg reg;

	if (copy_from_user(&reg, ureg, sizeof(reg)))
		return -EFAULT;
	if (ioctl == KVM_SET_ONE_REG) {
		/* Any register: the tables know which ones reach csr. */
		rvkvm_vcpu_csrs_changed(vcpu);
		return rvkvm_onereg_set(vcpu, &reg);
	}
	return rvkvm_onereg_get(vcpu, &reg);
}

/* Userspace learns the size it needs from n even when it gets E2BIG. */
static long rvkvm_vcpu_ioctl_reg_list(struct kvm_vcpu *vcpu,
				      struct kvm_reg_list __user *ulist)
{
	u64 room, n = rvkvm_onereg_count(vcpu);

	if (get_user(room, &ulist->n) || put_user(n, &ulist->n))
		return -EFAULT;
	if (room < n)
		return -E2BIG;
	return rvkvm_onereg_list(vcpu, ulist->reg);
}

/**
 * kvm_arch_vcpu_ioctl() - arch vCPU ioctls
 * @filp: the vCPU file
 * @ioctl: the request
 * @arg: its argument
 *
 * Return: the request's result, or -EINVAL for requests this module does
 * not know.
 */
long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			 unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		return rvkvm_vcpu_ioctl_one_reg(vcpu, ioctl, argp);
	case KVM_GET_REG_LIST:
		return rvkvm_vcpu_ioctl_reg_list(vcpu, argp);
	default:
		return -EINVAL;
	}
}

/*
 * The x86-shaped register ioctls (KVM_{GET,SET}_{REGS,SREGS,FPU},
 * KVM_TRANSLATE) have no RISC-V meaning: ONE_REG replaces them, and they
 * fail with -EINVAL as in the upstream ABI.  The generic core calls one
 * kvm_arch_vcpu_ioctl_<name>() per ioctl; this makes them.
 */
#define RVKVM_NO_SUCH_IOCTL(name, argtype)				\
int kvm_arch_vcpu_ioctl_##name(struct kvm_vcpu *vcpu, argtype arg)	\
{									\
	return -EINVAL;							\
}

RVKVM_NO_SUCH_IOCTL(get_regs, struct kvm_regs *)
RVKVM_NO_SUCH_IOCTL(set_regs, struct kvm_regs *)
RVKVM_NO_SUCH_IOCTL(get_sregs, struct kvm_sregs *)
RVKVM_NO_SUCH_IOCTL(set_sregs, struct kvm_sregs *)
RVKVM_NO_SUCH_IOCTL(get_fpu, struct kvm_fpu *)
RVKVM_NO_SUCH_IOCTL(set_fpu, struct kvm_fpu *)
RVKVM_NO_SUCH_IOCTL(translate, struct kvm_translation *)
