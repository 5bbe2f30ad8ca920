// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's APLIC: one supervisor-level interrupt domain in MSI delivery
 * mode.  Wired sources (KVM_IRQ_LINE, irqchip routes) become MSIs to the
 * IMSIC files of the vCPUs that their target registers name.
 *
 * Pending bits follow the AIA spec (4.7): an edge source is set by the
 * rising edge of its rectified input or by a setip write; a level source
 * by the rising edge, or by a setip write while the input is high, and
 * cleared while the input is low; a detached source only by setip.  Any
 * pending source is cleared when its MSI is sent, which happens as soon
 * as it is pending, enabled and domaincfg.IE is on.
 *
 * The register map is a table (rvkvm_aplic_regs); the guest's MMIO and
 * the device's GRP_APLIC both go through it.  Offsets without a register
 * read as zero and ignore writes, as msiaddrcfg does in a supervisor
 * domain.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/aia.h>
#include <kvm/iodev.h>
#include <linux/bitfield.h>
#include <linux/irqchip/riscv-aplic.h>

struct rvkvm_aplic_src {
	u32 sourcecfg;		/* SM only: delegation does not exist here */
	u32 target;
	bool pending, enabled;
	bool input;		/* the wire, as KVM_IRQ_LINE last set it */
};

struct rvkvm_aplic {
	struct kvm_io_device iodev;
	struct kvm *kvm;
	u32 nr;			/* sources 1..nr */
	u64 imsic_base;		/* MSI addresses: group, hart, guest added */
	raw_spinlock_t lock;	/* all of the state below */
	bool ie;		/* domaincfg.IE */
	u32 genmsi;
	struct rvkvm_aplic_src src[] __counted_by(nr);
};

static struct rvkvm_aplic_src *rvkvm_aplic_src(struct rvkvm_aplic *a, u32 i)
{
	return i && i <= a->nr ? &a->src[i - 1] : NULL;
}

static u32 rvkvm_aplic_sm(const struct rvkvm_aplic_src *s)
{
	return s->sourcecfg & APLIC_SOURCECFG_SM_MASK;
}

static bool rvkvm_aplic_active(const struct rvkvm_aplic_src *s)
{
	return rvkvm_aplic_sm(s) != APLIC_SOURCECFG_SM_INACTIVE;
}

static bool rvkvm_aplic_level(const struct rvkvm_aplic_src *s)
{
	u32 sm = rvkvm_aplic_sm(s);

	return sm == APLIC_SOURCECFG_SM_LEVEL_HIGH ||
	       sm == APLIC_SOURCECFG_SM_LEVEL_LOW;
}

/* The input as the source mode sees it: inverted for Edge0 and Level0. */
static bool rvkvm_aplic_rectified(const struct rvkvm_aplic_src *s)
{
	switch (rvkvm_aplic_sm(s)) {
	case APLIC_SOURCECFG_SM_EDGE_RISE:
	case APLIC_SOURCECFG_SM_LEVEL_HIGH:
		return s->input;
	case APLIC_SOURCECFG_SM_EDGE_FALL:
	case APLIC_SOURCECFG_SM_LEVEL_LOW:
		return !s->input;
	default:
		return false;
	}
}

/* The guest-physical address of an MSI to hart index @hart, guest @guest. */
static u64 rvkvm_aplic_msi_addr(struct rvkvm_aplic *a, u32 hart, u32 guest)
{
	struct kvm *kvm = a->kvm;
	u32 hb = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS);
	u32 ub = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS);
	u32 gs = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT);
	u32 gb = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS);
	u64 group = (hart >> hb) & (BIT(gb) - 1);

	hart &= BIT(hb) - 1;
	guest &= BIT(ub) - 1;
	return a->imsic_base | group << gs |
	       (u64)hart << (PAGE_SHIFT + ub) | (u64)guest << PAGE_SHIFT;
}

