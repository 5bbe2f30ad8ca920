// SPDX-License-Identifier: GPL-2.0
/*
 * SBI FWFT (7.x's uapi): firmware features the guest sets and reads, and
 * their state through ONE_REG (SBI_STATE, FWFT) for save and restore.
 *
 * One table row per feature KVM can offer, at its place in the uapi's
 * struct kvm_riscv_sbi_fwft (enable, flags, value): the delegation of
 * misaligned load and store traps to the guest, where the host's firmware
 * lets the kernel take them, and VS-mode pointer masking (henvcfg.PMM)
 * for a guest with Smnpm, in the lengths the host's harts implement.
 */
#include <rvkvm/sbi.h>
#include <asm/cpufeature.h>

#define RVKVM_MIS_DELEG	(BIT(EXC_LOAD_MISALIGNED) | BIT(EXC_STORE_MISALIGNED))
#define RVKVM_FWFT_REGS	(sizeof(struct kvm_riscv_sbi_fwft_feature) / sizeof(long))

struct rvkvm_fwft_feature {
	u32 id;			/* SBI_FWFT_* */
	unsigned int reg;	/* ONE_REG index of its first register */
	/* Can this vCPU have it?  Its registers exist only then. */
	bool (*offered)(struct kvm_vcpu *vcpu);
	/* SBI_SUCCESS or SBI_ERR_*; @loaded: the vCPU's CSRs are live. */
	long (*set)(struct kvm_vcpu *vcpu, unsigned long value, bool loaded);
	unsigned long (*get)(struct kvm_vcpu *vcpu);
};

static bool rvkvm_mis_deleg_offered(struct kvm_vcpu *vcpu)
{
	return misaligned_traps_can_delegate();
}

/*
 * A guest's SET takes effect at once: the live hedeleg and henvcfg (the
 * CSRs features own bits of) follow the vCPU's config if @loaded;
 * otherwise the next load writes them.
 */
static void rvkvm_fwft_apply(struct kvm_vcpu *vcpu, bool loaded)
{
	if (!loaded)
		return;
	guard(preempt)();
	rvkvm_vcpu_hold(vcpu);
	csr_write(CSR_HEDELEG, vcpu->arch.cfg.hedeleg);
	csr_write(CSR_HENVCFG, vcpu->arch.cfg.henvcfg);
}

static long rvkvm_mis_deleg_set(struct kvm_vcpu *vcpu, unsigned long value,
				bool loaded)
{
	unsigned long *hedeleg = &vcpu->arch.cfg.hedeleg;

	if (value > 1)
		return SBI_ERR_INVALID_PARAM;
	if (value)
		*hedeleg |= RVKVM_MIS_DELEG;
	else
		*hedeleg &= ~RVKVM_MIS_DELEG;
	rvkvm_fwft_apply(vcpu, loaded);
	return SBI_SUCCESS;
}

static unsigned long rvkvm_mis_deleg_get(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.cfg.hedeleg & RVKVM_MIS_DELEG) == RVKVM_MIS_DELEG;
}

/* Pointer masking: PMLEN as the guest names it, and henvcfg.PMM's value. */
static const struct {
	unsigned long pmlen;
	u64 pmm;
} rvkvm_pmlens[] = {
	{ 0, ENVCFG_PMM_PMLEN_0 },
	{ 7, ENVCFG_PMM_PMLEN_7 },
	{ 16, ENVCFG_PMM_PMLEN_16 },
};

/* Bit i: the host's harts take rvkvm_pmlens[i] (PMM is WARL). */
static unsigned long rvkvm_pmlen_mask;

/**
 * rvkvm_fwft_detect() - which pointer-masking lengths henvcfg.PMM takes
 *
 * Probed once, at load, on the loading hart; rvkvm assumes the harts
 * alike, as it does for the G-stage mode.  No guest runs yet, so
 * henvcfg is free to write.
 */
void rvkvm_fwft_detect(void)
{
	unsigned int i;

	rvkvm_pmlen_mask = BIT(0);
	if (!riscv_isa_extension_available(NULL, SSNPM))
		return;
	guard(preempt)();
	for (i = 1; i < ARRAY_SIZE(rvkvm_pmlens); i++) {
		csr_write(CSR_HENVCFG, rvkvm_pmlens[i].pmm);
		if ((csr_read(CSR_HENVCFG) & ENVCFG_PMM) == rvkvm_pmlens[i].pmm)
			rvkvm_pmlen_mask |= BIT(i);
	}
	csr_write(CSR_HENVCFG, 0);
}

static bool rvkvm_pmlen_offered(struct kvm_vcpu *vcpu)
{
	return rvkvm_pmlen_mask > BIT(0) &&
	       rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SMNPM);
}

