// SPDX-License-Identifier: GPL-2.0
/*
 * rvkvm module entry: refuse hosts we cannot serve, detect what the host
 * offers, program the per-CPU hypervisor CSRs, and hand over to the
 * generic KVM core.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/pmu.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <asm/cpufeature.h>
#include <asm/sbi.h>

struct rvkvm_host rvkvm_host __ro_after_init;

/* Guest exceptions the guest kernel handles itself, without an exit. */
#define RVKVM_HEDELEG	(BIT(EXC_INST_MISALIGNED) | BIT(EXC_BREAKPOINT) | \
			 BIT(EXC_SYSCALL) | BIT(EXC_INST_PAGE_FAULT) | \
			 BIT(EXC_LOAD_PAGE_FAULT) | BIT(EXC_STORE_PAGE_FAULT))
/* VS-level interrupts, delivered to the guest through hvip. */
#define RVKVM_HIDELEG	(BIT(IRQ_VS_SOFT) | BIT(IRQ_VS_TIMER) | BIT(IRQ_VS_EXT))

/**
 * kvm_arch_enable_virtualization_cpu() - prepare this hart for guests
 *
 * Return: 0.
 */
int kvm_arch_enable_virtualization_cpu(void)
{
	csr_write(CSR_HEDELEG, RVKVM_HEDELEG);
	csr_write(CSR_HIDELEG, RVKVM_HIDELEG);
	/*
	 * Only time reads straight from the hart: the guest's counters are
	 * virtual (vcpu_pmu.c), so cycle, instret and hpmcounterN trap.
	 */
	csr_write(CSR_HCOUNTEREN, BIT(CSR_TIME - CSR_CYCLE));
	csr_write(CSR_HVIP, 0);
	rvkvm_vcpu_forget_csrs_here();
	rvkvm_timer_park_cpu();
	rvkvm_pmu_enable_cpu();
	rvkvm_aia_enable_cpu();
	rvkvm_hgei_enable_cpu();
	return 0;
}

/**
 * kvm_arch_disable_virtualization_cpu() - return this hart to the host
 *
 * VS interrupt enables and pending bits go first: clearing hideleg while
 * one is still pending would deliver it to the host as a spurious
 * interrupt.
 */
void kvm_arch_disable_virtualization_cpu(void)
{
	csr_write(CSR_VSIE, 0);
	csr_write(CSR_HVIP, 0);
	rvkvm_timer_park_cpu();
	rvkvm_pmu_disable_cpu();
	rvkvm_hgei_disable_cpu();
	csr_write(CSR_HEDELEG, 0);
	csr_write(CSR_HIDELEG, 0);
	rvkvm_vcpu_forget_csrs_here();
}

/**
 * kvm_arch_dev_ioctl() - arch ioctls on /dev/kvm (there are none)
 * @filp: the /dev/kvm file
 * @ioctl: the request
 * @arg: its argument
 *
 * Return: -EINVAL.
 */
long kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl,
			unsigned long arg)
{
	return -EINVAL;
}

/*
 * The generic core would fail at misc_register() only after setting up
 * every CPU, and with a message that names neither cause nor holder; a
 * short-lived registration of the same minor answers the question first.
 */
static int rvkvm_dev_kvm_free(void)
{
	struct miscdevice probe = { .minor = KVM_MINOR, .name = "kvm" };
	int r = misc_register(&probe);

	if (r) {
		pr_err("/dev/kvm (misc minor %d) is held by another module, not loading\n",
		       KVM_MINOR);
		return r;
	}
	misc_deregister(&probe);
	return 0;
}

static int rvkvm_host_check(void)
{
	if (!riscv_isa_extension_available(NULL, h)) {
		pr_err("the CPU has no H (hypervisor) extension, not loading\n");
		return -ENODEV;
	}
	/* Remote fences for guest TLB maintenance need SBI v0.2 RFENCE. */
	if (sbi_spec_is_0_1() || sbi_probe_extension(SBI_EXT_RFENCE) <= 0) {
		pr_err("the SBI firmware lacks the RFENCE extension, not loading\n");
		return -ENODEV;
	}
	return 0;
}

static const char *rvkvm_gstage_name(unsigned long mode)
{
	switch (mode) {
	case HGATP_MODE_SV57X4:
		return "Sv57x4";
	case HGATP_MODE_SV48X4:
		return "Sv48x4";
	default:
		return "Sv39x4";
	}
}

static int __init rvkvm_init(void)
{
	int r;

	r = rvkvm_host_check();
	if (!r)
		r = rvkvm_layout_check();
	if (!r)
		r = rvkvm_dev_kvm_free();
	if (!r)
		r = rvkvm_gstage_detect();
	if (r)
		return r;
	rvkvm_vmid_detect();
	rvkvm_fwft_detect();

	pr_info("H extension available: %s G-stage, %u-bit guest physical addresses, %u VMID bits\n",
		rvkvm_gstage_name(rvkvm_host.gstage_mode), rvkvm_host.gpa_bits,
		rvkvm_host.vmid_bits);
	r = rvkvm_aia_init();
	if (!r)
		r = rvkvm_aia_register();
	if (r) {
		rvkvm_aia_exit();
		return r;
	}

	/*
	 * Keep the scheduler's preempt-notifier calls patched in while we
	 * are loaded, not from each VM's creation to its destruction: the
	 * first VM of a batch then rewrites no kernel text, and the held
	 * state record (vcpu.c) saw no context switch skip a notifier.
	 */
	preempt_notifier_inc();
	rvkvm_perf_callbacks_register();
	r = kvm_init(sizeof(struct kvm_vcpu), 0, THIS_MODULE);
	if (r) {
		kvm_unregister_perf_callbacks();
		rvkvm_aia_unregister();
		rvkvm_aia_exit();
		preempt_notifier_dec();
	}
	return r;
}
module_init(rvkvm_init);

static void __exit rvkvm_exit(void)
{
	kvm_exit();
	kvm_unregister_perf_callbacks();
	rvkvm_aia_unregister();
	rvkvm_aia_exit();
	preempt_notifier_dec();
}
module_exit(rvkvm_exit);

MODULE_DESCRIPTION("rvkvm: out-of-tree RISC-V KVM");
MODULE_LICENSE("GPL");
/*
 * Autoload: depmod lists /dev/kvm in modules.devname from this alias, so
 * kmod makes the node at boot, and its first open asks for the module by
 * char-major-10-232.  Debian's riscv kvm.ko has neither, so /dev/kvm
 * never loads it.
 */
MODULE_ALIAS_MISCDEV(KVM_MINOR);
MODULE_ALIAS("devname:kvm");
