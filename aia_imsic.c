// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU's IMSIC interrupt file: eidelivery, eithreshold, and the eip and
 * eie arrays of the identities 1..IDS.  It lives in one of two places:
 *
 *  - in software, in struct rvkvm_imsic.  MSIs reach it as writes to its
 *    guest-physical page (a KVM_MMIO_BUS device) and through
 *    kvm_set_msi() (irqfd, KVM_SIGNAL_MSI, the APLIC).  The guest's
 *    siselect/sireg and stopei trap as virtual instructions (VGEIN 0).
 *    Its output is the vCPU's VS external interrupt line.
 *  - in a guest interrupt file of the host's IMSIC (a VS-file), on the
 *    hart the vCPU runs on, while the VM's MODE allows it and that hart
 *    has a free line.  hstatus.VGEIN selects it, its page is mapped into
 *    the G-stage at the vCPU's IMSIC address, and the guest's MSIs and
 *    CSR accesses go to the hardware without an exit.
 *
 * The vCPU's thread moves the file before each entry (rvkvm_imsic_update()):
 * to a VS-file of the hart it is about to run on, or back to software
 * when that hart has none free.  A move unmaps the old page and flushes
 * every hart's G-stage TLB first, so no guest store lands in the old file
 * after its state was read; MSIs from the host go wherever the lock says
 * the file is.
 *
 * While the vCPU is outside the guest, its line is armed (hgeie): an MSI
 * to the file raises SGEI on that hart, and aia.c's handler disarms the
 * line and kicks the vCPU (rvkvm_imsic_sgei()).  That is how a vCPU
 * blocked in WFI, or waiting on another hart, learns of it.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/aia.h>
#include <kvm/iodev.h>
#include <linux/irqchip/riscv-imsic.h>

#define RVKVM_IMSIC_WORDS	(KVM_DEV_RISCV_AIA_IDS_MAX / BITS_PER_LONG)

