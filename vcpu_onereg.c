// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_ONE_REG, KVM_SET_ONE_REG and KVM_GET_REG_LIST, and the vCPU
 * configuration (machine ids; the ISA is isa.c's) that userspace fixes
 * through them.
 *
 * A RISC-V register id is KVM_REG_RISCV | size | type | subtype | index.
 * Every (type, subtype) pair is one block of rvkvm_reg_blocks[].  The
 * dispatcher resolves an id to its block and index, checks the size and
 * the index, and does all copying to and from userspace; the handlers
 * only read and write values in kernel memory.  The table's order is the
 * order of KVM_GET_REG_LIST, which is 6.12's order.
 */
#include <rvkvm/rvkvm.h>
#include <linux/bitmap.h>
#include <linux/log2.h>
#include <linux/uaccess.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/pgtable.h>
#include <asm/sbi.h>
#include <asm/vector.h>

/* (type, subtype) picks the block, the low 16 bits the register in it. */
#define RVKVM_REG_BLOCK_MASK	(KVM_REG_RISCV_TYPE_MASK | KVM_REG_RISCV_SUBTYPE_MASK)
#define RVKVM_REG_INDEX_MASK	GENMASK_ULL(KVM_REG_RISCV_SUBTYPE_SHIFT - 1, 0)
/* Bits that no RISC-V register id sets: an id with any of them is unknown. */
#define RVKVM_REG_UNUSED_MASK	GENMASK_ULL(KVM_REG_SIZE_SHIFT - 1, 32)

#define RVKVM_NR_UL(type)	(sizeof(type) / sizeof(unsigned long))

/* A register value in kernel memory: big enough for every block below. */
union rvkvm_reg_val {
	unsigned long ul;
	u64 u64;
	u32 u32;
};

struct rvkvm_reg_block;

/* The register a handler serves, already resolved and bounds-checked. */
struct rvkvm_reg {
	u64 id;
	unsigned long index;
	const struct rvkvm_reg_block *block;
};

/* Where KVM_GET_REG_LIST puts ids; without @next it only counts them. */
struct rvkvm_reg_sink {
	u64 __user *next;
	unsigned long n;
};

/*
 * One block of registers.  Indices 0..@nr-1 for which @present holds (all
 * of them without @present) exist: the others are -ENOENT before any
 * handler runs.  A block with @check decides existence and size itself
 * instead (its errnos follow 6.12's order for that type).  A register
 * for which @slot gives an address is copied there directly, without
 * @get or @set (the vector registers, vlenb bytes each).  @count and
 * @list report the block to KVM_GET_REG_LIST; blocks without them exist
 * but are not listed (the MULTI ones).  A block without @get is a
 * placeholder: its ids are unknown and it is not listed.
 */
struct rvkvm_reg_block {
	u64 type;		/* KVM_REG_RISCV_<type> | <subtype> */
	unsigned int size;	/* KVM_REG_SIZE of each of its registers */
	unsigned long nr;
	bool (*present)(struct kvm_vcpu *vcpu, unsigned long index);
	int (*check)(struct kvm_vcpu *vcpu, unsigned long index,
		     unsigned int size);
	/* Registers too big for a value: copied from and to here directly. */
	void *(*slot)(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg);
	int (*get)(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		   union rvkvm_reg_val *val);
	int (*set)(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		   const union rvkvm_reg_val *val);
	unsigned long (*count)(struct kvm_vcpu *vcpu,
			       const struct rvkvm_reg_block *blk);
	int (*list)(struct kvm_vcpu *vcpu, const struct rvkvm_reg_block *blk,
		    struct rvkvm_reg_sink *sink);
};

/**
 * rvkvm_onereg_vcpu_init() - give a new vCPU its default configuration
 * @vcpu: the vCPU, not yet visible to userspace
 *
 * The guest gets every extension of the map that the host has and that
 * may be enabled, and sees the host's machine ids until userspace says
 * otherwise.
 */
void rvkvm_onereg_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct rvkvm_vcpu_config *cfg = &vcpu->arch.cfg;

	rvkvm_isa_init(cfg->isa);
	cfg->mvendorid = sbi_get_mvendorid();
	cfg->marchid = sbi_get_marchid();
	cfg->mimpid = sbi_get_mimpid();
}

/* --- CONFIG ------------------------------------------------------------- */

/* The single-letter part of the ISA bitmap: bit N is letter 'a' + N. */
#define RVKVM_ISA_LETTERS	GENMASK(RISCV_ISA_EXT_BASE - 1, 0)

struct rvkvm_config_reg {
	int (*get)(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		   unsigned long *val);
	int (*set)(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		   unsigned long val);
	bool (*present)(struct kvm_vcpu *vcpu);
	size_t field;			/* machine ids: offset in the config */
	unsigned long (*host_value)(void);	/* read-only host values */
};

static int cfg_isa_get(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		       unsigned long *val)
{
	*val = vcpu->arch.cfg.isa[0] & RVKVM_ISA_LETTERS;
	return 0;
}

static int cfg_isa_set(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		       unsigned long val)
{
	unsigned long *isa = vcpu->arch.cfg.isa;

	/*
	 * Single letters 'a'..'y' only, as in 6.12.  6.12 checks a 32-bit
	 * truncation and so ignores bits 32..63; here they are refused.
	 */
	if (val >> (RISCV_ISA_EXT_BASE - 1))
		return -EINVAL;
	if (val == (isa[0] & RVKVM_ISA_LETTERS))
		return 0;
	if (vcpu->arch.ran_once)
		return -EBUSY;
	/* No FP state to reset: sstatus.FS must follow cfg.isa at first run. */
	isa[0] = (isa[0] & ~RVKVM_ISA_LETTERS) | rvkvm_isa_letters_allowed(val);
	return 0;
}

