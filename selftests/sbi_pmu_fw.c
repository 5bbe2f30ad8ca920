// SPDX-License-Identifier: GPL-2.0
/*
 * sbi_pmu_fw: what the kernel's sbi_pmu_test leaves out.  Firmware
 * counters count the SBI work done for the guest (set_timer, IPIs sent
 * and received), from their initial value, only while started; start
 * and stop answer ALREADY_STARTED/STOPPED; bad counter sets, events and
 * snapshot addresses get the spec's error codes.
 *
 * Skips where the vCPU has no SBI PMU.
 */
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define EXT_TIME	0x54494D45
#define EXT_IPI		0x735049
#define ERR_NO_SHMEM	(-9)
#define FW_EVENT(code)	((0xfUL << 16) | (code))
#define FW_SET_TIMER	5
#define FW_IPI_SENT	6
#define FW_IPI_RCVD	7
#define FW_BAD		22	/* one past the last firmware event */
#define IRQ_SSOFT	1

/* Set by the host: ours checks what 6.12 does not. */
static bool strict;

static struct sbiret pmu(int fid, unsigned long a0, unsigned long a1,
			 unsigned long a2, unsigned long a3)
{
	return sbi_ecall(SBI_EXT_PMU, fid, a0, a1, a2, a3, 0, 0);
}

