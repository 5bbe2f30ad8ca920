// SPDX-License-Identifier: GPL-2.0
/*
 * The host's side of the in-kernel AIA: the guest interrupt files of the
 * host's IMSIC.  Hart h's guest file g is the 4 KiB page g above h's own
 * S-mode file; HGEI line g of h (hgeie, hgeip, hstatus.VGEIN) is its
 * interrupt, and a file with an interrupt for a vCPU that is not in the
 * guest raises the SGEI interrupt.
 *
 * Here: what the host has, said once at load; each hart's lines, handed
 * out to vCPUs (aia_imsic.c moves a vCPU's file between harts); and the
 * SGEI interrupt, taken per CPU, which tells a line's owner that its
 * file has an interrupt.  Without Ssaia, an IMSIC or guest files,
 * nothing is set up.
 */
#include <rvkvm/rvkvm.h>
#include <linux/interrupt.h>
#include <linux/irqdomain.h>
#include <linux/irqchip/riscv-imsic.h>
#include <asm/cpufeature.h>

struct rvkvm_aia_host rvkvm_aia_host __read_mostly;
static unsigned int rvkvm_sgei_irq;	/* 0: no guest files */
static DEFINE_PER_CPU(u8, rvkvm_sgei_dev);	/* request_percpu_irq()'s id */

/*
 * One hart's lines.  Set up once at load for every possible CPU, so that
 * a hart going offline and back forgets no owner.  The lock is taken
 * from the SGEI interrupt and from any CPU that releases a line.
 */
struct rvkvm_hgei {
	raw_spinlock_t lock;
	unsigned long free;			/* lines 1..files */
	struct kvm_vcpu *owner[BITS_PER_LONG];
};

static DEFINE_PER_CPU(struct rvkvm_hgei, rvkvm_hgei);

/* GEILEN: the highest line whose hgeie bit sticks, on this hart. */
static unsigned int rvkvm_geilen(void)
{
	unsigned long lines;

	csr_write(CSR_HGEIE, -1UL);
	lines = csr_read(CSR_HGEIE);
	csr_write(CSR_HGEIE, 0);
	return lines ? __fls(lines) : 0;
}

/* A line that fired is disarmed: it tells its owner once. */
static irqreturn_t rvkvm_sgei(int irq, void *dev_id)
{
	struct rvkvm_hgei *h = this_cpu_ptr(&rvkvm_hgei);
	unsigned long fired = csr_read(CSR_HGEIP) & csr_read(CSR_HGEIE);
	unsigned int line;

	csr_clear(CSR_HGEIE, fired);
	raw_spin_lock(&h->lock);
	for_each_set_bit(line, &fired, BITS_PER_LONG)
		if (h->owner[line])
			rvkvm_imsic_sgei(h->owner[line]);
	raw_spin_unlock(&h->lock);
	return IRQ_HANDLED;
}

/**
 * rvkvm_hgei_take() - a free line of this hart for @vcpu's file
 * @vcpu: the owner, told through rvkvm_imsic_sgei() when its file has
 *	an interrupt while the line is armed (hgeie)
 * @pa: set to the file's physical page
 * @va: set to the host's mapping of that page
 *
 * Call with preemption off.  The line starts disarmed.
 *
 * Return: the line (hstatus.VGEIN), or 0 if none is free.
 */
unsigned int rvkvm_hgei_take(struct kvm_vcpu *vcpu, phys_addr_t *pa,
			     void __iomem **va)
{
	const struct imsic_global_config *gc = imsic_get_global_config();
	struct rvkvm_hgei *h = this_cpu_ptr(&rvkvm_hgei);
	const struct imsic_local_config *lc;
	unsigned long flags;
	unsigned int line;

	if (!rvkvm_sgei_irq)
		return 0;
	raw_spin_lock_irqsave(&h->lock, flags);
	line = h->free ? __ffs(h->free) : 0;
	if (line) {
		__clear_bit(line, &h->free);
		h->owner[line] = vcpu;
		csr_clear(CSR_HGEIE, BIT(line));
	}
	raw_spin_unlock_irqrestore(&h->lock, flags);
	if (!line)
		return 0;
	lc = this_cpu_ptr(gc->local);
	*pa = lc->msi_pa + line * IMSIC_MMIO_PAGE_SZ;
	*va = lc->msi_va + line * IMSIC_MMIO_PAGE_SZ;
	return line;
}

