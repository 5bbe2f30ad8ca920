// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM_DEV_TYPE_RISCV_AIA device: one per VM, its attribute groups,
 * and CTRL_INIT, which builds the chip.
 *
 * Configuration and addresses may be written in any order (QEMU sets
 * the IMSIC addresses before HART_BITS); each write checks only its own
 * value, and CTRL_INIT checks the whole layout before anything is built.
 * Every handler runs under kvm->lock; after CTRL_INIT the configuration
 * is frozen (EBUSY) and the run-time paths read it without the lock.
 */
#include <rvkvm/rvkvm.h>
#include <rvkvm/aia.h>

#define RVKVM_AIA_CFG_NR	(KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS + 1)

/* Identities a guest file may have: what a hardware file can hold. */
static u32 rvkvm_aia_max_ids(void)
{
	const struct imsic_global_config *gc = imsic_get_global_config();

	if (rvkvm_aia_host.files && gc)
		return gc->nr_guest_ids + 1;
	return KVM_DEV_RISCV_AIA_IDS_MAX;
}

/*
 * HWACCEL (VS-files only) and AUTO (VS-files where a hart has one free)
 * need a host with guest interrupt files, as in 6.12; EMUL never uses them.
 */
static bool rvkvm_aia_mode_ok(u32 v)
{
	return v == KVM_DEV_RISCV_AIA_MODE_EMUL || rvkvm_aia_host.files;
}

/* Identities come in whole eip/eie registers of 64: 63, 127, ... */
static bool rvkvm_aia_ids_ok(u32 v)
{
	return (v & 63) == 63 && v < rvkvm_aia_max_ids();
}

static bool rvkvm_aia_srcs_ok(u32 v)
{
	return v < rvkvm_aia_max_ids();
}

/* One row per CONFIG attribute: its range, and what else it must meet. */
static const struct {
	u32 min, max;
	bool (*ok)(u32 v);
} rvkvm_aia_cfg_rules[RVKVM_AIA_CFG_NR] = {
	[KVM_DEV_RISCV_AIA_CONFIG_MODE] = { KVM_DEV_RISCV_AIA_MODE_EMUL,
					    KVM_DEV_RISCV_AIA_MODE_AUTO,
					    rvkvm_aia_mode_ok },
	[KVM_DEV_RISCV_AIA_CONFIG_IDS] = { KVM_DEV_RISCV_AIA_IDS_MIN,
					   KVM_DEV_RISCV_AIA_IDS_MAX - 1,
					   rvkvm_aia_ids_ok },
	[KVM_DEV_RISCV_AIA_CONFIG_SRCS] = { 0, KVM_DEV_RISCV_AIA_SRCS_MAX - 1,
					    rvkvm_aia_srcs_ok },
	[KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS] = {
		0, KVM_DEV_RISCV_AIA_GROUP_BITS_MAX - 1 },
	[KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT] = {
		KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN,
		KVM_DEV_RISCV_AIA_GROUP_SHIFT_MAX - 1 },
	[KVM_DEV_RISCV_AIA_CONFIG_HART_BITS] = {
		0, KVM_DEV_RISCV_AIA_HART_BITS_MAX - 1 },
	[KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS] = {
		0, KVM_DEV_RISCV_AIA_GUEST_BITS_MAX - 1 },
};

/**
 * rvkvm_aia_vm_init() - a new VM's chip: not created, default settings
 * @kvm: the VM
 */
void rvkvm_aia_vm_init(struct kvm *kvm)
{
	struct rvkvm_aia *aia = &kvm->arch.aia;

	memset(aia, 0, sizeof(*aia));
	aia->config[KVM_DEV_RISCV_AIA_CONFIG_MODE] = rvkvm_aia_host.files ?
		KVM_DEV_RISCV_AIA_MODE_AUTO : KVM_DEV_RISCV_AIA_MODE_EMUL;
	aia->config[KVM_DEV_RISCV_AIA_CONFIG_IDS] = rvkvm_aia_max_ids() - 1;
	aia->config[KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT] =
		KVM_DEV_RISCV_AIA_GROUP_SHIFT_MIN;
	aia->aplic_addr = RVKVM_AIA_NO_ADDR;
	xa_init(&aia->files);
}

/**
 * rvkvm_aia_vcpu_init() - a new vCPU: no IMSIC address yet
 * @vcpu: the vCPU
 */
