// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's AIA and Smstateen CSR state: what vcpu_load and vcpu_put
 * switch, and the hstateen0 a guest runs with.  ONE_REG reads and writes
 * the saved copies (vcpu_onereg.c).
 *
 * Every entry point tests the host's ISA with riscv_has_extension_unlikely(),
 * a branch patched once at module load: a host without Ssaia or
 * Smstateen never touches these CSRs (they would be illegal instructions
 * there) and pays nothing for them.
 *
 * Only CSR state lives here.  The in-kernel AIA irqchip is in aia*.c:
 * its IMSIC files take the guest's sireg/stopei through the CSR table of
 * vcpu_insn.c, and hstatus.VGEIN and hgeie through the run loop
 * (aia_imsic.c).
 */
#include <rvkvm/rvkvm.h>
#include <linux/bitfield.h>
#include <asm/cpufeature.h>

static bool rvkvm_host_ssaia(void)
{
	return riscv_has_extension_unlikely(RISCV_ISA_EXT_SSAIA);
}

static bool rvkvm_host_smstateen(void)
{
	return riscv_has_extension_unlikely(RISCV_ISA_EXT_SMSTATEEN);
}

/**
 * rvkvm_aia_ext_line() - show hvip.VSEIP in the guest's stopi
 * @pending: the level hvip.VSEIP has, or is about to have
 *
 * Without a guest interrupt file (hstatus.VGEIN 0), vstopi reports the
 * VS external interrupt only through hvictl: IID 9 with a non-zero
 * priority.  IID 9 with priority 0 is "none".  VTI stays clear: hvictl
 * injects nothing, and the other interrupts keep their default order.
 */
void rvkvm_aia_ext_line(bool pending)
{
	if (rvkvm_host_ssaia())
		csr_write(CSR_HVICTL, FIELD_PREP(HVICTL_IID, IRQ_S_EXT) |
				      FIELD_PREP(HVICTL_IPRIO, pending));
}

/**
 * rvkvm_aia_enable_cpu() - AIA state of a hart that starts running guests
 *
 * hvictl has no architectural reset value: start at "none".
 */
void rvkvm_aia_enable_cpu(void)
{
	rvkvm_aia_ext_line(false);
}

/* Which hstateen0 enables each guest extension brings with it. */
static const struct {
	unsigned int ext;
	u64 bits;
} rvkvm_hstateen0_map[] = {
	/* siselect/sireg, the other AIA CSRs, stopei */
	{ RISCV_ISA_EXT_SSAIA, SMSTATEEN0_AIA_ISEL | SMSTATEEN0_AIA |
			       SMSTATEEN0_AIA_IMSIC },
	{ RISCV_ISA_EXT_SMSTATEEN, SMSTATEEN0_SSTATEEN0 },
};

/* The guest's sstateen0 sits in the one real register while it may see it. */
static bool rvkvm_guest_owns_sstateen0(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.cfg.hstateen0 & SMSTATEEN0_SSTATEEN0;
}

static void rvkvm_stateen_load(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	csr_write(CSR_HSTATEEN0, a->cfg.hstateen0);
	if (rvkvm_guest_owns_sstateen0(vcpu))
		a->host_sstateen0 = csr_swap(CSR_SSTATEEN0, a->sstateen0);
}

static void rvkvm_stateen_put(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	if (rvkvm_guest_owns_sstateen0(vcpu))
		a->sstateen0 = csr_swap(CSR_SSTATEEN0, a->host_sstateen0);
}

/**
 * rvkvm_aia_vcpu_config() - derive hstateen0 from the guest's ISA
 * @vcpu: the vCPU, loaded, at the start of a KVM_RUN before its first entry
 *
 * senvcfg is always the guest's own (the guest kernel writes it whatever
 * its ISA); the AIA CSRs and sstateen0 only with Ssaia and Smstateen in
 * the guest's ISA.  Without them the guest's accesses trap as virtual
 * instructions and become illegal instructions, as on a hart without
 * those extensions.  A KVM_RUN that never entered may come again with
 * another ISA, so the old setting is switched out before the new one
 * goes in.
 */
void rvkvm_aia_vcpu_config(struct kvm_vcpu *vcpu)
{
	u64 h = SMSTATEEN0_HSENVCFG;
	int i;

	if (!rvkvm_host_smstateen())
		return;
	for (i = 0; i < ARRAY_SIZE(rvkvm_hstateen0_map); i++)
		if (rvkvm_guest_has_ext(vcpu, rvkvm_hstateen0_map[i].ext))
			h |= rvkvm_hstateen0_map[i].bits;
	/* A put in between (preemption) would swap sstateen0 twice. */
	preempt_disable();
	rvkvm_stateen_put(vcpu);
	vcpu->arch.cfg.hstateen0 = h;
	rvkvm_stateen_load(vcpu);
	preempt_enable();
}

/**
 * rvkvm_aia_vcpu_reset() - architectural reset of the AIA and sstateen0 CSRs
 * @vcpu: the vCPU, not loaded
 */
void rvkvm_aia_vcpu_reset(struct kvm_vcpu *vcpu)
{
	memset(&vcpu->arch.aia, 0, sizeof(vcpu->arch.aia));
	vcpu->arch.sstateen0 = 0;
}

/**
 * rvkvm_aia_vcpu_load() - put the guest's AIA and Smstateen CSRs in place
 * @vcpu: the vCPU being loaded on this hart
 */
void __rvkvm_hot rvkvm_aia_vcpu_load(struct kvm_vcpu *vcpu)
{
	struct rvkvm_aia_csrs *c = &vcpu->arch.aia;

	if (rvkvm_host_ssaia()) {
		rvkvm_aia_ext_line(vcpu->arch.csr.hvip & BIT(IRQ_VS_EXT));
		csr_write(CSR_VSISELECT, c->vsiselect);
		csr_write(CSR_HVIPRIO1, c->hviprio1);
		csr_write(CSR_HVIPRIO2, c->hviprio2);
	}
	if (rvkvm_host_smstateen())
		rvkvm_stateen_load(vcpu);
}

/**
 * rvkvm_aia_vcpu_put() - save the guest's AIA and Smstateen CSRs
 * @vcpu: the vCPU leaving this hart
 *
 * hstateen0 only governs VS and VU-mode: the next vCPU loads its own.
 */
void __rvkvm_hot rvkvm_aia_vcpu_put(struct kvm_vcpu *vcpu)
{
	struct rvkvm_aia_csrs *c = &vcpu->arch.aia;

	if (rvkvm_host_ssaia()) {
		c->vsiselect = csr_read(CSR_VSISELECT);
		c->hviprio1 = csr_read(CSR_HVIPRIO1);
		c->hviprio2 = csr_read(CSR_HVIPRIO2);
	}
	if (rvkvm_host_smstateen())
		rvkvm_stateen_put(vcpu);
}
