// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's VS-level interrupt lines: raised and lowered from any
 * context (another vCPU's IPI, an hrtimer, a perf overflow, KVM_INTERRUPT
 * from any thread), copied into hvip before each guest entry, and folded
 * back after each exit where the guest itself cleared a line through sip.
 *
 * The lines live in one word, arch.irqs: the level of hvip bit n in bit
 * n, and in bit n + RVKVM_IRQ_MARK_SHIFT a mark that the level changed
 * since the vCPU last copied it into hvip.  A level and its mark are
 * only ever updated together by one atomic operation.  With two words
 * the fold-back after an exit could test "no mark" and then clear the
 * level, while in between an injector re-raised the line and set the
 * mark: the entry then copied the cleared level, and the IPI was lost.
 */
#include <rvkvm/rvkvm.h>

#define RVKVM_IRQ_MARK_SHIFT	32
#define RVKVM_IRQ_LEVELS	GENMASK(RVKVM_IRQ_MARK_SHIFT - 1, 0)

/* The lines injected through hvip; their enables sit one bit lower in
 * vsie, except LCOFI (Sscofpmf), whose enable is at its own bit.
 */
#define RVKVM_VS_LINES		(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | \
				 BIT(IRQ_VS_EXT))
#define RVKVM_ALL_LINES		(RVKVM_VS_LINES | BIT(IRQ_PMU_OVF))
static_assert(RVKVM_ALL_LINES <= RVKVM_IRQ_LEVELS);

/* Lines the guest can clear itself, by writing sip. */
#define RVKVM_GUEST_CLEARED	(BIT(IRQ_VS_SOFT) | BIT(IRQ_PMU_OVF))

static unsigned long __rvkvm_hot rvkvm_irq_marks(unsigned long irqs)
{
	return irqs >> RVKVM_IRQ_MARK_SHIFT;
}

/**
 * rvkvm_vcpu_set_irq() - raise or lower a VS interrupt of @vcpu
 * @vcpu: the vCPU
 * @irq: IRQ_VS_SOFT, IRQ_VS_TIMER, IRQ_VS_EXT or IRQ_PMU_OVF
 * @level: raise or lower
 *
 * Safe from any context.  The fully ordered update comes before the
 * kick reads vcpu->mode: a vCPU that entered without the change is
 * sent an IPI, one that had not yet entered sees it at its flush.
 */
void rvkvm_vcpu_set_irq(struct kvm_vcpu *vcpu, unsigned int irq, bool level)
{
	atomic_long_t *irqs = &vcpu->arch.irqs;
	unsigned long old = atomic_long_read(irqs), new;

	do {
		new = (old & ~BIT(irq)) | BIT(irq + RVKVM_IRQ_MARK_SHIFT);
		if (level)
			new |= BIT(irq);
	} while (!atomic_long_try_cmpxchg(irqs, &old, new));
	kvm_vcpu_kick(vcpu);
}

/**
 * rvkvm_vcpu_irq_level() - is a line of @vcpu raised?
 * @vcpu: the vCPU
 * @irq: the hvip bit
 *
 * Return: its level, flushed into hvip or not.
 */
bool rvkvm_vcpu_irq_level(struct kvm_vcpu *vcpu, unsigned int irq)
{
	return atomic_long_read(&vcpu->arch.irqs) & BIT(irq);
}

/**
 * rvkvm_vcpu_irq_deliverable() - is an interrupt the guest enabled pending?
 * @vcpu: the vCPU, with arch.csr.vsie up to date
 *
 * Return: true if WFI would end for one of the lines.
 */
bool rvkvm_vcpu_irq_deliverable(struct kvm_vcpu *vcpu)
{
	unsigned long levels = atomic_long_read(&vcpu->arch.irqs);
	unsigned long vsie = vcpu->arch.csr.vsie;

	return (levels & (vsie << VSIP_TO_HVIP_SHIFT) & RVKVM_VS_LINES) ||
	       (levels & vsie & BIT(IRQ_PMU_OVF));
}

/**
 * rvkvm_vcpu_flush_irqs() - copy changed levels into hvip
 * @vcpu: the loaded vCPU, interrupts off, right before entry
 */
