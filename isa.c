// SPDX-License-Identifier: GPL-2.0
/*
 * The ISA extension map: which KVM_RISCV_ISA_EXT_* id is which host
 * RISCV_ISA_EXT_* extension, and when userspace may turn each on or off
 * for a vCPU.  ONE_REG CONFIG isa and ISA_EXT (vcpu_onereg.c) are its
 * users; a vCPU's configured ISA is the bitmap cfg.isa of host ids.
 */
#include <rvkvm/rvkvm.h>
#include <linux/bitmap.h>
#include <linux/log2.h>
#include <linux/pgtable.h>
#include <asm/cpufeature.h>
#include <asm/vector.h>

/*
 * When a vCPU may have an extension turned on (enable) or off (disable).
 * RVKVM_RULE_NONE marks a hole in the map: no extension has that KVM id.
 */
enum rvkvm_isa_rule {
	RVKVM_RULE_NONE,
	RVKVM_RULE_ALWAYS,
	RVKVM_RULE_NEVER,
	/* Sscofpmf's overflow interrupt can only be filtered with AIA. */
	RVKVM_RULE_HOST_SSAIA,
	/* Ssaia is hidden from a guest through sstateen0. */
	RVKVM_RULE_HOST_SMSTATEEN,
	/* V needs the host's per-task vector state control. */
	RVKVM_RULE_HOST_V_CTRL,
	/* henvcfg.ADUE is writable only where the host runs with Svadu on. */
	RVKVM_RULE_HOST_SVADU,
};

struct rvkvm_isa_ext {
	u8 host;		/* RISCV_ISA_EXT_*: the bit in cfg.isa */
	u8 probe;		/* else what the host must have, or 0 */
	u8 enable;		/* enum rvkvm_isa_rule */
	u8 disable;		/* enum rvkvm_isa_rule */
};

static_assert(sizeof_field(struct rvkvm_isa_ext, host) * BITS_PER_BYTE >=
	      ilog2(RISCV_ISA_EXT_MAX - 1) + 1);