void rvkvm_aia_vcpu_init(struct kvm_vcpu *vcpu)
{
	vcpu->arch.vaia.imsic_addr = RVKVM_AIA_NO_ADDR;
	vcpu->arch.vaia.imsic = NULL;
}

/**
 * rvkvm_aia_vcpu_destroy() - free a vCPU's interrupt file
 * @vcpu: the vCPU, never to run again
 */
void rvkvm_aia_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	rvkvm_imsic_destroy(vcpu);
}

/**
 * rvkvm_aia_vm_destroy() - free the APLIC, after the vCPUs went
 * @kvm: the VM
 */
void rvkvm_aia_vm_destroy(struct kvm *kvm)
{
	rvkvm_aplic_destroy(kvm);
	xa_destroy(&kvm->arch.aia.files);
}

/* --- CONFIG ----------------------------------------------------------- */

static int rvkvm_aia_config(struct kvm *kvm, u64 attr, u32 *val, bool write)
{
	struct rvkvm_aia *aia = &kvm->arch.aia;

	if (attr >= RVKVM_AIA_CFG_NR)
		return -ENXIO;
	attr = array_index_nospec(attr, RVKVM_AIA_CFG_NR);
	if (!write) {
		*val = aia->config[attr];
		return 0;
	}
	if (aia->ready)
		return -EBUSY;
	if (*val < rvkvm_aia_cfg_rules[attr].min ||
	    *val > rvkvm_aia_cfg_rules[attr].max ||
	    (rvkvm_aia_cfg_rules[attr].ok && !rvkvm_aia_cfg_rules[attr].ok(*val)))
		return -EINVAL;
	aia->config[attr] = *val;
	return 0;
}

/* --- ADDR ------------------------------------------------------------- */

/* Where ADDR attribute @attr is kept: the APLIC's, or a vCPU's IMSIC. */
static u64 *rvkvm_aia_addr_slot(struct kvm *kvm, u64 attr)
{
	struct kvm_vcpu *vcpu;

	if (attr == KVM_DEV_RISCV_AIA_ADDR_APLIC)
		return &kvm->arch.aia.aplic_addr;
	if (attr >= KVM_DEV_RISCV_AIA_ADDR_MAX)
		return NULL;
	/* IMSIC(i) is the vCPU of index i, as QEMU and kvmtool number them. */
	if (attr - 1 >= atomic_read(&kvm->online_vcpus))
		return NULL;
	vcpu = kvm_get_vcpu(kvm, attr - 1);
	return vcpu ? &vcpu->arch.vaia.imsic_addr : NULL;
}

static int rvkvm_aia_addr(struct kvm *kvm, u64 attr, u64 *val, bool write)
{
	u64 *slot = rvkvm_aia_addr_slot(kvm, attr);

	if (!slot)
		return -ENXIO;
	if (!write) {
		*val = *slot;
		return 0;
	}
	if (kvm->arch.aia.ready)
		return -EBUSY;
	/* Both regions are page-aligned, and inside the VM's GPA space. */
	if (!PAGE_ALIGNED(*val) ||
	    *val >= BIT_ULL(rvkvm_gstage_gpa_bits(kvm)))
		return -EINVAL;
	*slot = *val;
	return 0;
}

/* --- CTRL_INIT: the whole layout, then the chip ----------------------- */

/* A vCPU's IMSIC page number with its guest index cleared. */
static u64 rvkvm_aia_file_key(struct kvm *kvm, u64 addr)
{
	u32 guest_bits = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS);

	return (addr >> PAGE_SHIFT) & ~(BIT_ULL(guest_bits) - 1);
}

/**
 * rvkvm_aia_imsic_base() - an IMSIC address with its indices cleared
 * @kvm: the VM, whose CONFIG says where group, hart and guest indices are
 * @addr: a file's guest-physical address
 *
 * Return: the base every file of the VM shares.
 */
u64 rvkvm_aia_imsic_base(struct kvm *kvm, u64 addr)
{
	u32 gb = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS);
	u32 gs = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT);
	u32 hb = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS);
	u32 ub = rvkvm_aia_cfg(kvm, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS);
	u64 base = addr & ~GENMASK_ULL(PAGE_SHIFT + ub + hb - 1, PAGE_SHIFT);

	if (gb)
		base &= ~GENMASK_ULL(gs + gb - 1, gs);
	return base;
}

static bool rvkvm_aia_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * The layout CTRL_INIT builds from: identities enough for the sources,
 * an APLIC where there are sources, an IMSIC page for each vCPU, all on
 * one base, each a file of its own, none inside the APLIC.
 */
