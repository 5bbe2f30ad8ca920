// SPDX-License-Identifier: GPL-2.0
/*
 * gpa_bits: KVM_ENABLE_CAP(KVM_CAP_VM_GPA_BITS) picks a VM's G-stage mode
 * by the guest-physical width it needs (7.2's ABI; rvkvm offers it on
 * 6.12 too).  41 bits is Sv39x4, 50 Sv48x4, 59 Sv57x4; the VM's
 * KVM_CHECK_EXTENSION then answers the new width, memslots beyond it are
 * refused, and a guest runs in the narrowed mode.  0 bits, more than the
 * host has, flags, and a change once the VM has memory are refused
 * (0 bits only by rvkvm: 7.2's module takes them as Sv39x4).
 *
 * Debian's 6.12 kvm.ko cannot enable the capability: those checks skip.
 */
#include "rvkvm_test.h"

#define CODE_GPA	0x0
#define DATA_OFF	0x400
#define REPORT_EID	0x08000042
#define MARK		0x1234

/* Store a mark in RAM, report it in a0, then spin. */
asm(".pushsection .rodata.gpa_bits, \"a\"\n"
"	.option push\n	.option norvc\n"
"gpa_code:\n"
"	li	a0, 0x1234\n	sd a0, 0x400(zero)\n"
"	li	a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	.\n"
"gpa_code_end:\n"
"	.option pop\n	.popsection\n");

static int enable_bits(struct kvm_vm *vm, u64 bits, u64 flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_VM_GPA_BITS, .flags = flags, .args = { bits },
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static void test_refusals(unsigned int host_bits)
{
	struct kvm_vm *vm = vm_create_barebones();

	/* 7.2's own module takes 0 bits as Sv39x4; rvkvm refuses them. */
	bool zero_ok = !rvkvm_module_is_ours() || enable_bits(vm, 0, 0) == -EINVAL;

	ksft_test_result(zero_ok && enable_bits(vm, host_bits + 1, 0) == -EINVAL &&
			 enable_bits(vm, 41, 1) == -EINVAL,
			 "%u bits and a flag (and for rvkvm 0 bits): EINVAL\n",
			 host_bits + 1);
	ksft_test_result(vm_check_cap(vm, KVM_CAP_VM_GPA_BITS) == host_bits,
			 "a refused change leaves the VM at %u bits\n", host_bits);
	kvm_vm_free(vm);
}

/* Each width the host has: what the VM reports and where memory may go. */
static void test_widths(unsigned int host_bits)
{
	static const unsigned int widths[] = { 39, 41, 48, 50, 57, 59 };
	bool ok = true;
	int i;

	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		unsigned int want = widths[i];
		unsigned int got = want <= 41 ? 41 : want <= 50 ? 50 : 59;
		struct kvm_vm *vm;
		void *mem;
		int r;

		if (got > host_bits)
			break;
		vm = vm_create_barebones();
		r = enable_bits(vm, want, 0);
		mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		TEST_ASSERT(mem != MAP_FAILED, "mmap");
		if (r || vm_check_cap(vm, KVM_CAP_VM_GPA_BITS) != got) {
			ksft_print_msg("%u bits: enable %d, the VM reports %d\n", want,
				       r, vm_check_cap(vm, KVM_CAP_VM_GPA_BITS));
			ok = false;
		}
		/* The last page below the width fits; the first above it not. */
		r = __vm_set_user_memory_region(vm, 0, 0, BIT_ULL(got) - 4096,
						4096, mem);
		if (r) {
			ksft_print_msg("%u bits: the last page is refused (%d)\n",
				       got, errno);
			ok = false;
		}
		if (got < host_bits &&
		    (!__vm_set_user_memory_region(vm, 1, 0, BIT_ULL(got), 4096,
						  mem) || errno != EFAULT)) {
			ksft_print_msg("%u bits: a slot above the width was not EFAULT\n",
				       got);
			ok = false;
		}
		kvm_vm_free(vm);
		munmap(mem, 4096);
	}
	ksft_test_result(ok, "each width: the mode fits it and slots above it are EFAULT\n");
}

/* Narrowed to Sv39x4, a guest runs; afterwards no change is allowed. */
static void test_guest(void)
{
	size_t len;
	const u8 *code = rvkvm_asm_range(gpa_code, gpa_code_end, &len);
	struct kvm_vm *vm = vm_create_barebones();
	struct kvm_vcpu *vcpu;
	u8 *mem;
	int r;

	TEST_ASSERT(!enable_bits(vm, 40, 0), "enable 40 bits");
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, CODE_GPA, 1, 1, 0);
	mem = addr_gpa2hva(vm, CODE_GPA);
	memcpy(mem, code, len);
	r = enable_bits(vm, 50, 0);
	ksft_test_result(r == -EBUSY, "a change with memory: EBUSY (got %d)\n", r);

	vcpu = __vm_vcpu_add(vm, 0);
	vcpu_run(vcpu);
	ksft_test_result(vcpu->run->exit_reason == KVM_EXIT_RISCV_SBI &&
			 vcpu->run->riscv_sbi.extension_id == REPORT_EID &&
			 vcpu->run->riscv_sbi.args[0] == MARK &&
			 *(u64 *)(mem + DATA_OFF) == MARK,
			 "a guest runs and writes its memory in Sv39x4\n");
	kvm_vm_free(vm);
}

int main(void)
{
	unsigned int host_bits = kvm_check_cap(KVM_CAP_VM_GPA_BITS);
	struct kvm_vm *vm;
	int r;

	ksft_print_header();
	ksft_set_plan(5);
	ksft_print_msg("the host's G-stage has %u guest-physical bits\n", host_bits);

	vm = vm_create_barebones();
	r = enable_bits(vm, 41, 0);
	kvm_vm_free(vm);
	if (r == -EINVAL && !rvkvm_module_is_ours()) {
		ksft_test_result_skip("this module cannot enable KVM_CAP_VM_GPA_BITS\n");
		ksft_test_result_skip("this module cannot enable KVM_CAP_VM_GPA_BITS\n");
		ksft_test_result_skip("this module cannot enable KVM_CAP_VM_GPA_BITS\n");
		ksft_test_result_skip("this module cannot enable KVM_CAP_VM_GPA_BITS\n");
		ksft_test_result_skip("this module cannot enable KVM_CAP_VM_GPA_BITS\n");
		ksft_finished();
	}
	test_refusals(host_bits);
	test_widths(host_bits);
	test_guest();
	ksft_finished();
}
