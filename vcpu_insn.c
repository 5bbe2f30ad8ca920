// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction emulation: guest loads and stores to emulated devices
 * (MMIO), and the instructions the H extension traps as virtual
 * instructions (WFI, WRS, CSR accesses).
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/pmu.h>
#include <linux/moduleparam.h>

/*
 * A test aid: decode trapped loads and stores from guest memory even when
 * the hart reports them in htinst, so both paths can be exercised on one
 * host (selftests/mmio_decode).
 */
static bool ignore_htinst;
module_param(ignore_htinst, bool, 0644);
MODULE_PARM_DESC(ignore_htinst, "read MMIO instructions from guest memory, ignoring htinst (testing)");

/* Where an instruction keeps the register it loads into or stores from. */
enum rvkvm_reg_field {
	RVKVM_RD,		/* bits 11:7 */
	RVKVM_RS2,		/* bits 24:20 */
	RVKVM_C_RDS2_P,		/* bits 4:2, x8..x15 (c.lw rd', c.sw rs2') */
	RVKVM_C_RD,		/* bits 11:7 (c.lwsp) */
	RVKVM_C_RS2,		/* bits 6:2 (c.swsp) */
};

struct rvkvm_ldst {
	u32 mask;
	u32 match;
	u8 len;
	bool sign;
	bool store;
	u8 field;
};

#define LD32(f3, l, s)	{ 0x707f, ((f3) << 12) | 0x03, l, s, false, RVKVM_RD }
#define ST32(f3, l)	{ 0x707f, ((f3) << 12) | 0x23, l, false, true, RVKVM_RS2 }
#define C16(f3, op, l, s, st, fld) \
			{ 0xe003, ((f3) << 13) | (op), l, s, st, fld }

/* Every integer load and store of RV64GC that can reach a device. */
static const struct rvkvm_ldst rvkvm_ldst_table[] = {
	LD32(0, 1, true),	/* lb */
	LD32(1, 2, true),	/* lh */
	LD32(2, 4, true),	/* lw */
	LD32(3, 8, false),	/* ld */
	LD32(4, 1, false),	/* lbu */
	LD32(5, 2, false),	/* lhu */
	LD32(6, 4, false),	/* lwu */
	ST32(0, 1),		/* sb */
	ST32(1, 2),		/* sh */
	ST32(2, 4),		/* sw */
	ST32(3, 8),		/* sd */
	C16(2, 0, 4, true, false, RVKVM_C_RDS2_P),	/* c.lw */
	C16(3, 0, 8, false, false, RVKVM_C_RDS2_P),	/* c.ld */
	C16(6, 0, 4, false, true, RVKVM_C_RDS2_P),	/* c.sw */
	C16(7, 0, 8, false, true, RVKVM_C_RDS2_P),	/* c.sd */
	C16(2, 2, 4, true, false, RVKVM_C_RD),		/* c.lwsp */
	C16(3, 2, 8, false, false, RVKVM_C_RD),		/* c.ldsp */
	C16(6, 2, 4, false, true, RVKVM_C_RS2),		/* c.swsp */
	C16(7, 2, 8, false, true, RVKVM_C_RS2),		/* c.sdsp */
};

static unsigned long rvkvm_insn_reg(unsigned long insn, u8 field)
{
	switch (field) {
	case RVKVM_RD:
	case RVKVM_C_RD:
		return (insn >> 7) & 0x1f;
	case RVKVM_RS2:
		return (insn >> 20) & 0x1f;
	case RVKVM_C_RDS2_P:
		return 8 + ((insn >> 2) & 7);
	default:
		return (insn >> 2) & 0x1f;
	}
}

static __rvkvm_hot const struct rvkvm_ldst *rvkvm_ldst_decode(unsigned long insn)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_ldst_table); i++)
		if ((insn & rvkvm_ldst_table[i].mask) ==
		    rvkvm_ldst_table[i].match)
			return &rvkvm_ldst_table[i];
	return NULL;
}

static bool rvkvm_insn_is_compressed(unsigned long insn)
{
	return (insn & 3) != 3;
}

/*
 * The trapping load or store: from htinst when the hart provides a
 * transformed instruction (bit 0 set; bit 1 clear means the original was
 * compressed), else read from guest memory.
 */
