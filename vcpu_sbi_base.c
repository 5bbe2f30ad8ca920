// SPDX-License-Identifier: GPL-2.0
/*
 * SBI BASE: versions, implementation identity and extension probing.
 */
#include <rvkvm/sbi.h>
#include <linux/version.h>

/*
 * SBI 2.0 on 6.12 and 3.0 on 7.x, what each kernel's own KVM reports
 * (compat); implemented by KVM (implementation id 3 in the SBI spec).
 */
#define RVKVM_SBI_SPEC_VERSION	((RVKVM_LINUX_7 ? 3UL : 2UL) << \
				 SBI_SPEC_VERSION_MAJOR_SHIFT)
#define RVKVM_SBI_IMPID		3

static bool rvkvm_sbi_eid_is_vmm(unsigned long eid)
{
	return (eid >= SBI_EXT_EXPERIMENTAL_START &&
		eid <= SBI_EXT_EXPERIMENTAL_END) ||
	       (eid >= SBI_EXT_VENDOR_START && eid <= SBI_EXT_VENDOR_END);
}

static int __rvkvm_hot rvkvm_sbi_base_handle(struct kvm_vcpu *vcpu,
					     struct rvkvm_sbi_call *call)
{
	const struct rvkvm_vcpu_config *cfg = &vcpu->arch.cfg;

	call->error = SBI_SUCCESS;
	switch (call->fid) {
	case SBI_EXT_BASE_GET_SPEC_VERSION:
		call->value = RVKVM_SBI_SPEC_VERSION;
		break;
	case SBI_EXT_BASE_GET_IMP_ID:
		call->value = RVKVM_SBI_IMPID;
		break;
	case SBI_EXT_BASE_GET_IMP_VERSION:
		/* The host kernel's version, as the in-tree module says. */
		call->value = KERNEL_VERSION(LINUX_VERSION_MAJOR,
					     LINUX_VERSION_PATCHLEVEL,
					     LINUX_VERSION_SUBLEVEL);
		break;
	case SBI_EXT_BASE_PROBE_EXT:
		/* Only the VMM knows what it offers in its own ranges. */
		if (rvkvm_sbi_eid_is_vmm(call->args[0]))
			return rvkvm_sbi_forward(vcpu, call);
		call->value = !!rvkvm_sbi_find(vcpu, call->args[0]);
		break;
	case SBI_EXT_BASE_GET_MVENDORID:
		call->value = cfg->mvendorid;
		break;
	case SBI_EXT_BASE_GET_MARCHID:
		call->value = cfg->marchid;
		break;
	case SBI_EXT_BASE_GET_MIMPID:
		call->value = cfg->mimpid;
		break;
	default:
		call->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
	return RVKVM_RESUME;
}

const struct rvkvm_sbi_ext rvkvm_sbi_base = {
	.eid_first = SBI_EXT_BASE,
	.eid_last = SBI_EXT_BASE,
	.kvm_id = RVKVM_SBI_ALWAYS,
	.handle = rvkvm_sbi_base_handle,
	/* Constants and the extension table; a VMM's probe fills vcpu->run. */
	.fast = rvkvm_sbi_fast_always,
};
