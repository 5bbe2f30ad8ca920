// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU's IMSIC interrupt file, kept in software: eidelivery,
 * eithreshold, and the eip and eie arrays of the identities 1..IDS.
 *
 * MSIs reach it as writes to its guest-physical page (a KVM_MMIO_BUS
 * device) and through kvm_set_msi() (irqfd, KVM_SIGNAL_MSI, the APLIC).
 * The guest reaches it through siselect/sireg and stopei, which trap as
 * virtual instructions while the vCPU has no hardware file (VGEIN 0).
 * Its output is the vCPU's VS external interrupt line: raised while
 * delivery is on and some identity is pending, enabled and under the
 * threshold.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/aia.h>
#include <kvm/iodev.h>

#define RVKVM_IMSIC_WORDS	(KVM_DEV_RISCV_AIA_IDS_MAX / BITS_PER_LONG)

struct rvkvm_imsic {
	struct kvm_io_device iodev;	/* the guest-physical MSI page */
	struct kvm_vcpu *vcpu;
	u32 nr_ids;			/* identities 1..nr_ids */
	/* The file; the lock is taken from MSI delivery in atomic context. */
	raw_spinlock_t lock;
	u32 eidelivery;
	u32 eithreshold;
	unsigned long eip[RVKVM_IMSIC_WORDS];
	unsigned long eie[RVKVM_IMSIC_WORDS];
};

/* The highest-priority deliverable identity (the lowest number), or 0. */
static u32 rvkvm_imsic_top(struct rvkvm_imsic *f)
{
	u32 limit = f->nr_ids + 1, id;
	unsigned int i;

	if (f->eithreshold && f->eithreshold < limit)
		limit = f->eithreshold;
	for (i = 0; i * BITS_PER_LONG < limit; i++) {
		unsigned long both = f->eip[i] & f->eie[i];

		if (!both)
			continue;
		id = i * BITS_PER_LONG + __ffs(both);
		return id < limit ? id : 0;
	}
	return 0;
}

/* The vCPU's external interrupt line follows the file; lock held. */
static void rvkvm_imsic_update(struct rvkvm_imsic *f)
{
	bool level = f->eidelivery == 1 && rvkvm_imsic_top(f);

	if (level != rvkvm_vcpu_irq_level(f->vcpu, IRQ_VS_EXT))
		rvkvm_vcpu_set_irq(f->vcpu, IRQ_VS_EXT, level);
}

/*
 * Make identity @id pending, from an MSI.  Return: 0, or for an identity
 * the file does not have (the MSI is lost), -ENODEV for 0 and -EINVAL
 * above the last, as 6.12 answers KVM_SIGNAL_MSI.
 */
static int rvkvm_imsic_raise(struct rvkvm_imsic *f, u32 id)
{
	unsigned long flags;

	if (!id)
		return -ENODEV;
	if (id > f->nr_ids)
		return -EINVAL;
	raw_spin_lock_irqsave(&f->lock, flags);
	__set_bit(id, f->eip);
	rvkvm_imsic_update(f);
	raw_spin_unlock_irqrestore(&f->lock, flags);
	return 0;
}

/* --- The indirect registers (sireg, and the device's GRP_IMSIC) -------- */

/*
 * Where isel @isel is: eidelivery, eithreshold, or a 64-bit eip/eie
 * register (on RV64 only the even numbers exist).  Return: a pointer to
 * the register's first word, or NULL for no register.
 */
static void *rvkvm_imsic_reg(struct rvkvm_imsic *f, u32 isel, bool *array)
{
	u32 n;

	*array = false;
	if (isel == IMSIC_EIDELIVERY)
		return &f->eidelivery;
	if (isel == IMSIC_EITHRESHOLD)
		return &f->eithreshold;
	if (isel < IMSIC_EIP0 || isel > IMSIC_EIE63 || (isel & 1))
		return NULL;
	*array = true;
	n = (isel & 63) / 2;	/* the 64-bit register: identities 64n.. */
	if (n >= RVKVM_IMSIC_WORDS)
		return NULL;
	return isel < IMSIC_EIE0 ? &f->eip[n] : &f->eie[n];
}

/* The bits of an eip/eie register that name identities of this file. */
static unsigned long rvkvm_imsic_word_mask(struct rvkvm_imsic *f, u32 isel)
{
	u32 first = ((isel & 63) / 2) * BITS_PER_LONG;
	unsigned long mask = -1UL;

	if (first > f->nr_ids)
		return 0;
	if (f->nr_ids - first < BITS_PER_LONG - 1)
		mask = GENMASK(f->nr_ids - first, 0);
	if (!first)
		mask &= ~1UL;	/* identity 0 does not exist */
	return mask;
}

