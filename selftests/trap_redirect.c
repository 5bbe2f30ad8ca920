// SPDX-License-Identifier: GPL-2.0
/*
 * trap_redirect: exceptions the H extension does not delegate reach the
 * host first; KVM must inject them into the guest as the hart would have
 * done: the guest's handler runs with the right scause, stval and sepc,
 * in S-mode with sstatus.SPP telling where it came from.
 *
 * Cases: an illegal instruction (custom-0 opcode) and a misaligned AMO.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define EXC_ILLEGAL		2
#define EXC_AMO_MISALIGNED	6
#define BAD_INSN		0x0000000bUL	/* custom-0: no such insn */

struct seen {
	unsigned long cause, tval, epc, spp;
};

static struct seen seen;
static u64 scratch[2];

static void guest_handler(struct rvkvm_ex_regs *regs)
{
	seen.cause = regs->cause;
	seen.tval = csr_read(CSR_STVAL);
	seen.epc = regs->epc;
	seen.spp = !!(regs->status & SR_SPP);
	regs->epc += 4;
}

extern unsigned char illegal_at;

static void guest_code(void)
{
	unsigned long addr = (unsigned long)scratch + 1;

	asm volatile(".option push\n.option norvc\n"
		     "illegal_at: .4byte 0x0000000b\n"
		     ".option pop\n" : : : "memory");
	GUEST_ASSERT_EQ(seen.cause, EXC_ILLEGAL);
	GUEST_ASSERT_EQ(seen.epc, (unsigned long)&illegal_at);
	/* stval is the instruction or zero, at the hart's choice. */
	GUEST_ASSERT(seen.tval == BAD_INSN || seen.tval == 0);
	GUEST_ASSERT_EQ(seen.spp, 1);
	GUEST_SYNC(1);

	memset(&seen, 0, sizeof(seen));
	asm volatile(".option push\n.option norvc\n"
		     "amoadd.w zero, zero, (%0)\n"
		     ".option pop\n" : : "r"(addr) : "memory");
	GUEST_ASSERT_EQ(seen.cause, EXC_AMO_MISALIGNED);
	GUEST_ASSERT_EQ(seen.tval, addr);
	GUEST_ASSERT_EQ(seen.spp, 1);
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(2);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(vcpu);
	vm_install_exception_handler(vm, EXC_ILLEGAL, guest_handler);
	vm_install_exception_handler(vm, EXC_AMO_MISALIGNED, guest_handler);

	ksft_test_result(rvkvm_run_ucall(vcpu) == UCALL_SYNC,
			 "illegal instruction: the guest's handler saw cause 2, its pc and S-mode\n");
	ksft_test_result(rvkvm_run_ucall(vcpu) == UCALL_DONE,
			 "misaligned AMO: the guest's handler saw cause 6 and the address\n");

	kvm_vm_free(vm);
	ksft_finished();
}
