// SPDX-License-Identifier: GPL-2.0
/*
 * SBI FWFT (7.x's uapi): firmware features the guest sets and reads, and
 * their state through ONE_REG (SBI_STATE, FWFT) for save and restore.
 *
 * One table row per feature KVM can offer, at its place in the uapi's
 * struct kvm_riscv_sbi_fwft (enable, flags, value).  Today that is the
 * delegation of misaligned load and store traps to the guest, where the
 * host's firmware lets the kernel take them.  Pointer masking needs
 * Smnpm in the guest's ISA, which rvkvm does not offer yet.
 */
#include <rvkvm/sbi.h>
#include <asm/cpufeature.h>

#define RVKVM_MIS_DELEG	(BIT(EXC_LOAD_MISALIGNED) | BIT(EXC_STORE_MISALIGNED))
#define RVKVM_FWFT_REGS	(sizeof(struct kvm_riscv_sbi_fwft_feature) / sizeof(long))

struct rvkvm_fwft_feature {
	u32 id;			/* SBI_FWFT_* */
	unsigned int reg;	/* ONE_REG index of its first register */
	bool (*host_has)(void);
	/* SBI_SUCCESS or SBI_ERR_*; @loaded: the vCPU's CSRs are live. */
	long (*set)(struct kvm_vcpu *vcpu, unsigned long value, bool loaded);
	unsigned long (*get)(struct kvm_vcpu *vcpu);
};

static bool rvkvm_mis_deleg_host_has(void)
{
	return misaligned_traps_can_delegate();
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
	if (loaded) {
		guard(preempt)();
		rvkvm_vcpu_hold(vcpu);
		csr_write(CSR_HEDELEG, *hedeleg);
	}
	return SBI_SUCCESS;
}

static unsigned long rvkvm_mis_deleg_get(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.cfg.hedeleg & RVKVM_MIS_DELEG) == RVKVM_MIS_DELEG;
}

#define RVKVM_FWFT_REG(member)						\
	(offsetof(struct kvm_riscv_sbi_fwft, member) / sizeof(long))

static const struct rvkvm_fwft_feature rvkvm_fwft_features[] = {
	{
		.id = SBI_FWFT_MISALIGNED_EXC_DELEG,
		.reg = RVKVM_FWFT_REG(misaligned_deleg),
		.host_has = rvkvm_mis_deleg_host_has,
		.set = rvkvm_mis_deleg_set, .get = rvkvm_mis_deleg_get,
	},
};

/* Hidden and locked are bits by row: the table must fit them. */
static_assert(ARRAY_SIZE(rvkvm_fwft_features) <= BITS_PER_LONG);

/* The row of @id the host can offer, or NULL; *@row gets its index. */
static const struct rvkvm_fwft_feature *rvkvm_fwft_row(u32 id, unsigned int *row)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_fwft_features); i++) {
		if (rvkvm_fwft_features[i].id != id)
			continue;
		if (!rvkvm_fwft_features[i].host_has())
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
	*f = rvkvm_fwft_row(id, row);
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

/* The row whose registers hold ONE_REG index @index, if the host has it. */
static const struct rvkvm_fwft_feature *rvkvm_fwft_reg_row(unsigned long index,
							   unsigned int *row)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_fwft_features); i++) {
		const struct rvkvm_fwft_feature *f = &rvkvm_fwft_features[i];

		if (index >= f->reg && index < f->reg + RVKVM_FWFT_REGS) {
			*row = i;
			return f->host_has() ? f : NULL;
		}
	}
	return NULL;
}

/**
 * rvkvm_fwft_reg_present() - does ONE_REG SBI_STATE FWFT @index exist?
 * @vcpu: the vCPU
 * @index: the register's index in struct kvm_riscv_sbi_fwft
 *
 * Return: true for the three registers of a feature the host can offer.
 */
bool rvkvm_fwft_reg_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	unsigned int row;

	return rvkvm_fwft_reg_row(index, &row);
}

/**
 * rvkvm_fwft_reg_get() - read a feature's enable, flags or value
 * @vcpu: the vCPU
 * @index: a present register's index in struct kvm_riscv_sbi_fwft
 * @val: the value
 *
 * Return: 0, or -ENOENT for a feature the host cannot offer.
 */
int rvkvm_fwft_reg_get(struct kvm_vcpu *vcpu, unsigned long index,
		       unsigned long *val)
{
	unsigned int row;
	const struct rvkvm_fwft_feature *f = rvkvm_fwft_reg_row(index, &row);

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
 * Return: 0, -ENOENT for a feature the host cannot offer, or -EINVAL for
 * a value outside those.
 */
int rvkvm_fwft_reg_set(struct kvm_vcpu *vcpu, unsigned long index,
		       unsigned long val)
{
	unsigned int row;
	const struct rvkvm_fwft_feature *f = rvkvm_fwft_reg_row(index, &row);

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
