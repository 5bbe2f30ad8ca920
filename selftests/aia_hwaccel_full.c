// SPDX-License-Identifier: GPL-2.0
/*
 * aia_hwaccel_full: MODE HWACCEL on a hart whose guest interrupt files
 * are all taken.
 *
 * VMs of one vCPU each, MODE HWACCEL, their vCPU threads on one host
 * CPU, run to their first GUEST_SYNC: each keeps a VS-file of that hart
 * afterwards.  The first VM that finds none free must fail its entry
 * (KVM_EXIT_FAIL_ENTRY, reason CSR_HSTATUS, that CPU), and fail again
 * when run again, never running with its file in software; once another
 * VM is freed, it runs.  Skips without KVM_CAP_IRQCHIP or where HWACCEL
 * is refused (a host without guest interrupt files).
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define IMSIC_GPA	0x28000000UL
#define MAX_VMS		64
#define CSR_HSTATUS_NR	0x600

static void guest_code(void)
{
	GUEST_SYNC(1);
	GUEST_DONE();
}

static int dev_fds[MAX_VMS];

/*
 * A VM of one vCPU with an in-kernel AIA in HWACCEL; NULL if refused.
 * The device fd keeps the VM alive: drop_vm() closes both.
 */
static struct kvm_vm *hwaccel_vm(struct kvm_vcpu **vcpu, int n)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, guest_code);
	int fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA);
	u32 mode = KVM_DEV_RISCV_AIA_MODE_HWACCEL;
	u64 addr = IMSIC_GPA;

	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): errno %d", errno);
	dev_fds[n] = fd;
	if (__kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
				  KVM_DEV_RISCV_AIA_CONFIG_MODE, &mode)) {
		close(fd);
		kvm_vm_free(vm);
		return NULL;
	}
	kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			    KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), &addr);
	kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
			    KVM_DEV_RISCV_AIA_CTRL_INIT, NULL);
	return vm;
}

static void drop_vm(struct kvm_vm *vm, int n)
{
	close(dev_fds[n]);
	kvm_vm_free(vm);
}

/* Run @vcpu once: true if it reached its GUEST_SYNC, false on FAIL_ENTRY. */
static bool runs(struct kvm_vcpu *vcpu, int cpu)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	vcpu_run(vcpu);
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
		TEST_ASSERT(run->fail_entry.hardware_entry_failure_reason ==
			    CSR_HSTATUS_NR && run->fail_entry.cpu == cpu,
			    "FAIL_ENTRY reason 0x%llx on CPU %u",
			    run->fail_entry.hardware_entry_failure_reason,
			    run->fail_entry.cpu);
		return false;
	}
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_SYNC,
		    "unexpected exit %s", exit_reason_str(run->exit_reason));
	return true;
}

int main(void)
{
	struct kvm_vcpu *vcpus[MAX_VMS];
	struct kvm_vm *vms[MAX_VMS];
	int cpus[2], n;

	ksft_print_header();
	if (!kvm_check_cap(KVM_CAP_IRQCHIP))
		ksft_exit_skip("KVM_CAP_IRQCHIP is 0: the host has no Ssaia\n");
	rvkvm_two_host_cpus(cpus);
	rvkvm_pin(0, cpus[0]);
	for (n = 0; n < MAX_VMS; n++) {
		vms[n] = hwaccel_vm(&vcpus[n], n);
		if (!vms[n]) {
			if (!n)
				ksft_exit_skip("HWACCEL refused: no guest interrupt files\n");
			TEST_FAIL("HWACCEL refused for VM %d only", n);
		}
		if (!runs(vcpus[n], cpus[0]))
			break;
	}
	TEST_ASSERT(n < MAX_VMS, "%d VMs all got a VS-file of one hart", n);
	ksft_set_plan(3);
	ksft_print_msg("%d VMs hold the VS-files of CPU %d\n", n, cpus[0]);
	ksft_test_result_pass("VM %d: KVM_EXIT_FAIL_ENTRY, reason CSR_HSTATUS, CPU %d\n",
			      n, cpus[0]);
	ksft_test_result(!runs(vcpus[n], cpus[0]),
			 "run again: the entry fails again, never in software\n");
	drop_vm(vms[0], 0);
	ksft_test_result(runs(vcpus[n], cpus[0]),
			 "a VS-file freed: the VM runs\n");
	for (; n > 0; n--)
		drop_vm(vms[n], n);
	ksft_finished();
}