static int cfg_id_get(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		      unsigned long *val)
{
	*val = *(unsigned long *)((u8 *)&vcpu->arch.cfg + c->field);
	return 0;
}

/* Machine ids are what the guest reads: they may not change under it. */
static int cfg_id_set(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		      unsigned long val)
{
	unsigned long *id = (unsigned long *)((u8 *)&vcpu->arch.cfg + c->field);

	if (val == *id)
		return 0;
	if (vcpu->arch.ran_once)
		return -EBUSY;
	*id = val;
	return 0;
}

static int cfg_host_get(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
			unsigned long *val)
{
	*val = c->host_value();
	return 0;
}

/* Userspace may only confirm a host value, as when restoring a vCPU. */
static int cfg_host_set(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
			unsigned long val)
{
	return val == c->host_value() ? 0 : -EINVAL;
}

/*
 * The cache-block sizes (Zicbom, Zicboz, Zicbop): 0 when the host lacks
 * the extension.  compat: 6.12 has such a register only while the guest
 * has the extension and takes only the host's value; 7.x always has it
 * and also takes 0.
 */
static unsigned long rvkvm_cbo_size(unsigned int ext, unsigned int size)
{
	return __riscv_isa_extension_available(NULL, ext) ? size : 0;
}

static bool cfg_cbo_present(struct kvm_vcpu *vcpu, unsigned int ext)
{
	return RVKVM_LINUX_7 || rvkvm_guest_has_ext(vcpu, ext);
}

static int cfg_cbo_set(struct kvm_vcpu *vcpu, const struct rvkvm_config_reg *c,
		       unsigned long val)
{
	if (RVKVM_LINUX_7 && !val)
		return 0;
	return cfg_host_set(vcpu, c, val);
}

static unsigned long host_cbom_block_size(void)
{
	return rvkvm_cbo_size(RISCV_ISA_EXT_ZICBOM, riscv_cbom_block_size);
}

static unsigned long host_cboz_block_size(void)
{
	return rvkvm_cbo_size(RISCV_ISA_EXT_ZICBOZ, riscv_cboz_block_size);
}

static unsigned long host_satp_mode(void)
{
	return satp_mode >> SATP_MODE_SHIFT;
}

static bool cfg_has_zicbom(struct kvm_vcpu *vcpu)
{
	return cfg_cbo_present(vcpu, RISCV_ISA_EXT_ZICBOM);
}

static bool cfg_has_zicboz(struct kvm_vcpu *vcpu)
{
	return cfg_cbo_present(vcpu, RISCV_ISA_EXT_ZICBOZ);
}

#if RVKVM_LINUX_7
static unsigned long host_cbop_block_size(void)
{
	return rvkvm_cbo_size(RISCV_ISA_EXT_ZICBOP, riscv_cbop_block_size);
}

static bool cfg_has_zicbop(struct kvm_vcpu *vcpu)
{
	return cfg_cbo_present(vcpu, RISCV_ISA_EXT_ZICBOP);
}
#endif

#define RVKVM_CFG(name)		KVM_REG_RISCV_CONFIG_REG(name)
#define RVKVM_CFG_ID_FIELD(name)					\
	.get = cfg_id_get, .set = cfg_id_set,				\
	.field = offsetof(struct rvkvm_vcpu_config, name)
#define RVKVM_CFG_HOST(name, fn, gate)					\
	[RVKVM_CFG(name)] = { .get = cfg_host_get, .set = cfg_host_set,	\
		.host_value = (fn), .present = (gate) }
#define RVKVM_CFG_CBO(name, fn, gate)					\
	[RVKVM_CFG(name)] = { .get = cfg_host_get, .set = cfg_cbo_set,	\
		.host_value = (fn), .present = (gate) }

static const struct rvkvm_config_reg rvkvm_config_regs[] = {
	[RVKVM_CFG(isa)] = { .get = cfg_isa_get, .set = cfg_isa_set },
	RVKVM_CFG_CBO(zicbom_block_size, host_cbom_block_size, cfg_has_zicbom),
	[RVKVM_CFG(mvendorid)] = { RVKVM_CFG_ID_FIELD(mvendorid) },
	[RVKVM_CFG(marchid)] = { RVKVM_CFG_ID_FIELD(marchid) },
	[RVKVM_CFG(mimpid)] = { RVKVM_CFG_ID_FIELD(mimpid) },
	RVKVM_CFG_CBO(zicboz_block_size, host_cboz_block_size, cfg_has_zicboz),
	RVKVM_CFG_HOST(satp_mode, host_satp_mode, NULL),
#if RVKVM_LINUX_7	/* 7.x's uapi */
	RVKVM_CFG_CBO(zicbop_block_size, host_cbop_block_size, cfg_has_zicbop),
#endif
};

static_assert(ARRAY_SIZE(rvkvm_config_regs) == RVKVM_NR_UL(struct kvm_riscv_config));

static bool config_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	const struct rvkvm_config_reg *c = &rvkvm_config_regs[index];

	return !c->present || c->present(vcpu);
}

static int config_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		      union rvkvm_reg_val *val)
{
	const struct rvkvm_config_reg *c = &rvkvm_config_regs[reg->index];

	return c->get(vcpu, c, &val->ul);
}

static int config_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		      const union rvkvm_reg_val *val)
{
	const struct rvkvm_config_reg *c = &rvkvm_config_regs[reg->index];

	return c->set(vcpu, c, val->ul);
}

/* --- CORE --------------------------------------------------------------- */