/**
 * rvkvm_hgei_release() - give a line back
 * @cpu: its hart
 * @line: the line rvkvm_hgei_take() gave there
 *
 * From any CPU: its owner is forgotten at once.  Disarming it and
 * clearing its file are for the caller, on @cpu.
 */
void rvkvm_hgei_release(int cpu, unsigned int line)
{
	struct rvkvm_hgei *h = per_cpu_ptr(&rvkvm_hgei, cpu);
	unsigned long flags;

	raw_spin_lock_irqsave(&h->lock, flags);
	h->owner[line] = NULL;
	__set_bit(line, &h->free);
	raw_spin_unlock_irqrestore(&h->lock, flags);
}

/**
 * rvkvm_hgei_free_here() - has this hart a free line?
 *
 * Return: a hint, without the lock: rvkvm_hgei_take() decides.
 */
bool rvkvm_hgei_free_here(void)
{
	return rvkvm_sgei_irq && READ_ONCE(raw_cpu_ptr(&rvkvm_hgei)->free);
}

static void rvkvm_hgei_setup(unsigned int files)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct rvkvm_hgei *h = per_cpu_ptr(&rvkvm_hgei, cpu);

		raw_spin_lock_init(&h->lock);
		h->free = GENMASK(files, 1);
	}
}

/**
 * rvkvm_hgei_enable_cpu() - take SGEI on this hart, as it starts running guests
 */
void rvkvm_hgei_enable_cpu(void)
{
	if (!rvkvm_sgei_irq)
		return;
	enable_percpu_irq(rvkvm_sgei_irq, irq_get_trigger_type(rvkvm_sgei_irq));
	csr_set(CSR_HIE, BIT(IRQ_S_GEXT));
}

/**
 * rvkvm_hgei_disable_cpu() - this hart stops running guests
 */
void rvkvm_hgei_disable_cpu(void)
{
	if (!rvkvm_sgei_irq)
		return;
	csr_clear(CSR_HIE, BIT(IRQ_S_GEXT));
	csr_write(CSR_HGEIE, 0);
	disable_percpu_irq(rvkvm_sgei_irq);
}

/*
 * Guest files usable on the loading hart: its lines that have a file
 * behind them.  Sets *@why to the reason when there are none.
 */
static unsigned int rvkvm_aia_files(const struct imsic_global_config *gc,
				    const char **why)
{
	unsigned int lines, files;

	*why = "the host has no IMSIC";
	if (!gc)
		return 0;
	guard(preempt)();
	lines = rvkvm_geilen();
	files = rvkvm_imsic_files(gc, smp_processor_id());
	if (!lines)
		*why = "the hart has no guest external interrupt lines (GEILEN 0)";
	else if (!files)
		*why = "the IMSIC has no guest interrupt files";
	return min(lines, files);
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
	r = request_percpu_irq(irq, rvkvm_sgei, "rvkvm-sgei", &rvkvm_sgei_dev);
	if (r)
		return r;
	rvkvm_sgei_irq = irq;
	return 0;
}

/**
 * rvkvm_aia_init() - find the host's AIA at load
 *
 * A host without Ssaia or without guest files refuses nothing; it says
 * so once.
 *
 * Return: 0, or a -errno if the SGEI interrupt cannot be had.
 */
int rvkvm_aia_init(void)
{
	unsigned int files;
	const char *why;
	int r;

	if (!riscv_isa_extension_available(NULL, SSAIA)) {
		pr_info("AIA: the host has no Ssaia; no in-kernel AIA\n");
		return 0;
	}
	rvkvm_aia_host.ssaia = true;
	files = rvkvm_aia_files(imsic_get_global_config(), &why);
	if (!files) {
		pr_info("AIA: software interrupt files only: %s\n", why);
		return 0;
	}
	rvkvm_hgei_setup(files);
	r = rvkvm_sgei_request();
	if (r) {
		pr_err("AIA: no SGEI interrupt (%d), not loading\n", r);
		return r;
	}
	rvkvm_aia_host.files = files;
	pr_info("AIA: %u guest interrupt files on the loading hart\n", files);
	return 0;
}

/**
 * rvkvm_aia_exit() - release the SGEI interrupt, after the last hart
 * turned virtualization off
 */
void rvkvm_aia_exit(void)
{
	if (rvkvm_sgei_irq)
		free_percpu_irq(rvkvm_sgei_irq, &rvkvm_sgei_dev);
	rvkvm_sgei_irq = 0;
}
