// SPDX-License-Identifier: GPL-2.0
/*
 * mp_state_reset: KVM_CAP_RISCV_MP_STATE_RESET (7.x's uapi).  Without it
 * KVM_SET_MP_STATE(INIT_RECEIVED) is EINVAL; the cap itself takes no
 * argument (api.rst: EINVAL unless args[0] is 0).  Once enabled,
 * INIT_RECEIVED resets the vCPU at once: its registers are those of a
 * new vCPU, and its MP state (here STOPPED) is kept.  The reset vCPU then
 * runs from the start again.
 */
#include "rvkvm_test.h"

#ifdef KVM_CAP_RISCV_MP_STATE_RESET

#define REPORT_EID	0x08000042

asm(".pushsection .rodata.mp_state_reset, \"a\"\n"
"	.option push\n	.option norvc\n"
"mpr_code:\n"
"	li	a7, 0x08000042\n	li a6, 0\n	li a0, 7\n	ecall\n"
"	j	.\n"
"mpr_code_end:\n"
"	.option pop\n	.popsection\n");

#define CORE(name)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | \
			 KVM_REG_RISCV_CORE_REG(name))

static int set_mp(struct kvm_vcpu *vcpu, u32 state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return __vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp) ? -errno : 0;
}

static u32 get_mp(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp;

	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static int enable(struct kvm_vm *vm, u64 arg)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_RISCV_MP_STATE_RESET, .args = { arg },
	};

	return __vm_ioctl(vm, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

int main(void)
{
	size_t len;
	const u8 *code = rvkvm_asm_range(mpr_code, mpr_code_end, &len);
	unsigned long pc, a0, sp;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u8 *mem;
	int r;

	ksft_print_header();
	ksft_set_plan(4);
	vm = rvkvm_vm_with_code(code, len, 0x800, 0x1000, &mem);
	vcpu = __vm_vcpu_add(vm, 0);

	r = set_mp(vcpu, KVM_MP_STATE_INIT_RECEIVED);
	ksft_test_result(r == -EINVAL, "INIT_RECEIVED without the cap: EINVAL (got %d)\n", r);
	/* 7.2's own module ignores args[0]; rvkvm follows api.rst. */
	r = enable(vm, 1);
	ksft_test_result(!rvkvm_module_is_ours() || r == -EINVAL,
			 "the cap with args[0] = 1: EINVAL (got %d)\n", r);
	TEST_ASSERT(!enable(vm, 0), "enable KVM_CAP_RISCV_MP_STATE_RESET");

	/* Run once, then dirty the registers and stop the vCPU. */
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    vcpu->run->riscv_sbi.extension_id == REPORT_EID,
		    "first run ended with %s", exit_reason_str(vcpu->run->exit_reason));
	vcpu_set_reg(vcpu, CORE(regs.pc), 0x400);
	vcpu_set_reg(vcpu, CORE(regs.sp), 0x5a5a);
	TEST_ASSERT(!set_mp(vcpu, KVM_MP_STATE_STOPPED), "stop");
	r = set_mp(vcpu, KVM_MP_STATE_INIT_RECEIVED);
	rvkvm_get_reg(vcpu, CORE(regs.pc), &pc);
	rvkvm_get_reg(vcpu, CORE(regs.a0), &a0);
	rvkvm_get_reg(vcpu, CORE(regs.sp), &sp);
	ksft_print_msg("after INIT_RECEIVED: %d, pc %lx a0 %lx sp %lx, MP state %u\n",
		       r, pc, a0, sp, get_mp(vcpu));
	ksft_test_result(!r && !pc && !a0 && !sp &&
			 get_mp(vcpu) == KVM_MP_STATE_STOPPED,
			 "INIT_RECEIVED resets the registers and keeps STOPPED\n");

	TEST_ASSERT(!set_mp(vcpu, KVM_MP_STATE_RUNNABLE), "start");
	vcpu_run(vcpu);
	ksft_test_result(vcpu->run->exit_reason == KVM_EXIT_RISCV_SBI &&
			 vcpu->run->riscv_sbi.args[0] == 7,
			 "the reset vCPU runs from the start again\n");
	kvm_vm_free(vm);
	ksft_finished();
}

#else

int main(void)
{
	ksft_print_header();
	ksft_exit_skip("KVM_CAP_RISCV_MP_STATE_RESET is not in this kernel's uapi (7.x's)\n");
}

#endif