/* struct kvm_riscv_core is our gpr[] (pc first, as ptrace) plus mode. */
#define RVKVM_CORE_MODE		KVM_REG_RISCV_CORE_REG(mode)
static_assert(KVM_REG_RISCV_CORE_REG(regs.pc) == RVKVM_PC);
static_assert(KVM_REG_RISCV_CORE_REG(regs.t6) ==
	      ARRAY_SIZE(((struct rvkvm_regs *)0)->gpr) - 1);
static_assert(ARRAY_SIZE(((struct rvkvm_regs *)0)->gpr) == RVKVM_CORE_MODE);
static_assert(RVKVM_NR_UL(struct kvm_riscv_core) == RVKVM_CORE_MODE + 1);

static int core_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		    union rvkvm_reg_val *val)
{
	struct rvkvm_regs *g = &vcpu->arch.guest;

	if (reg->index == RVKVM_CORE_MODE)
		val->ul = g->sstatus & SR_SPP ? KVM_RISCV_MODE_S : KVM_RISCV_MODE_U;
	else
		val->ul = g->gpr[reg->index];
	return 0;
}

/* The mode is where sret returns to: sstatus.SPP.  Not S means U. */
static int core_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		    const union rvkvm_reg_val *val)
{
	struct rvkvm_regs *g = &vcpu->arch.guest;

	if (reg->index != RVKVM_CORE_MODE)
		g->gpr[reg->index] = val->ul;
	else if (val->ul == KVM_RISCV_MODE_S)
		g->sstatus |= SR_SPP;
	else
		g->sstatus &= ~SR_SPP;
	return 0;
}

/* --- CSR, general subtype ----------------------------------------------- */

/* Where each struct kvm_riscv_csr member lives in struct kvm_vcpu_arch. */
#define RVKVM_CSR(name, member)						\
	[KVM_REG_RISCV_CSR_REG(name)] = offsetof(struct kvm_vcpu_arch, member)

static const unsigned int rvkvm_csr_offset[] = {
	RVKVM_CSR(sstatus,	csr.vsstatus),
	RVKVM_CSR(sie,		csr.vsie),
	RVKVM_CSR(stvec,	csr.vstvec),
	RVKVM_CSR(sscratch,	csr.vsscratch),
	RVKVM_CSR(sepc,		csr.vsepc),
	RVKVM_CSR(scause,	csr.vscause),
	RVKVM_CSR(stval,	csr.vstval),
	/* sip: derived from hvip, see rvkvm_vcpu_sip_get() */
	RVKVM_CSR(satp,		csr.vsatp),
	RVKVM_CSR(scounteren,	guest.scounteren),
	RVKVM_CSR(senvcfg,	csr.senvcfg),
};

static_assert(ARRAY_SIZE(rvkvm_csr_offset) == RVKVM_NR_UL(struct kvm_riscv_csr));

#define RVKVM_CSR_SIP		KVM_REG_RISCV_CSR_REG(sip)

static unsigned long *rvkvm_csr_slot(struct kvm_vcpu *vcpu, unsigned long index)
{
	return (unsigned long *)((u8 *)&vcpu->arch + rvkvm_csr_offset[index]);
}

static int csr_general_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			   union rvkvm_reg_val *val)
{
	if (reg->index == RVKVM_CSR_SIP)
		val->ul = rvkvm_vcpu_sip_get(vcpu);
	else
		val->ul = *rvkvm_csr_slot(vcpu, reg->index);
	return 0;
}

/* The sstatus fields a supervisor has (6.12's asm/csr.h lacks UBE, MXR). */
#define RVKVM_SR_UBE		BIT(6)
#define RVKVM_SR_MXR		BIT(19)
#define RVKVM_SSTATUS_FIELDS	(SR_SIE | SR_SPIE | RVKVM_SR_UBE | SR_SPP | \
				 SR_VS | SR_FS | SR_XS | SR_SUM | \
				 RVKVM_SR_MXR | SR_UXL | SR_SD)

/* satp.MODE values a guest may hold: Bare, Sv39, Sv48, Sv57. */
static bool rvkvm_satp_mode_ok(unsigned long satp)
{
	switch (satp >> SATP_MODE_SHIFT) {
	case 0:
	case SATP_MODE_39 >> SATP_MODE_SHIFT:
	case SATP_MODE_48 >> SATP_MODE_SHIFT:
	case SATP_MODE_57 >> SATP_MODE_SHIFT:
		return true;
	default:
		return false;
	}
}

/*
 * sstatus and satp are WARL, as the guest's own writes are: bits that
 * are no sstatus field are dropped, and a satp with a MODE no hart has
 * leaves satp as it was.  Hardware would drop them when vcpu_load writes
 * the VS CSRs, but QEMU 7.2 keeps them: vsstatus.TVM or TSR then oops the
 * emulated host at its next sfence.vma or sret, and a reserved vsatp
 * MODE aborts QEMU at the next HLVX (ioctl_fuzz found both).
 */
static int csr_general_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			   const union rvkvm_reg_val *val)
{
	unsigned long *slot = rvkvm_csr_slot(vcpu, reg->index);

	switch (reg->index) {
	case RVKVM_CSR_SIP:
		rvkvm_vcpu_sip_set(vcpu, val->ul);
		break;
	case KVM_REG_RISCV_CSR_REG(sstatus):
		*slot = val->ul & RVKVM_SSTATUS_FIELDS;
		break;
	case KVM_REG_RISCV_CSR_REG(satp):
		if (rvkvm_satp_mode_ok(val->ul))
			*slot = val->ul;
		break;
	default:
		*slot = val->ul;
	}
	return 0;
}

/* --- CSR, AIA and Smstateen subtypes (vcpu_aia.c switches them) -------- */