static int __rvkvm_hot rvkvm_mmio_insn(struct kvm_vcpu *vcpu, unsigned long *insn,
				       u8 *insn_len)
{
	unsigned long htinst = vcpu->arch.trap.htinst;
	int r;

	if (READ_ONCE(ignore_htinst))
		htinst = 0;
	if (htinst & 1) {
		*insn = htinst | 2;
		*insn_len = (htinst & 2) ? 4 : 2;
		return 0;
	}
	if (htinst) {
		/*
		 * A pseudo-instruction: the guest's own page-table walk hit
		 * a hole in guest-physical memory.  Real hardware would
		 * raise an access fault; so do we.
		 */
		bool store = vcpu->arch.trap.scause == EXC_STORE_GUEST_PAGE_FAULT;

		rvkvm_vcpu_redirect_trap(vcpu, store ? EXC_STORE_ACCESS :
					 EXC_LOAD_ACCESS, vcpu->arch.trap.stval);
		return -EAGAIN;
	}
	r = rvkvm_vcpu_read_insn(vcpu, vcpu->arch.guest.gpr[RVKVM_PC], insn);
	if (r)
		return r;
	*insn_len = rvkvm_insn_is_compressed(*insn) ? 2 : 4;
	return 0;
}

static void __rvkvm_hot rvkvm_step(struct kvm_vcpu *vcpu, u8 insn_len)
{
	vcpu->arch.guest.gpr[RVKVM_PC] += insn_len;
}

static void __rvkvm_hot rvkvm_set_gpr(struct kvm_vcpu *vcpu, unsigned long rd,
				      unsigned long val)
{
	if (rd)
		vcpu->arch.guest.gpr[rd] = val;
}

/**
 * rvkvm_mmio_access() - emulate a guest load or store to a device
 * @vcpu: the loaded vCPU
 * @gpa: the guest-physical address accessed
 * @store: true for a store
 *
 * In-kernel devices (ioeventfd, coalesced MMIO) on the MMIO bus come
 * first; anything else exits to userspace as KVM_EXIT_MMIO.
 *
 * Return: RVKVM_RESUME (also after an access fault was delivered for an
 * instruction that is no integer load or store), RVKVM_TO_USER, or a
 * -errno.
 */
int __rvkvm_hot rvkvm_mmio_access(struct kvm_vcpu *vcpu, gpa_t gpa, bool store)
{
	struct rvkvm_mmio *m = &vcpu->arch.mmio;
	struct kvm_run *run = vcpu->run;
	const struct rvkvm_ldst *d;
	unsigned long insn;
	int r;

	r = rvkvm_mmio_insn(vcpu, &insn, &m->insn_len);
	if (r)
		return r == -EAGAIN ? RVKVM_RESUME : r;
	d = rvkvm_ldst_decode(insn);
	if (!d || d->store != store) {
		/*
		 * An AMO, LR/SC, FP or vector access: no device emulation
		 * takes those, so the guest gets the access fault a device
		 * region without them gives on hardware.
		 */
		rvkvm_vcpu_redirect_trap(vcpu, store ? EXC_STORE_ACCESS :
					 EXC_LOAD_ACCESS, vcpu->arch.trap.stval);
		return RVKVM_RESUME;
	}

	m->len = d->len;
	m->load = !store;
	m->rd = rvkvm_insn_reg(insn, d->field);
	m->sext_shift = d->sign ? BITS_PER_LONG - 8 * d->len : 0;
	if (store) {
		unsigned long val = rvkvm_gpr(vcpu, m->rd);

		memcpy(run->mmio.data, &val, d->len);
	}

	if (store ? !kvm_io_bus_write(vcpu, KVM_MMIO_BUS, gpa, d->len,
				      run->mmio.data) :
		    !kvm_io_bus_read(vcpu, KVM_MMIO_BUS, gpa, d->len,
				     run->mmio.data)) {
		vcpu->stat.mmio_exit_kernel++;
		return rvkvm_mmio_complete(vcpu);
	}

	vcpu->stat.mmio_exit_user++;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = d->len;
	run->mmio.is_write = store;
	vcpu->arch.pending = RVKVM_PENDING_MMIO;
	return RVKVM_TO_USER;
}

/**
 * rvkvm_mmio_complete() - finish an emulated load or store
 * @vcpu: the vCPU
 *
 * A load's value is in run->mmio.data (little endian, as the guest
 * sees memory); it is sign- or zero-extended into the destination.
 *
 * Return: RVKVM_RESUME.
 */
