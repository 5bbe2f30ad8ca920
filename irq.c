// SPDX-License-Identifier: GPL-2.0
/*
 * VM-level interrupt plumbing for the generic irqchip code: routing
 * entries, MSIs and KVM_IRQ_LINE.  Everything here targets the in-kernel
 * AIA; until a VM has one, userspace emulates its interrupt controller
 * and these paths refuse.
 */
#include <rvkvm/rvkvm.h>

/**
 * kvm_arch_irqchip_in_kernel() - does the VM have an in-kernel irqchip?
 * @kvm: the VM
 *
 * Return: false: there is no in-kernel AIA yet.
 */
bool kvm_arch_irqchip_in_kernel(struct kvm *kvm)
{
	return false;
}

/**
 * kvm_vm_ioctl_irq_line() - KVM_IRQ_LINE
 * @kvm: the VM
 * @irq_level: the line and its level
 * @line_status: unused on RISC-V
 *
 * Return: -ENXIO: no in-kernel irqchip to drive.
 */
int kvm_vm_ioctl_irq_line(struct kvm *kvm, struct kvm_irq_level *irq_level,
			  bool line_status)
{
	return -ENXIO;
}

/**
 * kvm_set_routing_entry() - translate a userspace routing entry
 * @kvm: the VM
 * @e: the kernel entry to fill
 * @ue: the userspace entry
 *
 * Return: -EINVAL: there is nothing to route to yet.
 */
int kvm_set_routing_entry(struct kvm *kvm,
			  struct kvm_kernel_irq_routing_entry *e,
			  const struct kvm_irq_routing_entry *ue)
{
	return -EINVAL;
}

/**
 * kvm_set_msi() - deliver an MSI routed through an irqfd or KVM_SIGNAL_MSI
 * @e: the routing entry
 * @kvm: the VM
 * @irq_source_id: the source
 * @level: the level
 * @line_status: unused on RISC-V
 *
 * Return: -EINVAL: no IMSIC to deliver to yet.
 */
int kvm_set_msi(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
		int irq_source_id, int level, bool line_status)
{
	return -EINVAL;
}