static void rvkvm_aplic_send(struct rvkvm_aplic *a, u32 target)
{
	u64 addr = rvkvm_aplic_msi_addr(a,
					FIELD_GET(APLIC_TARGET_HART_IDX, target),
					FIELD_GET(APLIC_TARGET_GUEST_IDX, target));

	/* An identity the file lacks is lost, as on hardware. */
	rvkvm_imsic_deliver(a->kvm, addr, FIELD_GET(APLIC_TARGET_EIID, target));
}

/* Forward source @i if it may go now; lock held. */
static void rvkvm_aplic_kick(struct rvkvm_aplic *a, u32 i)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, i);

	if (!s || !a->ie || !s->pending || !s->enabled)
		return;
	s->pending = false;
	rvkvm_aplic_send(a, s->target);
}

static void rvkvm_aplic_set_pending(struct rvkvm_aplic *a, u32 i, bool on)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, i);

	if (!s || !rvkvm_aplic_active(s))
		return;
	/* A level source is set by a write only while it is asserted. */
	if (on && rvkvm_aplic_level(s) && !rvkvm_aplic_rectified(s))
		return;
	s->pending = on;
	rvkvm_aplic_kick(a, i);
}

static void rvkvm_aplic_set_enabled(struct rvkvm_aplic *a, u32 i, bool on)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, i);

	if (!s || !rvkvm_aplic_active(s))
		return;
	s->enabled = on;
	rvkvm_aplic_kick(a, i);
}

/* --- The registers ----------------------------------------------------- */

/* @idx is the register's index within its row. */
struct rvkvm_aplic_reg {
	u32 base;
	u32 count;
	u32 (*read)(struct rvkvm_aplic *a, u32 idx);
	void (*write)(struct rvkvm_aplic *a, u32 idx, u32 val);
};

static u32 rvkvm_aplic_domaincfg_read(struct rvkvm_aplic *a, u32 idx)
{
	return APLIC_DOMAINCFG_RDONLY | APLIC_DOMAINCFG_DM |
	       (a->ie ? APLIC_DOMAINCFG_IE : 0);
}

static void rvkvm_aplic_domaincfg_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	u32 i;

	a->ie = v & APLIC_DOMAINCFG_IE;
	for (i = 1; i <= a->nr; i++)
		rvkvm_aplic_kick(a, i);
}

static u32 rvkvm_aplic_sourcecfg_read(struct rvkvm_aplic *a, u32 idx)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, idx + 1);

	return s ? s->sourcecfg : 0;
}

static void rvkvm_aplic_sourcecfg_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, idx + 1);
	u32 sm = v & APLIC_SOURCECFG_SM_MASK;

	if (!s)
		return;
	/* No child domain to delegate to; modes 2 and 3 are reserved. */
	if ((v & APLIC_SOURCECFG_D) || sm == 2 || sm == 3)
		sm = APLIC_SOURCECFG_SM_INACTIVE;
	s->sourcecfg = sm;
	if (!rvkvm_aplic_active(s)) {
		s->pending = false;
		s->enabled = false;
	} else if (rvkvm_aplic_level(s)) {
		s->pending = rvkvm_aplic_rectified(s);
		rvkvm_aplic_kick(a, idx + 1);
	}
}

/* Bit j of a 32-bit bitmap register @idx: source 32 * idx + j. */
static u32 rvkvm_aplic_bits_read(struct rvkvm_aplic *a, u32 idx,
				 bool (*bit)(const struct rvkvm_aplic_src *s))
{
	struct rvkvm_aplic_src *s;
	u32 j, v = 0;

	for (j = 0; j < 32; j++) {
		s = rvkvm_aplic_src(a, idx * 32 + j);
		if (s && bit(s))
			v |= BIT(j);
	}
	return v;
}

static void rvkvm_aplic_bits_write(struct rvkvm_aplic *a, u32 idx, u32 v,
				   void (*set)(struct rvkvm_aplic *a, u32 i,
					       bool on), bool on)
{
	unsigned long bits = v;
	u32 j;

	for_each_set_bit(j, &bits, 32)
		set(a, idx * 32 + j, on);
}

static bool rvkvm_aplic_is_pending(const struct rvkvm_aplic_src *s)
{
	return s->pending;
}

static bool rvkvm_aplic_is_enabled(const struct rvkvm_aplic_src *s)
{
	return s->enabled;
}

