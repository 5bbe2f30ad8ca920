// SPDX-License-Identifier: GPL-2.0
/*
 * The SBI a guest calls with ecall: dispatch through a table of
 * extensions, each of which userspace can switch off (ONE_REG SBI_EXT),
 * and forwarding to userspace for what it implements itself.
 */
#include <rvkvm/sbi.h>
#include <rvkvm/trace.h>

/* Experimental and vendor calls belong to the VMM: hand them over. */
static int rvkvm_sbi_to_user(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call)
{
	return rvkvm_sbi_forward(vcpu, call);
}

static const struct rvkvm_sbi_ext rvkvm_sbi_experimental = {
	.eid_first = SBI_EXT_EXPERIMENTAL_START,
	.eid_last = SBI_EXT_EXPERIMENTAL_END,
	.kvm_id = KVM_RISCV_SBI_EXT_EXPERIMENTAL,
	.handle = rvkvm_sbi_to_user,
};

static const struct rvkvm_sbi_ext rvkvm_sbi_vendor = {
	.eid_first = SBI_EXT_VENDOR_START,
	.eid_last = SBI_EXT_VENDOR_END,
	.kvm_id = KVM_RISCV_SBI_EXT_VENDOR,
	.handle = rvkvm_sbi_to_user,
};

/* The debug console is the VMM's; off unless userspace enables it. */
static const struct rvkvm_sbi_ext rvkvm_sbi_dbcn = {
	.eid_first = SBI_EXT_DBCN,
	.eid_last = SBI_EXT_DBCN,
	.kvm_id = KVM_RISCV_SBI_EXT_DBCN,
	.default_off = true,
	.handle = rvkvm_sbi_to_user,
};

static const struct rvkvm_sbi_ext *const rvkvm_sbi_exts[] = {
	&rvkvm_sbi_v01,
	&rvkvm_sbi_base,
	&rvkvm_sbi_hsm,
	&rvkvm_sbi_ipi,
	&rvkvm_sbi_rfence,
	&rvkvm_sbi_srst,
	&rvkvm_sbi_dbcn,
	&rvkvm_sbi_time,
	&rvkvm_sbi_sta,
	&rvkvm_sbi_pmu,
#if RVKVM_LINUX_7	/* ids of 7.x's uapi */
	&rvkvm_sbi_susp,
	&rvkvm_sbi_fwft,
#endif
	&rvkvm_sbi_experimental,
	&rvkvm_sbi_vendor,
};

static bool __rvkvm_hot rvkvm_sbi_ext_enabled(struct kvm_vcpu *vcpu,
					      const struct rvkvm_sbi_ext *ext)
{
	if (ext->probe && !ext->probe(vcpu))
		return false;
	return ext->kvm_id == RVKVM_SBI_ALWAYS ||
	       !test_bit(ext->kvm_id, vcpu->arch.sbi_disabled);
}

/**
 * rvkvm_sbi_find() - the enabled extension that serves @eid
 * @vcpu: the vCPU
 * @eid: an SBI extension id
 *
 * Return: the extension, or NULL if none serves @eid for this vCPU.
 */
__rvkvm_hot const struct rvkvm_sbi_ext *rvkvm_sbi_find(struct kvm_vcpu *vcpu,
						       unsigned long eid)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_sbi_exts); i++) {
		const struct rvkvm_sbi_ext *ext = rvkvm_sbi_exts[i];

		if (eid >= ext->eid_first && eid <= ext->eid_last)
			return rvkvm_sbi_ext_enabled(vcpu, ext) ? ext : NULL;
	}
	return NULL;
}

static const struct rvkvm_sbi_ext *rvkvm_sbi_by_kvm_id(unsigned long kvm_id)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_sbi_exts); i++)
		if (rvkvm_sbi_exts[i]->kvm_id == kvm_id)
			return rvkvm_sbi_exts[i];
	return NULL;
}

/**
 * rvkvm_sbi_ext_available() - could this vCPU offer an extension?
 * @vcpu: the vCPU
 * @kvm_id: a KVM_RISCV_SBI_EXT_* id
 *
 * Return: true if the module implements it and the host allows it,
 * whether or not userspace has disabled it.
 */
bool rvkvm_sbi_ext_available(struct kvm_vcpu *vcpu, unsigned long kvm_id)
{
	const struct rvkvm_sbi_ext *ext = rvkvm_sbi_by_kvm_id(kvm_id);

	return ext && (!ext->probe || ext->probe(vcpu));
}

/**
 * rvkvm_sbi_vcpu_init() - the default set of enabled extensions
 * @vcpu: a new vCPU
 */
void rvkvm_sbi_vcpu_init(struct kvm_vcpu *vcpu)
{
	int i;

	bitmap_zero(vcpu->arch.sbi_disabled, KVM_RISCV_SBI_EXT_MAX);
	for (i = 0; i < ARRAY_SIZE(rvkvm_sbi_exts); i++)
		if (rvkvm_sbi_exts[i]->default_off)
			set_bit(rvkvm_sbi_exts[i]->kvm_id,
				vcpu->arch.sbi_disabled);
}