int __rvkvm_hot rvkvm_mmio_complete(struct kvm_vcpu *vcpu)
{
	struct rvkvm_mmio *m = &vcpu->arch.mmio;
	unsigned long val = 0;

	if (m->load) {
		memcpy(&val, vcpu->run->mmio.data, m->len);
		if (m->sext_shift)
			val = (unsigned long)((long)(val << m->sext_shift) >>
					      m->sext_shift);
		rvkvm_set_gpr(vcpu, m->rd, val);
	}
	rvkvm_step(vcpu, m->insn_len);
	return RVKVM_RESUME;
}

/* Virtual instructions -------------------------------------------------- */

#define RVKVM_INSN_WFI		0x10500073UL
#define RVKVM_INSN_WRS_NTO	0x00d00073UL
#define RVKVM_INSN_WRS_STO	0x01d00073UL
#define RVKVM_OPCODE_SYSTEM	0x73UL

/*
 * A CSR the kernel emulates: @func returns RVKVM_RESUME with *val set
 * (the old value), RVKVM_TO_USER to let userspace emulate it, -EINVAL
 * when the guest must see an illegal instruction, or another -errno.
 * With @fast (the exit fast path: interrupts off, no kvm->srcu) it may
 * also return RVKVM_SLOW, having changed nothing, for the full path.
 */
struct rvkvm_csr_emul {
	unsigned int base;
	unsigned int count;
	int (*func)(struct kvm_vcpu *vcpu, unsigned int csr, unsigned long *val,
		    unsigned long new_val, unsigned long wr_mask, bool fast);
};

/* The entropy source is the VMM's to provide: KVM_EXIT_RISCV_CSR. */
static int rvkvm_csr_seed(struct kvm_vcpu *vcpu, unsigned int csr,
			  unsigned long *val, unsigned long new_val,
			  unsigned long wr_mask, bool fast)
{
	return rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_ZKR) ?
	       RVKVM_TO_USER : -EINVAL;
}

/*
 * CSRs the hart traps as virtual instructions and someone emulates.  A
 * CSR in no entry is an illegal instruction for the guest, as in 6.12.
 * Counters (PMU) and AIA CSRs plug in here.
 */
static const struct rvkvm_csr_emul rvkvm_csr_table[] = {
	{ CSR_SEED, 1, rvkvm_csr_seed },
	/* The in-kernel AIA's software interrupt file: raw spinlocks. */
	{ CSR_SIREG, 1, rvkvm_imsic_csr_sireg },
	{ CSR_STOPEI, 1, rvkvm_imsic_csr_stopei },
	/* cycle, time, instret, hpmcounter3..31: all but time trap. */
	{ CSR_CYCLE, 32, rvkvm_pmu_csr_read },
};

static __rvkvm_hot const struct rvkvm_csr_emul *rvkvm_csr_lookup(unsigned int csr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_csr_table); i++)
		if (csr >= rvkvm_csr_table[i].base &&
		    csr < rvkvm_csr_table[i].base + rvkvm_csr_table[i].count)
			return &rvkvm_csr_table[i];
	return NULL;
}

static int rvkvm_wfi(struct kvm_vcpu *vcpu, unsigned long insn, bool fast)
{
	vcpu->stat.wfi_exit_stat++;
	rvkvm_step(vcpu, 4);
	rvkvm_vcpu_wait_irq(vcpu);
	return RVKVM_RESUME;
}

static int rvkvm_wrs(struct kvm_vcpu *vcpu, unsigned long insn, bool fast)
{
	/* A reservation wait: give the hart to whoever will write it. */
	vcpu->stat.wrs_exit_stat++;
	rvkvm_step(vcpu, 4);
	kvm_vcpu_on_spin(vcpu, vcpu->arch.guest.sstatus & SR_SPP);
	return RVKVM_RESUME;
}