static int rvkvm_aia_check_layout(struct kvm *kvm)
{
	struct rvkvm_aia *aia = &kvm->arch.aia;
	u32 srcs = aia->config[KVM_DEV_RISCV_AIA_CONFIG_SRCS];
	struct kvm_vcpu *vcpu, *other;
	unsigned long i, j;
	u64 base = 0;

	if (aia->config[KVM_DEV_RISCV_AIA_CONFIG_IDS] < srcs)
		return -EINVAL;
	if (srcs && aia->aplic_addr == RVKVM_AIA_NO_ADDR)
		return -EINVAL;
	kvm_for_each_vcpu(i, vcpu, kvm) {
		u64 addr = vcpu->arch.vaia.imsic_addr;

		if (addr == RVKVM_AIA_NO_ADDR)
			return -EINVAL;
		if (!i)
			base = rvkvm_aia_imsic_base(kvm, addr);
		else if (rvkvm_aia_imsic_base(kvm, addr) != base)
			return -EINVAL;
		/* Stronger than 6.12: no two vCPUs behind one file. */
		kvm_for_each_vcpu(j, other, kvm)
			if (j < i && rvkvm_aia_file_key(kvm, addr) ==
			    rvkvm_aia_file_key(kvm, other->arch.vaia.imsic_addr))
				return -EINVAL;
		if (srcs && rvkvm_aia_overlap(addr, KVM_DEV_RISCV_IMSIC_SIZE,
					      aia->aplic_addr,
					      KVM_DEV_RISCV_APLIC_SIZE))
			return -EINVAL;
	}
	return 0;
}

static void rvkvm_aia_teardown(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm)
		rvkvm_imsic_destroy(vcpu);
	rvkvm_aplic_destroy(kvm);
}

static int rvkvm_aia_init_chip(struct kvm *kvm)
{
	struct rvkvm_aia *aia = &kvm->arch.aia;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	int r;

	if (aia->ready)
		return -EBUSY;
	/* A vCPU half made would miss its file. */
	if (atomic_read(&kvm->online_vcpus) != kvm->created_vcpus)
		return -EBUSY;
	r = rvkvm_aia_check_layout(kvm);
	if (r)
		return r;
	r = rvkvm_aplic_create(kvm);
	kvm_for_each_vcpu(i, vcpu, kvm) {
		if (r)
			break;
		r = rvkvm_imsic_create(vcpu);
	}
	if (r) {
		rvkvm_aia_teardown(kvm);
		return r;
	}
	/* The chip is whole before the lock-free paths may see it. */
	smp_store_release(&aia->ready, true);
	return 0;
}

/* --- The device ------------------------------------------------------- */

static int rvkvm_aia_access(struct kvm_device *dev,
			    struct kvm_device_attr *attr, bool write)
{
	struct kvm *kvm = dev->kvm;
	void __user *uaddr = u64_to_user_ptr(attr->addr);
	unsigned long ul;
	u32 v32;
	u64 v64;
	int r;

