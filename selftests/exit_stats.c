// SPDX-License-Identifier: GPL-2.0
/*
 * exit_stats: each kind of exit is counted in the vCPU's binary stats.
 * The guest makes a known number of MMIO stores that exit to userspace,
 * stores into a coalesced-MMIO zone that the kernel absorbs, one WFI
 * with an interrupt already pending, and ecalls (ucalls).
 *
 * A read of hstatus traps to KVM as a virtual instruction; nothing
 * emulates that CSR, so the guest gets an illegal instruction, as with
 * 6.12, and no CSR exit is counted.  (Only seed, with Zkr, exits to
 * userspace; QEMU 7.2 has no Zkr.)
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define USER_GPA	0x20000000UL
#define COAL_GPA	0x20001000UL
#define N_USER		5
#define N_KERN		7
static unsigned long illegal_cause;

static void guest_illegal(struct rvkvm_ex_regs *regs)
{
	illegal_cause = regs->cause;
	regs->epc += 4;
}

static void guest_code(void)
{
	int i;

	for (i = 0; i < N_USER; i++)
		WRITE_ONCE(*(u64 *)USER_GPA, i);
	for (i = 0; i < N_KERN; i++)
		WRITE_ONCE(*(u64 *)COAL_GPA, i);
	csr_read(CSR_HSTATUS);
	GUEST_ASSERT_EQ(illegal_cause, 2);	/* illegal instruction */
	csr_set(CSR_SIE, IE_EIE);
	asm volatile("wfi");
	GUEST_DONE();
}

static const char *const names[] = {
	"mmio_exit_user", "mmio_exit_kernel", "csr_exit_user", "wfi_exit_stat",
	"ecall_exit_stat", "exits",
};

int main(void)
{
	struct kvm_interrupt irq = { .irq = KVM_INTERRUPT_SET };
	u64 before[ARRAY_SIZE(names)], d[ARRAY_SIZE(names)];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int i, users = 0;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(names) + 1);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(vcpu);
	vm_install_exception_handler(vm, 2, guest_illegal);
	virt_map(vm, USER_GPA, USER_GPA, 1);
	virt_map(vm, COAL_GPA, COAL_GPA, 1);
	kvm_vm_register_coalesced_io(vm, COAL_GPA, 8, false);
	/* Pending before the WFI: it must return at once. */
	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);

	for (i = 0; i < ARRAY_SIZE(names); i++)
		before[i] = rvkvm_vcpu_stat(vcpu, names[i]);
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			users++;
			continue;
		}
		break;
	}
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	ksft_test_result(uc.cmd == UCALL_DONE && users == N_USER,
			 "%d MMIO exits reached userspace; hstatus was illegal; guest done\n",
			 users);

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		d[i] = rvkvm_vcpu_stat(vcpu, names[i]) - before[i];
		ksft_print_msg("%-17s +%lu\n", names[i], d[i]);
	}
	ksft_test_result(d[0] == N_USER, "mmio_exit_user moved by %d\n", N_USER);
	ksft_test_result(d[1] == N_KERN, "mmio_exit_kernel moved by %d\n", N_KERN);
	ksft_test_result(d[2] == 0, "csr_exit_user did not move\n");
	ksft_test_result(d[3] == 1, "wfi_exit_stat moved by 1\n");
	ksft_test_result(d[4] >= 1, "ecall_exit_stat moved\n");
	ksft_test_result(d[5] >= N_USER + N_KERN + 3, "exits counts them all\n");

	kvm_vm_free(vm);
	ksft_finished();
}