static u32 rvkvm_aplic_setip_read(struct rvkvm_aplic *a, u32 idx)
{
	return rvkvm_aplic_bits_read(a, idx, rvkvm_aplic_is_pending);
}

static void rvkvm_aplic_setip_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_bits_write(a, idx, v, rvkvm_aplic_set_pending, true);
}

/* in_clrip reads the rectified inputs. */
static u32 rvkvm_aplic_clrip_read(struct rvkvm_aplic *a, u32 idx)
{
	return rvkvm_aplic_bits_read(a, idx, rvkvm_aplic_rectified);
}

static void rvkvm_aplic_clrip_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_bits_write(a, idx, v, rvkvm_aplic_set_pending, false);
}

static u32 rvkvm_aplic_setie_read(struct rvkvm_aplic *a, u32 idx)
{
	return rvkvm_aplic_bits_read(a, idx, rvkvm_aplic_is_enabled);
}

static void rvkvm_aplic_setie_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_bits_write(a, idx, v, rvkvm_aplic_set_enabled, true);
}

static void rvkvm_aplic_clrie_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_bits_write(a, idx, v, rvkvm_aplic_set_enabled, false);
}

static void rvkvm_aplic_setipnum_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_set_pending(a, v, true);
}

static void rvkvm_aplic_setipnum_be_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_set_pending(a, swab32(v), true);
}

static void rvkvm_aplic_clripnum_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_set_pending(a, v, false);
}

static void rvkvm_aplic_setienum_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_set_enabled(a, v, true);
}

static void rvkvm_aplic_clrienum_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	rvkvm_aplic_set_enabled(a, v, false);
}

/* The identities an MSI may carry: what the IMSIC files have. */
static u32 rvkvm_aplic_eiid_mask(struct rvkvm_aplic *a)
{
	u32 ids = rvkvm_aia_cfg(a->kvm, KVM_DEV_RISCV_AIA_CONFIG_IDS);

	return (BIT(fls(ids)) - 1) & APLIC_TARGET_EIID_MASK;
}

static u32 rvkvm_aplic_genmsi_read(struct rvkvm_aplic *a, u32 idx)
{
	return a->genmsi;	/* Busy is never seen: the MSI goes at once */
}

static void rvkvm_aplic_genmsi_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	a->genmsi = v & (APLIC_TARGET_HART_IDX | rvkvm_aplic_eiid_mask(a));
	/* genmsi's MSI goes to the hart's own file, guest index 0. */
	rvkvm_aplic_send(a, a->genmsi);
}

static u32 rvkvm_aplic_target_read(struct rvkvm_aplic *a, u32 idx)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, idx + 1);

	return s ? s->target : 0;
}

static void rvkvm_aplic_target_write(struct rvkvm_aplic *a, u32 idx, u32 v)
{
	struct rvkvm_aplic_src *s = rvkvm_aplic_src(a, idx + 1);

	if (s)
		s->target = v & (APLIC_TARGET_HART_IDX | APLIC_TARGET_GUEST_IDX |
				 rvkvm_aplic_eiid_mask(a));
}