	switch (attr->group) {
	case KVM_DEV_RISCV_AIA_GRP_CONFIG:
		if (write && get_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		scoped_guard(mutex, &kvm->lock)
			r = rvkvm_aia_config(kvm, attr->attr, &v32, write);
		if (!r && !write && put_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		return r;
	case KVM_DEV_RISCV_AIA_GRP_ADDR:
		if (write && get_user(v64, (u64 __user *)uaddr))
			return -EFAULT;
		scoped_guard(mutex, &kvm->lock)
			r = rvkvm_aia_addr(kvm, attr->attr, &v64, write);
		if (!r && !write && put_user(v64, (u64 __user *)uaddr))
			return -EFAULT;
		return r;
	case KVM_DEV_RISCV_AIA_GRP_CTRL:
		if (attr->attr != KVM_DEV_RISCV_AIA_CTRL_INIT || !write)
			return -ENXIO;
		scoped_guard(mutex, &kvm->lock)
			return rvkvm_aia_init_chip(kvm);
		break;
	case KVM_DEV_RISCV_AIA_GRP_APLIC:
		if (write && get_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		if (attr->attr > U32_MAX)
			return -ENXIO;
		r = rvkvm_aplic_attr(kvm, attr->attr, &v32, write);
		if (!r && !write && put_user(v32, (u32 __user *)uaddr))
			return -EFAULT;
		return r;
	case KVM_DEV_RISCV_AIA_GRP_IMSIC: {
		struct kvm_vcpu *vcpu;

		if (write && get_user(ul, (unsigned long __user *)uaddr))
			return -EFAULT;
		vcpu = kvm_get_vcpu_by_id(kvm,
					  KVM_DEV_RISCV_AIA_IMSIC_GET_VCPU(attr->attr));
		if (!vcpu || attr->attr >> 32)
			return -ENODEV;
		r = rvkvm_imsic_attr(vcpu,
				     KVM_DEV_RISCV_AIA_IMSIC_GET_ISEL(attr->attr),
				     &ul, write);
		if (!r && !write && put_user(ul, (unsigned long __user *)uaddr))
			return -EFAULT;
		return r;
	}
	}
	return -ENXIO;
}

static int rvkvm_aia_set_attr(struct kvm_device *dev,
			      struct kvm_device_attr *attr)
{
	return rvkvm_aia_access(dev, attr, true);
}

static int rvkvm_aia_get_attr(struct kvm_device *dev,
			      struct kvm_device_attr *attr)
{
	return rvkvm_aia_access(dev, attr, false);
}

static int rvkvm_aia_has_attr(struct kvm_device *dev,
			      struct kvm_device_attr *attr)
{
	struct kvm *kvm = dev->kvm;
	struct kvm_vcpu *vcpu;
	u32 v32;

	switch (attr->group) {
	case KVM_DEV_RISCV_AIA_GRP_CONFIG:
		return attr->attr < RVKVM_AIA_CFG_NR ? 0 : -ENXIO;
	case KVM_DEV_RISCV_AIA_GRP_ADDR:
		scoped_guard(mutex, &kvm->lock)
			return rvkvm_aia_addr_slot(kvm, attr->attr) ? 0 : -ENXIO;
		break;
	case KVM_DEV_RISCV_AIA_GRP_CTRL:
		return attr->attr == KVM_DEV_RISCV_AIA_CTRL_INIT ? 0 : -ENXIO;
	case KVM_DEV_RISCV_AIA_GRP_APLIC:
		if (attr->attr > U32_MAX)
			return -ENXIO;
		return rvkvm_aplic_attr(kvm, attr->attr, &v32, false) ? -ENXIO : 0;
	case KVM_DEV_RISCV_AIA_GRP_IMSIC:
		vcpu = kvm_get_vcpu_by_id(kvm,
					  KVM_DEV_RISCV_AIA_IMSIC_GET_VCPU(attr->attr));
		if (!vcpu || attr->attr >> 32)
			return -ENODEV;
		return rvkvm_imsic_isel_check(vcpu,
				KVM_DEV_RISCV_AIA_IMSIC_GET_ISEL(attr->attr));
	}
	return -ENXIO;
}

/*
 * One chip per VM, made before any vCPU has run: a running guest would
 * have seen no interrupt controller.
 */
static int rvkvm_aia_create(struct kvm_device *dev, u32 type)
{
	struct kvm *kvm = dev->kvm;
	struct kvm_vcpu *vcpu;
	unsigned long i;

	lockdep_assert_held(&kvm->lock);
	if (kvm->arch.aia.created)
		return -EEXIST;
	kvm_for_each_vcpu(i, vcpu, kvm)
		if (READ_ONCE(vcpu->arch.ran_once))
			return -EBUSY;
	kvm->arch.aia.created = true;
	return 0;
}

/* The chip itself lives until the VM goes (rvkvm_aia_vm_destroy()). */
static void rvkvm_aia_destroy(struct kvm_device *dev)
{
	kfree(dev);
}

static struct kvm_device_ops rvkvm_aia_ops = {
	.name = "kvm-riscv-aia",
	.create = rvkvm_aia_create,
	.destroy = rvkvm_aia_destroy,
	.set_attr = rvkvm_aia_set_attr,
	.get_attr = rvkvm_aia_get_attr,
	.has_attr = rvkvm_aia_has_attr,
};

/**
 * rvkvm_aia_register() - offer the device, where the host has Ssaia
 *
 * Return: 0, or the generic core's -errno.
 */
int rvkvm_aia_register(void)
{
	if (!rvkvm_aia_host.ssaia)
		return 0;
	return kvm_register_device_ops(&rvkvm_aia_ops, KVM_DEV_TYPE_RISCV_AIA);
}

/**
 * rvkvm_aia_unregister() - withdraw the device
 */
void rvkvm_aia_unregister(void)
{
	if (rvkvm_aia_host.ssaia)
		kvm_unregister_device_ops(KVM_DEV_TYPE_RISCV_AIA);
}