/*
 * Listed and accessible only while the guest's ISA has the extension,
 * which it can only have when the host has it.  6.12 lists them the same
 * way but lets AIA ids through without Ssaia (reading 0, ignoring writes)
 * and answers EINVAL for sstateen0 without a host Smstateen; here an
 * absent register is ENOENT like any other.
 */
#define RVKVM_AIA_CSR(name, member)					\
	[KVM_REG_RISCV_CSR_AIA_REG(name)] = offsetof(struct rvkvm_aia_csrs, member)

/* On rv64 the upper halves have no hardware: they are only kept. */
static const unsigned int rvkvm_aia_csr_offset[] = {
	RVKVM_AIA_CSR(siselect,	vsiselect),
	RVKVM_AIA_CSR(iprio1,	hviprio1),
	RVKVM_AIA_CSR(iprio2,	hviprio2),
	RVKVM_AIA_CSR(sieh,	vsieh),
	RVKVM_AIA_CSR(siph,	hviph),
	RVKVM_AIA_CSR(iprio1h,	hviprio1h),
	RVKVM_AIA_CSR(iprio2h,	hviprio2h),
};

static_assert(ARRAY_SIZE(rvkvm_aia_csr_offset) ==
	      RVKVM_NR_UL(struct kvm_riscv_aia_csr));
static_assert(RVKVM_NR_UL(struct kvm_riscv_smstateen_csr) == 1);

static bool csr_aia_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	return rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SSAIA);
}

static unsigned long *rvkvm_aia_csr_slot(struct kvm_vcpu *vcpu,
					 unsigned long index)
{
	return (unsigned long *)((u8 *)&vcpu->arch.aia +
				 rvkvm_aia_csr_offset[index]);
}

static int csr_aia_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		       union rvkvm_reg_val *val)
{
	val->ul = *rvkvm_aia_csr_slot(vcpu, reg->index);
	return 0;
}

static int csr_aia_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		       const union rvkvm_reg_val *val)
{
	*rvkvm_aia_csr_slot(vcpu, reg->index) = val->ul;
	return 0;
}

static bool csr_smstateen_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	return rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SMSTATEEN);
}

/* Stored as given: the hardware drops what it lacks when it is loaded. */
static int csr_smstateen_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			     union rvkvm_reg_val *val)
{
	val->ul = vcpu->arch.sstateen0;
	return 0;
}

static int csr_smstateen_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			     const union rvkvm_reg_val *val)
{
	vcpu->arch.sstateen0 = val->ul;
	return 0;
}

/* --- TIMER (vcpu_timer.c) ----------------------------------------------- */

static int timer_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		     union rvkvm_reg_val *val)
{
	return rvkvm_timer_reg_get(vcpu, reg->index, &val->u64);
}

static int timer_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		     const union rvkvm_reg_val *val)
{
	return rvkvm_timer_reg_set(vcpu, reg->index, val->u64);
}

/* --- ISA_EXT ------------------------------------------------------------ */

static bool isa_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	return rvkvm_isa_offered(index);
}

static int isa_single_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			  union rvkvm_reg_val *val)
{
	return rvkvm_isa_ext_get(vcpu, reg->index, &val->ul);
}

static int isa_single_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			  const union rvkvm_reg_val *val)
{
	return rvkvm_isa_ext_set(vcpu, reg->index, val->ul);
}

static bool rvkvm_multi_disable(const struct rvkvm_reg *reg)
{
	return (reg->id & KVM_REG_RISCV_SUBTYPE_MASK) == KVM_REG_RISCV_ISA_MULTI_DIS;
}

static_assert(KVM_REG_RISCV_ISA_MULTI_DIS == KVM_REG_RISCV_SBI_MULTI_DIS);

/*
 * Bit N of MULTI register R stands for id R * BITS_PER_LONG + N.  Reads
 * report the enabled extensions (MULTI_DIS: the complement); writes act
 * on each set bit alone and, as in 6.12, ignore the ones that fail.
 */
static int isa_multi_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			 union rvkvm_reg_val *val)
{
	unsigned long bit, on, first = reg->index * BITS_PER_LONG;

	val->ul = 0;
	for (bit = 0; bit < BITS_PER_LONG; bit++)
		if (!rvkvm_isa_ext_get(vcpu, first + bit, &on) && on)
			val->ul |= BIT(bit);
	if (rvkvm_multi_disable(reg))
		val->ul = ~val->ul;
	return 0;
}

static int isa_multi_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			 const union rvkvm_reg_val *val)
{
	unsigned long bit, first = reg->index * BITS_PER_LONG;
	bool on = !rvkvm_multi_disable(reg);

	for_each_set_bit(bit, &val->ul, BITS_PER_LONG)
		rvkvm_isa_ext_set(vcpu, first + bit, on);
	return 0;
}

/* --- SBI_EXT ------------------------------------------------------------ */

static bool sbi_present(struct kvm_vcpu *vcpu, unsigned long index)
{
	return index < KVM_RISCV_SBI_EXT_MAX &&
	       rvkvm_sbi_ext_available(vcpu, index);
}

static bool rvkvm_sbi_ext_enabled(struct kvm_vcpu *vcpu, unsigned long kvm_id)
{
	return sbi_present(vcpu, kvm_id) &&
	       !test_bit(kvm_id, vcpu->arch.sbi_disabled);
}

static int sbi_single_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			  union rvkvm_reg_val *val)
{
	val->ul = rvkvm_sbi_ext_enabled(vcpu, reg->index);
	return 0;
}

/* The guest may have probed its SBI extensions: after a run, none move. */
static int sbi_single_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			  const union rvkvm_reg_val *val)
{
	if (vcpu->arch.ran_once)
		return -EBUSY;
	if (val->ul > 1)
		return -EINVAL;
	__assign_bit(reg->index, vcpu->arch.sbi_disabled, !val->ul);
	return 0;
}

