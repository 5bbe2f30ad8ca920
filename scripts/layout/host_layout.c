// SPDX-License-Identifier: GPL-2.0
/*
 * Host layout probe: compiled against the host kernel's own, unmodified
 * headers.  The host's built-in kernel/entry/kvm.c writes vcpu->run and
 * vcpu->stat.signal_exits at these offsets, so our struct kvm_vcpu
 * must put them at the same place (see layout.c).
 */
#include <linux/kbuild.h>
#include <linux/kvm_host.h>

void rvkvm_host_layout(void);

void rvkvm_host_layout(void)
{
	DEFINE(RVKVM_HOST_VCPU_RUN, offsetof(struct kvm_vcpu, run));
	DEFINE(RVKVM_HOST_VCPU_ARCH, offsetof(struct kvm_vcpu, arch));
	DEFINE(RVKVM_HOST_VCPU_STAT, offsetof(struct kvm_vcpu, stat));
	DEFINE(RVKVM_HOST_VCPU_SIGNAL_EXITS,
	       offsetof(struct kvm_vcpu, stat.signal_exits));
	DEFINE(RVKVM_HOST_ARCH_SIZE, sizeof(struct kvm_vcpu_arch));
	DEFINE(RVKVM_HOST_ARCH_ALIGN, __alignof__(struct kvm_vcpu_arch));
}
