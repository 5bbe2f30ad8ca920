// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU lifetime, vCPU ioctls and vCPU statistics.
 */
#include <rvkvm/rvkvm.h>
#include <linux/entry-kvm.h>

#define RVKVM_COUNTER(name)	STATS_DESC_COUNTER(VCPU, name)

/* In struct kvm_vcpu_stat's order, which is the ABI's. */
const struct kvm_stats_desc kvm_vcpu_stats_desc[] = {
	KVM_GENERIC_VCPU_STATS(),
	RVKVM_COUNTER(ecall_exit_stat), RVKVM_COUNTER(wfi_exit_stat),
	RVKVM_COUNTER(wrs_exit_stat),
	RVKVM_COUNTER(mmio_exit_user), RVKVM_COUNTER(mmio_exit_kernel),
	RVKVM_COUNTER(csr_exit_user), RVKVM_COUNTER(csr_exit_kernel),
	RVKVM_COUNTER(signal_exits), RVKVM_COUNTER(exits),
};

/* One descriptor per counter: the generic part holds histograms, so
 * compare where the last counter ends instead of counting words.
 */
static_assert(offsetof(struct kvm_vcpu_stat, exits) + sizeof(u64) ==
	      sizeof(struct kvm_vcpu_stat));

const struct kvm_stats_header kvm_vcpu_stats_header =
	RVKVM_STATS_HEADER(kvm_vcpu_stats_desc);

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
 * The boot vCPU starts runnable; the others wait, stopped, to be started
 * by the guest (SBI HSM) or by userspace (KVM_SET_MP_STATE).
 *
 * Return: 0.
 */
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	vcpu->arch.power_off = vcpu->vcpu_idx != 0;
	return 0;
}

/**
 * kvm_arch_vcpu_postcreate() - act once the vCPU is visible (nothing yet)
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_postcreate(struct kvm_vcpu *vcpu)
{
}

/**
 * kvm_arch_vcpu_destroy() - free the arch half of a vCPU
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
}

/**
 * kvm_arch_vcpu_load() - make @vcpu current on this hart
 * @vcpu: the vCPU
 * @cpu: this hart
 */
void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
}

/**
 * kvm_arch_vcpu_put() - stop @vcpu being current on this hart
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
}

/**
 * kvm_arch_vcpu_blocking() - @vcpu is about to block in the host
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_blocking(struct kvm_vcpu *vcpu)
{
}

/**
 * kvm_arch_vcpu_unblocking() - @vcpu stopped blocking
 * @vcpu: the vCPU
 */
void kvm_arch_vcpu_unblocking(struct kvm_vcpu *vcpu)
{
}

/**
 * kvm_arch_vcpu_runnable() - may a blocked @vcpu run again?
 * @vcpu: the vCPU
 *
 * Return: 0: interrupts reach a vCPU only once it can run.
 */
int kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	return 0;
}

/**
 * kvm_cpu_has_pending_timer() - has @vcpu's timer expired?
 * @vcpu: the vCPU
 *
 * Return: 0: no guest timer yet.
 */
int kvm_cpu_has_pending_timer(struct kvm_vcpu *vcpu)
{
	return 0;
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
 * @vcpu: the vCPU
 * @mp_state: the new state: RUNNABLE or STOPPED
 *
 * Return: 0, or -EINVAL for any other state.
 */
int kvm_arch_vcpu_ioctl_set_mpstate(struct kvm_vcpu *vcpu,
				    struct kvm_mp_state *mp_state)
{
	switch (mp_state->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		WRITE_ONCE(vcpu->arch.power_off, false);
		return 0;
	case KVM_MP_STATE_STOPPED:
		WRITE_ONCE(vcpu->arch.power_off, true);
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * kvm_arch_vcpu_ioctl_run() - KVM_RUN
 * @vcpu: the vCPU
 *
 * The host's entry code (xfer_to_guest_mode_handle_work) reschedules and
 * turns a pending signal into KVM_EXIT_INTR.  Until the world switch
 * exists the vCPU idles in this loop where the guest would run, which
 * already exercises the host writing into our struct kvm_vcpu.
 *
 * Return: -EINTR on a signal or with immediate_exit set.
 */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	int r;

	if (!vcpu->wants_to_run)
		return -EINTR;

	vcpu_load(vcpu);
	kvm_sigset_activate(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	do {
		cpu_relax();
		r = xfer_to_guest_mode_handle_work(vcpu);
	} while (!r);
	kvm_sigset_deactivate(vcpu);
	vcpu_put(vcpu);
	return r;
}

/**
 * kvm_arch_vcpu_ioctl_set_guest_debug() - KVM_SET_GUEST_DEBUG
 * @vcpu: the vCPU
 * @dbg: the debug controls
 *
 * Return: -EINVAL until guest debug exits exist.
 */
int kvm_arch_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu,
					struct kvm_guest_debug *dbg)
{
	return -EINVAL;
}

/**
 * kvm_arch_vcpu_async_ioctl() - vCPU ioctls that skip the vCPU mutex
 * @filp: the vCPU file
 * @ioctl: the request
 * @arg: its argument
 *
 * Return: -ENOIOCTLCMD, handing every request to the locked path.
 */
long kvm_arch_vcpu_async_ioctl(struct file *filp, unsigned int ioctl,
			       unsigned long arg)
{
	return -ENOIOCTLCMD;
}

/**
 * kvm_arch_vcpu_ioctl() - arch vCPU ioctls
 * @filp: the vCPU file
 * @ioctl: the request
 * @arg: its argument
 *
 * Return: -EINVAL for requests this module does not know.
 */
long kvm_arch_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			 unsigned long arg)
{
	return -EINVAL;
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