static int sbi_multi_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			 union rvkvm_reg_val *val)
{
	unsigned long bit, first = reg->index * BITS_PER_LONG;

	val->ul = 0;
	for (bit = 0; bit < BITS_PER_LONG; bit++)
		if (rvkvm_sbi_ext_enabled(vcpu, first + bit))
			val->ul |= BIT(bit);
	if (rvkvm_multi_disable(reg))
		val->ul = ~val->ul;
	return 0;
}

static int sbi_multi_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
			 const union rvkvm_reg_val *val)
{
	unsigned long bit, id, first = reg->index * BITS_PER_LONG;
	bool off = rvkvm_multi_disable(reg);

	if (vcpu->arch.ran_once)
		return -EBUSY;
	for_each_set_bit(bit, &val->ul, BITS_PER_LONG) {
		id = first + bit;
		if (sbi_present(vcpu, id))
			__assign_bit(id, vcpu->arch.sbi_disabled, off);
	}
	return 0;
}

/* --- The block table ---------------------------------------------------- */

static int rvkvm_sink_add(struct rvkvm_reg_sink *sink, u64 id)
{
	if (sink->next) {
		if (put_user(id, sink->next))
			return -EFAULT;
		sink->next++;
	}
	sink->n++;
	return 0;
}

/* List a block's present indices, in index order. */
static int rvkvm_list_indexed(struct kvm_vcpu *vcpu,
			      const struct rvkvm_reg_block *blk,
			      struct rvkvm_reg_sink *sink)
{
	u64 base = KVM_REG_RISCV | blk->type |
		   ((u64)ilog2(blk->size) << KVM_REG_SIZE_SHIFT);
	unsigned long i;
	int r;

	for (i = 0; i < blk->nr; i++) {
		if (blk->present && !blk->present(vcpu, i))
			continue;
		r = rvkvm_sink_add(sink, base | i);
		if (r)
			return r;
	}
	return 0;
}

/* Counting by listing keeps KVM_GET_REG_LIST's n and list in step. */
static unsigned long rvkvm_count_listed(struct kvm_vcpu *vcpu,
					const struct rvkvm_reg_block *blk)
{
	struct rvkvm_reg_sink counter = {};

	blk->list(vcpu, blk, &counter);
	return counter.n;
}

/* --- FP_F, FP_D --------------------------------------------------------- */

/*
 * Both blocks are f0..f31 then fcsr.  FP_F sees the low halves of the
 * 64-bit registers, and writes them NaN-boxed as flw would.
 */
#define RVKVM_FP_FCSR		ARRAY_SIZE(((struct rvkvm_fp *)0)->f)
static_assert(KVM_REG_RISCV_FP_F_REG(fcsr) == RVKVM_FP_FCSR);
static_assert(KVM_REG_RISCV_FP_D_REG(fcsr) == RVKVM_FP_FCSR);

static bool rvkvm_fp_block_is_d(const struct rvkvm_reg_block *blk)
{
	return blk->type == KVM_REG_RISCV_FP_D;
}

static unsigned int rvkvm_fp_size(bool d, unsigned long index)
{
	return d && index != RVKVM_FP_FCSR ? sizeof(u64) : sizeof(u32);
}

/* 6.12: no F is ENOENT whatever the size, then a size other than 32 bits. */
static int fp_f_check(struct kvm_vcpu *vcpu, unsigned long index,
		      unsigned int size)
{
	if (!rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_f))
		return -ENOENT;
	if (size != sizeof(u32))
		return -EINVAL;
	return index <= RVKVM_FP_FCSR ? 0 : -ENOENT;
}

/* 6.12: no D, then an index past fcsr, are ENOENT before any size. */
static int fp_d_check(struct kvm_vcpu *vcpu, unsigned long index,
		      unsigned int size)
{
	if (!rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_d) || index > RVKVM_FP_FCSR)
		return -ENOENT;
	return size == rvkvm_fp_size(true, index) ? 0 : -EINVAL;
}

static int fp_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		  union rvkvm_reg_val *val)
{
	const struct rvkvm_fp *fp = &vcpu->arch.guest_fp;

	if (reg->index == RVKVM_FP_FCSR)
		val->u32 = fp->fcsr;
	else if (rvkvm_fp_block_is_d(reg->block))
		val->u64 = fp->f[reg->index];
	else
		val->u32 = lower_32_bits(fp->f[reg->index]);
	return 0;
}

static int fp_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		  const union rvkvm_reg_val *val)
{
	struct rvkvm_fp *fp = &vcpu->arch.guest_fp;

	if (reg->index == RVKVM_FP_FCSR)
		fp->fcsr = val->u32;
	else if (rvkvm_fp_block_is_d(reg->block))
		fp->f[reg->index] = val->u64;
	else
		fp->f[reg->index] = GENMASK_ULL(63, 32) | val->u32;
	return 0;
}

static int fp_list(struct kvm_vcpu *vcpu, const struct rvkvm_reg_block *blk,
		   struct rvkvm_reg_sink *sink)
{
	bool d = rvkvm_fp_block_is_d(blk);
	unsigned long i;
	u64 size;
	int r;

	if (!rvkvm_guest_has_ext(vcpu, d ? RISCV_ISA_EXT_d : RISCV_ISA_EXT_f))
		return 0;
	for (i = 0; i <= RVKVM_FP_FCSR; i++) {
		size = (u64)ilog2(rvkvm_fp_size(d, i)) << KVM_REG_SIZE_SHIFT;
		r = rvkvm_sink_add(sink, KVM_REG_RISCV | blk->type | size | i);
		if (r)
			return r;
	}
	return 0;
}

