// SPDX-License-Identifier: GPL-2.0
/*
 * sbi_system_suspend: SBI SUSP SYSTEM_SUSPEND (7.x's uapi), off until
 * userspace enables it through ONE_REG.  KVM refuses the call while
 * another hart runs (DENIED), for a sleep type other than suspend-to-RAM
 * (INVALID_PARAM; the type is 32 bits wide, the upper half is ignored)
 * and for a resume address without RAM (INVALID_ADDRESS).  Otherwise it
 * hands the call to userspace, and the hart then resumes at resume_addr
 * with a0 = hart id and a1 = opaque.
 */
#include "rvkvm_test.h"

#if RVKVM_LINUX_7	/* SUSP is in 7.x's uapi */

#define REPORT_EID	0x08000042
#define SUSP_EID	0x53555350	/* function 0: SYSTEM_SUSPEND */
#define OPAQUE		0x5a5a
#define DATA		0x800
#define R_DENIED	0
#define R_TYPE		1
#define R_TYPE_HI	2
#define R_ADDR		3
#define R_FELL		4
#define R_A0		5
#define R_A1		6

#define STR(x)		#x
#define XSTR(x)		STR(x)
#define SUSP(a0)	"li a7, 0x53555350\n	li a6, 0\n	" a0 "\n	ecall\n"
#define RES(r)		"sd a0, " XSTR(r) "*8(s4)\n"
#define REPORT(n)	"li a7, 0x08000042\n	li a6, 0\n	li a0, " #n "\n	ecall\n"

asm(".pushsection .rodata.sbi_system_suspend, \"a\"\n"
"	.option push\n	.option norvc\n"
"ss_code:\n"
"	li	s4, 0x800\n	lla a1, resumed\n	li a2, 0x5a5a\n"
	SUSP("li a0, 0") RES(R_DENIED) REPORT(1)
"	lla	a1, resumed\n	li a2, 0x5a5a\n"
	SUSP("li a0, 1") RES(R_TYPE)
"	lla	a1, resumed\n"
	SUSP("li a0, -1\n	slli a0, a0, 32\n	addi a0, a0, 1") RES(R_TYPE_HI)
"	li	a1, 1\n	slli a1, a1, 40\n"
	SUSP("li a0, 0") RES(R_ADDR)
	/* The real one, with the upper half of the type set. */
"	lla	a1, resumed\n	li a2, 0x5a5a\n"
	SUSP("li a0, -1\n	slli a0, a0, 32")
	RES(R_FELL) REPORT(2)
"	j	.\n"
"resumed:\n"
"	li	s4, 0x800\n" RES(R_A0) "	sd a1, " XSTR(R_A1) "*8(s4)\n"
	REPORT(3)
"	j	.\n"
"ss_code_end:\n"
"	.option pop\n	.popsection\n");

#define SUSP_REG	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_SBI_EXT | \
			 KVM_REG_RISCV_SBI_SINGLE | KVM_RISCV_SBI_EXT_SUSP)

static void run_expect(struct kvm_vcpu *vcpu, unsigned long eid)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == eid,
		    "expected an SBI exit for eid %lx, got %s (eid %lx)", eid,
		    exit_reason_str(run->exit_reason),
		    (unsigned long)run->riscv_sbi.extension_id);
}

int main(void)
{
	size_t len;
	const u8 *code = rvkvm_asm_range(ss_code, ss_code_end, &len);
	struct kvm_vcpu *vcpu, *other;
	struct kvm_mp_state stopped = { .mp_state = KVM_MP_STATE_STOPPED };
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	unsigned long on = -1;
	struct kvm_vm *vm;
	struct kvm_run *run;
	u64 *d;
	u8 *mem;

	ksft_print_header();
	vm = rvkvm_vm_with_code(code, len, DATA, 0x1000, &mem);
	d = (u64 *)(mem + DATA);
	vcpu = __vm_vcpu_add(vm, 0);
	other = __vm_vcpu_add(vm, 1);
	if (__vcpu_get_reg(vcpu, SUSP_REG, &on))
		ksft_exit_skip("this module offers no SBI SUSP\n");
	ksft_set_plan(5);
	ksft_test_result(on == 0, "SUSP is off by default\n");
	vcpu_set_reg(vcpu, SUSP_REG, 1);

	/* Harts other than 0 begin stopped (HSM): start hart 1 for DENIED. */
	vcpu_ioctl(other, KVM_SET_MP_STATE, &runnable);
	run_expect(vcpu, REPORT_EID);
	ksft_test_result((long)d[R_DENIED] == SBI_ERR_DENIED,
			 "another hart runs: DENIED (got %ld)\n", (long)d[R_DENIED]);

	vcpu_ioctl(other, KVM_SET_MP_STATE, &stopped);
	run_expect(vcpu, SUSP_EID);
	run = vcpu->run;
	ksft_test_result((long)d[R_TYPE] == SBI_ERR_INVALID_PARAM &&
			 (long)d[R_TYPE_HI] == SBI_ERR_INVALID_PARAM &&
			 (long)d[R_ADDR] == SBI_ERR_INVALID_ADDRESS,
			 "type 1, type 1 with the upper half set, no RAM at resume_addr: INVALID_PARAM, INVALID_PARAM, INVALID_ADDRESS (got %ld %ld %ld)\n",
			 (long)d[R_TYPE], (long)d[R_TYPE_HI], (long)d[R_ADDR]);
	ksft_test_result(run->riscv_sbi.function_id == 0 &&
			 run->riscv_sbi.args[2] == OPAQUE,
			 "suspend-to-RAM with the upper half of the type set reaches userspace\n");

	run->riscv_sbi.ret[0] = SBI_SUCCESS;
	run->riscv_sbi.ret[1] = 0;
	run_expect(vcpu, REPORT_EID);
	ksft_print_msg("report %lu, resumed with a0 %lx a1 %lx\n",
		       (unsigned long)run->riscv_sbi.args[0],
		       (unsigned long)d[R_A0], (unsigned long)d[R_A1]);
	ksft_test_result(run->riscv_sbi.args[0] == 3 && d[R_A0] == 0 &&
			 d[R_A1] == OPAQUE,
			 "the hart resumes at resume_addr, a0 = hart id, a1 = opaque\n");
	kvm_vm_free(vm);
	ksft_finished();
}

#else

int main(void)
{
	ksft_print_header();
	ksft_exit_skip("SBI SUSP is not in this kernel's uapi (7.x's)\n");
}

#endif
