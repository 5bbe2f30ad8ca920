// SPDX-License-Identifier: GPL-2.0
/*
 * immediate_exit: with kvm_run.immediate_exit set, KVM_RUN returns EINTR
 * without entering the guest, yet first completes an exit that userspace
 * has just handled: here an MMIO load, whose destination register and pc
 * must be updated before KVM_RUN returns.
 */
#include "rvkvm_test.h"
#include "processor.h"
#include "ucall_common.h"

#define MMIO_GPA	0x20000000UL
#define VALUE		0x1122334455667788UL

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)MMIO_GPA), VALUE);
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 pc0, pc1, v = VALUE;
	int r;

	ksft_print_header();
	ksft_set_plan(4);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	virt_map(vm, MMIO_GPA, MMIO_GPA, 1);

	/* Nothing pending: the guest must not run at all. */
	rvkvm_get_reg(vcpu, RISCV_CORE_REG(regs.pc), &pc0);
	vcpu->run->immediate_exit = 1;
	r = __vcpu_run(vcpu);
	rvkvm_get_reg(vcpu, RISCV_CORE_REG(regs.pc), &pc1);
	ksft_test_result(r == -1 && errno == EINTR && pc0 == pc1,
			 "immediate_exit: EINTR, the guest did not run\n");

	vcpu->run->immediate_exit = 0;
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT(!vcpu->run->mmio.is_write && vcpu->run->mmio.len == 8,
		    "expected an 8-byte MMIO load");
	memcpy(vcpu->run->mmio.data, &v, sizeof(v));

	/* The load completes even though the guest does not run. */
	rvkvm_get_reg(vcpu, RISCV_CORE_REG(regs.pc), &pc0);
	vcpu->run->immediate_exit = 1;
	r = __vcpu_run(vcpu);
	rvkvm_get_reg(vcpu, RISCV_CORE_REG(regs.pc), &pc1);
	ksft_test_result(r == -1 && errno == EINTR,
			 "immediate_exit with an MMIO result pending: EINTR\n");
	ksft_test_result(pc1 == pc0 + 2 || pc1 == pc0 + 4,
			 "the pending load completed: pc %lx -> %lx\n", pc0, pc1);

	vcpu->run->immediate_exit = 0;
	vcpu_run(vcpu);
	r = get_ucall(vcpu, &uc);
	if (r == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ksft_test_result(r == UCALL_DONE,
			 "the guest saw the loaded value and finished\n");

	kvm_vm_free(vm);
	ksft_finished();
}