/* --- VECTOR ------------------------------------------------------------- */

/* vstart, vl, vtype, vcsr, vlenb; datap has an index but no register. */
#define RVKVM_V_DATAP		KVM_REG_RISCV_VECTOR_CSR_REG(datap)
#define RVKVM_V_VLENB		KVM_REG_RISCV_VECTOR_CSR_REG(vlenb)
#define RVKVM_V_REG0		KVM_REG_RISCV_VECTOR_REG(0)
#define RVKVM_V_NR		KVM_REG_RISCV_VECTOR_REG(32)
static_assert(RVKVM_V_VLENB + 1 == RVKVM_V_DATAP);

static unsigned long rvkvm_vlenb(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest_v.vlenb;
}

/*
 * 6.12: no V is ENOENT first; below v0 the size is checked before the
 * index, so datap is EINVAL with a wrong size and ENOENT with the right.
 */
static int vector_check(struct kvm_vcpu *vcpu, unsigned long index,
			unsigned int size)
{
	if (!rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_v))
		return -ENOENT;
	if (index < RVKVM_V_REG0) {
		if (size != sizeof(unsigned long))
			return -EINVAL;
		return index == RVKVM_V_DATAP ? -ENOENT : 0;
	}
	if (index < RVKVM_V_NR)
		return size == rvkvm_vlenb(vcpu) ? 0 : -EINVAL;
	return -ENOENT;
}

static void *vector_slot(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg)
{
	if (reg->index < RVKVM_V_REG0)
		return NULL;
	return vcpu->arch.guest_v.datap +
	       (reg->index - RVKVM_V_REG0) * rvkvm_vlenb(vcpu);
}

static unsigned long *rvkvm_vcsr(struct kvm_vcpu *vcpu, unsigned long index)
{
	struct __riscv_v_ext_state *v = &vcpu->arch.guest_v;
	unsigned long *csrs[] = {
		[KVM_REG_RISCV_VECTOR_CSR_REG(vstart)] = &v->vstart,
		[KVM_REG_RISCV_VECTOR_CSR_REG(vl)] = &v->vl,
		[KVM_REG_RISCV_VECTOR_CSR_REG(vtype)] = &v->vtype,
		[KVM_REG_RISCV_VECTOR_CSR_REG(vcsr)] = &v->vcsr,
		[RVKVM_V_VLENB] = &v->vlenb,
	};

	return csrs[index];
}

static int vector_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		      union rvkvm_reg_val *val)
{
	val->ul = *rvkvm_vcsr(vcpu, reg->index);
	return 0;
}

/* vlenb is the hardware's: writing it back unchanged is all one may do. */
static int vector_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		      const union rvkvm_reg_val *val)
{
	unsigned long *csr = rvkvm_vcsr(vcpu, reg->index);

	if (reg->index == RVKVM_V_VLENB)
		return val->ul == *csr ? 0 : -EINVAL;
	*csr = val->ul;
	return 0;
}

static int vector_list(struct kvm_vcpu *vcpu, const struct rvkvm_reg_block *blk,
		       struct rvkvm_reg_sink *sink)
{
	u64 base = KVM_REG_RISCV | blk->type;
	u64 size = (u64)ilog2(sizeof(unsigned long)) << KVM_REG_SIZE_SHIFT;
	unsigned long i;
	int r;

	if (!rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_v))
		return 0;
	for (i = 0; i < RVKVM_V_NR; i++) {
		if (i == RVKVM_V_DATAP)
			continue;
		if (i == RVKVM_V_REG0)
			size = (u64)ilog2(rvkvm_vlenb(vcpu)) << KVM_REG_SIZE_SHIFT;
		r = rvkvm_sink_add(sink, base | size | i);
		if (r)
			return r;
	}
	return 0;
}

/* --- SBI_STATE: STA (vcpu_sbi_sta.c) ----------------------------------- */

#define RVKVM_STA_NR		RVKVM_NR_UL(struct kvm_riscv_sbi_sta)

/*
 * The record's address exists wherever the host can offer STA, enabled or
 * not, as in 6.12; 6.12's order follows: a size other than XLEN, then an
 * index past shmem_hi, are EINVAL.
 */
static int sta_check(struct kvm_vcpu *vcpu, unsigned long index,
		     unsigned int size)
{
	if (!rvkvm_sbi_ext_available(vcpu, KVM_RISCV_SBI_EXT_STA))
		return -ENOENT;
	if (size != sizeof(unsigned long))
		return -EINVAL;
	return index < RVKVM_STA_NR ? 0 : -EINVAL;
}

static int sta_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		   union rvkvm_reg_val *val)
{
	return rvkvm_sta_reg_get(vcpu, reg->index, &val->ul);
}

static int sta_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		   const union rvkvm_reg_val *val)
{
	return rvkvm_sta_reg_set(vcpu, reg->index, val->ul);
}

/* Listed only while STA is enabled: a VMM saves what the guest can use. */
static int sta_list(struct kvm_vcpu *vcpu, const struct rvkvm_reg_block *blk,
		    struct rvkvm_reg_sink *sink)
{
	if (!rvkvm_sbi_ext_enabled(vcpu, KVM_RISCV_SBI_EXT_STA))
		return 0;
	return rvkvm_list_indexed(vcpu, blk, sink);
}

#if RVKVM_LINUX_7
/* --- SBI_STATE: FWFT (vcpu_sbi_fwft.c; 7.x's uapi) ---------------------- */

static int fwft_get(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		    union rvkvm_reg_val *val)
{
	return rvkvm_fwft_reg_get(vcpu, reg->index, &val->ul);
}