/* Read-modify-write of one register under the file's lock. */
static int rvkvm_imsic_rmw(struct rvkvm_imsic *f, u32 isel, unsigned long *old,
			   unsigned long new_val, unsigned long wr_mask)
{
	unsigned long flags, *word, mask;
	bool array;
	u32 *reg;
	void *p;

	p = rvkvm_imsic_reg(f, isel, &array);
	if (!p)
		return -EINVAL;
	raw_spin_lock_irqsave(&f->lock, flags);
	if (array) {
		word = p;
		mask = rvkvm_imsic_word_mask(f, isel);
		*old = *word;
		*word = (*word & ~(wr_mask & mask)) | (new_val & wr_mask & mask);
	} else {
		reg = p;
		*old = *reg;
		new_val = (*reg & ~wr_mask) | (new_val & wr_mask);
		if (isel == IMSIC_EIDELIVERY)
			*reg = new_val & 1;
		else	/* as many bits as the largest identity needs */
			*reg = new_val & (BIT(fls(f->nr_ids)) - 1);
	}
	rvkvm_imsic_update(f);
	raw_spin_unlock_irqrestore(&f->lock, flags);
	return 0;
}

/**
 * rvkvm_imsic_isel_valid() - does GRP_IMSIC register @isel exist?
 * @vcpu: the vCPU
 * @isel: the indirect register number
 *
 * Return: true for eidelivery, eithreshold and the even eip/eie.
 */
bool rvkvm_imsic_isel_valid(struct kvm_vcpu *vcpu, u32 isel)
{
	struct rvkvm_imsic *f = vcpu->arch.vaia.imsic;
	bool array;

	return f && rvkvm_imsic_reg(f, isel, &array);
}

/**
 * rvkvm_imsic_attr() - GRP_IMSIC: read or restore a file's register
 * @vcpu: the vCPU whose file it is
 * @isel: the indirect register number
 * @val: the value, read or to write
 * @write: restore rather than read
 *
 * Return: 0, -ENODEV before CTRL_INIT or for a vCPU made after it,
 * -EINVAL for no such register.
 */
int rvkvm_imsic_attr(struct kvm_vcpu *vcpu, u32 isel, unsigned long *val,
		     bool write)
{
	struct rvkvm_imsic *f;
	unsigned long old;
	int r;

	if (!rvkvm_aia_ready(vcpu->kvm))
		return -ENODEV;
	f = vcpu->arch.vaia.imsic;
	if (!f)		/* a vCPU made after CTRL_INIT has no file */
		return -ENODEV;
	r = rvkvm_imsic_rmw(f, isel, &old, *val, write ? -1UL : 0);
	if (!r && !write)
		*val = old;
	return r;
}

/* The vCPU's software file, if the in-kernel AIA serves its CSRs. */
static struct rvkvm_imsic *rvkvm_imsic_of(struct kvm_vcpu *vcpu)
{
	if (!rvkvm_aia_ready(vcpu->kvm) ||
	    !rvkvm_guest_has_ext(vcpu, RISCV_ISA_EXT_SSAIA))
		return NULL;
	return vcpu->arch.vaia.imsic;
}

/**
 * rvkvm_imsic_csr_sireg() - the guest's sireg, trapped (vcpu_insn.c)
 * @vcpu: the vCPU
 * @csr: CSR_SIREG
 * @val: set to the old value
 * @new_val: the value to write
 * @wr_mask: the bits to write
 *
 * siselect selects: the interrupt file's registers here; anything else
 * is no register.  Without the in-kernel AIA, userspace emulates it.
 *
 * Return: RVKVM_RESUME, RVKVM_TO_USER, or -EINVAL (illegal instruction).
 */
int rvkvm_imsic_csr_sireg(struct kvm_vcpu *vcpu, unsigned int csr,
			  unsigned long *val, unsigned long new_val,
			  unsigned long wr_mask)
{
	struct rvkvm_imsic *f = rvkvm_imsic_of(vcpu);
	u32 isel;

	if (!f)
		return -EINVAL;
	isel = csr_read(CSR_VSISELECT);
	if (rvkvm_imsic_rmw(f, isel, val, new_val, wr_mask))
		return -EINVAL;
	return RVKVM_RESUME;
}

/**
 * rvkvm_imsic_csr_stopei() - the guest's stopei, trapped (vcpu_insn.c)
 * @vcpu: the vCPU
 * @csr: CSR_STOPEI
 * @val: set to the top identity, (id << 16) | id, or 0
 * @new_val: unused: any write claims
 * @wr_mask: non-zero for a write (csrrw, or csrrs/csrrc with bits)
 *
 * Return: RVKVM_RESUME, or -EINVAL (illegal instruction).
 */
