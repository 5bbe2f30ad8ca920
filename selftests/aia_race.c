// SPDX-License-Identifier: GPL-2.0
/*
 * aia_race: the AIA device's attributes at random, before CTRL_INIT and
 * while the vCPUs run, racing their IMSIC files as they move between
 * harts.
 *
 * Before CTRL_INIT: random KVM_GET/SET/HAS_DEVICE_ATTR calls over every
 * group and one past them, attributes at and near each group's bounds
 * and at random, values at bounds and at random (CTRL_INIT itself is
 * only asked about).  Then a valid layout and CTRL_INIT.  Then for SECS
 * seconds two vCPUs run a guest that stores MSIs into each other's
 * IMSIC page, reads its own file through sireg and claims through
 * stopei, their threads swapped between the two host CPUs every 2 ms,
 * so that VS-files move (MODE AUTO, the default here, or HWACCEL, which
 * needs a free file on each hart for each vCPU), while the main thread
 * goes on with random attribute calls (GRP_IMSIC reads and writes of
 * the running files among them), KVM_SIGNAL_MSI to random pages and
 * identities, and KVM_IRQ_LINE to random sources.
 *
 * Passes when every call answered 0 or an errno the uapi gives for bad
 * input (EINVAL, ENXIO, ENODEV, EBUSY; as 6.12, ENOENT for a GRP_IMSIC
 * number that is no IMSIC register and EOPNOTSUPP for a misaligned
 * APLIC offset), both vCPUs kept running, and
 * (the runner checks) the kernel log stayed clean.  Skips without
 * KVM_CAP_IRQCHIP.
 *
 *   aia_race [-s SEED] [-t SECS] [-m emul|hwaccel|auto]
 */
#include <stdlib.h>
#include <time.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define AIA_GRP(g)	KVM_DEV_RISCV_AIA_GRP_##g
#define CFG(a)		KVM_DEV_RISCV_AIA_CONFIG_##a
#define APLIC_GPA	0x0d000000UL
#define IMSIC_GPA	0x28000000UL
#define NIDS		63
#define NSRCS		32
#define PRE_CALLS	20000

/* Shared with the guest. */
static u64 stop;
static u64 loops[2];

static void guest_irq(struct rvkvm_ex_regs *regs)
{
	unsigned long top;

	asm volatile("csrrw %0, 0x15c, zero" : "=r" (top));	/* stopei */
}

static void guest_code(void)
{
	unsigned int me = guest_get_vcpuid();
	u32 *peer = (u32 *)(IMSIC_GPA + (1 - me) * 4096UL);
	u64 n = 0;

	csr_write(CSR_SISELECT, 0x70);		/* eidelivery */
	csr_write(CSR_SIREG, 1);
	csr_write(CSR_SISELECT, 0xc0);		/* eie0: identities 1..63 */
	csr_write(CSR_SIREG, ~1UL);
	csr_set(CSR_SIE, IE_EIE);
	local_irq_enable();
	while (!READ_ONCE(stop)) {
		WRITE_ONCE(*peer, 1 + (n & 31));	/* an MSI to the other */
		csr_write(CSR_SISELECT, 0x80);		/* eip0 */
		(void)csr_read(CSR_SIREG);
		WRITE_ONCE(loops[me], ++n);
	}
	GUEST_DONE();
}

static u64 seed;
static u64 rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Errnos seen, by number; the allowed ones are the uapi's for bad input. */
static unsigned long seen[256];

static bool errno_allowed(int e)
{
	return !e || e == EINVAL || e == ENXIO || e == ENODEV || e == EBUSY ||
	       e == ENOENT || e == EOPNOTSUPP;
}

static void note(int r, const char *what, u64 group, u64 attr)
{
	int e = r ? errno : 0;

	seen[e & 255]++;
	TEST_ASSERT(errno_allowed(e), "%s group %lu attr 0x%lx: errno %d",
		    what, (unsigned long)group, (unsigned long)attr, e);
}

