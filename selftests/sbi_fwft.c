// SPDX-License-Identifier: GPL-2.0
/*
 * sbi_fwft: SBI FWFT (7.x's uapi) as the guest and the VMM see it.  The
 * feature id is 32 bits wide (the upper half of a0 is ignored); reserved
 * and platform features are DENIED; a defined feature KVM does not offer
 * is NOT_SUPPORTED.  Where the host can delegate misaligned traps, the
 * guest sets and reads MISALIGNED_EXC_DELEG, bad values and flags are
 * INVALID_PARAM, a locked feature is DENIED_LOCKED, ONE_REG shows the
 * value and the lock, and a feature the VMM hides is NOT_SUPPORTED.
 */
#include "rvkvm_test.h"
#include "sbi.h"

#if RVKVM_LINUX_7	/* FWFT is in 7.x's uapi */

#define SBI_EXT_FWFT		0x46574654
#define SBI_ERR_DENIED_LOCKED	-14
#define MIS		0	/* SBI_FWFT_MISALIGNED_EXC_DELEG */
#define FWFT_SET	0
#define FWFT_GET	1
#define LOCK		1UL

enum {
	R_PROBE, R_GET_HI, R_RSVD, R_PLAT, R_SET1, R_GET1, R_BAD_VAL,
	R_BAD_FLAGS, R_LOCK, R_LOCKED, R_GET_HIDDEN, R_NR
};

static long res[R_NR];
static unsigned long val[R_NR];

static long fwft(int fid, unsigned long a0, unsigned long a1, unsigned long a2,
		 int r)
{
	struct sbiret ret = sbi_ecall(SBI_EXT_FWFT, fid, a0, a1, a2, 0, 0, 0);

	res[r] = ret.error;
	val[r] = ret.value;
	return ret.error;
}

static void guest_code(void)
{
	long probe = 0;

	res[R_PROBE] = guest_sbi_probe_extension(SBI_EXT_FWFT, &probe) ? probe : -1;
	fwft(FWFT_GET, (1UL << 32) | MIS, 0, 0, R_GET_HI);
	fwft(FWFT_GET, 6, 0, 0, R_RSVD);
	fwft(FWFT_GET, 0x40000000, 0, 0, R_PLAT);
	fwft(FWFT_SET, MIS, 1, 0, R_SET1);
	fwft(FWFT_GET, MIS, 0, 0, R_GET1);
	fwft(FWFT_SET, MIS, 2, 0, R_BAD_VAL);
	fwft(FWFT_SET, MIS, 1, 2, R_BAD_FLAGS);
	fwft(FWFT_SET, MIS, 0, LOCK, R_LOCK);
	fwft(FWFT_SET, MIS, 1, 0, R_LOCKED);
	GUEST_SYNC(1);
	fwft(FWFT_GET, MIS, 0, 0, R_GET_HIDDEN);
	GUEST_DONE();
}

#define FWFT_REG(n)	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_SBI_STATE | \
			 KVM_REG_RISCV_SBI_FWFT | KVM_REG_RISCV_SBI_FWFT_REG(n))

int main(void)
{
	unsigned long enable, flags, value;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool has;

	ksft_print_header();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	has = !__vcpu_get_reg(vcpu, FWFT_REG(misaligned_deleg.enable), &enable);
	ksft_print_msg("misaligned delegation: %s\n",
		       has ? "the host can delegate" : "not on this host (no ONE_REG)");
	ksft_set_plan(has ? 7 : 3);

	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC, "no first sync");
	sync_global_from_guest(vm, res);
	sync_global_from_guest(vm, val);
	ksft_test_result(res[R_PROBE] > 0, "FWFT is probed present\n");
	ksft_test_result(res[R_RSVD] == SBI_ERR_DENIED && res[R_PLAT] == SBI_ERR_DENIED,
			 "reserved and platform features: DENIED (got %ld %ld)\n",
			 res[R_RSVD], res[R_PLAT]);
	if (!has) {
		ksft_test_result(res[R_GET_HI] == SBI_ERR_NOT_SUPPORTED &&
				 res[R_SET1] == SBI_ERR_NOT_SUPPORTED,
				 "misaligned delegation, id with the upper half set too: NOT_SUPPORTED (got %ld %ld)\n",
				 res[R_GET_HI], res[R_SET1]);
		kvm_vm_free(vm);
		ksft_finished();
	}
	ksft_test_result(!res[R_GET_HI] && val[R_GET_HI] == 0,
			 "GET with the upper half of the id set reads feature 0: 0 (got %ld, %lu)\n",
			 res[R_GET_HI], val[R_GET_HI]);
	ksft_test_result(!res[R_SET1] && !res[R_GET1] && val[R_GET1] == 1,
			 "SET 1 then GET: 1\n");
	ksft_test_result(res[R_BAD_VAL] == SBI_ERR_INVALID_PARAM &&
			 res[R_BAD_FLAGS] == SBI_ERR_INVALID_PARAM,
			 "value 2, flag bit 1: INVALID_PARAM (got %ld %ld)\n",
			 res[R_BAD_VAL], res[R_BAD_FLAGS]);
	rvkvm_get_reg(vcpu, FWFT_REG(misaligned_deleg.flags), &flags);
	rvkvm_get_reg(vcpu, FWFT_REG(misaligned_deleg.value), &value);
	ksft_test_result(!res[R_LOCK] && res[R_LOCKED] == SBI_ERR_DENIED_LOCKED &&
			 flags == LOCK && value == 0,
			 "SET 0 with LOCK, then SET: DENIED_LOCKED; ONE_REG flags %lu value %lu\n",
			 flags, value);

	/* The VMM hides the feature: the guest no longer has it. */
	vcpu_set_reg(vcpu, FWFT_REG(misaligned_deleg.enable), 0);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE, "no done");
	sync_global_from_guest(vm, res);
	ksft_test_result(res[R_GET_HIDDEN] == SBI_ERR_NOT_SUPPORTED,
			 "hidden through ONE_REG enable = 0: NOT_SUPPORTED (got %ld)\n",
			 res[R_GET_HIDDEN]);
	kvm_vm_free(vm);
	ksft_finished();
}

#else

int main(void)
{
	ksft_print_header();
	ksft_exit_skip("SBI FWFT is not in this kernel's uapi (7.x's)\n");
}

#endif