static int __rvkvm_hot rvkvm_csr_insn(struct kvm_vcpu *vcpu, unsigned long insn,
				      bool fast)
{
	unsigned int csr = insn >> 20, funct3 = (insn >> 12) & 7;
	unsigned long rs1 = (insn >> 15) & 0x1f, rd = (insn >> 7) & 0x1f;
	unsigned long src = (funct3 & 4) ? rs1 : rvkvm_gpr(vcpu, rs1);
	const struct rvkvm_csr_emul *e = rvkvm_csr_lookup(csr);
	unsigned long new_val, wr_mask, val = 0;
	struct kvm_run *run = vcpu->run;
	int r;

	/* csrrw writes all bits; csrrs/csrrc set/clear src's bits. */
	switch (funct3 & 3) {
	case 1:
		new_val = src;
		wr_mask = -1UL;
		break;
	case 2:
		new_val = -1UL;
		wr_mask = src;
		break;
	default:
		new_val = 0;
		wr_mask = src;
		break;
	}

	r = e ? e->func(vcpu, csr, &val, new_val, wr_mask, fast) : -EINVAL;
	if (r == RVKVM_SLOW)
		return r;
	if (r == -EINVAL) {
		/* Nobody emulates it: the guest sees no such CSR. */
		rvkvm_vcpu_redirect_trap(vcpu, EXC_INST_ILLEGAL, insn);
		return RVKVM_RESUME;
	}
	if (r < 0)
		return r;
	if (r == RVKVM_RESUME) {
		vcpu->stat.csr_exit_kernel++;
		rvkvm_set_gpr(vcpu, rd, val);
		rvkvm_step(vcpu, 4);
		return RVKVM_RESUME;
	}

	vcpu->stat.csr_exit_user++;
	run->exit_reason = KVM_EXIT_RISCV_CSR;
	run->riscv_csr.csr_num = csr;
	run->riscv_csr.new_value = new_val;
	run->riscv_csr.write_mask = wr_mask;
	run->riscv_csr.ret_value = 0;
	vcpu->arch.csr_rd = rd;
	vcpu->arch.pending = RVKVM_PENDING_CSR;
	return RVKVM_TO_USER;
}

/**
 * rvkvm_csr_complete() - finish a CSR access userspace emulated
 * @vcpu: the vCPU
 *
 * Return: RVKVM_RESUME.
 */
int rvkvm_csr_complete(struct kvm_vcpu *vcpu)
{
	/* CSR instructions have no compressed form. */
	rvkvm_set_gpr(vcpu, vcpu->arch.csr_rd, vcpu->run->riscv_csr.ret_value);
	rvkvm_step(vcpu, 4);
	return RVKVM_RESUME;
}

/*
 * @fast: @func may be called from the exit fast path, and then decides
 * itself (it returns RVKVM_SLOW where it cannot help); the others sleep.
 */
struct rvkvm_vinsn {
	unsigned long mask;
	unsigned long match;
	bool fast;
	int (*func)(struct kvm_vcpu *vcpu, unsigned long insn, bool fast);
};

static const struct rvkvm_vinsn rvkvm_vinsn_table[] = {
	{ -1UL, RVKVM_INSN_WFI, false, rvkvm_wfi },
	{ -1UL, RVKVM_INSN_WRS_NTO, false, rvkvm_wrs },
	{ -1UL, RVKVM_INSN_WRS_STO, false, rvkvm_wrs },
	/* csrrw, csrrs, csrrc and their immediate forms: funct3 != 0, 4. */
	{ 0x307f, 0x1073, true, rvkvm_csr_insn },
	{ 0x307f, 0x2073, true, rvkvm_csr_insn },
	{ 0x307f, 0x3073, true, rvkvm_csr_insn },
};

/**
 * rvkvm_virtual_insn() - handle a virtual-instruction trap
 * @vcpu: the loaded vCPU
 * @fast: from the exit fast path (rvkvm_vcpu_exit())
 *
 * stval holds the instruction when the hart reports it, else it is read
 * from guest memory.  What no table knows becomes an illegal-instruction
 * exception in the guest, as on a hart without the feature.
 *
 * Return: RVKVM_RESUME, RVKVM_TO_USER, RVKVM_SLOW, or a -errno.
 */
int __rvkvm_hot rvkvm_virtual_insn(struct kvm_vcpu *vcpu, bool fast)
{
	const struct rvkvm_vinsn *v;
	unsigned long insn = vcpu->arch.trap.stval;

	if (!insn) {
		/* Reading guest memory faults pages in. */
		if (fast)
			return RVKVM_SLOW;
		int r = rvkvm_vcpu_read_insn(vcpu, vcpu->arch.guest.gpr[RVKVM_PC],
					     &insn);

		if (r)
			return r == -EAGAIN ? RVKVM_RESUME : r;
	}

	if (!rvkvm_insn_is_compressed(insn))
		for (v = rvkvm_vinsn_table;
		     v < rvkvm_vinsn_table + ARRAY_SIZE(rvkvm_vinsn_table); v++)
			if ((insn & v->mask) == v->match)
				return fast && !v->fast ? RVKVM_SLOW :
				       v->func(vcpu, insn, fast);

	rvkvm_vcpu_redirect_trap(vcpu, EXC_INST_ILLEGAL, insn);
	return RVKVM_RESUME;
}
