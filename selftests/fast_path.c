// SPDX-License-Identifier: GPL-2.0
/*
 * fast_path: the exits rvkvm answers with interrupts still off (its exit
 * fast path) give the guest what the full path gives.  The guest, in
 * rounds of N:
 *
 *   1. SBI BASE calls: the spec version, and a probe of TIME;
 *   2. SBI set_timer (with Sstc, a CSR write) to a past time: the timer
 *      interrupt arrives, once per call, and a far one is then quiet;
 *   3. SBI IPIs to itself: each is taken once (the line is raised from
 *      within the fast path, which must then leave it);
 *   4. reads of hstatus, a virtual instruction no one emulates: each is
 *      an illegal-instruction trap with the instruction in stval;
 *   5. reads of cycle, counting through the SBI PMU (KVM emulates the
 *      CSR): never backwards, moving while it counts, frozen once
 *      stopped.  Skipped, saying so, where the vCPU has no SBI PMU.
 *
 * With our module the vCPU's fast_exits stat must have counted every
 * call and trap of 1, 2, 4 and 5 (3 may leave the fast path); Debian's
 * has no such stat, which is reported and not checked.
 *
 *   fast_path [-n N]
 */
#include <stdlib.h>
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define SBI_EXT_TIME_ID		0x54494D45UL
#define SBI_EXT_IPI_ID		0x735049UL
#define EXC_ILLEGAL		2
#define INSN_CSRR_HSTATUS	0x60002573UL	/* csrr a0, hstatus */

static u64 timer_irqs, soft_irqs, illegals, bad_stval;

static void guest_irq(struct rvkvm_ex_regs *regs)
{
	unsigned long cause = regs->cause & ~CAUSE_IRQ_FLAG;

	if (cause == IRQ_S_TIMER) {
		/* Far away: quiet until the next call. */
		sbi_ecall(SBI_EXT_TIME_ID, 0, -1UL, 0, 0, 0, 0, 0);
		WRITE_ONCE(timer_irqs, timer_irqs + 1);
	} else if (cause == IRQ_S_SOFT) {
		csr_clear(CSR_SIP, BIT(IRQ_S_SOFT));
		WRITE_ONCE(soft_irqs, soft_irqs + 1);
	}
}

static void guest_illegal(struct rvkvm_ex_regs *regs)
{
	unsigned long stval = csr_read(CSR_STVAL);

	/* The instruction, or zero, at the hart's choice. */
	if (stval && stval != INSN_CSRR_HSTATUS)
		WRITE_ONCE(bad_stval, bad_stval + 1);
	WRITE_ONCE(illegals, illegals + 1);
	regs->epc += 4;
}

/* Stage 5: n + 2 reads of cycle; false, nothing done, without a PMU. */
static bool guest_cycles(u64 n)
{
	u64 i, first, last, c;
	struct sbiret r;

	r = sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_PROBE_EXT, SBI_EXT_PMU,
		      0, 0, 0, 0, 0);
	if (r.error || !r.value)
		return false;
	r = sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_CFG_MATCH, 0, 1,
		      SBI_PMU_CFG_FLAG_AUTO_START, SBI_PMU_HW_CPU_CYCLES, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	GUEST_ASSERT_EQ(r.value, 0);	/* cycle is counter 0 */
	first = csr_read(CSR_CYCLE);
	last = first;
	for (i = 1; i < n; i++) {
		c = csr_read(CSR_CYCLE);
		GUEST_ASSERT(c >= last);
		last = c;
	}
	GUEST_ASSERT(last > first);
	r = sbi_ecall(SBI_EXT_PMU, SBI_EXT_PMU_COUNTER_STOP, 0, 1, 0,
		      0, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	c = csr_read(CSR_CYCLE);
	GUEST_ASSERT(c >= last);
	GUEST_ASSERT_EQ(csr_read(CSR_CYCLE), c);
	return true;
}

