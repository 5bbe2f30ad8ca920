// SPDX-License-Identifier: GPL-2.0
/*
 * VM lifetime, VM-level ioctls, capabilities and VM statistics.
 */
#include <rvkvm/rvkvm.h>

#define RVKVM_VM_COUNTER(name)	STATS_DESC_COUNTER(VM, name)

/* In struct kvm_vm_stat's order. */
const struct kvm_stats_desc kvm_vm_stats_desc[] = {
	KVM_GENERIC_VM_STATS(),
	RVKVM_VM_COUNTER(aia_msi_hw), RVKVM_VM_COUNTER(aia_msi_sw),
	RVKVM_VM_COUNTER(aia_msi_dropped),
	RVKVM_VM_COUNTER(aia_vsfile_moves), RVKVM_VM_COUNTER(aia_vsfile_fallbacks),
	STATS_DESC_ICOUNTER(VM, gstage_table_pages),
};

const struct kvm_stats_header kvm_vm_stats_header =
	RVKVM_STATS_HEADER(kvm_vm_stats_desc);

/**
 * kvm_arch_init_vm() - set up the arch half of a new VM
 * @kvm: the VM
 * @type: the machine type of KVM_CREATE_VM; RISC-V defines only 0
 *
 * Return: 0, -EINVAL for an unknown type, or -ENOMEM.
 */
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	if (type)
		return -EINVAL;
	rvkvm_vmid_init(kvm);
	rvkvm_timer_vm_init(kvm);
	rvkvm_aia_vm_init(kvm);
	return rvkvm_gstage_alloc_pgd(kvm);
}

/**
 * kvm_arch_destroy_vm() - tear down the arch half of a VM
 * @kvm: the VM, whose last reference is gone
 */
void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_destroy_vcpus(kvm);
	rvkvm_aia_vm_destroy(kvm);
	rvkvm_gstage_free_pgd(kvm);
}

/**
 * kvm_vm_ioctl_enable_cap() - KVM_ENABLE_CAP on a VM, arch part
 * @kvm: the VM
 * @cap: the capability and its arguments
 *
 * KVM_CAP_VM_GPA_BITS (args[0]: the address bits the VM needs) narrows
 * the G-stage mode; 7.x's KVM_CAP_RISCV_MP_STATE_RESET (args[0] must be
 * 0) makes KVM_SET_MP_STATE(INIT_RECEIVED) reset a vCPU.
 *
 * Return: 0, -EINVAL for flags, a bad argument or another capability, or
 * -EBUSY (GPA_BITS once the VM has vCPUs or memory).
 */
int kvm_vm_ioctl_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_VM_GPA_BITS:
		return rvkvm_gstage_set_gpa_bits(kvm, cap->args[0]);
#ifdef KVM_CAP_RISCV_MP_STATE_RESET	/* 7.x's uapi */
	case KVM_CAP_RISCV_MP_STATE_RESET:
		if (cap->args[0])
			return -EINVAL;
		WRITE_ONCE(kvm->arch.mp_state_reset, true);
		return 0;
#endif
	}
	return -EINVAL;
}

/**
 * kvm_arch_vm_ioctl() - arch VM ioctls (none beyond the generic ones yet)
 * @filp: the VM file
 * @ioctl: the request
 * @arg: its argument
 *
 * Return: -EINVAL.
 */
int kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	return -EINVAL;
}

/* Capabilities that are simply there: KVM_CHECK_EXTENSION answers 1. */
static const long rvkvm_caps_present[] = {
	KVM_CAP_USER_MEMORY, KVM_CAP_DESTROY_MEMORY_REGION_WORKS,
	KVM_CAP_SYNC_MMU, KVM_CAP_READONLY_MEM,
	KVM_CAP_IOEVENTFD,
	KVM_CAP_ONE_REG, KVM_CAP_MP_STATE,
	KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_SET_GUEST_DEBUG,
};

/**
 * kvm_vm_ioctl_check_extension() - KVM_CHECK_EXTENSION, arch part
 * @kvm: the VM, or NULL when asked on /dev/kvm
 * @ext: the KVM_CAP_* number
 *
 * The values are the in-tree module's of the same kernel: userspace
 * chooses its code paths by them (tests/caps_match.sh compares).
 * KVM_CAP_IRQCHIP is the host's Ssaia: the AIA device can be created.
 *
 * Return: the capability's value, 0 if not supported.
 */
int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	int i;

	switch (ext) {
	case KVM_CAP_IRQCHIP:
		return rvkvm_aia_host.ssaia;
	case KVM_CAP_NR_VCPUS:
		return min_t(unsigned int, num_online_cpus(), KVM_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return KVM_MAX_VCPUS;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_VM_GPA_BITS:
		return kvm ? rvkvm_gstage_gpa_bits(kvm) : rvkvm_host.gpa_bits;
	}
	for (i = 0; i < ARRAY_SIZE(rvkvm_caps_present); i++)
		if (rvkvm_caps_present[i] == ext)
			return 1;
	return 0;
}
