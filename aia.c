// SPDX-License-Identifier: GPL-2.0
/*
 * The host's side of the in-kernel AIA: the guest interrupt files of the
 * host's IMSIC.  Hart h's guest file g is the 4 KiB page g above h's own
 * S-mode file; HGEI line g of h (hgeie, hgeip, hstatus.VGEIN) is its
 * interrupt.  A vCPU that runs with a hardware file owns one line of its
 * hart; a file with an interrupt for a vCPU that is not in the guest
 * raises the SGEI interrupt, whose handler kicks the owner.
 *
 * Without Ssaia, an IMSIC or guest files, nothing here is set up and the
 * in-kernel AIA can only emulate files in software; load says which.
 */
#include <rvkvm/rvkvm.h>
#include <linux/interrupt.h>
#include <linux/irqdomain.h>
#include <linux/irqchip/riscv-imsic.h>
#include <asm/cpufeature.h>

/* The HGEI lines of one hart, and which vCPU owns each. */
struct rvkvm_hgei {
	raw_spinlock_t lock;
	unsigned int nr;		/* usable lines: 1..nr */
	unsigned long free;		/* bit g: line g has no owner */
	struct kvm_vcpu *owner[BITS_PER_LONG];
};

static DEFINE_PER_CPU(struct rvkvm_hgei, rvkvm_hgei);
static unsigned int rvkvm_sgei_irq;	/* 0: no guest files */

/* What the host's AIA offers the in-kernel irqchip (rvkvm.h). */
struct rvkvm_aia_host rvkvm_aia_host;

/* GEILEN: the highest line whose hgeie bit sticks, on this hart. */
static unsigned int rvkvm_geilen(void)
{
	unsigned long lines;

	csr_write(CSR_HGEIE, -1UL);
	lines = csr_read(CSR_HGEIE);
	csr_write(CSR_HGEIE, 0);
	return lines ? __fls(lines) : 0;
}

static irqreturn_t rvkvm_sgei(int irq, void *dev_id)
{
	struct rvkvm_hgei *h = this_cpu_ptr(&rvkvm_hgei);
	unsigned long pending;
	unsigned int g;

	raw_spin_lock(&h->lock);
	pending = csr_read(CSR_HGEIP) & csr_read(CSR_HGEIE);
	/* Each line wakes its owner once, until it takes the file again. */
	csr_clear(CSR_HGEIE, pending);
	for_each_set_bit(g, &pending, BITS_PER_LONG)
		if (h->owner[g])
			kvm_vcpu_kick(h->owner[g]);
	raw_spin_unlock(&h->lock);
	return IRQ_HANDLED;
}

/* Guest files usable on this hart: its lines that have a file behind. */
static unsigned int rvkvm_files_here(const struct imsic_global_config *gc)
{
	return min(rvkvm_geilen(), rvkvm_imsic_files(gc, smp_processor_id()));
}

/* The count VM-level checks use is the smallest of any hart's. */
static void rvkvm_files_lower(unsigned int nr)
{
	unsigned int old = READ_ONCE(rvkvm_aia_host.files), seen;

	while (nr < old) {
		seen = cmpxchg(&rvkvm_aia_host.files, old, nr);
		if (seen == old)
			break;
		old = seen;
	}
}

/**
 * rvkvm_hgei_enable_cpu() - this hart's lines, as it starts running guests
 *
 * Each hart probes its own lines: harts need not be alike.
 */
void rvkvm_hgei_enable_cpu(void)
{
	struct rvkvm_hgei *h = this_cpu_ptr(&rvkvm_hgei);
	unsigned int nr;

	if (!rvkvm_sgei_irq)
		return;
	nr = rvkvm_files_here(imsic_get_global_config());
	raw_spin_lock(&h->lock);
	h->nr = nr;
	h->free = nr ? GENMASK(nr, 1) : 0;
	memset(h->owner, 0, sizeof(h->owner));
	raw_spin_unlock(&h->lock);
	rvkvm_files_lower(nr);
	enable_percpu_irq(rvkvm_sgei_irq, irq_get_trigger_type(rvkvm_sgei_irq));
	csr_set(CSR_HIE, BIT(IRQ_S_GEXT));
}

/**
 * rvkvm_hgei_disable_cpu() - this hart stops running guests
 *
 * No vCPU can own a line here any more: vCPUs were put and VMs are gone
 * before virtualization is turned off.
 */
void rvkvm_hgei_disable_cpu(void)
{
	if (!rvkvm_sgei_irq)
		return;
	csr_clear(CSR_HIE, BIT(IRQ_S_GEXT));
	csr_write(CSR_HGEIE, 0);
	disable_percpu_irq(rvkvm_sgei_irq);
}

