// SPDX-License-Identifier: GPL-2.0
/*
 * wfi_wakeup: a guest in WFI with its external interrupt enabled (but
 * global interrupts off, so nothing is taken) must sleep in the host
 * until another thread raises KVM_INTERRUPT, must not need the vCPU
 * mutex for that (KVM_RUN holds it), and must then take the interrupt
 * once it turns interrupts on.
 *
 * The guest checks delivery, not sip: QEMU 7.2 does not show hvip.VSEIP
 * in vsip (it reads 0 there with Debian's kvm.ko too), but does deliver.
 */
#include <pthread.h>
#include <time.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define WAKE_AFTER_MS	300

static unsigned long irq_cause;

/* The line stays high: mask it so the handler returns for good. */
static void guest_irq(struct rvkvm_ex_regs *regs)
{
	irq_cause = regs->cause;
	csr_clear(CSR_SIE, IE_EIE);
}

static void guest_code(void)
{
	csr_clear(CSR_SSTATUS, SR_SIE);
	csr_set(CSR_SIE, IE_EIE);
	asm volatile("wfi");
	GUEST_ASSERT_EQ(READ_ONCE(irq_cause), 0);
	csr_set(CSR_SSTATUS, SR_SIE);
	csr_clear(CSR_SSTATUS, SR_SIE);
	GUEST_ASSERT_EQ(READ_ONCE(irq_cause), CAUSE_IRQ_FLAG | IRQ_S_EXT);
	GUEST_DONE();
}

static void *raise_irq(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };

	usleep(WAKE_AFTER_MS * 1000);
	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct kvm_interrupt bad = { .irq = 7 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t thr;
	double t0, slept;
	u64 wfis, wakeups;

	ksft_print_header();
	ksft_set_plan(4);

	vm = rvkvm_vm_with_vectors(&vcpu, guest_code, 0, guest_irq);
	pthread_create(&thr, NULL, raise_irq, vcpu);
	t0 = now();
	vcpu_run(vcpu);
	slept = now() - t0;
	pthread_join(thr, NULL);

	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ksft_test_result(uc.cmd == UCALL_DONE,
			 "the guest woke from WFI and took the external interrupt\n");

	wfis = rvkvm_vcpu_stat(vcpu, "wfi_exit_stat");
	wakeups = rvkvm_vcpu_stat(vcpu, "halt_wakeup");
	ksft_print_msg("KVM_RUN took %.3f s, wfi_exit_stat %lu, halt_wakeup %lu\n",
		       slept, wfis, wakeups);
	ksft_test_result(slept >= WAKE_AFTER_MS / 1000.0 * 0.9,
			 "KVM_RUN waited for the interrupt\n");
	ksft_test_result(wfis >= 1 && wakeups >= 1,
			 "WFI exited to the host and the vCPU slept there\n");
	/* Stricter than 6.12, which takes any other value as UNSET. */
	if (rvkvm_module_is_ours())
		ksft_test_result(__vcpu_ioctl(vcpu, KVM_INTERRUPT, &bad) == -1 &&
				 errno == EINVAL,
				 "KVM_INTERRUPT with a value other than SET/UNSET: EINVAL\n");
	else
		ksft_test_result_skip("in-tree kvm.ko takes any value as UNSET\n");

	kvm_vm_free(vm);
	ksft_finished();
}