static const struct rvkvm_aplic_reg rvkvm_aplic_regs[] = {
	{ APLIC_DOMAINCFG, 1, rvkvm_aplic_domaincfg_read,
	  rvkvm_aplic_domaincfg_write },
	{ APLIC_SOURCECFG_BASE, APLIC_MAX_SOURCE - 1,
	  rvkvm_aplic_sourcecfg_read, rvkvm_aplic_sourcecfg_write },
	{ APLIC_SETIP_BASE, APLIC_MAX_SOURCE / 32, rvkvm_aplic_setip_read,
	  rvkvm_aplic_setip_write },
	{ APLIC_SETIPNUM, 1, NULL, rvkvm_aplic_setipnum_write },
	{ APLIC_CLRIP_BASE, APLIC_MAX_SOURCE / 32, rvkvm_aplic_clrip_read,
	  rvkvm_aplic_clrip_write },
	{ APLIC_CLRIPNUM, 1, NULL, rvkvm_aplic_clripnum_write },
	{ APLIC_SETIE_BASE, APLIC_MAX_SOURCE / 32, rvkvm_aplic_setie_read,
	  rvkvm_aplic_setie_write },
	{ APLIC_SETIENUM, 1, NULL, rvkvm_aplic_setienum_write },
	{ APLIC_CLRIE_BASE, APLIC_MAX_SOURCE / 32, NULL,
	  rvkvm_aplic_clrie_write },
	{ APLIC_CLRIENUM, 1, NULL, rvkvm_aplic_clrienum_write },
	{ APLIC_SETIPNUM_LE, 1, NULL, rvkvm_aplic_setipnum_write },
	{ APLIC_SETIPNUM_BE, 1, NULL, rvkvm_aplic_setipnum_be_write },
	{ APLIC_GENMSI, 1, rvkvm_aplic_genmsi_read, rvkvm_aplic_genmsi_write },
	{ APLIC_TARGET_BASE, APLIC_MAX_SOURCE - 1, rvkvm_aplic_target_read,
	  rvkvm_aplic_target_write },
};

static const struct rvkvm_aplic_reg *rvkvm_aplic_reg(u32 off, u32 *idx)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rvkvm_aplic_regs); i++) {
		const struct rvkvm_aplic_reg *r = &rvkvm_aplic_regs[i];

		if (off >= r->base && off < r->base + 4 * r->count) {
			*idx = (off - r->base) / 4;
			return r;
		}
	}
	return NULL;
}

/* One 32-bit access at @off (4-byte aligned); false if no register. */
static bool rvkvm_aplic_access(struct rvkvm_aplic *a, u32 off, u32 *val,
			       bool write)
{
	const struct rvkvm_aplic_reg *r;
	unsigned long flags;
	u32 idx = 0;

	r = rvkvm_aplic_reg(off, &idx);
	if (!r)
		return false;
	raw_spin_lock_irqsave(&a->lock, flags);
	if (write && r->write)
		r->write(a, idx, *val);
	else if (!write)
		*val = r->read ? r->read(a, idx) : 0;
	raw_spin_unlock_irqrestore(&a->lock, flags);
	return true;
}

/* --- The guest's MMIO, KVM_IRQ_LINE, GRP_APLIC ------------------------ */

static struct rvkvm_aplic *rvkvm_aplic_iodev(struct kvm_io_device *dev)
{
	return container_of(dev, struct rvkvm_aplic, iodev);
}

static int rvkvm_aplic_mmio_read(struct kvm_vcpu *vcpu,
				 struct kvm_io_device *dev, gpa_t addr,
				 int len, void *val)
{
	struct rvkvm_aplic *a = rvkvm_aplic_iodev(dev);
	u32 off = addr - vcpu->kvm->arch.aia.aplic_addr, v = 0;

	/* Only aligned words are registers; anything else reads zero. */
	if (len == 4 && !(off & 3))
		rvkvm_aplic_access(a, off, &v, false);
	memset(val, 0, len);
	if (len == 4)
		memcpy(val, &v, 4);
	return 0;
}

static int rvkvm_aplic_mmio_write(struct kvm_vcpu *vcpu,
				  struct kvm_io_device *dev, gpa_t addr,
				  int len, const void *val)
{
	struct rvkvm_aplic *a = rvkvm_aplic_iodev(dev);
	u32 off = addr - vcpu->kvm->arch.aia.aplic_addr, v;

	if (len == 4 && !(off & 3)) {
		memcpy(&v, val, 4);
		rvkvm_aplic_access(a, off, &v, true);
	}
	return 0;
}

static const struct kvm_io_device_ops rvkvm_aplic_io_ops = {
	.read = rvkvm_aplic_mmio_read,
	.write = rvkvm_aplic_mmio_write,
};

static struct rvkvm_aplic *rvkvm_aplic_of(struct kvm *kvm)
{
	return rvkvm_aia_ready(kvm) ? kvm->arch.aia.aplic : NULL;
}