/**
 * rvkvm_hgei_take() - a free line of this hart for @vcpu
 * @vcpu: the vCPU that will run with the line's guest file
 * @pa: set to the file's physical address
 *
 * Call with preemption off; the line belongs to this hart.
 *
 * Return: the line (1..), or 0 if the hart has none free.
 */
unsigned int rvkvm_hgei_take(struct kvm_vcpu *vcpu, phys_addr_t *pa)
{
	struct rvkvm_hgei *h = this_cpu_ptr(&rvkvm_hgei);
	const struct imsic_global_config *gc;
	unsigned long flags;
	unsigned int g = 0;

	raw_spin_lock_irqsave(&h->lock, flags);
	if (h->free) {
		g = __ffs(h->free);
		__clear_bit(g, &h->free);
		h->owner[g] = vcpu;
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	if (g) {
		gc = imsic_get_global_config();
		*pa = per_cpu_ptr(gc->local, smp_processor_id())->msi_pa +
		      g * IMSIC_MMIO_PAGE_SZ;
	}
	return g;
}

/**
 * rvkvm_hgei_release() - give a line back
 * @cpu: the hart it belongs to
 * @g: the line, as rvkvm_hgei_take() returned it
 *
 * From any hart: a stale hgeie bit on @cpu finds no owner in the SGEI
 * handler, and the next owner's put arms it afresh.
 */
void rvkvm_hgei_release(int cpu, unsigned int g)
{
	struct rvkvm_hgei *h = per_cpu_ptr(&rvkvm_hgei, cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&h->lock, flags);
	h->owner[g] = NULL;
	__set_bit(g, &h->free);
	raw_spin_unlock_irqrestore(&h->lock, flags);
}

/* Why the host offers no guest files, or NULL if it does. */
static const char *rvkvm_aia_files_missing(const struct imsic_global_config *gc)
{
	if (!gc)
		return "the host has no IMSIC";
	if (!rvkvm_geilen())
		return "the hart has no guest external interrupt lines (GEILEN 0)";
	if (!rvkvm_imsic_files(gc, smp_processor_id()))
		return "the IMSIC has no guest interrupt files";
	return NULL;
}

static int rvkvm_sgei_request(void)
{
	struct irq_domain *d;
	int irq, r;

	d = irq_find_matching_fwnode(riscv_get_intc_hwnode(), DOMAIN_BUS_ANY);
	if (!d)
		return -ENODEV;
	irq = irq_create_mapping(d, IRQ_S_GEXT);
	if (!irq)
		return -ENODEV;
	r = request_percpu_irq(irq, rvkvm_sgei, "rvkvm-sgei", &rvkvm_hgei);
	if (r)
		return r;
	rvkvm_sgei_irq = irq;
	return 0;
}

/**
 * rvkvm_aia_init() - find the host's AIA at load
 *
 * A host without Ssaia keeps the in-kernel AIA off; one without guest
 * files offers software files only.  Neither refuses the load, and
 * either says so once.
 *
 * Return: 0, or a -errno if the SGEI interrupt cannot be had.
 */
int rvkvm_aia_init(void)
{
	const struct imsic_global_config *gc;
	const char *why;
	int cpu, r;

	if (!riscv_isa_extension_available(NULL, SSAIA)) {
		pr_info("AIA: the host has no Ssaia; no in-kernel AIA\n");
		return 0;
	}
	rvkvm_aia_host.ssaia = true;
	gc = imsic_get_global_config();
	preempt_disable();
	why = rvkvm_aia_files_missing(gc);
	if (!why)
		rvkvm_aia_host.files = rvkvm_files_here(gc);
	preempt_enable();
	if (why) {
		pr_info("AIA: software interrupt files only: %s\n", why);
		return 0;
	}
	for_each_possible_cpu(cpu)
		raw_spin_lock_init(&per_cpu_ptr(&rvkvm_hgei, cpu)->lock);
	r = rvkvm_sgei_request();
	if (r) {
		pr_err("AIA: no SGEI interrupt (%d), not loading\n", r);
		return r;
	}
	/* Each hart may lower the count as it starts running guests. */
	pr_info("AIA: %u guest interrupt files on the loading hart\n",
		rvkvm_aia_host.files);
	return 0;
}

/**
 * rvkvm_aia_exit() - release the SGEI interrupt, after the last hart
 * turned virtualization off
 */
void rvkvm_aia_exit(void)
{
	if (rvkvm_sgei_irq)
		free_percpu_irq(rvkvm_sgei_irq, &rvkvm_hgei);
	rvkvm_sgei_irq = 0;
}