struct rvkvm_imsic {
	struct kvm_io_device iodev;	/* the guest-physical MSI page */
	struct kvm_vcpu *vcpu;
	u32 nr_ids;			/* identities 1..nr_ids */
	bool hw_mode;			/* MODE lets it use VS-files */
	bool hw_only;			/* MODE HWACCEL: never in software */
	bool fell_back;			/* in software for want of a line */
	/* Held by whoever moves the file or reads it where it is. */
	struct mutex move;
	/*
	 * Where the file is: in the fields below while hw_cpu < 0, else in
	 * VS-file hw_line of hart hw_cpu.  The lock is taken from MSI
	 * delivery in atomic context.
	 */
	raw_spinlock_t lock;
	int hw_cpu;
	unsigned int hw_line;
	void __iomem *hw_va;
	phys_addr_t hw_pa;
	bool sgei;			/* the armed line fired */
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

/*
 * The vCPU's external interrupt line follows the software file; lock
 * held.  A VS-file drives the line itself (hgeip), so it stays low then.
 */
static void rvkvm_imsic_line(struct rvkvm_imsic *f)
{
	bool level = f->hw_cpu < 0 && f->eidelivery == 1 && rvkvm_imsic_top(f);

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
	struct kvm_vm_stat *stat = &f->vcpu->kvm->stat;
	unsigned long flags;

	if (!id)
		return -ENODEV;
	if (id > f->nr_ids)
		return -EINVAL;
	raw_spin_lock_irqsave(&f->lock, flags);
	if (f->hw_cpu >= 0) {
		writel(id, f->hw_va + IMSIC_MMIO_SETIPNUM_LE);
		stat->aia_msi_hw++;
	} else {
		__set_bit(id, f->eip);
		rvkvm_imsic_line(f);
		stat->aia_msi_sw++;
	}
	raw_spin_unlock_irqrestore(&f->lock, flags);
	return 0;
}

/* --- The indirect registers (sireg, and the device's GRP_IMSIC) -------- */

/* Registers of 64 identities that cover identities 0..@ids. */
static unsigned int rvkvm_imsic_words(u32 ids)
{
	return ids / BITS_PER_LONG + 1;
}

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
	if (n >= rvkvm_imsic_words(f->nr_ids))
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

/*
 * The bits of register @isel that exist: delivery on/off, as many
 * threshold bits as the largest identity needs, the identities' bits.
 */
static unsigned long rvkvm_imsic_reg_mask(struct rvkvm_imsic *f, u32 isel,
					  bool array)
{
	if (array)
		return rvkvm_imsic_word_mask(f, isel);
	if (isel == IMSIC_EIDELIVERY)
		return 1;
	return BIT(fls(f->nr_ids)) - 1;
}

/* Read-modify-write of one register of the software file. */
static int rvkvm_imsic_rmw(struct rvkvm_imsic *f, u32 isel, unsigned long *old,
			   unsigned long new_val, unsigned long wr_mask)
{
	unsigned long flags, mask;
	bool array;
	void *p;

	p = rvkvm_imsic_reg(f, isel, &array);
	if (!p)
		return -EINVAL;
	mask = rvkvm_imsic_reg_mask(f, isel, array) & wr_mask;
	raw_spin_lock_irqsave(&f->lock, flags);
	if (array) {
		unsigned long *word = p;

		*old = *word;
		*word = (*word & ~mask) | (new_val & mask);
	} else {
		u32 *reg = p;

		*old = *reg;
		*reg = (*reg & ~mask) | (new_val & mask);
	}
	rvkvm_imsic_line(f);
	raw_spin_unlock_irqrestore(&f->lock, flags);
	return 0;
}

/* --- VS-files, through hstatus.VGEIN on the hart that has them ---------- */

/* The eip/eie register of 64 identities that starts at identity 64 @n. */
#define RVKVM_EIP(n)	(IMSIC_EIP0 + 2 * (n))
#define RVKVM_EIE(n)	(IMSIC_EIE0 + 2 * (n))

/* Make VS-file @line what vsiselect/vsireg reach; interrupts off. */
static unsigned long rvkvm_vsfile_select(unsigned int line, unsigned long *sel)
{
	unsigned long hstatus = csr_read(CSR_HSTATUS);

	csr_write(CSR_HSTATUS, (hstatus & ~HSTATUS_VGEIN) |
			       ((unsigned long)line << HSTATUS_VGEIN_SHIFT));
	*sel = csr_read(CSR_VSISELECT);	/* a loaded guest's own */
	return hstatus;
}

static void rvkvm_vsfile_deselect(unsigned long hstatus, unsigned long sel)
{
	csr_write(CSR_VSISELECT, sel);
	csr_write(CSR_HSTATUS, hstatus);
}

static unsigned long rvkvm_vsfile_rmw(u32 isel, unsigned long new_val,
				      unsigned long mask)
{
	unsigned long old;

	csr_write(CSR_VSISELECT, isel);
	old = csr_read(CSR_VSIREG);
	if (mask)
		csr_write(CSR_VSIREG, (old & ~mask) | (new_val & mask));
	return old;
}

/*
 * Software file into VS-file hw_line of this hart; lock held.  Every
 * register of the VS-file is written, those past this VM's identities
 * with zero, so nothing of an earlier owner is left in it.
 */
static void rvkvm_vsfile_fill(struct rvkvm_imsic *f)
{
	unsigned int n, mine = rvkvm_imsic_words(f->nr_ids);
	unsigned int all = rvkvm_imsic_words(imsic_get_global_config()->nr_guest_ids);
	unsigned long hstatus, sel;

	hstatus = rvkvm_vsfile_select(f->hw_line, &sel);
	rvkvm_vsfile_rmw(IMSIC_EIDELIVERY, 0, -1UL);
	for (n = 0; n < all; n++) {
		rvkvm_vsfile_rmw(RVKVM_EIE(n), n < mine ? f->eie[n] : 0, -1UL);
		rvkvm_vsfile_rmw(RVKVM_EIP(n), n < mine ? f->eip[n] : 0, -1UL);
		if (n < mine)
			f->eip[n] = 0;
	}
	rvkvm_vsfile_rmw(IMSIC_EITHRESHOLD, f->eithreshold, -1UL);
	rvkvm_vsfile_rmw(IMSIC_EIDELIVERY, f->eidelivery, -1UL);
	rvkvm_vsfile_deselect(hstatus, sel);
}

/*
 * VS-file hw_line of this hart back into the software file, on that hart
 * (smp_call_function_single()): pending identities add to those that
 * arrived meanwhile; the line is disarmed and delivery turned off.
 */
static void rvkvm_vsfile_drain(void *arg)
{
	struct rvkvm_imsic *f = arg;
	unsigned int n, mine = rvkvm_imsic_words(f->nr_ids);
	unsigned long hstatus, sel, flags, m;

	raw_spin_lock_irqsave(&f->lock, flags);
	hstatus = rvkvm_vsfile_select(f->hw_line, &sel);
	f->eidelivery = rvkvm_vsfile_rmw(IMSIC_EIDELIVERY, 0, -1UL) & 1;
	f->eithreshold = rvkvm_vsfile_rmw(IMSIC_EITHRESHOLD, 0, 0) &
			 rvkvm_imsic_reg_mask(f, IMSIC_EITHRESHOLD, false);
	for (n = 0; n < mine; n++) {
		m = rvkvm_imsic_word_mask(f, RVKVM_EIP(n));
		f->eie[n] = rvkvm_vsfile_rmw(RVKVM_EIE(n), 0, 0) & m;
		f->eip[n] |= rvkvm_vsfile_rmw(RVKVM_EIP(n), 0, -1UL) & m;
	}
	rvkvm_vsfile_deselect(hstatus, sel);
	csr_clear(CSR_HGEIE, BIT(f->hw_line));
	rvkvm_imsic_line(f);
	raw_spin_unlock_irqrestore(&f->lock, flags);
}

/* One register of a VS-file, on its hart: GRP_IMSIC while it is there. */
struct rvkvm_vsfile_access {
	struct rvkvm_imsic *f;
	u32 isel;
	unsigned long val, mask;
};

static void rvkvm_vsfile_access(void *arg)
{
	struct rvkvm_vsfile_access *a = arg;
	unsigned long hstatus, sel, flags;

	local_irq_save(flags);
	hstatus = rvkvm_vsfile_select(a->f->hw_line, &sel);
	a->val = rvkvm_vsfile_rmw(a->isel, a->val, a->mask);
	rvkvm_vsfile_deselect(hstatus, sel);
	local_irq_restore(flags);
}

/*
 * Register @isel of the file, wherever it is; f->move held, so it stays.
 * Only registers of the file's identities get here (rvkvm_imsic_reg()),
 * so none past what the VS-file implements is read from it.
 */
static int rvkvm_imsic_access(struct rvkvm_imsic *f, u32 isel,
			      unsigned long *old, unsigned long new_val,
			      unsigned long wr_mask)
{
	struct rvkvm_vsfile_access a = { .f = f, .isel = isel, .val = new_val };
	bool array;
	int r;

	lockdep_assert_held(&f->move);
	if (f->hw_cpu < 0)
		return rvkvm_imsic_rmw(f, isel, old, new_val, wr_mask);
	if (!rvkvm_imsic_reg(f, isel, &array))
		return -EINVAL;
	a.mask = rvkvm_imsic_reg_mask(f, isel, array) & wr_mask;
	r = smp_call_function_single(f->hw_cpu, rvkvm_vsfile_access, &a, 1);
	if (r)
		return r;
	*old = a.val & rvkvm_imsic_reg_mask(f, isel, array);
	return 0;
}

/**
 * rvkvm_imsic_isel_check() - does GRP_IMSIC register @isel exist?
 * @vcpu: the vCPU whose file it would be
 * @isel: the indirect register number
 *
 * Return: 0 for eidelivery, eithreshold and the even eip/eie of the
 * file's identities; as 6.12, -ENOENT for a number that is no IMSIC
 * register, -EINVAL for an odd or a too high eip/eie, and -ENODEV
 * before CTRL_INIT or for a vCPU made after it (no file).
 */
int rvkvm_imsic_isel_check(struct kvm_vcpu *vcpu, u32 isel)
{
	struct rvkvm_imsic *f = rvkvm_vcpu_imsic(vcpu);
	bool array;

	if (!f)
		return -ENODEV;
	if (isel != IMSIC_EIDELIVERY && isel != IMSIC_EITHRESHOLD &&
	    (isel < IMSIC_EIP0 || isel > IMSIC_EIE63))
		return -ENOENT;
	return rvkvm_imsic_reg(f, isel, &array) ? 0 : -EINVAL;
}

/**
 * rvkvm_imsic_attr() - GRP_IMSIC: read or restore a file's register
 * @vcpu: the vCPU whose file it is
 * @isel: the indirect register number
 * @val: the value, read or to write
 * @write: restore rather than read
 *
 * Return: 0, or rvkvm_imsic_isel_check()'s -errno.
 */
int rvkvm_imsic_attr(struct kvm_vcpu *vcpu, u32 isel, unsigned long *val,
		     bool write)
{
	struct rvkvm_imsic *f = vcpu->arch.vaia.imsic;
	unsigned long old;
	int r;

	r = rvkvm_imsic_isel_check(vcpu, isel);
	if (r)
		return r;
	mutex_lock(&f->move);
	r = rvkvm_imsic_access(f, isel, &old, *val, write ? -1UL : 0);
	mutex_unlock(&f->move);
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
 * @fast: unused: raw spinlocks only, the exit fast path is fine
 *
 * siselect selects: the interrupt file's registers (while the file is
 * in software), or the iprio array, which traps with a VS-file too.
 * Every iprio byte is read-only zero, which the AIA allows: the guest's
 * interrupts keep their default order.  Anything else is no register.
 *
 * Return: RVKVM_RESUME, RVKVM_TO_USER, or -EINVAL (illegal instruction).
 */
int rvkvm_imsic_csr_sireg(struct kvm_vcpu *vcpu, unsigned int csr,
			  unsigned long *val, unsigned long new_val,
			  unsigned long wr_mask, bool fast)
{
	struct rvkvm_imsic *f = rvkvm_imsic_of(vcpu);
	u32 isel;

	if (!f)
		return -EINVAL;
	isel = csr_read(CSR_VSISELECT);
	if (isel >= ISELECT_IPRIO0 && isel <= ISELECT_IPRIO15) {
		if (IS_ENABLED(CONFIG_64BIT) && (isel & 1))
			return -EINVAL;	/* no odd registers on RV64 */
		*val = 0;
		return RVKVM_RESUME;
	}
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
 * @fast: unused: raw spinlocks only, the exit fast path is fine
 *
 * Return: RVKVM_RESUME, or -EINVAL (illegal instruction).
 */
int rvkvm_imsic_csr_stopei(struct kvm_vcpu *vcpu, unsigned int csr,
			   unsigned long *val, unsigned long new_val,
			   unsigned long wr_mask, bool fast)
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
		rvkvm_imsic_line(f);
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
 * The target is the vCPU whose file page @addr is, found by page number
 * in any context.  Guest index files beyond 0 (nested guests) do not
 * exist.
 *
 * Return: 0, also for an address that is no file (the MSI is dropped
 * and counted), or rvkvm_imsic_raise()'s -errno.
 */
int rvkvm_imsic_deliver(struct kvm *kvm, u64 addr, u32 data)
{
	struct kvm_vcpu *vcpu = xa_load(&kvm->arch.aia.files, addr >> PAGE_SHIFT);

	if (vcpu && vcpu->arch.vaia.imsic)
		return rvkvm_imsic_raise(vcpu->arch.vaia.imsic, data);
	kvm->stat.aia_msi_dropped++;
	return 0;
}

/* --- Moving the file between software and the harts' VS-files --------- */

/*
 * hstatus.VGEIN of the guest's next entries: the file's line while it is
 * in a VS-file, else 0.  Only the vCPU's thread changes it, so the entry
 * and exit read it without the chip's acquire.
 */
static unsigned int rvkvm_imsic_vgein(struct kvm_vcpu *vcpu)
{
	return (vcpu->arch.guest.hstatus & HSTATUS_VGEIN) >> HSTATUS_VGEIN_SHIFT;
}

static void rvkvm_imsic_set_vgein(struct kvm_vcpu *vcpu, unsigned int line)
{
	unsigned long *h = &vcpu->arch.guest.hstatus;

	*h = (*h & ~HSTATUS_VGEIN) | ((unsigned long)line << HSTATUS_VGEIN_SHIFT);
}

/*
 * VS-file to software.  The page leaves the G-stage first, and every
 * hart's TLB with it, so no guest store reaches the VS-file after it was
 * read; host MSIs go to software from the switch of hw_cpu on.
 */
static void rvkvm_imsic_hw_out(struct rvkvm_imsic *f)
{
	struct kvm_vcpu *vcpu = f->vcpu;
	unsigned long flags;
	int cpu = f->hw_cpu;

	rvkvm_gstage_unmap_device(vcpu->kvm, vcpu->arch.vaia.imsic_addr);
	raw_spin_lock_irqsave(&f->lock, flags);
	f->hw_cpu = -1;
	raw_spin_unlock_irqrestore(&f->lock, flags);
	rvkvm_imsic_set_vgein(vcpu, 0);
	/* An offline hart kept its file; the next owner's fill clears it. */
	smp_call_function_single(cpu, rvkvm_vsfile_drain, f, 1);
	rvkvm_hgei_release(cpu, f->hw_line);
	WRITE_ONCE(f->sgei, false);
}

/*
 * Software to a VS-file of this hart, if one is free; preemption off.
 * The line starts armed: the vCPU is outside the guest.
 */
static bool rvkvm_imsic_hw_in(struct rvkvm_imsic *f)
{
	struct kvm_vcpu *vcpu = f->vcpu;
	void __iomem *va;
	unsigned long flags;
	unsigned int line;
	phys_addr_t pa;

	line = rvkvm_hgei_take(vcpu, &pa, &va);
	if (!line)
		return false;
	raw_spin_lock_irqsave(&f->lock, flags);
	f->hw_line = line;
	f->hw_va = va;
	f->hw_pa = pa;
	rvkvm_vsfile_fill(f);
	f->hw_cpu = smp_processor_id();
	csr_set(CSR_HGEIE, BIT(line));
	raw_spin_unlock_irqrestore(&f->lock, flags);
	rvkvm_imsic_set_vgein(vcpu, line);
	/* The VS-file drives the line from now on. */
	rvkvm_vcpu_set_irq(vcpu, IRQ_VS_EXT, false);
	return true;
}

/* HWACCEL and no VS-file on this hart: the entry fails, as in 6.12. */
static int rvkvm_imsic_no_file(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = CSR_HSTATUS;
	run->fail_entry.cpu = raw_smp_processor_id();
	return RVKVM_TO_USER;
}

/* Move the file to this hart's VS-files, or to software; f->move held. */
static int rvkvm_imsic_move(struct rvkvm_imsic *f)
{
	struct kvm_vcpu *vcpu = f->vcpu;
	struct kvm *kvm = vcpu->kvm;
	bool in;

	if (f->hw_cpu >= 0)
		rvkvm_imsic_hw_out(f);
	scoped_guard(preempt)
		in = rvkvm_imsic_hw_in(f);
	if (!in) {
		if (!f->fell_back)
			kvm->stat.aia_vsfile_fallbacks++;
		f->fell_back = true;
		if (f->hw_only)
			return rvkvm_imsic_no_file(vcpu);
		return RVKVM_RESUME;
	}
	f->fell_back = false;
	kvm->stat.aia_vsfile_moves++;
	/* Until the page is mapped, the guest's stores exit and get here. */
	if (rvkvm_gstage_map_device(vcpu, vcpu->arch.vaia.imsic_addr, f->hw_pa))
		pr_info_ratelimited("vCPU %d: IMSIC page not mapped, MSIs exit\n",
				    vcpu->vcpu_id);
	return RVKVM_RESUME;
}

/**
 * rvkvm_imsic_update() - put the file where the vCPU is about to run
 * @vcpu: the vCPU, in its run loop, preemptible
 *
 * A file in a VS-file of another hart comes here; a file in software
 * goes to a VS-file when this hart has a free one.  rvkvm_imsic_enter()
 * checks again with interrupts off.
 *
 * Return: RVKVM_RESUME, or RVKVM_TO_USER with KVM_EXIT_FAIL_ENTRY when
 * MODE is HWACCEL and this hart has no free VS-file.
 */
int __rvkvm_hot rvkvm_imsic_update(struct kvm_vcpu *vcpu)
{
	struct rvkvm_imsic *f = rvkvm_vcpu_imsic(vcpu);
	int cpu = raw_smp_processor_id(), r;

	if (!f || !f->hw_mode || READ_ONCE(f->hw_cpu) == cpu)
		return RVKVM_RESUME;
	/* AUTO in software for want of a line: try again once one is free. */
	if (f->hw_cpu < 0 && f->fell_back && !f->hw_only &&
	    !rvkvm_hgei_free_here())
		return RVKVM_RESUME;
	mutex_lock(&f->move);
	r = rvkvm_imsic_move(f);
	mutex_unlock(&f->move);
	return r;
}

/**
 * rvkvm_imsic_enter() - the file is where the guest is about to run
 * @vcpu: the vCPU, interrupts off, right before entry
 *
 * Disarms the line: the guest takes its interrupts itself.  A vCPU
 * without a VS-file (VGEIN 0, every VM without the in-kernel AIA) pays
 * one test of a field the entry reads anyway.
 *
 * Return: false if the file is in another hart's VS-file (the vCPU
 * moved since rvkvm_imsic_update()): go round the run loop again.
 */
bool __rvkvm_hot rvkvm_imsic_enter(struct kvm_vcpu *vcpu)
{
	unsigned int line = rvkvm_imsic_vgein(vcpu);
	struct rvkvm_imsic *f;

	if (!line)
		return true;
	f = vcpu->arch.vaia.imsic;
	if (f->hw_cpu != smp_processor_id())
		return false;
	csr_clear(CSR_HGEIE, BIT(line));
	WRITE_ONCE(f->sgei, false);
	return true;
}

/**
 * rvkvm_imsic_exit() - arm the line again, right after an exit
 * @vcpu: the vCPU, interrupts off, on the hart it ran on
 */
void __rvkvm_hot rvkvm_imsic_exit(struct kvm_vcpu *vcpu)
{
	unsigned int line = rvkvm_imsic_vgein(vcpu);

	if (line)
		csr_set(CSR_HGEIE, BIT(line));
}

/**
 * rvkvm_imsic_sgei() - @vcpu's armed line fired (aia.c, SGEI handler)
 * @vcpu: the line's owner
 */
void rvkvm_imsic_sgei(struct kvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->arch.vaia.imsic->sgei, true);
	kvm_vcpu_kick(vcpu);
}

/**
 * rvkvm_imsic_pending() - has the VS-file an interrupt for the guest?
 * @vcpu: the vCPU, in its thread, outside the guest
 *
 * On the file's hart hgeip tells; elsewhere the armed line has fired.
 *
 * Return: true if it is pending and the guest enabled external ones.
 */
bool rvkvm_imsic_pending(struct kvm_vcpu *vcpu)
{
	struct rvkvm_imsic *f = rvkvm_vcpu_imsic(vcpu);
	int cpu;

	if (!f || !(vcpu->arch.csr.vsie & BIT(IRQ_S_EXT)))
		return false;
	guard(preempt)();
	cpu = READ_ONCE(f->hw_cpu);
	if (cpu < 0)
		return false;	/* the VS external line says it */
	if (cpu == smp_processor_id())
		return csr_read(CSR_HGEIP) & BIT(f->hw_line);
	return READ_ONCE(f->sgei);
}

static void rvkvm_imsic_unregister(struct kvm *kvm, struct rvkvm_imsic *f)
{
	mutex_lock(&kvm->slots_lock);
	kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &f->iodev);
	mutex_unlock(&kvm->slots_lock);
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
	f->hw_mode = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_MODE) !=
		     KVM_DEV_RISCV_AIA_MODE_EMUL;
	f->hw_only = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_MODE) ==
		     KVM_DEV_RISCV_AIA_MODE_HWACCEL;
	f->hw_cpu = -1;
	mutex_init(&f->move);
	raw_spin_lock_init(&f->lock);
	kvm_iodevice_init(&f->iodev, &rvkvm_imsic_io_ops);
	mutex_lock(&kvm->slots_lock);
	r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS,
				    vcpu->arch.vaia.imsic_addr,
				    KVM_DEV_RISCV_IMSIC_SIZE, &f->iodev);
	mutex_unlock(&kvm->slots_lock);
	if (r)
		goto free;
	r = xa_insert(&kvm->arch.aia.files,
		      vcpu->arch.vaia.imsic_addr >> PAGE_SHIFT, vcpu,
		      GFP_KERNEL_ACCOUNT);
	if (r) {
		rvkvm_imsic_unregister(kvm, f);
		goto free;
	}
	vcpu->arch.vaia.imsic = f;
	return 0;
free:
	mutex_destroy(&f->move);
	kfree(f);
	return r;
}

/**
 * rvkvm_imsic_destroy() - free a vCPU's file
 * @vcpu: the vCPU
 *
 * At VM destruction the bus went first and took the page with it, and
 * the G-stage goes with the VM; a VS-file is given back here.  After a
 * failed CTRL_INIT the page is unregistered here.
 */
void rvkvm_imsic_destroy(struct kvm_vcpu *vcpu)
{
	struct rvkvm_imsic *f = vcpu->arch.vaia.imsic;
	struct kvm *kvm = vcpu->kvm;

	if (!f)
		return;
	if (f->hw_cpu >= 0) {
		smp_call_function_single(f->hw_cpu, rvkvm_vsfile_drain, f, 1);
		rvkvm_hgei_release(f->hw_cpu, f->hw_line);
	}
	xa_erase(&kvm->arch.aia.files, vcpu->arch.vaia.imsic_addr >> PAGE_SHIFT);
	if (!rvkvm_aia_ready(kvm))
		rvkvm_imsic_unregister(kvm, f);
	vcpu->arch.vaia.imsic = NULL;
	mutex_destroy(&f->move);
	kfree(f);
}