/**
 * rvkvm_aplic_set_line() - a wired source's level (KVM_IRQ_LINE, routes)
 * @kvm: the VM
 * @source: the APLIC source number, 1..SRCS
 * @level: the wire's new level
 *
 * Return: 0, -EBUSY before CTRL_INIT, -ENODEV for no such source.
 */
int rvkvm_aplic_set_line(struct kvm *kvm, u32 source, bool level)
{
	struct rvkvm_aplic *a;
	struct rvkvm_aplic_src *s;
	unsigned long flags;
	bool was;

	if (!rvkvm_aia_ready(kvm))
		return -EBUSY;
	a = kvm->arch.aia.aplic;
	s = a ? rvkvm_aplic_src(a, source) : NULL;
	if (!s)
		return -ENODEV;
	raw_spin_lock_irqsave(&a->lock, flags);
	was = rvkvm_aplic_rectified(s);
	s->input = level;
	if (rvkvm_aplic_active(s) &&
	    rvkvm_aplic_sm(s) != APLIC_SOURCECFG_SM_DETACH) {
		if (!was && rvkvm_aplic_rectified(s))
			s->pending = true;	/* the rising edge */
		else if (rvkvm_aplic_level(s) && !rvkvm_aplic_rectified(s))
			s->pending = false;	/* a level source let go */
		rvkvm_aplic_kick(a, source);
	}
	raw_spin_unlock_irqrestore(&a->lock, flags);
	return 0;
}

/**
 * rvkvm_aplic_attr() - GRP_APLIC: one register, as the guest sees it
 * @kvm: the VM
 * @offset: the register's offset in the APLIC's 16 KiB
 * @val: the value, read or to write
 * @write: write rather than read
 *
 * Return: 0, -ENODEV without an APLIC or for no register at @offset,
 * -EOPNOTSUPP for an offset that is not 4-byte aligned.
 */
int rvkvm_aplic_attr(struct kvm *kvm, u32 offset, u32 *val, bool write)
{
	struct rvkvm_aplic *a = rvkvm_aplic_of(kvm);

	if (!a)
		return -ENODEV;
	if (offset & 3)
		return -EOPNOTSUPP;
	return rvkvm_aplic_access(a, offset, val, write) ? 0 : -ENODEV;
}

/**
 * rvkvm_aplic_create() - the APLIC of CTRL_INIT, if SRCS is not 0
 * @kvm: the VM, its layout checked
 *
 * Return: 0 or a -errno.
 */
int rvkvm_aplic_create(struct kvm *kvm)
{
	u32 nr = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_SRCS);
	struct kvm_vcpu *vcpu0 = kvm_get_vcpu(kvm, 0);
	struct rvkvm_aplic *a;
	int r;

	if (!nr)
		return 0;
	a = kzalloc(struct_size(a, src, nr), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->nr = nr;
	a->kvm = kvm;
	raw_spin_lock_init(&a->lock);
	if (vcpu0)
		a->imsic_base = rvkvm_aia_imsic_base(kvm,
						     vcpu0->arch.vaia.imsic_addr);
	kvm_iodevice_init(&a->iodev, &rvkvm_aplic_io_ops);
	mutex_lock(&kvm->slots_lock);
	r = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS, kvm->arch.aia.aplic_addr,
				    KVM_DEV_RISCV_APLIC_SIZE, &a->iodev);
	mutex_unlock(&kvm->slots_lock);
	if (r) {
		kfree(a);
		return r;
	}
	kvm->arch.aia.aplic = a;
	return rvkvm_aia_default_routes(kvm, nr);
}

/**
 * rvkvm_aplic_destroy() - free the APLIC
 * @kvm: the VM: at its destruction (the bus went first), or after a
 *	failed CTRL_INIT (the region is unregistered here)
 */
void rvkvm_aplic_destroy(struct kvm *kvm)
{
	struct rvkvm_aplic *a = kvm->arch.aia.aplic;

	if (!a)
		return;
	if (!rvkvm_aia_ready(kvm)) {
		mutex_lock(&kvm->slots_lock);
		kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &a->iodev);
		mutex_unlock(&kvm->slots_lock);
	}
	kvm->arch.aia.aplic = NULL;
	kfree(a);
}
