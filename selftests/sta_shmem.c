// SPDX-License-Identifier: GPL-2.0
/*
 * sta_shmem: SBI STA set_shmem's checks and the life of a record, which
 * the kernel's steal_time selftest does not look at.
 *
 * The guest asks for records with flags set, misaligned, above 2^64 and
 * where there is no RAM (INVALID_PARAM, INVALID_ADDRESS), then for a good
 * one, which must come back zeroed.  The host reads and restores it
 * through ONE_REG SBI_STA and checks the registers' errnos; every entry
 * after that must update the record (even sequence count, moving on),
 * and none after the guest disabled it.  Last, the host deletes the
 * memslot under a live record and runs the guest again: the update must
 * be skipped quietly (the harness fails a run on any WARNING).
 *
 * Debian's 6.12 takes flag bits above 31 and a misaligned shmem_lo, and
 * WARNs on the deleted memslot: those checks run with rvkvm only.
 */
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define ST_GPA		0x40000000UL
#define ST_SLOT		1
#define NO_RAM_GPA	(ST_GPA + 0x200000)
#define STA_REG(i)	(KVM_REG_RISCV | KVM_REG_SIZE_ULONG | \
			 KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_STA | (i))

struct sta_record {
	u32 sequence;
	u32 flags;
	u64 steal;
	u8 preempted;
	u8 pad[47];
} __packed;

static bool ours;	/* synced to the guest */

static long set_shmem(unsigned long lo, unsigned long hi, unsigned long flags)
{
	return sbi_ecall(SBI_EXT_STA, 0, lo, hi, flags, 0, 0, 0).error;
}

static void guest_code(void)
{
	struct sta_record *st = (void *)ST_GPA;
	u32 seq;
	int i;

	GUEST_ASSERT_EQ(set_shmem(ST_GPA, 0, 1), SBI_ERR_INVALID_PARAM);
	if (ours)
		GUEST_ASSERT_EQ(set_shmem(ST_GPA, 0, 1UL << 32),
				SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(set_shmem(ST_GPA + 8, 0, 0), SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(set_shmem(-1UL, 0, 0), SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(set_shmem(ST_GPA, 1, 0), SBI_ERR_INVALID_ADDRESS);
	GUEST_ASSERT_EQ(set_shmem(NO_RAM_GPA, 0, 0), SBI_ERR_INVALID_ADDRESS);

	memset(st, 0xa5, sizeof(*st));
	GUEST_ASSERT_EQ(set_shmem(ST_GPA, 0, 0), 0);
	/* An update may already have come (a preempted vCPU): steal only. */
	GUEST_ASSERT(!(READ_ONCE(st->sequence) & 1));
	GUEST_ASSERT_EQ(READ_ONCE(st->flags), 0);
	GUEST_ASSERT_EQ(READ_ONCE(st->preempted), 0);
	for (i = 0; i < sizeof(st->pad); i++)
		GUEST_ASSERT_EQ(READ_ONCE(st->pad[i]), 0);
	GUEST_SYNC(1);

	/* Back from the host: vcpu_load asked for an update. */
	seq = READ_ONCE(st->sequence);
	GUEST_ASSERT(seq >= 2 && !(seq & 1));
	GUEST_SYNC(2);
	GUEST_ASSERT(READ_ONCE(st->sequence) > seq);
	GUEST_ASSERT(!(READ_ONCE(st->sequence) & 1));

	GUEST_ASSERT_EQ(set_shmem(-1UL, -1UL, 0), 0);
	seq = READ_ONCE(st->sequence);
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(READ_ONCE(st->sequence), seq);

	GUEST_ASSERT_EQ(set_shmem(ST_GPA, 0, 0), 0);
	GUEST_SYNC(4);
	GUEST_DONE();
}

static void run_to(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC)
		TEST_ASSERT(uc.args[1] == stage, "at stage %lu, wanted %lu",
			    uc.args[1], stage);
	else
		TEST_ASSERT(stage == 0, "guest done early");
}

static int set_reg(struct kvm_vcpu *vcpu, u64 id, unsigned long val)
{
	return __vcpu_set_reg(vcpu, id, val) ? errno : 0;
}

static void check_regs(struct kvm_vcpu *vcpu)
{
	unsigned long lo, hi;
	u32 small;
	struct kvm_one_reg bad_size = {
		.id = (STA_REG(0) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32,
		.addr = (unsigned long)&small,
	};

	rvkvm_get_reg(vcpu, STA_REG(0), &lo);
	rvkvm_get_reg(vcpu, STA_REG(1), &hi);
	ksft_test_result(lo == ST_GPA && !hi,
			 "ONE_REG shmem_lo/hi read the record's address\n");
	ksft_test_result(set_reg(vcpu, STA_REG(1), 1) == EINVAL &&
			 set_reg(vcpu, STA_REG(2), 0) == EINVAL &&
			 ioctl(vcpu->fd, KVM_GET_ONE_REG, &bad_size) == -1 &&
			 errno == EINVAL,
			 "ONE_REG: shmem_hi != 0, index 2, 32-bit size: EINVAL\n");
	if (ours)
		ksft_test_result(set_reg(vcpu, STA_REG(0), ST_GPA + 8) == EINVAL,
				 "ONE_REG: a misaligned shmem_lo is EINVAL\n");
	else
		ksft_test_result_skip("a misaligned shmem_lo: 6.12 takes it\n");
	ksft_test_result(!set_reg(vcpu, STA_REG(0), ST_GPA),
			 "ONE_REG: the address restored\n");
}

int main(int argc, char **argv)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned long lo;

	ksft_print_header();
	ours = rvkvm_module_is_ours();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	__TEST_REQUIRE(__vcpu_has_sbi_ext(vcpu, KVM_RISCV_SBI_EXT_STA),
		       "no SBI STA");
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ST_GPA, ST_SLOT,
				    1, 0);
	virt_map(vm, ST_GPA, ST_GPA, 1);
	sync_global_to_guest(vm, ours);
	ksft_set_plan(8);

	run_to(vcpu, 1);
	ksft_test_result_pass("set_shmem: %s; the record zeroed\n",
			      "bad flags, misaligned, hi set, no RAM refused");
	check_regs(vcpu);
	run_to(vcpu, 2);
	run_to(vcpu, 3);
	ksft_test_result_pass("each entry updates the record (even count, moving on)\n");
	rvkvm_get_reg(vcpu, STA_REG(0), &lo);
	run_to(vcpu, 4);
	ksft_test_result(lo == -1UL,
			 "disabled: shmem_lo reads all ones, no more updates\n");

	if (ours) {
		vm_mem_region_delete(vm, ST_SLOT);
		run_to(vcpu, 0);
		ksft_test_result_pass("the record's memslot deleted: %s\n",
				      "the update is skipped, the guest runs on");
	} else {
		ksft_test_result_skip("the record's memslot deleted: 6.12 WARNs\n");
	}
	kvm_vm_free(vm);
	ksft_finished();
}
