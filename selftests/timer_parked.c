// SPDX-License-Identifier: GPL-2.0
/*
 * timer_parked: a vCPU that is not loaded leaves no VS interrupt pending
 * on any hart, so none ends a WFI of the host's idle loop: with Sstc no
 * compare in vstimecmp, and no VSSIP or VSEIP in hvip; the guest finds
 * them all again when it runs.
 *
 * The guest, with its external line raised by KVM_INTERRUPT, enables its
 * timer, software and external interrupts in sie (sstatus.SIE stays
 * off), sets stimecmp to 0, long past, sends itself an IPI and exits to
 * the host.  With the vCPU out of KVM_RUN, and so put, the host reads
 * every hart's vstimecmp and hip through kvm_csrpeek.ko: vstimecmp must
 * be all ones and hip.VSSIP, VSTIP and VSEIP clear.  The compare must
 * still read 0 through ONE_REG, and the guest, run again on the other
 * hart, must read it back from stimecmp and take its three interrupts.
 * 6.12 leaves the guest's 0 in vstimecmp and its hvip in the hart it ran
 * on, the three pending there.
 */
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define CSRPEEK		"/sys/module/kvm_csrpeek/parameters/csrs"
#define SBI_EXT_IPI	0x735049
/* The VS lines in hip: one bit above their S-level numbers. */
#define HIP_VS_LINES	(BIT(IRQ_S_SOFT + 1) | BIT(IRQ_S_TIMER + 1) | \
			 BIT(IRQ_S_EXT + 1))

static unsigned int nr_irqs[IRQ_S_EXT + 1];

/*
 * The timer and external levels stay high: mask them to return; the
 * software interrupt is the guest's own to clear.
 */
static void guest_irq(struct rvkvm_ex_regs *regs)
{
	unsigned long irq = regs->cause & ~CAUSE_IRQ_FLAG;

	GUEST_ASSERT(irq == IRQ_S_TIMER || irq == IRQ_S_SOFT || irq == IRQ_S_EXT);
	if (irq == IRQ_S_SOFT)
		csr_clear(CSR_SIP, IE_SIE);
	else
		csr_clear(CSR_SIE, BIT(irq));
	WRITE_ONCE(nr_irqs[irq], nr_irqs[irq] + 1);
}

static void guest_code(void)
{
	unsigned int i;

	csr_clear(CSR_SSTATUS, SR_SIE);
	csr_set(CSR_SIE, IE_TIE | IE_SIE | IE_EIE);
	csr_write(CSR_STIMECMP, 0);
	GUEST_ASSERT_EQ(sbi_ecall(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0, 0).error, 0);
	GUEST_SYNC(1);
	/*
	 * Back, on the other hart: the compare and the pending lines came
	 * along, and their interrupts are taken as soon as they are enabled.
	 * (QEMU 7.2 does not show an Sstc VSTIP in the guest's sip, so the
	 * guest takes them instead of reading sip.)
	 */
	GUEST_ASSERT_EQ(csr_read(CSR_STIMECMP), 0);
	csr_set(CSR_SSTATUS, SR_SIE);
	for (i = 0; i < 1000; i++)
		asm volatile("nop");
	csr_clear(CSR_SSTATUS, SR_SIE);
	GUEST_ASSERT_EQ(READ_ONCE(nr_irqs[IRQ_S_TIMER]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(nr_irqs[IRQ_S_SOFT]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(nr_irqs[IRQ_S_EXT]), 1);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* The number of harts with a compare in vstimecmp or a VS line pending. */
static int busy_harts(const char *when)
{
	unsigned long cmp, hip;
	char line[128];
	int cpu, n = 0, busy = 0;
	FILE *f = fopen(CSRPEEK, "r");

	TEST_ASSERT(f, "open %s: is kvm_csrpeek.ko loaded?", CSRPEEK);
	while (fgets(line, sizeof(line), f)) {
		TEST_ASSERT(sscanf(line, "cpu%d vstimecmp=%lx hip=%lx",
				   &cpu, &cmp, &hip) == 3, "%s: %s", CSRPEEK, line);
		ksft_print_msg("%s: cpu%d vstimecmp=%lx hip=%lx\n",
			       when, cpu, cmp, hip);
		if (cmp != ~0UL || (hip & HIP_VS_LINES))
			busy++;
		n++;
	}
	fclose(f);
	TEST_ASSERT(n, "%s lists no hart", CSRPEEK);
	return busy;
}

static void run_until_sync(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC &&
		    uc.args[1] == stage, "guest done, or at stage %lu, not %lu",
		    (unsigned long)uc.args[1], (unsigned long)stage);
}

static void report_quiet(int busy, const char *what)
{
	if (!busy)
		ksft_test_result_pass("%s\n", what);
	else if (!rvkvm_module_is_ours())
		ksft_test_result_xfail("%s: in-tree kvm.ko leaves the guest's compare and hvip\n",
				       what);
	else
		ksft_test_result_fail("%s: %d harts not quiet\n", what, busy);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int cpus[2];
	u64 cmp;

	ksft_print_header();
	rvkvm_two_host_cpus(cpus);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(vcpu);
	vm_install_interrupt_handler(vm, guest_irq);
	if (!__vcpu_has_isa_ext(vcpu, KVM_RISCV_ISA_EXT_SSTC))
		ksft_exit_skip("the guest has no Sstc: its compare never sits in vstimecmp\n");
	ksft_set_plan(4);
	ksft_print_msg("vCPU on CPU %d, then on CPU %d\n", cpus[0], cpus[1]);

	vcpu_ioctl(vcpu, KVM_INTERRUPT, &(unsigned int){ KVM_INTERRUPT_SET });
	rvkvm_pin(0, cpus[0]);
	run_until_sync(vcpu, 1);
	report_quiet(busy_harts("out"), "vCPU out, its compare 0 past: every hart parked");

	rvkvm_get_reg(vcpu, RISCV_TIMER_REG(compare), &cmp);
	ksft_test_result(cmp == 0, "ONE_REG compare keeps the guest's value (%llx)\n",
			 (unsigned long long)cmp);

	rvkvm_pin(0, cpus[1]);
	run_until_sync(vcpu, 2);
	ksft_test_result_pass("timer, software and external interrupts taken on the next hart\n");
	report_quiet(busy_harts("out again"), "vCPU out again: every hart parked");

	kvm_vm_free(vm);
	ksft_finished();
}
