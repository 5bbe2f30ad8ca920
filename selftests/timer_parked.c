// SPDX-License-Identifier: GPL-2.0
/*
 * timer_parked: with Sstc, a vCPU that is not loaded leaves no compare in
 * any hart's vstimecmp, so no VS timer interrupt is pending on a hart the
 * host idles on; and the guest finds its compare again when it runs.
 *
 * The guest enables its timer interrupt in sie (sstatus.SIE stays off),
 * sets stimecmp to 0, long past, and exits to the host.  With the vCPU
 * out of KVM_RUN, and so put, the host reads every hart's vstimecmp and
 * hip through kvm_csrpeek.ko: vstimecmp must be all ones and hip.VSTIP
 * clear (a pending VSTIP with the guest's vsie still set ends every WFI
 * of the host's idle loop).  The compare must still read 0 through
 * ONE_REG, and the guest, run again on the other hart, must read it
 * back from stimecmp and take its timer interrupt.  6.12 leaves the
 * guest's 0 in vstimecmp of the hart it ran on, VSTIP pending there.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define CSRPEEK		"/sys/module/kvm_csrpeek/parameters/csrs"
#define HIP_VSTIP	BIT(IRQ_S_TIMER + 1)

static unsigned int nr_irqs;

/* The level stays high while the compare is past: mask it to return. */
static void guest_irq(struct ex_regs *regs)
{
	csr_clear(CSR_SIE, IE_TIE);
	GUEST_ASSERT_EQ(regs->cause, CAUSE_IRQ_FLAG | IRQ_S_TIMER);
	WRITE_ONCE(nr_irqs, nr_irqs + 1);
}

static void guest_code(void)
{
	unsigned int i;

	csr_clear(CSR_SSTATUS, SR_SIE);
	csr_set(CSR_SIE, IE_TIE);
	csr_write(CSR_STIMECMP, 0);
	GUEST_SYNC(1);
	/*
	 * Back, on the other hart: the compare came along, and its interrupt
	 * is taken as soon as it is enabled.  (QEMU 7.2 does not show an
	 * Sstc VSTIP in the guest's sip, so the guest takes it instead.)
	 */
	GUEST_ASSERT_EQ(csr_read(CSR_STIMECMP), 0);
	csr_set(CSR_SSTATUS, SR_SIE);
	for (i = 0; i < 1000 && !READ_ONCE(nr_irqs); i++)
		asm volatile("nop");
	csr_clear(CSR_SSTATUS, SR_SIE);
	GUEST_ASSERT_EQ(READ_ONCE(nr_irqs), 1);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* The number of harts with a compare in vstimecmp or VSTIP pending. */
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
		if (cmp != ~0UL || (hip & HIP_VSTIP))
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
		ksft_test_result_xfail("%s: in-tree kvm.ko leaves the guest's compare armed\n",
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

	rvkvm_pin(0, cpus[0]);
	run_until_sync(vcpu, 1);
	report_quiet(busy_harts("out"), "vCPU out, its compare 0 past: every hart parked");

	vcpu_get_reg(vcpu, RISCV_TIMER_REG(compare), &cmp);
	ksft_test_result(cmp == 0, "ONE_REG compare keeps the guest's value (%llx)\n",
			 (unsigned long long)cmp);

	rvkvm_pin(0, cpus[1]);
	run_until_sync(vcpu, 2);
	ksft_test_result_pass("the guest took its timer interrupt on the next hart\n");
	report_quiet(busy_harts("out again"), "vCPU out again: every hart parked");

	kvm_vm_free(vm);
	ksft_finished();
}