int rvkvm_imsic_csr_stopei(struct kvm_vcpu *vcpu, unsigned int csr,
			   unsigned long *val, unsigned long new_val,
			   unsigned long wr_mask)
{
	struct rvkvm_imsic *f = rvkvm_imsic_of(vcpu);
	unsigned long flags;
	u32 id;

	if (!f)
		return -EINVAL;
	raw_spin_lock_irqsave(&f->lock, flags);
	id = rvkvm_imsic_top(f);
	*val = id ? (id << TOPEI_ID_SHIFT) | id : 0;
	if (wr_mask && id) {
		__clear_bit(id, f->eip);
		rvkvm_imsic_update(f);
	}
	raw_spin_unlock_irqrestore(&f->lock, flags);
	return RVKVM_RESUME;
}

/* --- MSIs ------------------------------------------------------------- */

static struct rvkvm_imsic *rvkvm_imsic_iodev(struct kvm_io_device *dev)
{
	return container_of(dev, struct rvkvm_imsic, iodev);
}

/* Writes to the page: setipnum_le at 0, setipnum_be at 4; reads are 0. */
static int rvkvm_imsic_mmio_write(struct kvm_vcpu *vcpu,
				  struct kvm_io_device *dev, gpa_t addr,
				  int len, const void *val)
{
	struct rvkvm_imsic *f = rvkvm_imsic_iodev(dev);
	u64 off = addr & (KVM_DEV_RISCV_IMSIC_SIZE - 1);
	u32 data;

	if (len != 4 || (off != IMSIC_MMIO_SETIPNUM_LE &&
			 off != IMSIC_MMIO_SETIPNUM_BE))
		return 0;	/* ignored, as a real file ignores it */
	memcpy(&data, val, 4);
	rvkvm_imsic_raise(f, off == IMSIC_MMIO_SETIPNUM_LE ?
			  le32_to_cpu((__force __le32)data) :
			  be32_to_cpu((__force __be32)data));
	return 0;
}

static int rvkvm_imsic_mmio_read(struct kvm_vcpu *vcpu,
				 struct kvm_io_device *dev, gpa_t addr,
				 int len, void *val)
{
	memset(val, 0, len);
	return 0;
}

static const struct kvm_io_device_ops rvkvm_imsic_io_ops = {
	.read = rvkvm_imsic_mmio_read,
	.write = rvkvm_imsic_mmio_write,
};

/**
 * rvkvm_imsic_deliver() - an MSI to the VM's IMSICs
 * @kvm: the VM, its chip ready
 * @addr: the MSI's guest-physical address
 * @data: its identity
 *
 * The target is the vCPU whose file page @addr is.  Guest index files
 * beyond 0 (nested guests) do not exist.
 *
 * Return: 0, also for an address that is no file (the MSI is dropped),
 * or rvkvm_imsic_raise()'s -errno.
 */
int rvkvm_imsic_deliver(struct kvm *kvm, u64 addr, u32 data)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm)
		if (vcpu->arch.vaia.imsic_addr == (addr & PAGE_MASK))
			return rvkvm_imsic_raise(vcpu->arch.vaia.imsic, data);
	return 0;
}

/**
 * rvkvm_imsic_create() - a vCPU's file and its MSI page (CTRL_INIT)
 * @vcpu: the vCPU
 *
 * Return: 0 or a -errno.
 */
int rvkvm_imsic_create(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct rvkvm_imsic *f;
	int r;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->vcpu = vcpu;
	f->nr_ids = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_IDS);
	raw_spin_lock_init(&f->lock);
	kvm_iodevice_init(&f->iodev, &rvkvm_imsic_io_ops);
	mutex_lock(&kvm->slots_lock);
	r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS,
				    vcpu->arch.vaia.imsic_addr,
				    KVM_DEV_RISCV_IMSIC_SIZE, &f->iodev);
	mutex_unlock(&kvm->slots_lock);
	if (r) {
		kfree(f);
		return r;
	}
	vcpu->arch.vaia.imsic = f;
	return 0;
}

/**
 * rvkvm_imsic_destroy() - free a vCPU's file
 * @vcpu: the vCPU
 *
 * At VM destruction the bus went first and took the page with it;
 * after a failed CTRL_INIT the page is unregistered here.
 */
void rvkvm_imsic_destroy(struct kvm_vcpu *vcpu)
{
	struct rvkvm_imsic *f = vcpu->arch.vaia.imsic;
	struct kvm *kvm = vcpu->kvm;

	if (!f)
		return;
	if (!rvkvm_aia_ready(kvm)) {
		mutex_lock(&kvm->slots_lock);
		kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &f->iodev);
		mutex_unlock(&kvm->slots_lock);
	}
	vcpu->arch.vaia.imsic = NULL;
	kfree(f);
}
