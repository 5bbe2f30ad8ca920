// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy switching of the guest's vector state: vcpu_fp.c's scheme, with
 * sstatus.VS in place of FS (and vsstatus.VS counted as Dirty too: QEMU
 * marks only the guest's status when it writes vcsr, vxrm or vxsat).
 * The 32 registers take riscv_v_vsize bytes, which can be large, so they
 * live out of line, allocated with the vCPU for the guest and for the
 * parked host state alike; only the CSRs and the two pointers sit in
 * struct kvm_vcpu_arch.
 *
 * Whether a guest gets V at all is decided at vCPU creation by the ISA
 * rules (vcpu_onereg.c): only while the VMM may use V itself
 * (PR_RISCV_V_SET_CONTROL, riscv_v_vstate_ctrl_user_allowed()).
 */
#include <rvkvm/rvkvm.h>
#include <linux/slab.h>
#include <asm/vector.h>

static unsigned long rvkvm_vs(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest.sstatus & SR_VS;
}

static void rvkvm_set_vs(struct kvm_vcpu *vcpu, unsigned long vs)
{
	vcpu->arch.guest.sstatus = (vcpu->arch.guest.sstatus & ~SR_VS) | vs;
}

/**
 * rvkvm_vcpu_vector_create() - allocate the vector register areas
 * @vcpu: the new vCPU
 *
 * Return: 0 (also on a host without vector), or -ENOMEM.
 */
int rvkvm_vcpu_vector_create(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (!has_vector())
		return 0;
	a->guest_v.datap = kzalloc(riscv_v_vsize, GFP_KERNEL_ACCOUNT);
	a->host_v.datap = kzalloc(riscv_v_vsize, GFP_KERNEL_ACCOUNT);
	if (!a->guest_v.datap || !a->host_v.datap) {
		rvkvm_vcpu_vector_destroy(vcpu);
		return -ENOMEM;
	}
	a->guest_v.vlenb = riscv_v_vsize / 32;
	return 0;
}

/**
 * rvkvm_vcpu_vector_destroy() - free the vector register areas
 * @vcpu: the vCPU
 */
void rvkvm_vcpu_vector_destroy(struct kvm_vcpu *vcpu)
{
	kfree(vcpu->arch.guest_v.datap);
	kfree(vcpu->arch.host_v.datap);
	vcpu->arch.guest_v.datap = NULL;
	vcpu->arch.host_v.datap = NULL;
}

static void rvkvm_v_guest_in(struct kvm_vcpu *vcpu)
{
	struct __riscv_v_ext_state *v = &vcpu->arch.guest_v;

	if (rvkvm_vs(vcpu) == SR_VS_OFF)
		return;
	__riscv_v_vstate_restore(v, v->datap);
	rvkvm_set_vs(vcpu, SR_VS_CLEAN);
}

/**
 * rvkvm_vcpu_vector_load() - park the host's vector state, bring the guest's
 * @vcpu: the vCPU being loaded, preemption disabled
 */
void __rvkvm_hot rvkvm_vcpu_vector_load(struct kvm_vcpu *vcpu)
{
	struct __riscv_v_ext_state *h = &vcpu->arch.host_v;

	if (!has_vector())
		return;
	__riscv_v_vstate_save(h, h->datap);
	rvkvm_v_guest_in(vcpu);
}

/**
 * rvkvm_vcpu_vector_put() - keep what the guest changed, give the host its own
 * @vcpu: the vCPU being put, preemption disabled, its vsstatus read into
 *	  arch.csr
 */
void __rvkvm_hot rvkvm_vcpu_vector_put(struct kvm_vcpu *vcpu)
{
	struct __riscv_v_ext_state *g = &vcpu->arch.guest_v;
	struct __riscv_v_ext_state *h = &vcpu->arch.host_v;

	if (!has_vector())
		return;
	if (rvkvm_guest_dirtied(vcpu, SR_VS)) {
		__riscv_v_vstate_save(g, g->datap);
		rvkvm_set_vs(vcpu, SR_VS_CLEAN);
	}
	__riscv_v_vstate_restore(h, h->datap);
}

/* Preemption disabled; see rvkvm_vcpu_vector_config(). */
static void __rvkvm_vcpu_vector_config(struct kvm_vcpu *vcpu)
{
	if (!rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_v))
		rvkvm_set_vs(vcpu, SR_VS_OFF);
	else if (rvkvm_vs(vcpu) == SR_VS_OFF)
		rvkvm_set_vs(vcpu, SR_VS_INITIAL);
	if (vcpu->cpu != -1 && has_vector())
		rvkvm_v_guest_in(vcpu);
}

/**
 * rvkvm_vcpu_vector_config() - set the guest's sstatus.VS from its ISA
 * @vcpu: the vCPU, loaded or not, whose guest has not run since its
 *	  vector state in memory became authoritative
 *
 * Off without V, else Initial if it was Off; a loaded vCPU's vector
 * unit follows at once.
 */
void rvkvm_vcpu_vector_config(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	__rvkvm_vcpu_vector_config(vcpu);
	preempt_enable();
}

/**
 * rvkvm_vcpu_vector_reset() - zero the guest's vector registers and CSRs
 * @vcpu: the vCPU, loaded or not
 *
 * vlenb is the hardware's and stays.
 */
void rvkvm_vcpu_vector_reset(struct kvm_vcpu *vcpu)
{
	struct __riscv_v_ext_state *v = &vcpu->arch.guest_v;

	preempt_disable();
	rvkvm_set_vs(vcpu, SR_VS_OFF);
	v->vstart = 0;
	v->vl = 0;
	v->vtype = 0;
	v->vcsr = 0;
	if (v->datap)
		memset(v->datap, 0, riscv_v_vsize);
	__rvkvm_vcpu_vector_config(vcpu);
	preempt_enable();
}