static int fwft_set(struct kvm_vcpu *vcpu, const struct rvkvm_reg *reg,
		    const union rvkvm_reg_val *val)
{
	return rvkvm_fwft_reg_set(vcpu, reg->index, val->ul);
}

/* Listed only while FWFT is enabled, as STA's record is. */
static int fwft_list(struct kvm_vcpu *vcpu, const struct rvkvm_reg_block *blk,
		     struct rvkvm_reg_sink *sink)
{
	if (!rvkvm_sbi_ext_enabled(vcpu, KVM_RISCV_SBI_EXT_FWFT))
		return 0;
	return rvkvm_list_indexed(vcpu, blk, sink);
}
#endif

#define RVKVM_UL		sizeof(unsigned long)
#define RVKVM_LISTED		.count = rvkvm_count_listed, .list = rvkvm_list_indexed

static const struct rvkvm_reg_block rvkvm_reg_blocks[] = {
	{
		.type = KVM_REG_RISCV_CONFIG, .size = RVKVM_UL,
		.nr = ARRAY_SIZE(rvkvm_config_regs), .present = config_present,
		.get = config_get, .set = config_set, RVKVM_LISTED,
	}, {
		.type = KVM_REG_RISCV_CORE, .size = RVKVM_UL,
		.nr = RVKVM_NR_UL(struct kvm_riscv_core),
		.get = core_get, .set = core_set, RVKVM_LISTED,
	}, {
		.type = KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_GENERAL,
		.size = RVKVM_UL, .nr = ARRAY_SIZE(rvkvm_csr_offset),
		.get = csr_general_get, .set = csr_general_set, RVKVM_LISTED,
	}, {
		.type = KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_AIA,
		.size = RVKVM_UL, .nr = ARRAY_SIZE(rvkvm_aia_csr_offset),
		.present = csr_aia_present,
		.get = csr_aia_get, .set = csr_aia_set, RVKVM_LISTED,
	}, {
		.type = KVM_REG_RISCV_CSR | KVM_REG_RISCV_CSR_SMSTATEEN,
		.size = RVKVM_UL,
		.nr = RVKVM_NR_UL(struct kvm_riscv_smstateen_csr),
		.present = csr_smstateen_present,
		.get = csr_smstateen_get, .set = csr_smstateen_set, RVKVM_LISTED,
	},
	{
		.type = KVM_REG_RISCV_TIMER, .size = sizeof(u64),
		.nr = sizeof(struct kvm_riscv_timer) / sizeof(u64),
		.get = timer_get, .set = timer_set, RVKVM_LISTED,
	},
	{
		.type = KVM_REG_RISCV_FP_F, .nr = RVKVM_FP_FCSR + 1,
		.check = fp_f_check, .get = fp_get, .set = fp_set,
		.count = rvkvm_count_listed, .list = fp_list,
	}, {
		.type = KVM_REG_RISCV_FP_D, .nr = RVKVM_FP_FCSR + 1,
		.check = fp_d_check, .get = fp_get, .set = fp_set,
		.count = rvkvm_count_listed, .list = fp_list,
	},
	{
		.type = KVM_REG_RISCV_VECTOR, .nr = RVKVM_V_NR,
		.check = vector_check, .slot = vector_slot,
		.get = vector_get, .set = vector_set,
		.count = rvkvm_count_listed, .list = vector_list,
	},
	{
		.type = KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE,
		.size = RVKVM_UL, .nr = KVM_RISCV_ISA_EXT_MAX,
		.present = isa_present,
		.get = isa_single_get, .set = isa_single_set, RVKVM_LISTED,
	}, {
		.type = KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_EN,
		.size = RVKVM_UL, .nr = KVM_REG_RISCV_ISA_MULTI_REG_LAST + 1,
		.get = isa_multi_get, .set = isa_multi_set,
	}, {
		.type = KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_MULTI_DIS,
		.size = RVKVM_UL, .nr = KVM_REG_RISCV_ISA_MULTI_REG_LAST + 1,
		.get = isa_multi_get, .set = isa_multi_set,
	}, {
		.type = KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_SINGLE,
		.size = RVKVM_UL, .nr = KVM_RISCV_SBI_EXT_MAX,
		.present = sbi_present,
		.get = sbi_single_get, .set = sbi_single_set, RVKVM_LISTED,
	}, {
		.type = KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_MULTI_EN,
		.size = RVKVM_UL, .nr = KVM_REG_RISCV_SBI_MULTI_REG_LAST + 1,
		.get = sbi_multi_get, .set = sbi_multi_set,
	}, {
		.type = KVM_REG_RISCV_SBI_EXT | KVM_REG_RISCV_SBI_MULTI_DIS,
		.size = RVKVM_UL, .nr = KVM_REG_RISCV_SBI_MULTI_REG_LAST + 1,
		.get = sbi_multi_get, .set = sbi_multi_set,
	},
	{
		.type = KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_STA,
		.size = RVKVM_UL, .nr = RVKVM_STA_NR, .check = sta_check,
		.get = sta_get, .set = sta_set,
		.count = rvkvm_count_listed, .list = sta_list,
	},
#if RVKVM_LINUX_7	/* 7.x's uapi */
	{
		.type = KVM_REG_RISCV_SBI_STATE | KVM_REG_RISCV_SBI_FWFT,
		.size = RVKVM_UL, .nr = RVKVM_NR_UL(struct kvm_riscv_sbi_fwft),
		.present = rvkvm_fwft_reg_present,
		.get = fwft_get, .set = fwft_set,
		.count = rvkvm_count_listed, .list = fwft_list,
	},
#endif
};

/* --- Dispatch ----------------------------------------------------------- */

