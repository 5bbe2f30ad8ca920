// SPDX-License-Identifier: GPL-2.0
/*
 * aia_irqchip: the in-kernel AIA (KVM_DEV_TYPE_RISCV_AIA) end to end.
 *
 * The device's attributes: defaults, each CONFIG attribute at and past
 * its bounds, ADDR alignment and vCPU numbering, CTRL_INIT refusing an
 * incomplete or clashing layout, then EBUSY for configuration after it;
 * KVM_IRQ_LINE before and after INIT and for sources that do not exist.
 *
 * A guest writes and reads its iprio0 (siselect 0x30, which always
 * traps), then programs its IMSIC file through siselect/sireg, enables
 * external interrupts, and claims each identity through stopei in its
 * handler.  MSIs arrive through KVM_SIGNAL_MSI, through an irqfd on an
 * MSI route, and from the APLIC, which the guest programs over MMIO: an
 * edge source raised with KVM_IRQ_LINE, and a level source that asks
 * again through setipnum while it is still asserted, and no more once
 * it is not.  GRP_IMSIC and GRP_APLIC show the state the guest left.
 *
 * The state a VMM would save (GRP_APLIC, GRP_IMSIC of both vCPUs) is
 * restored into a second VM's chip and must read back the same.
 *
 * -m emul|hwaccel|auto sets the device's MODE first (default: the
 * module's own).  With hwaccel or auto the guest's file is a VS-file of
 * the host's IMSIC, and GRP_IMSIC reaches it on its hart; the VM's
 * counters, where the module has them, must show where the MSIs went.
 *
 * Skips where the host has no Ssaia (KVM_CAP_IRQCHIP 0).
 */
#include "rvkvm_test.h"
#include "processor.h"

#define AIA_GRP(g)	KVM_DEV_RISCV_AIA_GRP_##g
#define CFG(a)		KVM_DEV_RISCV_AIA_CONFIG_##a
#define APLIC_GPA	0x0d000000UL
#define IMSIC_GPA	0x28000000UL
#define NSRCS		32
#define NIDS		63

/* The guest's APLIC registers. */
#define DOMAINCFG	0x0000
#define SOURCECFG(i)	(0x0004 + 4 * ((i) - 1))
#define SETIPNUM	0x1cdc
#define SETIENUM	0x1edc
#define TARGET(i)	(0x3004 + 4 * ((i) - 1))
#define SM_EDGE_RISE	4
#define SM_LEVEL_HIGH	6
#define EDGE_SRC	3
#define LEVEL_SRC	4
#define EDGE_ID		9
#define LEVEL_ID	10

static int aia_mode = -1;	/* -m */

/* Guest: the identities claimed, in order. */
static u32 claimed[16];
static u32 nclaimed;
static unsigned long iprio0 = ~0UL;	/* iprio0 after writing it */

static void guest_irq(struct rvkvm_ex_regs *regs)
{
	unsigned long top;
	u32 n = READ_ONCE(nclaimed);

	asm volatile("csrrw %0, 0x15c, zero" : "=r" (top));	/* stopei */
	if (n < ARRAY_SIZE(claimed))
		claimed[n] = top >> 16;
	WRITE_ONCE(nclaimed, n + 1);
}

static void isel_write(unsigned long isel, unsigned long val)
{
	csr_write(CSR_SISELECT, isel);
	csr_write(CSR_SIREG, val);
}

static void aplic_write(u32 off, u32 val)
{
	WRITE_ONCE(*(u32 *)(APLIC_GPA + off), val);
}

/* Wait until @n identities were claimed, or give up after a while. */
static void guest_wait(u32 n)
{
	unsigned long i;

	for (i = 0; i < 100000000UL && READ_ONCE(nclaimed) < n; i++)
		asm volatile("nop");
}

