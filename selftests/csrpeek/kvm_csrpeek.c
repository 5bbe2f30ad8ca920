// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: /sys/module/kvm_csrpeek/parameters/csrs shows, for
 * every online hart, the hypervisor CSRs that must stay quiet while no
 * vCPU is loaded there: vstimecmp (with Sstc) and hip.  A past compare
 * left in vstimecmp keeps hip.VSTIP pending, and with the guest's last
 * vsie still in place that ends every WFI of the host's idle loop.
 * Read by selftests/timer_parked.c.
 */
#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/csr.h>

struct csrpeek {
	unsigned long vstimecmp;
	unsigned long hip;
};

static void csrpeek_here(void *arg)
{
	struct csrpeek *p = arg;

	p->vstimecmp = 0;
	if (riscv_has_extension_unlikely(RISCV_ISA_EXT_SSTC))
		p->vstimecmp = csr_read(CSR_VSTIMECMP);
	p->hip = csr_read(CSR_HIP);
}

/* One line a hart: "cpuN vstimecmp=HEX hip=HEX". */
static int csrpeek_get(char *buf, const struct kernel_param *kp)
{
	struct csrpeek p;
	int cpu, n = 0;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		smp_call_function_single(cpu, csrpeek_here, &p, 1);
		n += scnprintf(buf + n, PAGE_SIZE - n,
			       "cpu%d vstimecmp=%lx hip=%lx\n",
			       cpu, p.vstimecmp, p.hip);
	}
	cpus_read_unlock();
	return n;
}

static const struct kernel_param_ops csrpeek_ops = {
	.get = csrpeek_get,
};
module_param_cb(csrs, &csrpeek_ops, NULL, 0400);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rvkvm test helper: vstimecmp and hip of every hart");