static unsigned long fw_read(unsigned long c)
{
	struct sbiret r = pmu(SBI_EXT_PMU_COUNTER_FW_READ, c, 0, 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
	return r.value;
}

/* A firmware counter for @code; @first is the first firmware index. */
static unsigned long fw_config(unsigned long first, unsigned long flags,
			       unsigned long code)
{
	struct sbiret r = pmu(SBI_EXT_PMU_COUNTER_CFG_MATCH, first,
			      0xffffUL, flags, FW_EVENT(code));

	GUEST_ASSERT_EQ(r.error, 0);
	GUEST_ASSERT(r.value >= first);
	return r.value;
}

static unsigned long first_fw_counter(unsigned long n)
{
	union sbi_pmu_ctr_info info;
	struct sbiret r;
	unsigned long i;

	for (i = 0; i < n; i++) {
		r = pmu(SBI_EXT_PMU_COUNTER_GET_INFO, i, 0, 0, 0);
		if (r.error)
			continue;
		info.value = r.value;
		if (info.type == SBI_PMU_CTR_TYPE_FW)
			return i;
	}
	GUEST_FAIL("no firmware counter among %lu", n);
	return 0;
}

static void set_timer_far(void)
{
	struct sbiret r = sbi_ecall(EXT_TIME, 0, -1UL, 0, 0, 0, 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
}

static void stage_set_timer(unsigned long first)
{
	unsigned long c = fw_config(first, 0, FW_SET_TIMER);
	struct sbiret r;

	r = pmu(SBI_EXT_PMU_COUNTER_START, c, 1,
		SBI_PMU_START_FLAG_SET_INIT_VALUE, 5);
	GUEST_ASSERT_EQ(r.error, 0);
	set_timer_far();
	set_timer_far();
	set_timer_far();
	GUEST_ASSERT_EQ(fw_read(c), 8);

	r = pmu(SBI_EXT_PMU_COUNTER_START, c, 1, 0, 0);
	GUEST_ASSERT_EQ(r.error, SBI_ERR_ALREADY_STARTED);
	r = pmu(SBI_EXT_PMU_COUNTER_STOP, c, 1, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	set_timer_far();
	GUEST_ASSERT_EQ(fw_read(c), 8);
	r = pmu(SBI_EXT_PMU_COUNTER_STOP, c, 1, SBI_PMU_STOP_FLAG_RESET, 0);
	GUEST_ASSERT_EQ(r.error, SBI_ERR_ALREADY_STOPPED);
}

static void stage_ipi(unsigned long first)
{
	unsigned long flags = SBI_PMU_CFG_FLAG_AUTO_START |
			      SBI_PMU_CFG_FLAG_CLEAR_VALUE;
	unsigned long sent = fw_config(first, flags, FW_IPI_SENT);
	unsigned long rcvd = fw_config(first, flags, FW_IPI_RCVD);
	struct sbiret r;

	GUEST_ASSERT_NE(sent, rcvd);
	/* To ourselves: sie has SSIE off, so nothing is taken. */
	r = sbi_ecall(EXT_IPI, 0, 1, 0, 0, 0, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	csr_clear(CSR_SIP, BIT(IRQ_SSOFT));
	GUEST_ASSERT_EQ(fw_read(sent), 1);
	GUEST_ASSERT_EQ(fw_read(rcvd), 1);
	r = pmu(SBI_EXT_PMU_COUNTER_STOP, sent, 1, SBI_PMU_STOP_FLAG_RESET, 0);
	GUEST_ASSERT_EQ(r.error, 0);
	r = pmu(SBI_EXT_PMU_COUNTER_STOP, rcvd, 1, SBI_PMU_STOP_FLAG_RESET, 0);
	GUEST_ASSERT_EQ(r.error, 0);
}

static void stage_errors(unsigned long n, unsigned long first)
{
	struct sbiret r;

	r = pmu(SBI_EXT_PMU_COUNTER_GET_INFO, 1, 0, 0, 0);	/* time */
	GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	r = pmu(SBI_EXT_PMU_COUNTER_START, 0, 0, 0, 0);	/* empty set */
	GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	r = pmu(SBI_EXT_PMU_COUNTER_STOP, n, 1, 0, 0);		/* past the end */
	GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	r = pmu(SBI_EXT_PMU_COUNTER_CFG_MATCH, first, 1, 0, FW_EVENT(FW_BAD));
	GUEST_ASSERT_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
	r = pmu(SBI_EXT_PMU_COUNTER_START, 0, 1,
		SBI_PMU_START_FLAG_INIT_SNAPSHOT, 0);
	GUEST_ASSERT_EQ(r.error, ERR_NO_SHMEM);
	r = pmu(SBI_EXT_PMU_COUNTER_STOP, 0, 1,
		SBI_PMU_STOP_FLAG_TAKE_SNAPSHOT, 0);
	GUEST_ASSERT_EQ(r.error, ERR_NO_SHMEM);
	r = pmu(SBI_EXT_PMU_SNAPSHOT_SET_SHMEM, 0, 0, 1, 0);	/* flags */
	GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	r = pmu(SBI_EXT_PMU_SNAPSHOT_SET_SHMEM, 0, 1, 0, 0);	/* >= 2^64 */
	GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_ADDRESS);
	r = pmu(SBI_EXT_PMU_COUNTER_FW_READ, n, 0, 0, 0);
	GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	if (strict) {
		/* 6.12 takes an unaligned area and any counter index here. */
		r = pmu(SBI_EXT_PMU_SNAPSHOT_SET_SHMEM, 8, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
		r = pmu(SBI_EXT_PMU_COUNTER_GET_INFO, n, 0, 0, 0);
		GUEST_ASSERT_EQ(r.error, SBI_ERR_INVALID_PARAM);
	}
}

static void guest_code(void)
{
	struct sbiret r = pmu(SBI_EXT_PMU_NUM_COUNTERS, 0, 0, 0, 0);
	unsigned long n = r.value, first;

	GUEST_ASSERT_EQ(r.error, 0);
	first = first_fw_counter(n);
	stage_set_timer(first);
	GUEST_SYNC(1);
	stage_ipi(first);
	GUEST_SYNC(2);
	stage_errors(n, first);
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	__TEST_REQUIRE(__vcpu_has_sbi_ext(vcpu, KVM_RISCV_SBI_EXT_PMU),
		       "SBI PMU not available");
	ksft_set_plan(3);
	strict = rvkvm_module_is_ours();
	sync_global_to_guest(vm, strict);

	TEST_ASSERT_EQ(rvkvm_run_ucall(vcpu), UCALL_SYNC);
	ksft_test_result_pass("set_timer counted from the initial value while started\n");
	TEST_ASSERT_EQ(rvkvm_run_ucall(vcpu), UCALL_SYNC);
	ksft_test_result_pass("IPI sent and received counted\n");
	TEST_ASSERT_EQ(rvkvm_run_ucall(vcpu), UCALL_DONE);
	ksft_test_result_pass("error codes%s\n",
			      strict ? "" : " (6.12's leniencies not checked)");

	kvm_vm_free(vm);
	ksft_finished();
}