#define RVKVM_ISA(kvm, ext, en, dis)					\
	[KVM_RISCV_ISA_EXT_##kvm] = { .host = RISCV_ISA_EXT_##ext,	\
				      .enable = RVKVM_RULE_##en,	\
				      .disable = RVKVM_RULE_##dis }
/* The host must have @need rather than @ext ('a', 0, never is). */
#define RVKVM_ISA_VIA(kvm, ext, need, en, dis)				\
	[KVM_RISCV_ISA_EXT_##kvm] = { .host = RISCV_ISA_EXT_##ext,	\
				      .probe = RISCV_ISA_EXT_##need,	\
				      .enable = RVKVM_RULE_##en,	\
				      .disable = RVKVM_RULE_##dis }

/*
 * Indexed by KVM_RISCV_ISA_EXT_* id.  Most extensions cannot be taken
 * away from a guest that runs on hardware which has them (no control bit
 * traps them), so they are NEVER to disable; the guest may still be told
 * they are absent only where hardware lets the hypervisor enforce it.
 */
static const struct rvkvm_isa_ext rvkvm_isa_map[KVM_RISCV_ISA_EXT_MAX] = {
	RVKVM_ISA(A,		a,		ALWAYS,	NEVER),
	RVKVM_ISA(C,		c,		ALWAYS,	NEVER),
	RVKVM_ISA(D,		d,		ALWAYS,	ALWAYS),
	RVKVM_ISA(F,		f,		ALWAYS,	ALWAYS),
	RVKVM_ISA(H,		h,		NEVER,	ALWAYS),
	RVKVM_ISA(I,		i,		ALWAYS,	NEVER),
	RVKVM_ISA(M,		m,		ALWAYS,	NEVER),
	RVKVM_ISA(SVPBMT,	SVPBMT,		ALWAYS,	ALWAYS),
	RVKVM_ISA(SSTC,		SSTC,		ALWAYS,	NEVER),
	RVKVM_ISA(SVINVAL,	SVINVAL,	ALWAYS,	NEVER),
	RVKVM_ISA(ZIHINTPAUSE,	ZIHINTPAUSE,	ALWAYS,	NEVER),
	RVKVM_ISA(ZICBOM,	ZICBOM,		ALWAYS,	ALWAYS),
	RVKVM_ISA(ZICBOZ,	ZICBOZ,		ALWAYS,	ALWAYS),
	RVKVM_ISA(ZBB,		ZBB,		ALWAYS,	NEVER),
	RVKVM_ISA(SSAIA,	SSAIA,		ALWAYS,	HOST_SMSTATEEN),
	RVKVM_ISA(V,		v,		HOST_V_CTRL, ALWAYS),
	RVKVM_ISA(SVNAPOT,	SVNAPOT,	ALWAYS,	NEVER),
	RVKVM_ISA(ZBA,		ZBA,		ALWAYS,	NEVER),
	RVKVM_ISA(ZBS,		ZBS,		ALWAYS,	NEVER),
	RVKVM_ISA(ZICNTR,	ZICNTR,		ALWAYS,	NEVER),
	RVKVM_ISA(ZICSR,	ZICSR,		ALWAYS,	NEVER),
	RVKVM_ISA(ZIFENCEI,	ZIFENCEI,	ALWAYS,	NEVER),
	RVKVM_ISA(ZIHPM,	ZIHPM,		ALWAYS,	NEVER),
	RVKVM_ISA(SMSTATEEN,	SMSTATEEN,	ALWAYS,	ALWAYS),
	RVKVM_ISA(ZICOND,	ZICOND,		ALWAYS,	NEVER),
	RVKVM_ISA(ZBC,		ZBC,		ALWAYS,	NEVER),
	RVKVM_ISA(ZBKB,		ZBKB,		ALWAYS,	NEVER),
	RVKVM_ISA(ZBKC,		ZBKC,		ALWAYS,	NEVER),
	RVKVM_ISA(ZBKX,		ZBKX,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKND,		ZKND,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKNE,		ZKNE,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKNH,		ZKNH,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKR,		ZKR,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKSED,	ZKSED,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKSH,		ZKSH,		ALWAYS,	NEVER),
	RVKVM_ISA(ZKT,		ZKT,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVBB,		ZVBB,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVBC,		ZVBC,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKB,		ZVKB,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKG,		ZVKG,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKNED,	ZVKNED,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKNHA,	ZVKNHA,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKNHB,	ZVKNHB,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKSED,	ZVKSED,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKSH,	ZVKSH,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVKT,		ZVKT,		ALWAYS,	NEVER),
	RVKVM_ISA(ZFH,		ZFH,		ALWAYS,	NEVER),
	RVKVM_ISA(ZFHMIN,	ZFHMIN,		ALWAYS,	NEVER),
	RVKVM_ISA(ZIHINTNTL,	ZIHINTNTL,	ALWAYS,	NEVER),
	RVKVM_ISA(ZVFH,		ZVFH,		ALWAYS,	NEVER),
	RVKVM_ISA(ZVFHMIN,	ZVFHMIN,	ALWAYS,	NEVER),
	RVKVM_ISA(ZFA,		ZFA,		ALWAYS,	NEVER),
	RVKVM_ISA(ZTSO,		ZTSO,		ALWAYS,	NEVER),
	RVKVM_ISA(ZACAS,	ZACAS,		ALWAYS,	NEVER),
	/* No control bit turns counter overflow off completely. */
	RVKVM_ISA(SSCOFPMF,	SSCOFPMF,	HOST_SSAIA, NEVER),
	RVKVM_ISA(ZIMOP,	ZIMOP,		ALWAYS,	NEVER),
	RVKVM_ISA(ZCA,		ZCA,		ALWAYS,	NEVER),
	RVKVM_ISA(ZCB,		ZCB,		ALWAYS,	NEVER),
	RVKVM_ISA(ZCD,		ZCD,		ALWAYS,	NEVER),
	RVKVM_ISA(ZCF,		ZCF,		ALWAYS,	NEVER),
	RVKVM_ISA(ZCMOP,	ZCMOP,		ALWAYS,	NEVER),
	RVKVM_ISA(ZAWRS,	ZAWRS,		ALWAYS,	NEVER),
#if RVKVM_LINUX_7	/* ids of 7.x's uapi: none has a control bit either */
	RVKVM_ISA(SVVPTC,	SVVPTC,		ALWAYS,	NEVER),
	RVKVM_ISA(ZABHA,	ZABHA,		ALWAYS,	NEVER),
	RVKVM_ISA(ZICCRSE,	ZICCRSE,	ALWAYS,	NEVER),
	RVKVM_ISA(ZAAMO,	ZAAMO,		ALWAYS,	NEVER),
	RVKVM_ISA(ZALRSC,	ZALRSC,		ALWAYS,	NEVER),
	RVKVM_ISA(ZICBOP,	ZICBOP,		ALWAYS,	NEVER),
	RVKVM_ISA(ZFBFMIN,	ZFBFMIN,	ALWAYS,	NEVER),
	RVKVM_ISA(ZVFBFMIN,	ZVFBFMIN,	ALWAYS,	NEVER),
	RVKVM_ISA(ZVFBFWMA,	ZVFBFWMA,	ALWAYS,	NEVER),
	RVKVM_ISA(ZCLSD,	ZCLSD,		ALWAYS,	NEVER),
	RVKVM_ISA(ZILSD,	ZILSD,		ALWAYS,	NEVER),
	RVKVM_ISA(ZALASR,	ZALASR,		ALWAYS,	NEVER),
	/*
	 * The guest's Smnpm is pointer masking for VS-mode, which the host
	 * controls with henvcfg.PMM, a field of its Ssnpm.  The guest sets
	 * it through SBI FWFT (vcpu_sbi_fwft.c), so the host needs Ssnpm.
	 */
	RVKVM_ISA_VIA(SMNPM,	SMNPM,	SSNPM,	ALWAYS,	ALWAYS),
	RVKVM_ISA(SSNPM,	SSNPM,		ALWAYS,	NEVER),
	/*
	 * A guest with Svadu and without Svade gets henvcfg.ADUE (vcpu.c).
	 * The host's kernel keeps only Svade where firmware lists both.
	 */
	RVKVM_ISA(SVADE,	SVADE,		ALWAYS,	HOST_SVADU),
	RVKVM_ISA(SVADU,	SVADU,		HOST_SVADU, ALWAYS),
#endif
};

static bool rvkvm_host_has(unsigned int host_ext)
{
	return __riscv_isa_extension_available(NULL, host_ext);
}

static bool rvkvm_rule_holds(u8 rule)
{
	switch (rule) {
	case RVKVM_RULE_ALWAYS:
		return true;
	case RVKVM_RULE_HOST_SSAIA:
		return rvkvm_host_has(RISCV_ISA_EXT_SSAIA);
	case RVKVM_RULE_HOST_SMSTATEEN:
		return rvkvm_host_has(RISCV_ISA_EXT_SMSTATEEN);
	case RVKVM_RULE_HOST_V_CTRL:
		return riscv_v_vstate_ctrl_user_allowed();
	case RVKVM_RULE_HOST_SVADU:
		return arch_has_hw_pte_young();
	default:
		return false;
	}
}

/* The map entry of @kvm_id if the host has that extension, else NULL. */
static const struct rvkvm_isa_ext *rvkvm_isa_entry(unsigned long kvm_id)
{
	const struct rvkvm_isa_ext *e;

	if (kvm_id >= ARRAY_SIZE(rvkvm_isa_map))
		return NULL;
	e = &rvkvm_isa_map[kvm_id];
	if (e->enable == RVKVM_RULE_NONE ||
	    !rvkvm_host_has(e->probe ? e->probe : e->host))
		return NULL;
	return e;
}

/**
 * rvkvm_isa_offered() - does the host offer an ISA_EXT id?
 * @kvm_id: a KVM_RISCV_ISA_EXT_* id, any value
 *
 * Return: true if the id is in the map and the host has the extension.
 */
bool rvkvm_isa_offered(unsigned long kvm_id)
{
	return rvkvm_isa_entry(kvm_id);
}

/**
 * rvkvm_isa_init() - the ISA a new vCPU starts with
 * @isa: its bitmap of host RISCV_ISA_EXT_* ids, RISCV_ISA_EXT_MAX bits
 *
 * Every extension of the map that the host has and that may be enabled.
 */
void rvkvm_isa_init(unsigned long *isa)
{
	const struct rvkvm_isa_ext *e;
	unsigned long id;

	bitmap_zero(isa, RISCV_ISA_EXT_MAX);
	for (id = 0; id < ARRAY_SIZE(rvkvm_isa_map); id++) {
		e = rvkvm_isa_entry(id);
		if (e && rvkvm_rule_holds(e->enable))
			__set_bit(e->host, isa);
	}
}

/**
 * rvkvm_isa_letters_allowed() - the single letters a guest may have
 * @want: the letters userspace asks for, bit N for 'a' + N
 *
 * A letter stays as asked unless its rule forbids that, and only letters
 * the host has survive.
 *
 * Return: the letters the guest ends up with.
 */
unsigned long rvkvm_isa_letters_allowed(unsigned long want)
{
	const struct rvkvm_isa_ext *e;
	unsigned long id, got = 0;

	for (id = 0; id < ARRAY_SIZE(rvkvm_isa_map); id++) {
		e = &rvkvm_isa_map[id];
		if (e->enable == RVKVM_RULE_NONE || e->host >= RISCV_ISA_EXT_BASE)
			continue;
		if (((want & BIT(e->host)) && rvkvm_rule_holds(e->enable)) ||
		    !rvkvm_rule_holds(e->disable))
			got |= BIT(e->host);
	}
	return got & riscv_isa_extension_base(NULL);
}

/**
 * rvkvm_isa_ext_get() - is an ISA extension on for a vCPU? (ONE_REG ISA_EXT)
 * @vcpu: the vCPU
 * @kvm_id: a KVM_RISCV_ISA_EXT_* id
 * @val: set to 1 or 0
 *
 * Return: 0, or -ENOENT for an id the host does not offer.
 */
int rvkvm_isa_ext_get(struct kvm_vcpu *vcpu, unsigned long kvm_id,
		      unsigned long *val)
{
	const struct rvkvm_isa_ext *e = rvkvm_isa_entry(kvm_id);

	if (!e)
		return -ENOENT;
	*val = test_bit(e->host, vcpu->arch.cfg.isa);
	return 0;
}

/**
 * rvkvm_isa_ext_set() - turn an ISA extension on or off for a vCPU
 * @vcpu: the vCPU
 * @kvm_id: a KVM_RISCV_ISA_EXT_* id
 * @val: 1 or 0
 *
 * Return: 0 (also when nothing changes), -ENOENT for an id the host does
 * not offer, -EBUSY once the vCPU has run, -EINVAL for a value other than
 * 0 and 1 or a change the extension's rule forbids.
 */
int rvkvm_isa_ext_set(struct kvm_vcpu *vcpu, unsigned long kvm_id,
		      unsigned long val)
{
	const struct rvkvm_isa_ext *e = rvkvm_isa_entry(kvm_id);
	unsigned long *isa = vcpu->arch.cfg.isa;

	if (!e)
		return -ENOENT;
	if (val == test_bit(e->host, isa))
		return 0;
	if (vcpu->arch.ran_once)
		return -EBUSY;
	if (val == 1 && rvkvm_rule_holds(e->enable))
		__set_bit(e->host, isa);
	else if (val == 0 && rvkvm_rule_holds(e->disable))
		__clear_bit(e->host, isa);
	else
		return -EINVAL;
	return 0;
}

/**
 * rvkvm_guest_has_ext() - does @vcpu's guest have a host ISA extension?
 * @vcpu: the vCPU
 * @host_ext: a RISCV_ISA_EXT_* id
 *
 * Return: true if the extension is in the vCPU's configured ISA.
 */
bool rvkvm_guest_has_ext(struct kvm_vcpu *vcpu, unsigned int host_ext)
{
	return host_ext < RISCV_ISA_EXT_MAX &&
	       test_bit(host_ext, vcpu->arch.cfg.isa);
}