/**
 * rvkvm_sbi_hart_mask() - the vCPUs an SBI hart mask names
 * @kvm: the VM
 * @hmask: bit i names hart @hbase + i
 * @hbase: the first hart, or -1UL for every hart (and @hmask ignored)
 * @vcpus: bitmap of KVM_MAX_VCPUS vCPU indices to fill
 *
 * Every hart named must exist, and hbase + i must not wrap (6.12 lets
 * a huge hbase through).  Nothing is acted on unless all are valid.
 *
 * Return: SBI_SUCCESS or SBI_ERR_INVALID_PARAM.
 */
long rvkvm_sbi_hart_mask(struct kvm *kvm, unsigned long hmask,
			 unsigned long hbase, unsigned long *vcpus)
{
	struct kvm_vcpu *t;
	unsigned long i;

	bitmap_zero(vcpus, KVM_MAX_VCPUS);
	if (hbase == -1UL) {
		kvm_for_each_vcpu(i, t, kvm)
			__set_bit(t->vcpu_idx, vcpus);
		return SBI_SUCCESS;
	}
	for_each_set_bit(i, &hmask, BITS_PER_LONG) {
		if (hbase >= KVM_MAX_VCPU_IDS || i >= KVM_MAX_VCPU_IDS - hbase)
			return SBI_ERR_INVALID_PARAM;
		t = kvm_get_vcpu_by_id(kvm, hbase + i);
		if (!t)
			return SBI_ERR_INVALID_PARAM;
		__set_bit(t->vcpu_idx, vcpus);
	}
	return SBI_SUCCESS;
}

/**
 * rvkvm_sbi_forward() - let userspace handle an SBI call
 * @vcpu: the vCPU
 * @call: the call
 *
 * The guest sees SBI_ERR_NOT_SUPPORTED unless userspace answers.
 *
 * Return: RVKVM_TO_USER.
 */
int rvkvm_sbi_forward(struct kvm_vcpu *vcpu, struct rvkvm_sbi_call *call)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_RISCV_SBI;
	run->riscv_sbi.extension_id = call->eid;
	run->riscv_sbi.function_id = call->fid;
	memcpy(run->riscv_sbi.args, call->args, sizeof(call->args));
	run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
	run->riscv_sbi.ret[1] = 0;
	vcpu->arch.pending = call->eid <= RVKVM_SBI_V01_LAST ?
			     RVKVM_PENDING_SBI_V01 : RVKVM_PENDING_SBI;
	return RVKVM_TO_USER;
}

/* The ecall is done: return values in a0/a1, resume after it. */
static void __rvkvm_hot rvkvm_sbi_return(struct kvm_vcpu *vcpu, unsigned long a0,
					 unsigned long a1)
{
	struct rvkvm_regs *g = &vcpu->arch.guest;

	g->gpr[10] = a0;
	g->gpr[11] = a1;
	g->gpr[RVKVM_PC] += 4;
}

/**
 * rvkvm_sbi_complete() - finish an SBI call userspace handled
 * @vcpu: the vCPU
 * @legacy: a v0.1 call, which returns a0 alone: a1 stays the guest's
 *
 * Return: RVKVM_RESUME.
 */
int rvkvm_sbi_complete(struct kvm_vcpu *vcpu, bool legacy)
{
	struct kvm_run *run = vcpu->run;

	rvkvm_sbi_return(vcpu, run->riscv_sbi.ret[0],
			 legacy ? vcpu->arch.guest.gpr[11] : run->riscv_sbi.ret[1]);
	return RVKVM_RESUME;
}

/**
 * rvkvm_sbi_fast_always() - a &rvkvm_sbi_ext.fast for handlers that are
 *	fit for the exit fast path whatever the call
 * @vcpu: the vCPU
 * @call: the call
 *
 * Return: true.
 */
bool __rvkvm_hot rvkvm_sbi_fast_always(struct kvm_vcpu *vcpu,
				       const struct rvkvm_sbi_call *call)
{
	return true;
}

/**
 * rvkvm_sbi_ecall() - handle an ecall from the guest's S-mode
 * @vcpu: the loaded vCPU
 * @fast: from the exit fast path: only extensions whose &rvkvm_sbi_ext.fast
 *	allows the call run; an unknown or disabled extension's
 *	SBI_ERR_NOT_SUPPORTED is given there too
 *
 * Return: RVKVM_RESUME, RVKVM_TO_USER, RVKVM_SLOW, or a -errno for
 * KVM_RUN.
 */
int __rvkvm_hot rvkvm_sbi_ecall(struct kvm_vcpu *vcpu, bool fast)
{
	unsigned long *x = vcpu->arch.guest.gpr;
	struct rvkvm_sbi_call call = {
		.eid = x[17],
		.fid = x[16],
		.args = { x[10], x[11], x[12], x[13], x[14], x[15] },
		.error = SBI_ERR_NOT_SUPPORTED,
	};
	const struct rvkvm_sbi_ext *ext = rvkvm_sbi_find(vcpu, call.eid);
	int r;

	if (ext) {
		if (fast && !(ext->fast && ext->fast(vcpu, &call)))
			return RVKVM_SLOW;
		trace_kvm_sbi_call(vcpu, call.eid, call.fid, fast);
		r = ext->handle(vcpu, &call);
		if (r != RVKVM_RESUME || call.trapped)
			return r;
	}
	rvkvm_sbi_return(vcpu, call.error, call.value);
	return RVKVM_RESUME;
}