static void guest_code(void)
{
	isel_write(0x30, 0x0101010101010101UL);	/* iprio0: traps, emulated */
	iprio0 = csr_read(CSR_SIREG);
	isel_write(0x70, 1);			/* eidelivery */
	isel_write(0x72, 0);			/* eithreshold */
	isel_write(0xc0, ~1UL);			/* eie0: identities 1..63 */
	csr_set(CSR_SIE, IE_EIE);
	local_irq_enable();
	GUEST_SYNC(1);				/* MSIs: SIGNAL_MSI, irqfd */
	guest_wait(2);
	aplic_write(SOURCECFG(EDGE_SRC), SM_EDGE_RISE);
	aplic_write(TARGET(EDGE_SRC), EDGE_ID);
	aplic_write(SETIENUM, EDGE_SRC);
	aplic_write(SOURCECFG(LEVEL_SRC), SM_LEVEL_HIGH);
	aplic_write(TARGET(LEVEL_SRC), LEVEL_ID);
	aplic_write(SETIENUM, LEVEL_SRC);
	aplic_write(DOMAINCFG, BIT(8));		/* IE */
	GUEST_SYNC(2);				/* KVM_IRQ_LINE: edge, level */
	guest_wait(4);
	aplic_write(SETIPNUM, LEVEL_SRC);	/* still asserted: again */
	guest_wait(5);
	GUEST_SYNC(3);				/* the level source let go */
	aplic_write(SETIPNUM, LEVEL_SRC);	/* not asserted: nothing */
	guest_wait(6);
	GUEST_DONE();
}

static int cfg_set(int fd, u64 attr, u32 v)
{
	return rvkvm_aia_attr(fd, true, AIA_GRP(CONFIG), attr, &v);
}

static int addr_set(int fd, u64 attr, u64 v)
{
	return rvkvm_aia_attr(fd, true, AIA_GRP(ADDR), attr, &v);
}

static int ctrl_init(int fd)
{
	return rvkvm_aia_attr(fd, true, AIA_GRP(CTRL), KVM_DEV_RISCV_AIA_CTRL_INIT,
			NULL);
}

static int irq_line(struct kvm_vm *vm, u32 irq, u32 level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &l) ? -errno : 0;
}

/* CONFIG rows: an attribute, a value it takes and one it refuses. */
static const struct {
	u64 attr;
	u32 good, bad;
} cfg_rows[] = {
	{ CFG(MODE), KVM_DEV_RISCV_AIA_MODE_EMUL, 3 },
	{ CFG(IDS), NIDS, 64 },
	{ CFG(IDS), NIDS, 62 },
	{ CFG(SRCS), NSRCS, KVM_DEV_RISCV_AIA_SRCS_MAX },
	{ CFG(GROUP_BITS), 0, KVM_DEV_RISCV_AIA_GROUP_BITS_MAX },
	{ CFG(GROUP_SHIFT), 24, 23 },
	{ CFG(GROUP_SHIFT), 24, KVM_DEV_RISCV_AIA_GROUP_SHIFT_MAX },
	{ CFG(HART_BITS), 1, KVM_DEV_RISCV_AIA_HART_BITS_MAX },
	{ CFG(GUEST_BITS), 0, KVM_DEV_RISCV_AIA_GUEST_BITS_MAX },
};

/* The attributes before and around CTRL_INIT; returns the device fd. */
static int test_attributes(struct kvm_vm *vm, int nvcpus)
{
	int fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA);
	u32 v;
	u64 a;
	int i, bad = 0;

	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): %d", fd);
	TEST_ASSERT(__kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA) < 0 &&
		    errno == EEXIST, "a second AIA device: errno %d", errno);
	ksft_test_result(!rvkvm_aia_attr(fd, false, AIA_GRP(CONFIG), CFG(GROUP_SHIFT), &v) &&
			 v == 24, "defaults: GROUP_SHIFT 24 (%u)\n", v);
	for (i = 0; i < ARRAY_SIZE(cfg_rows); i++) {
		if (cfg_set(fd, cfg_rows[i].attr, cfg_rows[i].bad) != -EINVAL ||
		    cfg_set(fd, cfg_rows[i].attr, cfg_rows[i].good)) {
			ksft_print_msg("CONFIG %lu: %u not EINVAL or %u refused\n",
				       (unsigned long)cfg_rows[i].attr, cfg_rows[i].bad,
				       cfg_rows[i].good);
			bad++;
		}
	}
	bad += cfg_set(fd, 7, 0) != -ENXIO;
	ksft_test_result(!bad, "CONFIG: every bound EINVAL, a bad attribute ENXIO\n");
	if (aia_mode >= 0)
		TEST_ASSERT(!cfg_set(fd, CFG(MODE), aia_mode), "MODE %d refused",
			    aia_mode);

	ksft_test_result(addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_GPA + 8) == -EINVAL &&
			 addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(nvcpus), IMSIC_GPA) == -ENXIO &&
			 addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_MAX, IMSIC_GPA) == -ENXIO,
			 "ADDR: misaligned EINVAL, no such vCPU ENXIO\n");

	/* An incomplete layout, then whole. */
	bad = ctrl_init(fd) != -EINVAL;			/* no APLIC, no IMSICs */
	bad += addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_GPA) != 0;
	bad += ctrl_init(fd) != -EINVAL;			/* no IMSICs */
	for (i = 0; i < nvcpus; i++)
		bad += addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(i),
				IMSIC_GPA + i * 0x1000) != 0;
	bad += irq_line(vm, EDGE_SRC, 1) != -EBUSY;
	bad += rvkvm_aia_attr(fd, false, AIA_GRP(APLIC), DOMAINCFG, &v) != -ENODEV;
	ksft_test_result(!bad,
			 "CTRL_INIT refuses missing pages; IRQ_LINE EBUSY, GRP_APLIC ENODEV before it\n");

	ksft_test_result(!ctrl_init(fd) && ctrl_init(fd) == -EBUSY &&
			 cfg_set(fd, CFG(IDS), NIDS) == -EBUSY &&
			 addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_GPA) == -EBUSY,
			 "CTRL_INIT, then EBUSY for it, CONFIG and ADDR\n");
	ksft_test_result(irq_line(vm, 0, 1) == -ENODEV &&
			 irq_line(vm, NSRCS + 1, 1) == -ENODEV &&
			 !irq_line(vm, NSRCS, 0) &&
			 rvkvm_aia_attr(fd, false, 9, 0, &a) == -ENXIO,
			 "IRQ_LINE: sources 0 and SRCS+1 ENODEV, SRCS takes it; unknown group ENXIO\n");
	return fd;
}

