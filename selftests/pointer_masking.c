// SPDX-License-Identifier: GPL-2.0
/*
 * pointer_masking: Smnpm (7.x's uapi) and SBI FWFT POINTER_MASKING_PMLEN.
 * A guest with Smnpm reads PMLEN 0, sets each length the host's harts
 * take (7, 16) and then loads through a pointer whose top PMLEN bits are
 * a tag, which must read the untagged address; a length outside those is
 * INVALID_PARAM.  The VMM reads and restores the length through ONE_REG
 * (SBI_STATE FWFT pointer_masking), whose registers exist only for a vCPU
 * with Smnpm.  A length restored before the first run is in force there.
 * A guest without Smnpm gets NOT_SUPPORTED, and a length restored before
 * Smnpm was turned off does not reach it: the tagged load faults.  Skips
 * where the host has no Ssnpm (no KVM_RISCV_ISA_EXT_SMNPM).
 */
#include "rvkvm_test.h"
#include "processor.h"
#include "sbi.h"

#if RVKVM_LINUX_7	/* Smnpm and FWFT are in 7.x's uapi */

#define SBI_EXT_FWFT	0x46574654
#define PMLEN_ID	5	/* SBI_FWFT_POINTER_MASKING_PMLEN */
#define FWFT_SET	0
#define FWFT_GET	1

enum { M_SMNPM, M_NO_SMNPM, M_RESTORED, M_RESTORED_OFF };
enum { R_GET0, R_BAD, R_SET7, R_GET7, R_LOAD7, R_SET16, R_GET16, R_LOAD16,
	R_GET_AGAIN, R_LOAD_AGAIN, R_NR };

static int mode;
static long err[R_NR];
static unsigned long val[R_NR];
static unsigned long faults;
#define TARGET	0x5a5a1234c0ffee00ULL
static u64 target = TARGET;	/* read only through tagged_load()'s asm */

static void guest_fault(struct rvkvm_ex_regs *regs)
{
	faults++;
	regs->epc += 4;		/* the load below is never compressed */
}

static void fwft(int fid, unsigned long value, int r)
{
	struct sbiret ret = sbi_ecall(SBI_EXT_FWFT, fid, PMLEN_ID, value, 0,
				      0, 0, 0);

	err[r] = ret.error;
	val[r] = ret.value;
}

/* Load through @target's address with its top @pmlen bits a tag. */
static u64 tagged_load(unsigned int pmlen)
{
	unsigned long p = (unsigned long)&target;
	u64 v = 0;

	p |= (0xa5a5UL & GENMASK(pmlen - 1, 0)) << (64 - pmlen);
	asm volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop"
		     : "+r" (v) : "r" (p) : "memory");
	return v;
}

/* SET @pmlen; if taken, GET it back and load through a tagged pointer. */
static void try_pmlen(unsigned int pmlen, int r)
{
	fwft(FWFT_SET, pmlen, r);
	if (err[r])
		return;
	fwft(FWFT_GET, 0, r + 1);
	val[r + 2] = tagged_load(pmlen);
}

static void guest_code(void)
{
	fwft(FWFT_GET, 0, R_GET0);
	if (mode == M_SMNPM) {
		fwft(FWFT_SET, 5, R_BAD);
		try_pmlen(7, R_SET7);
		try_pmlen(16, R_SET16);
		GUEST_SYNC(1);
		/* The VMM restored a length: the guest finds it in force. */
		fwft(FWFT_GET, 0, R_GET_AGAIN);
		val[R_LOAD_AGAIN] = tagged_load(val[R_GET_AGAIN]);
	} else if (mode == M_RESTORED) {
		fwft(FWFT_GET, 0, R_GET_AGAIN);
		val[R_LOAD_AGAIN] = tagged_load(val[R_GET_AGAIN]);
	} else if (mode == M_RESTORED_OFF) {
		tagged_load(7);
	}
	GUEST_DONE();
}

#define ISA_REG(id)	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | \
			 KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | (id))
#define PM_REG(f)	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | KVM_REG_RISCV_SBI_STATE | \
			 KVM_REG_RISCV_SBI_FWFT | \
			 KVM_REG_RISCV_SBI_FWFT_REG(pointer_masking.f))

static struct kvm_vm *pm_vm(struct kvm_vcpu **vcpu, int m)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);

	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(*vcpu);
	vm_install_exception_handler(vm, EXC_LOAD_PAGE_FAULT, guest_fault);
	mode = m;
	sync_global_to_guest(vm, mode);
	return vm;
}

static void pm_sync(struct kvm_vm *vm)
{
	sync_global_from_guest(vm, err);
	sync_global_from_guest(vm, val);
	sync_global_from_guest(vm, faults);
}

/* Turn Smnpm off; its FWFT registers go with it. */
static void smnpm_off(struct kvm_vcpu *vcpu)
{
	unsigned long v;

	vcpu_set_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SMNPM), 0);
	TEST_ASSERT(__vcpu_get_reg(vcpu, PM_REG(value), &v) && errno == ENOENT,
		    "pointer_masking.value without Smnpm: expected ENOENT, errno %d", errno);
}

/*
 * Length @pmlen, whose SET, GET and load results start at @r: taken and
 * in force (bit @pmlen of the return), or refused with INVALID_PARAM.
 */
