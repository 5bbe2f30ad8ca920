// SPDX-License-Identifier: GPL-2.0
/*
 * VM-level interrupt plumbing for the generic irqchip code: routing
 * entries, MSIs and KVM_IRQ_LINE, all into the in-kernel AIA.  Until a
 * VM creates one, userspace emulates its interrupt controller and these
 * paths refuse.
 *
 * An irqchip route's pin is an APLIC source; an MSI route's address is
 * an IMSIC file page and its data the identity.  Both deliver under raw
 * spinlocks only, so irqfd injects them directly from its wakeup, with
 * interrupts off, instead of through its work item.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/aia.h>

/**
 * kvm_arch_irqchip_in_kernel() - does the VM have an in-kernel irqchip?
 * @kvm: the VM
 *
 * Return: true once its AIA device exists (CTRL_INIT may still come).
 */
bool kvm_arch_irqchip_in_kernel(struct kvm *kvm)
{
	return READ_ONCE(kvm->arch.aia.created);
}

/**
 * kvm_arch_can_set_irq_routing() - may KVM_SET_GSI_ROUTING be used?
 * @kvm: the VM
 *
 * Return: only with the in-kernel AIA, as 6.12's riscv answers.
 */
bool kvm_arch_can_set_irq_routing(struct kvm *kvm)
{
	return kvm_arch_irqchip_in_kernel(kvm);
}

/**
 * kvm_vm_ioctl_irq_line() - KVM_IRQ_LINE: an APLIC source's wire
 * @kvm: the VM
 * @irq_level: the source number and its level
 * @line_status: unused on RISC-V
 *
 * Return: 0, -ENXIO without an in-kernel irqchip, -EBUSY before
 * CTRL_INIT, -ENODEV for no such source.
 */
int kvm_vm_ioctl_irq_line(struct kvm *kvm, struct kvm_irq_level *irq_level,
			  bool line_status)
{
	if (!kvm_arch_irqchip_in_kernel(kvm))
		return -ENXIO;
	return rvkvm_aplic_set_line(kvm, irq_level->irq, irq_level->level);
}

static int rvkvm_irqchip_set(struct kvm_kernel_irq_routing_entry *e,
			     struct kvm *kvm, int irq_source_id, int level,
			     bool line_status)
{
	return rvkvm_aplic_set_line(kvm, e->irqchip.pin, level);
}

/**
 * kvm_set_msi() - deliver an MSI routed through an irqfd or KVM_SIGNAL_MSI
 * @e: the routing entry
 * @kvm: the VM
 * @irq_source_id: the source
 * @level: 0 is no MSI
 * @line_status: unused on RISC-V
 *
 * Return: 0 (also when no file is at its address), -1 for level 0,
 * -EBUSY before CTRL_INIT, -ENODEV or -EINVAL for identity 0 or one
 * beyond the file's: 6.12's answers to KVM_SIGNAL_MSI.
 */
int kvm_set_msi(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
		int irq_source_id, int level, bool line_status)
{
	if (!level)
		return -1;
	if (!rvkvm_aia_ready(kvm))
		return -EBUSY;
	return rvkvm_imsic_deliver(kvm, (u64)e->msi.address_hi << 32 |
					e->msi.address_lo, e->msi.data);
}

/**
 * kvm_set_routing_entry() - translate a userspace routing entry
 * @kvm: the VM
 * @e: the kernel entry to fill
 * @ue: the userspace entry
 *
 * Return: 0, or -EINVAL for a chip other than 0, a pin beyond the
 * APLIC's largest, or another type.
 */
int kvm_set_routing_entry(struct kvm *kvm,
			  struct kvm_kernel_irq_routing_entry *e,
			  const struct kvm_irq_routing_entry *ue)
{
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ue->u.irqchip.irqchip >= KVM_NR_IRQCHIPS ||
		    ue->u.irqchip.pin >= KVM_IRQCHIP_NUM_PINS)
			return -EINVAL;
		e->irqchip.irqchip = ue->u.irqchip.irqchip;
		e->irqchip.pin = ue->u.irqchip.pin;
		e->set = rvkvm_irqchip_set;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		e->msi.flags = ue->flags;
		e->msi.devid = ue->u.msi.devid;
		e->set = kvm_set_msi;
		return 0;
	}
	return -EINVAL;
}

/**
 * kvm_arch_set_irq_inatomic() - irqfd's direct injection
 * @e: the routing entry
 * @kvm: the VM
 * @irq_source_id: the source
 * @level: the level; 0 goes through the work item
 * @line_status: unused on RISC-V
 *
 * Return: what the entry's set() returns, or -EWOULDBLOCK.
 */
int kvm_arch_set_irq_inatomic(struct kvm_kernel_irq_routing_entry *e,
			      struct kvm *kvm, int irq_source_id, int level,
			      bool line_status)
{
	if (!level)
		return -EWOULDBLOCK;
	switch (e->type) {
	case KVM_IRQ_ROUTING_MSI:
	case KVM_IRQ_ROUTING_IRQCHIP:
		return e->set(e, kvm, irq_source_id, level, line_status);
	}
	return -EWOULDBLOCK;
}

/**
 * rvkvm_aia_default_routes() - GSI n is APLIC pin n, for n up to @srcs
 * @kvm: the VM, at CTRL_INIT
 * @srcs: its APLIC's sources
 *
 * What kvmtool relies on until it sets routes of its own.
 *
 * Return: 0 or a -errno.
 */
int rvkvm_aia_default_routes(struct kvm *kvm, u32 srcs)
{
	struct kvm_irq_routing_entry *r;
	u32 i;
	int err;

	r = kvcalloc(srcs + 1, sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	for (i = 0; i <= srcs; i++) {
		r[i].gsi = i;
		r[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		r[i].u.irqchip.pin = i;
	}
	err = kvm_set_irq_routing(kvm, r, srcs + 1, 0);
	kvfree(r);
	return err;
}