/* Run until the guest's GUEST_SYNC(@stage), or its end for 0. */
/*
 * Two vCPUs behind one IMSIC page: refused at CTRL_INIT, where 6.12
 * takes it and one file then has two vCPUs.
 */
static void test_shared_page(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm = vm_create_with_vcpus(2, guest_code, vcpus);
	int fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA);

	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): %d", errno);
	TEST_ASSERT(!cfg_set(fd, CFG(HART_BITS), 1) &&
		    !addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), IMSIC_GPA) &&
		    !addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(1), IMSIC_GPA),
		    "setting up two vCPUs on one page");
	ksft_test_result(ctrl_init(fd) == -EINVAL,
			 "two vCPUs on one IMSIC page: CTRL_INIT EINVAL\n");
	close(fd);
	kvm_vm_free(vm);
}

static void run_to(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;
	u64 cmd;

	vcpu_run(vcpu);
	cmd = rvkvm_sync_or_done(vcpu, &uc);
	TEST_ASSERT(stage ? cmd == UCALL_SYNC && uc.args[1] == stage :
			    cmd == UCALL_DONE,
		    "guest: ucall %lu (%lu), expected stage %lu",
		    (unsigned long)cmd, (unsigned long)uc.args[1],
		    (unsigned long)stage);
}

static int signal_msi(struct kvm_vm *vm, u64 addr, u32 data)
{
	struct kvm_msi msi = {
		.address_lo = (u32)addr, .address_hi = addr >> 32, .data = data,
	};

	return ioctl(vm->fd, KVM_SIGNAL_MSI, &msi) ? -errno : 0;
}

/* Where the MSIs went, by the VM's counters (rvkvm's; not Debian's). */
static void check_counters(struct kvm_vm *vm)
{
	u64 hw = 0, sw = 0, moves = 0;
	bool emul = aia_mode == KVM_DEV_RISCV_AIA_MODE_EMUL;

	if (!rvkvm_vm_stat(vm, "aia_msi_hw", &hw) || aia_mode < 0) {
		ksft_test_result_skip("the module has no AIA counters, or no -m\n");
		return;
	}
	rvkvm_vm_stat(vm, "aia_msi_sw", &sw);
	rvkvm_vm_stat(vm, "aia_vsfile_moves", &moves);
	ksft_print_msg("MSIs in VS-files %lu, in software %lu, moves %lu\n",
		       (unsigned long)hw, (unsigned long)sw,
		       (unsigned long)moves);
	ksft_test_result(emul ? !hw && !moves && sw >= 2 : hw >= 2 && moves >= 1,
			 "counters: MSIs went to %s files\n",
			 emul ? "software" : "VS-");
}

/* GRP_IMSIC: eie of identities 1..63 written and read back exactly. */
static bool eie_round_trip(int fd)
{
	u64 attr = KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, 0xc0);
	unsigned long want = 0x5555555555555554UL, saved, got = 0;

	if (rvkvm_aia_attr(fd, false, AIA_GRP(IMSIC), attr, &saved) ||
	    rvkvm_aia_attr(fd, true, AIA_GRP(IMSIC), attr, &want) ||
	    rvkvm_aia_attr(fd, false, AIA_GRP(IMSIC), attr, &got) ||
	    rvkvm_aia_attr(fd, true, AIA_GRP(IMSIC), attr, &saved))
		return false;
	return got == want;
}