static const struct rvkvm_reg_block *rvkvm_reg_block_of(u64 id)
{
	const struct rvkvm_reg_block *blk;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_reg_blocks); i++) {
		blk = &rvkvm_reg_blocks[i];
		if (blk->get && blk->type == (id & RVKVM_REG_BLOCK_MASK))
			return blk;
	}
	return NULL;
}

/*
 * Resolve @id, or say why not: -ENOENT for an id that names no register
 * of this vCPU, -EINVAL for a known register with the wrong size.
 */
static int rvkvm_reg_resolve(struct kvm_vcpu *vcpu, u64 id,
			     struct rvkvm_reg *reg)
{
	const struct rvkvm_reg_block *blk;
	unsigned long index = id & RVKVM_REG_INDEX_MASK;
	int r;

	if ((id & KVM_REG_ARCH_MASK) != KVM_REG_RISCV ||
	    (id & RVKVM_REG_UNUSED_MASK))
		return -ENOENT;
	blk = rvkvm_reg_block_of(id);
	if (!blk)
		return -ENOENT;
	if (blk->check) {
		r = blk->check(vcpu, index, KVM_REG_SIZE(id));
		if (r)
			return r;
	} else if (KVM_REG_SIZE(id) != blk->size) {
		return -EINVAL;
	} else if (index >= blk->nr ||
		   (blk->present && !blk->present(vcpu, index))) {
		return -ENOENT;
	}
	if (!blk->slot && KVM_REG_SIZE(id) > sizeof(union rvkvm_reg_val))
		return -EINVAL;

	reg->id = id;
	reg->index = index;
	reg->block = blk;
	return 0;
}

/*
 * Resolve @one's id; *slot is where a register too big for the value
 * union lives (copied to or from userspace directly), else NULL.
 */
static int rvkvm_reg_prepare(struct kvm_vcpu *vcpu,
			     const struct kvm_one_reg *one,
			     struct rvkvm_reg *reg, void **slot)
{
	int r = rvkvm_reg_resolve(vcpu, one->id, reg);

	if (r)
		return r;
	*slot = reg->block->slot ? reg->block->slot(vcpu, reg) : NULL;
	return 0;
}

/**
 * rvkvm_onereg_get() - KVM_GET_ONE_REG
 * @vcpu: the vCPU, its mutex held
 * @one: the register id and the user address to write its value to
 *
 * Return: 0, -ENOENT for an unknown register, -EINVAL for a wrong size,
 * -EFAULT if the value cannot be written out.
 */
int rvkvm_onereg_get(struct kvm_vcpu *vcpu, const struct kvm_one_reg *one)
{
	union rvkvm_reg_val val = {};
	struct rvkvm_reg reg;
	void *slot;
	int r;

	r = rvkvm_reg_prepare(vcpu, one, &reg, &slot);
	if (r)
		return r;
	if (slot)
		return copy_to_user(u64_to_user_ptr(one->addr), slot,
				    KVM_REG_SIZE(one->id)) ? -EFAULT : 0;
	r = reg.block->get(vcpu, &reg, &val);
	if (r)
		return r;
	if (copy_to_user(u64_to_user_ptr(one->addr), &val, KVM_REG_SIZE(one->id)))
		return -EFAULT;
	return 0;
}

/**
 * rvkvm_onereg_set() - KVM_SET_ONE_REG
 * @vcpu: the vCPU, its mutex held
 * @one: the register id and the user address to read its value from
 *
 * Return: 0, -ENOENT for an unknown register, -EINVAL for a wrong size
 * or a value the register cannot take, -EBUSY for a change that is only
 * allowed before the first KVM_RUN, -EFAULT if the value is unreadable.
 */
int rvkvm_onereg_set(struct kvm_vcpu *vcpu, const struct kvm_one_reg *one)
{
	union rvkvm_reg_val val = {};
	struct rvkvm_reg reg;
	void *slot;
	int r;

	r = rvkvm_reg_prepare(vcpu, one, &reg, &slot);
	if (r)
		return r;
	if (slot)
		return copy_from_user(slot, u64_to_user_ptr(one->addr),
				      KVM_REG_SIZE(one->id)) ? -EFAULT : 0;
	if (copy_from_user(&val, u64_to_user_ptr(one->addr), KVM_REG_SIZE(one->id)))
		return -EFAULT;
	return reg.block->set(vcpu, &reg, &val);
}

/**
 * rvkvm_onereg_count() - how many ids KVM_GET_REG_LIST reports
 * @vcpu: the vCPU, its mutex held
 *
 * Return: the number of ids rvkvm_onereg_list() writes.
 */
unsigned long rvkvm_onereg_count(struct kvm_vcpu *vcpu)
{
	const struct rvkvm_reg_block *blk;
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_reg_blocks); i++) {
		blk = &rvkvm_reg_blocks[i];
		if (blk->get && blk->count)
			n += blk->count(vcpu, blk);
	}
	return n;
}

/**
 * rvkvm_onereg_list() - write the ids KVM_GET_REG_LIST reports
 * @vcpu: the vCPU, its mutex held
 * @uindices: user array of at least rvkvm_onereg_count() entries
 *
 * Return: 0, or -EFAULT.
 */
int rvkvm_onereg_list(struct kvm_vcpu *vcpu, u64 __user *uindices)
{
	struct rvkvm_reg_sink sink = { .next = uindices };
	const struct rvkvm_reg_block *blk;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(rvkvm_reg_blocks); i++) {
		blk = &rvkvm_reg_blocks[i];
		if (!blk->get || !blk->list)
			continue;
		r = blk->list(vcpu, blk, &sink);
		if (r)
			return r;
	}
	return 0;
}