static unsigned int check_length(unsigned long pmlen, int r)
{
	TEST_ASSERT(!err[r] || err[r] == SBI_ERR_INVALID_PARAM,
		    "SET %lu: %ld", pmlen, err[r]);
	if (err[r])
		return 0;
	ksft_print_msg("PMLEN %lu taken: GET %lu, tagged load 0x%lx, %lu faults\n",
		       pmlen, val[r + 1], val[r + 2], faults);
	TEST_ASSERT(val[r + 1] == pmlen && val[r + 2] == TARGET,
		    "PMLEN %lu not in force", pmlen);
	return 1 << pmlen;
}

/* The lengths the guest could set, and that their tagged loads read. */
static unsigned int check_lengths(void)
{
	return check_length(7, R_SET7) | check_length(16, R_SET16);
}

static void test_smnpm(void)
{
	struct kvm_vcpu *vcpu;
	unsigned long v = 1;
	struct kvm_vm *vm = pm_vm(&vcpu, M_SMNPM);
	unsigned int lens, restore;
	struct ucall uc;

	rvkvm_get_reg(vcpu, PM_REG(value), &v);
	TEST_ASSERT(v == 0, "pointer_masking.value at reset: %lu", v);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC, "no sync");
	pm_sync(vm);
	ksft_test_result(!err[R_GET0] && val[R_GET0] == 0,
			 "Smnpm: GET PMLEN at reset: 0 (got %ld, %lu)\n",
			 err[R_GET0], val[R_GET0]);
	ksft_test_result(err[R_BAD] == SBI_ERR_INVALID_PARAM,
			 "SET PMLEN 5: INVALID_PARAM (got %ld)\n", err[R_BAD]);
	lens = check_lengths();
	ksft_test_result(lens, "a length the host takes is in force (7: %s, 16: %s)\n",
			 lens & (1 << 7) ? "yes" : "no", lens & (1 << 16) ? "yes" : "no");

	rvkvm_get_reg(vcpu, PM_REG(value), &v);
	restore = lens & (1 << 7) ? 7 : 16;
	TEST_ASSERT(__vcpu_set_reg(vcpu, PM_REG(value), 5) && errno == EINVAL,
		    "ONE_REG value 5: expected EINVAL, errno %d", errno);
	vcpu_set_reg(vcpu, PM_REG(value), restore);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE, "no done");
	pm_sync(vm);
	ksft_test_result(v == (lens & (1 << 16) ? 16 : 7) && !err[R_GET_AGAIN] &&
			 val[R_GET_AGAIN] == restore && val[R_LOAD_AGAIN] == TARGET,
			 "ONE_REG reads the guest's %lu; restored %u is in force (GET %lu, load 0x%lx)\n",
			 v, restore, val[R_GET_AGAIN], val[R_LOAD_AGAIN]);
	kvm_vm_free(vm);
}

static void test_no_smnpm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = pm_vm(&vcpu, M_NO_SMNPM);
	struct ucall uc;

	smnpm_off(vcpu);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE, "no done");
	pm_sync(vm);
	ksft_test_result(err[R_GET0] == SBI_ERR_NOT_SUPPORTED,
			 "without Smnpm: GET PMLEN is NOT_SUPPORTED, no ONE_REG (got %ld)\n",
			 err[R_GET0]);
	kvm_vm_free(vm);
}

/*
 * A length restored into a new vCPU (a migration's destination) is in
 * force at its first run; with Smnpm turned off after the restore, the
 * guest must not have it.
 */
static void test_restored(bool off)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = pm_vm(&vcpu, off ? M_RESTORED_OFF : M_RESTORED);
	unsigned long pmlen = 7;
	struct ucall uc;

	if (__vcpu_set_reg(vcpu, PM_REG(value), pmlen)) {
		pmlen = 16;
		vcpu_set_reg(vcpu, PM_REG(value), pmlen);
	}
	if (off)
		smnpm_off(vcpu);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE, "no done");
	pm_sync(vm);
	if (off)
		ksft_test_result(faults == 1,
				 "PMLEN %lu restored, then Smnpm off: the tagged load faults (%lu faults)\n",
				 pmlen, faults);
	else
		ksft_test_result(!err[R_GET_AGAIN] && val[R_GET_AGAIN] == pmlen &&
				 val[R_LOAD_AGAIN] == TARGET,
				 "PMLEN %lu restored before the first run: in force (GET %lu, load 0x%lx)\n",
				 pmlen, val[R_GET_AGAIN], val[R_LOAD_AGAIN]);
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned long on;

	ksft_print_header();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	if (__vcpu_get_reg(vcpu, ISA_REG(KVM_RISCV_ISA_EXT_SMNPM), &on))
		ksft_exit_skip("Smnpm is not offered: the host has no Ssnpm (errno %d)\n",
			       errno);
	kvm_vm_free(vm);
	ksft_set_plan(7);
	test_smnpm();
	test_no_smnpm();
	test_restored(false);
	test_restored(true);
	ksft_finished();
}

#else

int main(void)
{
	ksft_print_header();
	ksft_exit_skip("Smnpm and SBI FWFT are not in this kernel's uapi (7.x's)\n");
}

#endif