static long rvkvm_pmlen_set(struct kvm_vcpu *vcpu, unsigned long value,
			    bool loaded)
{
	u64 *henvcfg = &vcpu->arch.cfg.henvcfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_pmlens); i++)
		if (rvkvm_pmlens[i].pmlen == value &&
		    (rvkvm_pmlen_mask & BIT(i)))
			break;
	if (i == ARRAY_SIZE(rvkvm_pmlens))
		return SBI_ERR_INVALID_PARAM;
	*henvcfg = (*henvcfg & ~ENVCFG_PMM) | rvkvm_pmlens[i].pmm;
	rvkvm_fwft_apply(vcpu, loaded);
	return SBI_SUCCESS;
}

static unsigned long rvkvm_pmlen_get(struct kvm_vcpu *vcpu)
{
	u64 pmm = vcpu->arch.cfg.henvcfg & ENVCFG_PMM;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_pmlens); i++)
		if (rvkvm_pmlens[i].pmm == pmm)
			return rvkvm_pmlens[i].pmlen;
	return 0;	/* set only through rvkvm_pmlen_set() */
}

#define RVKVM_FWFT_REG(member)						\
	(offsetof(struct kvm_riscv_sbi_fwft, member) / sizeof(long))

static const struct rvkvm_fwft_feature rvkvm_fwft_features[] = {
	{
		.id = SBI_FWFT_MISALIGNED_EXC_DELEG,
		.reg = RVKVM_FWFT_REG(misaligned_deleg),
		.offered = rvkvm_mis_deleg_offered,
		.set = rvkvm_mis_deleg_set, .get = rvkvm_mis_deleg_get,
	},
	{
		.id = SBI_FWFT_POINTER_MASKING_PMLEN,
		.reg = RVKVM_FWFT_REG(pointer_masking),
		.offered = rvkvm_pmlen_offered,
		.set = rvkvm_pmlen_set, .get = rvkvm_pmlen_get,
	},
};

/* Hidden and locked are bits by row: the table must fit them. */
static_assert(ARRAY_SIZE(rvkvm_fwft_features) <= BITS_PER_LONG);

/* The row of @id if @vcpu can have it, or NULL; *@row gets its index. */
static const struct rvkvm_fwft_feature *
rvkvm_fwft_row(struct kvm_vcpu *vcpu, u32 id, unsigned int *row)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_fwft_features); i++) {
		if (rvkvm_fwft_features[i].id != id)
			continue;
		if (!rvkvm_fwft_features[i].offered(vcpu))
			return NULL;
		*row = i;
		return &rvkvm_fwft_features[i];
	}
	return NULL;
}

/*
 * The feature @id as the guest sees it.  Return: SBI_SUCCESS, or
 * NOT_SUPPORTED for a feature the spec defines and this vCPU lacks, and
 * DENIED for a reserved or platform one.
 */
static long rvkvm_fwft_lookup(struct kvm_vcpu *vcpu, u32 id,
			      const struct rvkvm_fwft_feature **f,
			      unsigned int *row)
{
	*f = rvkvm_fwft_row(vcpu, id, row);
	if (*f && !test_bit(*row, &vcpu->arch.fwft_hidden))
		return SBI_SUCCESS;
	return id <= SBI_FWFT_POINTER_MASKING_PMLEN ? SBI_ERR_NOT_SUPPORTED :
						      SBI_ERR_DENIED;
}

static long rvkvm_fwft_set(struct kvm_vcpu *vcpu, u32 id, unsigned long value,
			   unsigned long flags)
{
	const struct rvkvm_fwft_feature *f;
	unsigned int row;
	long err = rvkvm_fwft_lookup(vcpu, id, &f, &row);

	if (err)
		return err;
	if (flags & ~SBI_FWFT_SET_FLAG_LOCK)
		return SBI_ERR_INVALID_PARAM;
	if (test_bit(row, &vcpu->arch.fwft_locked))
		return SBI_ERR_DENIED_LOCKED;
	err = f->set(vcpu, value, true);
	if (!err && (flags & SBI_FWFT_SET_FLAG_LOCK))
		__set_bit(row, &vcpu->arch.fwft_locked);
	return err;
}

static int rvkvm_sbi_fwft_handle(struct kvm_vcpu *vcpu,
				 struct rvkvm_sbi_call *call)
{
	/* The feature id is 32 bits wide: the upper half is not its. */
	u32 id = call->args[0];
	const struct rvkvm_fwft_feature *f;
	unsigned int row;

	switch (call->fid) {
	case SBI_EXT_FWFT_SET:
		call->error = rvkvm_fwft_set(vcpu, id, call->args[1],
					     call->args[2]);
		break;
	case SBI_EXT_FWFT_GET:
		call->error = rvkvm_fwft_lookup(vcpu, id, &f, &row);
		if (!call->error)
			call->value = f->get(vcpu);
		break;
	}
	return RVKVM_RESUME;	/* else NOT_SUPPORTED, preset */
}