/* A second VM's chip with the first one's layout, two vCPUs, initialized. */
static int chip_like_the_first(struct kvm_vm **vmp)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm = vm_create_with_vcpus(2, guest_code, vcpus);
	int fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA), i;

	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): %d", errno);
	TEST_ASSERT(!cfg_set(fd, CFG(IDS), NIDS) && !cfg_set(fd, CFG(SRCS), NSRCS) &&
		    !cfg_set(fd, CFG(HART_BITS), 1) &&
		    (aia_mode < 0 || !cfg_set(fd, CFG(MODE), aia_mode)) &&
		    !addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_APLIC, APLIC_GPA),
		    "the second chip's configuration");
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!addr_set(fd, KVM_DEV_RISCV_AIA_ADDR_IMSIC(i),
				      IMSIC_GPA + i * 0x1000), "IMSIC %d", i);
	TEST_ASSERT(!ctrl_init(fd), "the second chip's CTRL_INIT");
	*vmp = vm;
	return fd;
}

/*
 * The state a VMM would save, in the order it restores it: the APLIC's
 * sources, targets, enables and pending bits, then domaincfg (which
 * turns delivery on); each vCPU's eidelivery, eithreshold, eip0, eie0.
 */
#define SAVED_APLIC	(2 * NSRCS + 2 * 2 + 1)
#define SAVED_IMSIC	4
static const u32 imsic_saved[SAVED_IMSIC] = { 0x70, 0x72, 0x80, 0xc0 };

static u32 aplic_saved(int i)
{
	if (i < NSRCS)
		return SOURCECFG(i + 1);
	i -= NSRCS;
	if (i < NSRCS)
		return TARGET(i + 1);
	i -= NSRCS;
	if (i < 2)
		return 0x1e00 + 4 * i;	/* setie */
	i -= 2;
	if (i < 2)
		return 0x1c00 + 4 * i;	/* setip */
	return DOMAINCFG;
}

static void save_or_restore(int fd, bool restore, u32 *aplic, unsigned long *imsic)
{
	int i, v;
	u64 attr;

	for (i = 0; i < SAVED_APLIC; i++)
		TEST_ASSERT(!rvkvm_aia_attr(fd, restore, AIA_GRP(APLIC),
					    aplic_saved(i), &aplic[i]),
			    "GRP_APLIC 0x%x", aplic_saved(i));
	for (v = 0; v < 2; v++)
		for (i = 0; i < SAVED_IMSIC; i++) {
			attr = KVM_DEV_RISCV_AIA_IMSIC_MKATTR(v, imsic_saved[i]);
			TEST_ASSERT(!rvkvm_aia_attr(fd, restore, AIA_GRP(IMSIC),
						    attr, &imsic[v * SAVED_IMSIC + i]),
				    "GRP_IMSIC %d 0x%x", v, imsic_saved[i]);
		}
}

/*
 * Save the first chip's state after its guest ran (vCPU 0's file in a
 * VS-file under AUTO and HWACCEL, vCPU 1's never run, with an identity
 * pending), restore it into a second VM's chip, and read it back.
 */
static bool state_round_trip(struct kvm_vm *vm, int fd)
{
	u32 aplic[SAVED_APLIC], aplic2[SAVED_APLIC];
	unsigned long imsic[2 * SAVED_IMSIC], imsic2[2 * SAVED_IMSIC];
	struct kvm_vm *vm2;
	int fd2, i;
	bool same;

	TEST_ASSERT(!signal_msi(vm, IMSIC_GPA + 0x1000, 12), "an MSI to vCPU 1");
	save_or_restore(fd, false, aplic, imsic);
	fd2 = chip_like_the_first(&vm2);
	save_or_restore(fd2, true, aplic, imsic);
	save_or_restore(fd2, false, aplic2, imsic2);
	same = !memcmp(aplic, aplic2, sizeof(aplic)) &&
	       !memcmp(imsic, imsic2, sizeof(imsic));
	for (i = 0; i < 2 * SAVED_IMSIC; i++)
		if (imsic[i] != imsic2[i])
			ksft_print_msg("IMSIC %d 0x%x: saved %lx, restored %lx\n",
				       i / SAVED_IMSIC, imsic_saved[i % SAVED_IMSIC],
				       imsic[i], imsic2[i]);
	for (i = 0; i < SAVED_APLIC; i++)
		if (aplic[i] != aplic2[i])
			ksft_print_msg("APLIC 0x%x: saved %x, restored %x\n",
				       aplic_saved(i), aplic[i], aplic2[i]);
	same &= imsic[SAVED_IMSIC + 2] == BIT(12) && imsic[0] == 1;
	close(fd2);
	kvm_vm_free(vm2);
	return same;
}

