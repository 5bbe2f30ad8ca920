// SPDX-License-Identifier: GPL-2.0
/*
 * vm_create_probe [VMS]: walk the smallest life cycle /dev/kvm offers.
 *
 * Open /dev/kvm, check the API version, then VMS times (default 1) create
 * a VM and one vCPU and close them; close /dev/kvm.  Raw ioctls on
 * purpose: the library's vm_create() also sets up guest memory and page
 * tables, more than tests/modcycle.sh wants to repeat.  Several VMs per
 * run make a per-VM leak stand out over the noise of slab counters.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kvm_util.h"
#include "kselftest.h"

static void check_api_version(int kvm_fd)
{
	int ver = ioctl(kvm_fd, KVM_GET_API_VERSION, NULL);

	TEST_ASSERT(ver == KVM_API_VERSION,
		    "KVM_GET_API_VERSION returned %d, expected %d",
		    ver, KVM_API_VERSION);
	ksft_test_result_pass("KVM_GET_API_VERSION is %d\n", ver);
}

static int create_vm(int kvm_fd)
{
	int vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);

	TEST_ASSERT(vm_fd >= 0, __KVM_SYSCALL_ERROR("KVM_CREATE_VM", vm_fd));
	return vm_fd;
}

static int create_vcpu(int vm_fd)
{
	int vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);

	TEST_ASSERT(vcpu_fd >= 0,
		    __KVM_SYSCALL_ERROR("KVM_CREATE_VCPU", vcpu_fd));
	return vcpu_fd;
}

/* A VM with one vCPU, torn down innermost first as a VMM would. */
static void vm_life_cycle(int kvm_fd)
{
	int vm_fd = create_vm(kvm_fd);
	int vcpu_fd = create_vcpu(vm_fd);

	TEST_ASSERT(!close(vcpu_fd), "close(vCPU) failed");
	TEST_ASSERT(!close(vm_fd), "close(VM) failed");
}

int main(int argc, char *argv[])
{
	int vms = argc > 1 ? atoi(argv[1]) : 1;
	int kvm_fd, i;

	TEST_ASSERT(vms > 0, "usage: %s [VMS], VMS > 0", argv[0]);
	ksft_print_header();
	ksft_set_plan(4);

	/* Skips (KSFT_SKIP) when there is no /dev/kvm at all. */
	kvm_fd = open_kvm_dev_path_or_exit();
	ksft_test_result_pass("open " KVM_DEV_PATH "\n");

	check_api_version(kvm_fd);

	for (i = 0; i < vms; i++)
		vm_life_cycle(kvm_fd);
	ksft_test_result_pass("%d x KVM_CREATE_VM, KVM_CREATE_VCPU, close\n",
			      vms);

	TEST_ASSERT(!close(kvm_fd), "close(/dev/kvm) failed");
	ksft_test_result_pass("close " KVM_DEV_PATH "\n");

	ksft_finished();
}