const struct rvkvm_sbi_ext rvkvm_sbi_fwft = {
	.eid_first = SBI_EXT_FWFT,
	.eid_last = SBI_EXT_FWFT,
	.kvm_id = KVM_RISCV_SBI_EXT_FWFT,
	.handle = rvkvm_sbi_fwft_handle,
};

/**
 * rvkvm_fwft_reset() - the features as a hart finds them at reset
 * @vcpu: the vCPU, not loaded
 *
 * Every feature back to its reset value and unlocked; what userspace
 * hid stays hidden.
 */
void rvkvm_fwft_reset(struct kvm_vcpu *vcpu)
{
	unsigned int i;

	vcpu->arch.fwft_locked = 0;
	for (i = 0; i < ARRAY_SIZE(rvkvm_fwft_features); i++)
		rvkvm_fwft_features[i].set(vcpu, 0, false);
}

/**
 * rvkvm_fwft_prune() - reset what a vCPU's frozen ISA does not allow
 * @vcpu: the vCPU, at its first run
 *
 * A restore may set a feature's value before the ISA that offers it is
 * turned off; the guest must not find it set.
 */
void rvkvm_fwft_prune(struct kvm_vcpu *vcpu)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_fwft_features); i++)
		if (!rvkvm_fwft_features[i].offered(vcpu))
			rvkvm_fwft_features[i].set(vcpu, 0, false);
}

/* The row whose registers hold ONE_REG index @index, if @vcpu can have it. */
static const struct rvkvm_fwft_feature *rvkvm_fwft_reg_row(struct kvm_vcpu *vcpu,
							   unsigned long index,
							   unsigned int *row)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_fwft_features); i++) {
		const struct rvkvm_fwft_feature *f = &rvkvm_fwft_features[i];

		if (index >= f->reg && index < f->reg + RVKVM_FWFT_REGS) {
			*row = i;
			return f->offered(vcpu) ? f : NULL;
		}
	}
	return NULL;
}

/**
 * rvkvm_fwft_reg_present() - does ONE_REG SBI_STATE FWFT @index exist?
 * @vcpu: the vCPU
 * @index: the register's index in struct kvm_riscv_sbi_fwft
 *
 * Return: true for the three registers of a feature @vcpu can have.
 */
bool rvkvm_fwft_reg_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	unsigned int row;

	return rvkvm_fwft_reg_row(vcpu, index, &row);
}

/**
 * rvkvm_fwft_reg_get() - read a feature's enable, flags or value
 * @vcpu: the vCPU
 * @index: a present register's index in struct kvm_riscv_sbi_fwft
 * @val: the value
 *
 * Return: 0, or -ENOENT for a feature @vcpu cannot have.
 */
int rvkvm_fwft_reg_get(struct kvm_vcpu *vcpu, unsigned long index,
		       unsigned long *val)
{
	unsigned int row;
	const struct rvkvm_fwft_feature *f = rvkvm_fwft_reg_row(vcpu, index, &row);

	if (!f)
		return -ENOENT;
	switch (index - f->reg) {
	case 0:
		*val = !test_bit(row, &vcpu->arch.fwft_hidden);
		break;
	case 1:
		*val = test_bit(row, &vcpu->arch.fwft_locked) ?
		       SBI_FWFT_SET_FLAG_LOCK : 0;
		break;
	default:
		*val = f->get(vcpu);
	}
	return 0;
}

/**
 * rvkvm_fwft_reg_set() - restore a feature's enable, flags or value
 * @vcpu: the vCPU, not running
 * @index: a present register's index in struct kvm_riscv_sbi_fwft
 * @val: enable: 0 hides the feature from the guest, 1 offers it; flags:
 *	0 or SBI_FWFT_SET_FLAG_LOCK; value: as the guest would set it
 *
 * Return: 0, -ENOENT for a feature @vcpu cannot have, or -EINVAL for
 * a value outside those.
 */
int rvkvm_fwft_reg_set(struct kvm_vcpu *vcpu, unsigned long index,
		       unsigned long val)
{
	unsigned int row;
	const struct rvkvm_fwft_feature *f = rvkvm_fwft_reg_row(vcpu, index, &row);

	if (!f)
		return -ENOENT;
	switch (index - f->reg) {
	case 0:
		if (val > 1)
			return -EINVAL;
		__assign_bit(row, &vcpu->arch.fwft_hidden, !val);
		return 0;
	case 1:
		if (val & ~SBI_FWFT_SET_FLAG_LOCK)
			return -EINVAL;
		__assign_bit(row, &vcpu->arch.fwft_locked, val);
		return 0;
	default:
		return f->set(vcpu, val, false) ? -EINVAL : 0;
	}
}