void __rvkvm_hot rvkvm_vcpu_flush_irqs(struct kvm_vcpu *vcpu)
{
	unsigned long old, changed;

	if (!rvkvm_irq_marks(atomic_long_read(&vcpu->arch.irqs)))
		return;
	/* Take every mark with the levels they go with, in one step. */
	old = atomic_long_fetch_and(RVKVM_IRQ_LEVELS, &vcpu->arch.irqs);
	changed = rvkvm_irq_marks(old);
	csr_write(CSR_HVIP, (csr_read(CSR_HVIP) & ~changed) | (old & changed));
	if (changed & BIT(IRQ_VS_EXT))
		rvkvm_aia_ext_line(old & BIT(IRQ_VS_EXT));
}

/**
 * rvkvm_vcpu_sync_irqs() - fold the guest's own clearing back
 * @vcpu: the loaded vCPU, interrupts off, right after an exit
 *
 * The guest may have cleared its software interrupt (or its counter
 * overflow) through sip, which clears that hvip bit.  The level follows,
 * unless a change is marked: that one is newer and the next flush
 * applies it.  hvip is read only when such a line is up, which most
 * exits skip.
 */
void __rvkvm_hot rvkvm_vcpu_sync_irqs(struct kvm_vcpu *vcpu)
{
	atomic_long_t *irqs = &vcpu->arch.irqs;
	unsigned long old = atomic_long_read(irqs), gone;

	if (likely(!(old & RVKVM_GUEST_CLEARED & ~rvkvm_irq_marks(old))))
		return;
	gone = RVKVM_GUEST_CLEARED & ~csr_read(CSR_HVIP);
	do {
		if (!(old & gone & ~rvkvm_irq_marks(old)))
			return;
	} while (!atomic_long_try_cmpxchg(irqs, &old,
					  old & ~(gone & ~rvkvm_irq_marks(old))));
}

/**
 * rvkvm_vcpu_irq_reset() - lower every line of @vcpu
 * @vcpu: the vCPU being reset, not running
 */
void rvkvm_vcpu_irq_reset(struct kvm_vcpu *vcpu)
{
	atomic_long_set(&vcpu->arch.irqs, 0);
}

/* The sip bits the lines show up as: VS lines one bit lower, LCOFI not. */
static unsigned long rvkvm_hvip_to_sip(unsigned long hvip)
{
	return ((hvip & RVKVM_VS_LINES) >> VSIP_TO_HVIP_SHIFT) |
	       (hvip & BIT(IRQ_PMU_OVF));
}

static unsigned long rvkvm_sip_to_hvip(unsigned long sip)
{
	return ((sip << VSIP_TO_HVIP_SHIFT) & RVKVM_VS_LINES) |
	       (sip & BIT(IRQ_PMU_OVF));
}

/* LCOFIP is read-only zero for a guest without Sscofpmf. */
static unsigned long rvkvm_vcpu_lines(struct kvm_vcpu *vcpu)
{
	if (rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SSCOFPMF))
		return RVKVM_ALL_LINES;
	return RVKVM_VS_LINES;
}

/**
 * rvkvm_vcpu_sip_get() - sip as the guest would read it at its next entry
 * @vcpu: the vCPU, not loaded (csr.hvip is the saved hvip)
 *
 * Return: the saved hvip with the changes not yet flushed applied, as sip.
 */
unsigned long rvkvm_vcpu_sip_get(struct kvm_vcpu *vcpu)
{
	unsigned long irqs = atomic_long_read(&vcpu->arch.irqs);
	unsigned long changed = rvkvm_irq_marks(irqs);
	unsigned long hvip = (vcpu->arch.csr.hvip & ~changed) | (irqs & changed);

	return rvkvm_hvip_to_sip(hvip & rvkvm_vcpu_lines(vcpu));
}

/**
 * rvkvm_vcpu_sip_set() - set the pending lines from a saved sip
 * @vcpu: the vCPU, not loaded
 * @sip: the value; bits that are no line of this guest are ignored
 *
 * The levels and the saved hvip agree afterwards, and no change is left
 * marked: an injection racing with this either lands before it and is
 * overwritten, or after it and is applied on top.
 */
void rvkvm_vcpu_sip_set(struct kvm_vcpu *vcpu, unsigned long sip)
{
	unsigned long lines = rvkvm_vcpu_lines(vcpu);
	unsigned long hvip = rvkvm_sip_to_hvip(sip) & lines;
	atomic_long_t *irqs = &vcpu->arch.irqs;
	unsigned long old = atomic_long_read(irqs), new;

	do {
		new = (old & ~lines & ~(lines << RVKVM_IRQ_MARK_SHIFT)) | hvip;
	} while (!atomic_long_try_cmpxchg(irqs, &old, new));
	vcpu->arch.csr.hvip = (vcpu->arch.csr.hvip & ~RVKVM_ALL_LINES) | hvip;
}