/* A value for an attribute: a bound, a layout number, or anything. */
static u64 rnd_value(void)
{
	static const u64 picks[] = {
		0, 1, 2, 3, 23, 24, 55, 56, 62, 63, 64, 1023, 1024, 2047, 2048,
		APLIC_GPA, IMSIC_GPA, IMSIC_GPA + 4096, ~0ULL, 0x80000000UL,
	};

	return rnd() % 3 ? picks[rnd() % ARRAY_SIZE(picks)] : rnd();
}

/* An attribute of @group: near its bounds mostly, at random sometimes. */
static u64 rnd_attr(u64 group)
{
	if (!(rnd() % 16))
		return rnd();
	switch (group) {
	case AIA_GRP(CONFIG):
		return rnd() % 9;
	case AIA_GRP(ADDR):
		return rnd() % (KVM_DEV_RISCV_AIA_ADDR_MAX + 2);
	case AIA_GRP(CTRL):
		return rnd() % 3;
	case AIA_GRP(APLIC):
		return (rnd() % 0x4010) & ~(rnd() % 8 ? 3UL : 0UL);
	case AIA_GRP(IMSIC):
		return KVM_DEV_RISCV_AIA_IMSIC_MKATTR(rnd() % 3,
						      0x60 + rnd() % 0xb0);
	default:
		return rnd() % 8;
	}
}

/* One random call on the device; no CTRL_INIT while @init_ok is false. */
static void fuzz_attr(int fd, bool init_ok)
{
	u64 group = rnd() % 7, val = rnd_value();
	struct kvm_device_attr a = {
		.group = group, .attr = rnd_attr(group),
		.addr = (u64)(unsigned long)&val,
	};
	unsigned int op = rnd() % 3;

	if (op == 1 && group == AIA_GRP(CTRL) && !init_ok)
		op = 0;
	switch (op) {
	case 0:
		note(ioctl(fd, KVM_GET_DEVICE_ATTR, &a), "get", a.group, a.attr);
		break;
	case 1:
		note(ioctl(fd, KVM_SET_DEVICE_ATTR, &a), "set", a.group, a.attr);
		break;
	default:
		note(ioctl(fd, KVM_HAS_DEVICE_ATTR, &a), "has", a.group, a.attr);
	}
}

/* MSIs and wired lines from the host, to pages and sources at random. */
static void fuzz_inject(struct kvm_vm *vm)
{
	u64 addr = IMSIC_GPA + (rnd() % 4) * 4096;
	struct kvm_msi msi = {
		.address_lo = (u32)addr, .address_hi = addr >> 32,
		.data = rnd() % (NIDS + 8),
	};
	struct kvm_irq_level l = { .irq = rnd() % (NSRCS + 8),
				   .level = rnd() % 2 };

	note(ioctl(vm->fd, KVM_SIGNAL_MSI, &msi) < 0, "signal_msi", 0, msi.data);
	note(ioctl(vm->fd, KVM_IRQ_LINE, &l), "irq_line", 0, l.irq);
}

static int aia_set(int fd, u32 group, u64 attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (u64)(unsigned long)val,
	};

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) ? -errno : 0;
}

/* The layout the guest expects: two vCPUs, pages at IMSIC_GPA. */
static void set_layout(int fd, int mode)
{
	u32 v;
	u64 addr;
	int i;

	v = NIDS;
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CONFIG), CFG(IDS), &v), "IDS");
	v = NSRCS;
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CONFIG), CFG(SRCS), &v), "SRCS");
	v = 1;
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CONFIG), CFG(HART_BITS), &v), "HART_BITS");
	v = 0;
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CONFIG), CFG(GROUP_BITS), &v), "GROUP_BITS");
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CONFIG), CFG(GUEST_BITS), &v), "GUEST_BITS");
	/* AUTO, or EMUL where the host has no guest files; or -m's. */
	v = mode >= 0 ? mode : KVM_DEV_RISCV_AIA_MODE_AUTO;
	if (aia_set(fd, AIA_GRP(CONFIG), CFG(MODE), &v) && mode < 0)
		v = KVM_DEV_RISCV_AIA_MODE_EMUL;
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CONFIG), CFG(MODE), &v), "MODE %u", v);
	ksft_print_msg("MODE %u\n", v);
	addr = APLIC_GPA;
	TEST_ASSERT(!aia_set(fd, AIA_GRP(ADDR), KVM_DEV_RISCV_AIA_ADDR_APLIC, &addr),
		    "APLIC address");
	for (i = 0; i < 2; i++) {
		addr = IMSIC_GPA + i * 4096UL;
		TEST_ASSERT(!aia_set(fd, AIA_GRP(ADDR), KVM_DEV_RISCV_AIA_ADDR_IMSIC(i),
				     &addr), "IMSIC %d address", i);
	}
	TEST_ASSERT(!aia_set(fd, AIA_GRP(CTRL), KVM_DEV_RISCV_AIA_CTRL_INIT, NULL),
		    "CTRL_INIT of a valid layout: %d", errno);
}