static void guest_code(u64 n)
{
	struct sbiret r;
	u64 i, t;

	/* No compare due before the first call. */
	sbi_ecall(SBI_EXT_TIME_ID, 0, -1UL, 0, 0, 0, 0, 0);
	csr_set(CSR_SIE, BIT(IRQ_S_TIMER) | BIT(IRQ_S_SOFT));
	local_irq_enable();
	for (i = 0; i < n; i++) {
		r = sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_SPEC_VERSION,
			      0, 0, 0, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, 0);
		GUEST_ASSERT(r.value >= 2);	/* 0.2 or later */
		r = sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_PROBE_EXT,
			      SBI_EXT_TIME_ID, 0, 0, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, 0);
		GUEST_ASSERT_EQ(r.value, 1);
	}
	GUEST_SYNC(1);

	for (i = 0; i < n; i++) {
		/* Due already: pending from the call on, taken at once. */
		sbi_ecall(SBI_EXT_TIME_ID, 0, csr_read(CSR_TIME), 0, 0, 0, 0, 0);
		for (t = 0; READ_ONCE(timer_irqs) == i && t < 100000000; t++)
			;
		GUEST_ASSERT_EQ(READ_ONCE(timer_irqs), i + 1);
	}
	GUEST_SYNC(2);

	for (i = 0; i < n; i++) {
		r = sbi_ecall(SBI_EXT_IPI_ID, 0, 1, guest_get_vcpuid(),
			      0, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, 0);
		for (t = 0; READ_ONCE(soft_irqs) == i && t < 100000000; t++)
			;
		GUEST_ASSERT_EQ(READ_ONCE(soft_irqs), i + 1);
	}
	GUEST_SYNC(3);

	for (i = 0; i < n; i++)
		asm volatile(".4byte %0" :: "i"(INSN_CSRR_HSTATUS) : "a0");
	GUEST_ASSERT_EQ(READ_ONCE(illegals), n);
	GUEST_ASSERT_EQ(READ_ONCE(bad_stval), 0);
	GUEST_SYNC(4);

	GUEST_SYNC_ARGS(5, guest_cycles(n), 0, 0, 0);
	GUEST_DONE();
}

int main(int argc, char **argv)
{
	static const char *const phase[] = {
		"", "SBI BASE calls", "set_timer calls", "IPIs to itself",
		"hstatus reads", "cycle reads",
	};
	u64 n = 2000, fast = 0, prev = 0;
	bool ours = rvkvm_module_is_ours();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int opt, stage;

	while ((opt = getopt(argc, argv, "n:")) != -1)
		n = strtoull(optarg, NULL, 0);

	ksft_print_header();
	ksft_set_plan(5);
	vm = rvkvm_vm_with_vectors(&vcpu, guest_code, 0, guest_irq);
	vm_install_exception_handler(vm, EXC_ILLEGAL, guest_illegal);
	vcpu_args_set(vcpu, 1, n);
	if (!__vcpu_has_isa_ext(vcpu, KVM_RISCV_ISA_EXT_SSTC))
		ksft_print_msg("no Sstc: set_timer takes the full path\n");
	if (ours)
		prev = rvkvm_vcpu_stat(vcpu, "fast_exits");
	else
		ksft_print_msg("Debian's module: no fast_exits stat, not checked\n");

	for (stage = 1; stage <= 5; stage++) {
		vcpu_run(vcpu);
		TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC &&
			    uc.args[1] == stage, "stage %d: no report", stage);
		if (ours) {
			fast = rvkvm_vcpu_stat(vcpu, "fast_exits") - prev;
			prev += fast;
		}
		if (stage == 5 && !uc.args[2]) {
			ksft_test_result_skip("cycle reads: the vCPU has no SBI PMU\n");
			continue;
		}
		/* IPIs to itself, and set_timer without Sstc, may leave it. */
		if (!ours || stage == 3 ||
		    (stage == 2 && !__vcpu_has_isa_ext(vcpu, KVM_RISCV_ISA_EXT_SSTC)))
			ksft_test_result_pass("%lu %s (fast path: %lu)\n", n,
					      phase[stage], fast);
		else
			ksft_test_result(fast >= n * (stage == 1 ? 2 : 1) +
					 (stage == 5 ? 2 : 0),
					 "%lu %s, %lu of them in the fast path\n",
					 n, phase[stage], fast);
	}
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE, "not done");
	kvm_vm_free(vm);
	ksft_finished();
}
