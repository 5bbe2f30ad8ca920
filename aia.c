// SPDX-License-Identifier: GPL-2.0
/*
 * The host's side of the in-kernel AIA: the guest interrupt files of the
 * host's IMSIC.  Hart h's guest file g is the 4 KiB page g above h's own
 * S-mode file; HGEI line g of h (hgeie, hgeip, hstatus.VGEIN) is its
 * interrupt, and a file with an interrupt for a vCPU that is not in the
 * guest raises the SGEI interrupt.
 *
 * Here: what the host has, said once at load, and the SGEI interrupt,
 * taken per CPU and enabled on each hart that runs guests.  The lines'
 * allocator and the kick of their owners come with the IMSIC code that
 * uses them.  Without Ssaia, an IMSIC or guest files, nothing is set up.
 */
#include <rvkvm/rvkvm.h>
#include <linux/interrupt.h>
#include <linux/irqdomain.h>
#include <linux/irqchip/riscv-imsic.h>
#include <asm/cpufeature.h>

struct rvkvm_aia_host rvkvm_aia_host __read_mostly;
static unsigned int rvkvm_sgei_irq;	/* 0: no guest files */
static DEFINE_PER_CPU(u8, rvkvm_sgei_dev);	/* request_percpu_irq()'s id */

/* GEILEN: the highest line whose hgeie bit sticks, on this hart. */
static unsigned int rvkvm_geilen(void)
{
	unsigned long lines;

	csr_write(CSR_HGEIE, -1UL);
	lines = csr_read(CSR_HGEIE);
	csr_write(CSR_HGEIE, 0);
	return lines ? __fls(lines) : 0;
}

/* A line that fired is disarmed: it wakes its vCPU once. */
static irqreturn_t rvkvm_sgei(int irq, void *dev_id)
{
	csr_clear(CSR_HGEIE, csr_read(CSR_HGEIP) & csr_read(CSR_HGEIE));
	return IRQ_HANDLED;
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