int main(int argc, char **argv)
{
	unsigned long calls = 0, swaps = 0, i;
	struct kvm_vcpu *vcpus[2];
	struct rvkvm_pinned r[2];
	int cpus[2], fd, opt, mode = -1;
	double secs = 20, t0, last;
	struct kvm_vm *vm;
	u64 *gloops;

	seed = time(NULL);
	while ((opt = getopt(argc, argv, "s:t:m:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'm':
			mode = rvkvm_aia_mode(optarg);
			TEST_ASSERT(mode >= 0, "-m emul, hwaccel or auto");
			break;
		default:
			TEST_FAIL("usage: aia_race [-s SEED] [-t SECS] [-m MODE]");
		}
	}
	ksft_print_header();
	if (!kvm_check_cap(KVM_CAP_IRQCHIP))
		ksft_exit_skip("KVM_CAP_IRQCHIP is 0: the host has no Ssaia\n");
	TEST_REQUIRE(rvkvm_two_host_cpus(cpus) == 2);
	ksft_set_plan(2);
	ksft_print_msg("seed %lu, %.0f s\n", (unsigned long)seed, secs);
	seed = seed * 2 + 1;	/* never 0 for the xorshift */

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	vm_init_vector_tables(vm);
	vm_install_interrupt_handler(vm, guest_irq);
	for (i = 0; i < 2; i++)
		vcpu_init_vector_tables(vcpus[i]);
	virt_map(vm, IMSIC_GPA, IMSIC_GPA, 2);
	fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): errno %d", errno);

	for (i = 0; i < PRE_CALLS; i++)
		fuzz_attr(fd, false);
	calls += PRE_CALLS;
	ksft_test_result_pass("%d random attribute calls before CTRL_INIT\n",
			      PRE_CALLS);

	/* Whatever the calls left: a fresh device is not to be had, so set all. */
	set_layout(fd, mode);
	for (i = 0; i < 2; i++)
		rvkvm_pinned_start(&r[i], vcpus[i], cpus[i]);
	t0 = rvkvm_now();
	last = t0;
	while (rvkvm_now() - t0 < secs) {
		fuzz_attr(fd, true);
		fuzz_inject(vm);
		calls += 3;
		if (rvkvm_now() - last >= 0.002) {
			rvkvm_pinned_swap(r, &swaps);
			last = rvkvm_now();
		}
	}
	stop = 1;
	sync_global_to_guest(vm, stop);
	for (i = 0; i < 2; i++)
		pthread_join(r[i].thr, NULL);
	gloops = addr_gva2hva(vm, (rvkvm_gva_t)loops);
	ksft_print_msg("%lu calls, %lu swaps; guest loops %lu and %lu\n", calls,
		       swaps, (unsigned long)gloops[0], (unsigned long)gloops[1]);
	ksft_print_msg("answers: 0 %lu, EINVAL %lu, ENXIO %lu, ENODEV %lu, EBUSY %lu\n",
		       seen[0], seen[EINVAL], seen[ENXIO], seen[ENODEV], seen[EBUSY]);
	ksft_print_msg("answers: ENOENT %lu, EOPNOTSUPP %lu\n", seen[ENOENT],
		       seen[EOPNOTSUPP]);
	ksft_test_result(gloops[0] && gloops[1],
			 "both vCPUs ran while attributes, MSIs and lines raced them\n");
	close(fd);
	kvm_vm_free(vm);
	ksft_finished();
}
