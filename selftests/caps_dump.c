// SPDX-License-Identifier: GPL-2.0
/*
 * caps_dump: print KVM_CHECK_EXTENSION for every capability number, on
 * /dev/kvm and on a VM, one "where cap value" line each.  Two dumps, one
 * per module, are compared by tests/caps_match.sh.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

/* Well past the last KVM_CAP_* of any 6.x uapi. */
#define CAP_LIMIT	512

static void dump(const char *where, int fd)
{
	int cap, v;

	for (cap = 0; cap < CAP_LIMIT; cap++) {
		v = ioctl(fd, KVM_CHECK_EXTENSION, cap);
		printf("%s %d %d\n", where, cap, v < 0 ? -1 : v);
	}
}

int main(void)
{
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0) {
		perror("/dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("KVM_CREATE_VM");
		return 1;
	}
	printf("api %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	printf("vcpu_mmap_size %d\n", ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	dump("dev", kvm);
	dump("vm", vm);
	close(vm);
	close(kvm);
	return 0;
}
