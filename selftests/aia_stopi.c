// SPDX-License-Identifier: GPL-2.0
/*
 * aia_stopi: a guest with Ssaia finds the VS external interrupt that KVM
 * injects without a guest interrupt file in its stopi.
 *
 * With hstatus.VGEIN 0, vstopi reports that interrupt only while hvictl
 * says IID 9 with a non-zero priority (IID 9, priority 0 is "none"), so
 * hvictl must follow each vCPU's hvip.VSEIP.  A Linux guest with Ssaia
 * finds its interrupts through stopi: where hvictl lags, it takes the
 * interrupt, reads stopi 0 and returns, forever.  KVM_INTERRUPT is the
 * line here; the in-kernel AIA's software files drive the same one.
 *
 * Two vCPUs take turns on one host CPU, one with the line raised and one
 * without, and read stopi with interrupts off: IID 9 and 0.  Then the
 * lines swap, and again.  Last, both enable interrupts: only the raised
 * one traps, and its handler reads IID 9 in stopi.
 *
 * Skips where the guest cannot have Ssaia (the host has none).
 */
#include "rvkvm_test.h"
#include "processor.h"

#define ROUNDS		3
#define IID_EXT		9

/* Guest: stopi's IID as its handler saw it, per vCPU. */
static u64 handled_iid[2];

static u64 guest_stopi_iid(void)
{
	unsigned long v;

	asm volatile("csrr %0, 0xdb0" : "=r" (v));	/* stopi */
	return v >> 16;
}

static void guest_irq(struct rvkvm_ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->cause, CAUSE_IRQ_FLAG | IRQ_S_EXT);
	handled_iid[guest_get_vcpuid()] = guest_stopi_iid();
	/* The level stays up until the host lowers it: stop taking it. */
	csr_clear(CSR_SIE, IE_EIE);
}

static void guest_code(void)
{
	int i;

	csr_set(CSR_SIE, IE_EIE);
	for (i = 0; i < 2 * ROUNDS; i++)
		GUEST_SYNC(guest_stopi_iid());
	local_irq_enable();
	asm volatile("nop");
	local_irq_disable();
	GUEST_SYNC(handled_iid[guest_get_vcpuid()]);
	GUEST_DONE();
}

static void set_line(struct kvm_vcpu *vcpu, bool raise)
{
	struct kvm_interrupt irq = {
		.irq = raise ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET,
	};

	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
}

/* Run @vcpu to its next GUEST_SYNC and return the value it reported. */
static u64 run_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC,
		    "vCPU %u: no sync", vcpu->id);
	return uc.args[1];
}

int main(void)
{
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	unsigned long ssaia = 0;
	int cpus[2], round, i, bad = 0;
	u64 got, want;

	ksft_print_header();
	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	if (__vcpu_get_reg(vcpus[0], RISCV_ISA_EXT_REG(KVM_RISCV_ISA_EXT_SSAIA),
			   &ssaia) || !ssaia)
		ksft_exit_skip("the guest has no Ssaia: the host has none\n");
	ksft_set_plan(3);
	TEST_REQUIRE(rvkvm_two_host_cpus(cpus) >= 1);
	rvkvm_pin(0, cpus[0]);
	vm_init_vector_tables(vm);
	vm_install_interrupt_handler(vm, guest_irq);
	for (i = 0; i < 2; i++)
		vcpu_init_vector_tables(vcpus[i]);
	vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE, &runnable);

	set_line(vcpus[0], true);
	for (round = 0; round < 2 * ROUNDS; round++) {
		if (round == ROUNDS) {
			set_line(vcpus[0], false);
			set_line(vcpus[1], true);
			bad = 0;
		}
		for (i = 0; i < 2; i++) {
			got = run_sync(vcpus[i]);
			want = (round < ROUNDS) == (i == 0) ? IID_EXT : 0;
			if (got != want) {
				ksft_print_msg("round %d, vCPU %d: stopi IID %lu, want %lu\n",
					       round, i, (unsigned long)got,
					       (unsigned long)want);
				bad++;
			}
		}
		if (round == ROUNDS - 1 || round == 2 * ROUNDS - 1)
			ksft_test_result(!bad,
					 "vCPU %d raised: stopi IID 9 there, 0 on the other, one host CPU\n",
					 round < ROUNDS ? 0 : 1);
	}
	got = run_sync(vcpus[0]);
	want = run_sync(vcpus[1]);
	ksft_test_result(got == 0 && want == IID_EXT,
			 "interrupts on: only vCPU 1 trapped, its handler read IID %lu (vCPU 0: %lu)\n",
			 (unsigned long)want, (unsigned long)got);
	kvm_vm_free(vm);
	ksft_finished();
}
