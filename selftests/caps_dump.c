// SPDX-License-Identifier: GPL-2.0
/*
 * caps_dump: print KVM_CHECK_EXTENSION for every capability number, on
 * /dev/kvm and on a VM, one "where cap value" line each.  Two dumps, one
 * per module, are compared by tests/caps_match.sh.
 *
 * caps_dump --summary: the non-zero capabilities of a VM by name, for
 * `make run`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kernel.h>
#include <linux/kvm.h>

/* Well past the last KVM_CAP_* of any 6.x uapi. */
#define CAP_LIMIT	512

#define CAP(c)	{ KVM_CAP_##c, #c }

/* Capabilities a RISC-V host may report; others show by number. */
static const struct {
	int cap;
	const char *name;
} cap_names[] = {
	CAP(IRQCHIP), CAP(USER_MEMORY), CAP(SET_TSS_ADDR), CAP(NR_VCPUS),
	CAP(NR_MEMSLOTS), CAP(SYNC_MMU), CAP(IOEVENTFD), CAP(IRQFD),
	CAP(DESTROY_MEMORY_REGION_WORKS), CAP(JOIN_MEMORY_REGIONS_WORKS),
	CAP(INTERNAL_ERROR_DATA), CAP(COALESCED_MMIO), CAP(COALESCED_PIO),
	CAP(SIGNAL_MSI), CAP(DEVICE_CTRL),
	CAP(ONE_REG), CAP(MP_STATE), CAP(IMMEDIATE_EXIT), CAP(SET_GUEST_DEBUG),
	CAP(READONLY_MEM), CAP(MAX_VCPUS), CAP(MAX_VCPU_ID), CAP(VM_GPA_BITS),
	CAP(IOEVENTFD_NO_LENGTH), CAP(IOEVENTFD_ANY_LENGTH), CAP(CHECK_EXTENSION_VM),
	CAP(ENABLE_CAP_VM), CAP(MULTI_ADDRESS_SPACE), CAP(BINARY_STATS_FD),
	CAP(SYSTEM_EVENT_DATA), CAP(HALT_POLL), CAP(DIRTY_LOG_RING),
	CAP(DIRTY_LOG_RING_ACQ_REL), CAP(MANUAL_DIRTY_LOG_PROTECT2),
	CAP(USER_MEMORY2), CAP(GUEST_MEMFD), CAP(VM_TYPES), CAP(IRQ_ROUTING),
	CAP(MEMORY_ATTRIBUTES), CAP(PRE_FAULT_MEMORY),
};

static const char *cap_name(int cap)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (cap_names[i].cap == cap)
			return cap_names[i].name;
	return NULL;
}

static void summary(int fd)
{
	const char *name;
	int cap, v;

	for (cap = 0; cap < CAP_LIMIT; cap++) {
		v = ioctl(fd, KVM_CHECK_EXTENSION, cap);
		if (v <= 0)
			continue;
		name = cap_name(cap);
		if (name)
			printf("KVM_CAP_%-28s %d\n", name, v);
		else
			printf("KVM_CAP #%-27d %d\n", cap, v);
	}
}

static void dump(const char *where, int fd)
{
	int cap, v;

	for (cap = 0; cap < CAP_LIMIT; cap++) {
		v = ioctl(fd, KVM_CHECK_EXTENSION, cap);
		printf("%s %d %d\n", where, cap, v < 0 ? -1 : v);
	}
}

int main(int argc, char **argv)
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
	if (argc > 1 && !strcmp(argv[1], "--summary")) {
		summary(vm);
		return 0;
	}
	printf("api %d\n", ioctl(kvm, KVM_GET_API_VERSION, 0));
	printf("vcpu_mmap_size %d\n", ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	dump("dev", kvm);
	dump("vm", vm);
	close(vm);
	close(kvm);
	return 0;
}