int main(int argc, char **argv)
{
	struct kvm_vcpu *vcpu, *other;
	u32 got[6] = {}, n, v32;
	unsigned long ul;
	struct kvm_vm *vm;
	int fd, efd, opt;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		aia_mode = rvkvm_aia_mode(optarg);
		TEST_ASSERT(opt == 'm' && aia_mode >= 0,
			    "usage: aia_irqchip [-m emul|hwaccel|auto]");
	}
	ksft_print_header();
	if (!kvm_check_cap(KVM_CAP_IRQCHIP))
		ksft_exit_skip("KVM_CAP_IRQCHIP is 0: the host has no Ssaia\n");
	ksft_set_plan(16);
	test_shared_page();

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	other = vm_vcpu_add(vm, 1, guest_code);
	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(vcpu);
	vm_install_interrupt_handler(vm, guest_irq);
	virt_map(vm, APLIC_GPA, APLIC_GPA, KVM_DEV_RISCV_APLIC_SIZE / 0x1000);
	fd = test_attributes(vm, 2);
	(void)other;

	run_to(vcpu, 1);
	ksft_test_result(signal_msi(vm, IMSIC_GPA, 0) == -ENODEV &&
			 signal_msi(vm, IMSIC_GPA, NIDS + 1) == -EINVAL &&
			 !signal_msi(vm, IMSIC_GPA + 0x10000, 5),
			 "KVM_SIGNAL_MSI: identity 0 ENODEV, past IDS EINVAL, to no file 0\n");
	TEST_ASSERT(!signal_msi(vm, IMSIC_GPA, 5), "KVM_SIGNAL_MSI: %d", errno);
	efd = rvkvm_msi_irqfd(vm, IMSIC_GPA, 7);
	TEST_ASSERT(eventfd_write(efd, 1) == 0, "eventfd_write");
	run_to(vcpu, 2);
	irq_line(vm, EDGE_SRC, 1);
	irq_line(vm, EDGE_SRC, 0);
	irq_line(vm, LEVEL_SRC, 1);
	run_to(vcpu, 3);
	irq_line(vm, LEVEL_SRC, 0);
	run_to(vcpu, 0);

	sync_global_from_guest(vm, claimed);
	sync_global_from_guest(vm, nclaimed);
	sync_global_from_guest(vm, iprio0);
	n = nclaimed;
	memcpy(got, claimed, sizeof(got));
	ksft_print_msg("claimed %u: %u %u %u %u %u %u\n", n, got[0], got[1],
		       got[2], got[3], got[4], got[5]);
	ksft_test_result(got[0] == 5 && got[1] == 7,
			 "KVM_SIGNAL_MSI and an irqfd MSI route: identities 5, 7\n");
	ksft_test_result(got[2] == EDGE_ID && got[3] == LEVEL_ID,
			 "APLIC: the edge and the level source, by KVM_IRQ_LINE\n");
	ksft_test_result(got[4] == LEVEL_ID && n == 5,
			 "APLIC: setipnum again while asserted, not after (%u claims)\n", n);
	ksft_test_result(!rvkvm_aia_attr(fd, false, AIA_GRP(IMSIC),
					 KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, 0x70),
					 &ul) && ul == 1 &&
			 !rvkvm_aia_attr(fd, false, AIA_GRP(APLIC), TARGET(EDGE_SRC), &v32) &&
			 v32 == EDGE_ID,
			 "GRP_IMSIC eidelivery 1, GRP_APLIC target %u\n", v32);
	/* Each priority byte may be read-only zero (AIA), or keep the write. */
	ksft_test_result(!(iprio0 & ~0x0101010101010101UL),
			 "the guest's iprio0: emulated, each byte 0 or as written (%lx)\n",
			 iprio0);
	ksft_test_result(eie_round_trip(fd),
			 "GRP_IMSIC: eie written and read back exactly\n");
	ksft_test_result(state_round_trip(vm, fd),
			 "APLIC and IMSIC state saved, restored into a new VM, read back\n");
	check_counters(vm);
	close(efd);
	close(fd);
	kvm_vm_free(vm);
	ksft_finished();
}
