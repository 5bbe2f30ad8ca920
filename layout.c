// SPDX-License-Identifier: GPL-2.0
/*
 * The layout guard.
 *
 * On 6.12 the host's built-in kernel/entry/kvm.c
 * (xfer_to_guest_mode_handle_work) writes vcpu->run->exit_reason and
 * vcpu->stat.signal_exits into *our* struct kvm_vcpu, at the offsets the
 * host kernel was compiled with.  The build probes those offsets from the
 * unmodified host headers (scripts/layout/host_layout.c) and fails here
 * if ours differ.  7.x's host code writes nothing into it
 * (include/rvkvm/compat.h).  On both, at load we refuse a host kernel
 * other than the one we were built against.
 */
#include <rvkvm/rvkvm.h>
#include <linux/utsname.h>
#include <generated/utsrelease.h>
#include <generated/utsversion.h>

#ifdef RVKVM_HOST_WRITES_VCPU
static_assert(sizeof(struct kvm_vcpu_arch) == RVKVM_HOST_ARCH_SIZE,
	      "rvkvm: struct kvm_vcpu_arch is larger than the host one; move state out of line");
static_assert(__alignof__(struct kvm_vcpu_arch) == RVKVM_HOST_ARCH_ALIGN,
	      "rvkvm: struct kvm_vcpu_arch alignment differs from the host's");
static_assert(offsetof(struct kvm_vcpu, run) == RVKVM_HOST_VCPU_RUN,
	      "rvkvm: kvm_vcpu.run is not where the host writes it");
static_assert(offsetof(struct kvm_vcpu, arch) == RVKVM_HOST_VCPU_ARCH,
	      "rvkvm: kvm_vcpu.arch is not where the host has it");
static_assert(offsetof(struct kvm_vcpu, stat.signal_exits) ==
	      RVKVM_HOST_VCPU_SIGNAL_EXITS,
	      "rvkvm: kvm_vcpu.stat.signal_exits is not where the host writes it");
#endif

/**
 * rvkvm_layout_check() - refuse a host other than the build's
 *
 * The release is in vermagic already, and 6.12's module versioning
 * rejects a changed symbol ABI (7.2's config has no MODVERSIONS); the
 * build's version string also catches a rebuild of the same release
 * whose structs may differ.
 *
 * Return: 0 if the running kernel is the one probed at build time,
 * -ENOEXEC otherwise.
 */
int rvkvm_layout_check(void)
{
	const struct new_utsname *u = init_utsname();

	if (!strcmp(u->release, UTS_RELEASE) && !strcmp(u->version, UTS_VERSION))
		return 0;
	pr_err("built for %s %s, host is %s %s: kvm_vcpu layout unverified, not loading\n",
	       UTS_RELEASE, UTS_VERSION, u->release, u->version);
	return -ENOEXEC;
}
