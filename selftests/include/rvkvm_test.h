/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by rvkvm's own selftests, on top of the kernel's
 * selftest library.
 */
#ifndef RVKVM_TEST_H
#define RVKVM_TEST_H

#include <stdio.h>
#include <string.h>
#include "kvm_util.h"

/* `j .`: a guest that spins where it starts, needing no page tables. */
#define RVKVM_INSN_SPIN		0x0000006fu

/* Read one u64 statistic of @vcpu by name through its binary stats fd. */
static inline u64 rvkvm_vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	u64 value = 0;
	bool found = false;
	int fd, i;

	fd = vcpu_get_stats_fd(vcpu);
	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc && !found; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name)) {
			read_stat_data(fd, &header, d, &value, 1);
			found = true;
		}
	}
	free(descs);
	close(fd);
	TEST_ASSERT(found, "vCPU stat '%s' not found", name);
	return value;
}

/*
 * Is the loaded kvm.ko ours?  Ours is out of tree, so its taint flags
 * have an 'O' (the harness's kvm_flavour does the same).  Checks of
 * where rvkvm is deliberately stricter than the in-tree module use it.
 */
static inline bool rvkvm_module_is_ours(void)
{
	char taint[16] = "";
	FILE *f = fopen("/sys/module/kvm/taint", "r");

	if (f) {
		if (!fgets(taint, sizeof(taint), f))
			taint[0] = 0;
		fclose(f);
	}
	return strchr(taint, 'O');
}

#endif /* RVKVM_TEST_H */
