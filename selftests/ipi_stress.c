// SPDX-License-Identifier: GPL-2.0
/*
 * ipi_stress: two vCPUs ping-pong SBI IPIs; none may be lost.
 *
 * The vCPUs run on threads pinned to two different host CPUs, so both
 * harts are busy.  They pass a sequence number: the sender of number s
 * publishes it and sends an IPI, the receiver's interrupt handler clears
 * its software interrupt (sip.SSIP), acknowledges s in shared memory and
 * then, after a short random delay, makes an SBI call.  That call is an
 * exit right after the guest cleared SSIP, which is when the host folds
 * the guest's clearing back into its own record of pending interrupts,
 * and it races with the sender's next IPI, sent as soon as the
 * acknowledgment lands.  The direction and the receiver's way of
 * waiting change every PHASE numbers: 0 to 1 and 1 to 0, the receiver
 * spinning with interrupts on or sleeping in WFI.
 *
 * With -m imsic the IPIs are MSIs instead: the in-kernel AIA gives each
 * vCPU an IMSIC file, the sender writes identity 1 into the receiver's
 * MSI page and the receiver claims it through stopei.  That races the
 * external interrupt line the same way, from a guest store.
 *
 * With -M the AIA device's MODE is set (emul, hwaccel, auto; the
 * default is the module's): with hwaccel or auto each file lives in a
 * guest interrupt file of the host's IMSIC (a VS-file) on the hart its
 * vCPU runs on.  -x MS swaps the two vCPU threads between the two host
 * CPUs every MS milliseconds, so each VS-file keeps moving with its
 * vCPU while MSIs arrive.  The VM's AIA counters are printed at the end,
 * where the module has them.
 *
 * An IPI that is not acknowledged within LATE_MS of guest time is late
 * (the emulated host is slow, or busy); one not acknowledged within
 * LOST_MS is lost: nothing but a new IPI would ever deliver it.  The
 * sender then sends it again, so the run goes on, and the test fails.
 *
 *   ipi_stress [-n IPIS] [-s SEED] [-m sbi|imsic] [-M MODE] [-x MS]
 */
#include <stdlib.h>
#include <time.h>
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define SBI_EXT_IPI		0x735049
#define PHASE			1000	/* numbers per direction and mode */
#define LATE_MS			100
#define LOST_MS			5000
#define MAX_DELAY		256	/* loop turns before the handler's call */
#define DEFAULT_IPIS		200000
#define IMSIC_GPA		0x28000000UL	/* vCPU n's file: page n */
#define MSI_ID			1

/* Shared with the guest (sync_global_to_guest). */
static u64 nr_ipis;
static u64 ticks_per_ms;
static u64 seed;
static bool use_imsic;
static int aia_mode = -1;		/* -M: the module's default */
static unsigned int migrate_ms;	/* -x */
static bool finished;

/* Guest memory, read back by the host when the guest is done. */
static u64 sent;		/* last number published by a sender */
static u64 acked;		/* last number a receiver acknowledged */
static u64 late[2], lost[2], resent[2], handled[2], spurious[2];
static u64 rng[2];

/* Number s is sent by vCPU sender_of(s); its receiver waits in WFI when
 * the phase is odd.
 */
static unsigned int guest_sender_of(u64 s)
{
	return (s / PHASE) & 1;
}

static bool guest_waits_in_wfi(u64 s)
{
	return (s / (2 * PHASE)) & 1;
}

static u64 guest_rand(unsigned int me)
{
	u64 x = rng[me];

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng[me] = x;
	return x;
}

static void guest_send_ipi(unsigned int to)
{
	struct sbiret r;

	if (use_imsic) {
		WRITE_ONCE(*(u32 *)(IMSIC_GPA + to * 4096UL), MSI_ID);
		return;
	}
	r = sbi_ecall(SBI_EXT_IPI, 0, 1UL << to, 0, 0, 0, 0, 0);
	GUEST_ASSERT_EQ(r.error, 0);
}

/* Take the IPI: clear sip.SSIP, or claim the MSI's identity (stopei). */
static void guest_take_ipi(struct rvkvm_ex_regs *regs)
{
	unsigned long top;

	if (!use_imsic) {
		GUEST_ASSERT_EQ(regs->cause, CAUSE_IRQ_FLAG | IRQ_S_SOFT);
		csr_clear(CSR_SIP, IE_SIE);
		return;
	}
	GUEST_ASSERT_EQ(regs->cause, CAUSE_IRQ_FLAG | IRQ_S_EXT);
	asm volatile("csrrw %0, 0x15c, zero" : "=r" (top));	/* stopei */
	GUEST_ASSERT_EQ(top >> 16, MSI_ID);
}

/* This hart's IMSIC file: delivery on, identity MSI_ID enabled. */
static void guest_imsic_init(void)
{
	csr_write(CSR_SISELECT, 0x70);		/* eidelivery */
	csr_write(CSR_SIREG, 1);
	csr_write(CSR_SISELECT, 0x72);		/* eithreshold */
	csr_write(CSR_SIREG, 0);
	csr_write(CSR_SISELECT, 0xc0);		/* eie0 */
	csr_write(CSR_SIREG, BIT(MSI_ID));
	csr_set(CSR_SIE, IE_EIE);
}

/* An exit after the clearing: it races the sender's next IPI. */
static void guest_exit_soon(unsigned int me)
{
	unsigned long n = guest_rand(me) % MAX_DELAY;

	while (n--)
		asm volatile("nop");
	sbi_ecall(SBI_EXT_BASE, SBI_EXT_BASE_GET_SPEC_VERSION, 0, 0, 0, 0, 0, 0);
}

static void guest_irq(struct rvkvm_ex_regs *regs)
{
	unsigned int me = guest_get_vcpuid();
	u64 s;

	guest_take_ipi(regs);
	s = READ_ONCE(sent);
	if (s > READ_ONCE(acked) && guest_sender_of(s) != me) {
		WRITE_ONCE(acked, s);
		handled[me]++;
	} else {
		spurious[me]++;
	}
	guest_exit_soon(me);
}

static void guest_receive(u64 s)
{
	if (!guest_waits_in_wfi(s)) {
		local_irq_enable();
		while (READ_ONCE(acked) < s)
			asm volatile("nop");
		local_irq_disable();
		return;
	}
	while (READ_ONCE(acked) < s) {
		asm volatile("wfi");
		local_irq_enable();
		local_irq_disable();
	}
}

/* Wait for the acknowledgment of s; true if it came in time. */
static bool guest_wait_ack(u64 s, u64 limit_ms, u64 *start)
{
	while (READ_ONCE(acked) < s) {
		if (csr_read(CSR_TIME) - *start > limit_ms * ticks_per_ms)
			return false;
		asm volatile("nop");
	}
	return true;
}

static void guest_send(unsigned int me, u64 s)
{
	u64 start = csr_read(CSR_TIME);

	WRITE_ONCE(sent, s);
	guest_send_ipi(!me);
	if (guest_wait_ack(s, LATE_MS, &start))
		return;
	late[me]++;
	if (guest_wait_ack(s, LOST_MS, &start))
		return;
	/* Nothing will ever deliver it now: count it, and send it again. */
	lost[me]++;
	while (READ_ONCE(acked) < s) {
		resent[me]++;
		guest_send_ipi(!me);
		start = csr_read(CSR_TIME);
		guest_wait_ack(s, LOST_MS, &start);
	}
}

static void guest_code(void)
{
	unsigned int me = guest_get_vcpuid();
	u64 s;

	rng[me] = seed * 2 + me + 1;
	local_irq_disable();
	if (use_imsic)
		guest_imsic_init();
	else
		csr_set(CSR_SIE, IE_SIE);
	for (s = 1; s <= nr_ipis; s++) {
		if (guest_sender_of(s) == me)
			guest_send(me, s);
		else
			guest_receive(s);
	}
	GUEST_DONE();
}

/* The in-kernel AIA with one IMSIC file per vCPU, at IMSIC_GPA. */
static int imsic_setup(struct kvm_vm *vm)
{
	int fd = __kvm_create_device(vm, KVM_DEV_TYPE_RISCV_AIA);
	u64 addr;
	u32 bits = 1;
	int i;

	TEST_ASSERT(fd >= 0, "KVM_CREATE_DEVICE(AIA): errno %d", errno);
	kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
			    KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, &bits);
	if (aia_mode >= 0) {
		u32 mode = aia_mode;

		kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
				    KVM_DEV_RISCV_AIA_CONFIG_MODE, &mode);
	}
	for (i = 0; i < 2; i++) {
		addr = IMSIC_GPA + i * 4096UL;
		kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
				    KVM_DEV_RISCV_AIA_ADDR_IMSIC(i), &addr);
	}
	kvm_device_attr_set(fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
			    KVM_DEV_RISCV_AIA_CTRL_INIT, NULL);
	virt_map(vm, IMSIC_GPA, IMSIC_GPA, 2);
	return fd;
}

/* -x: swap the two vCPU threads' host CPUs every migrate_ms. */
static void *migrator(void *arg)
{
	struct rvkvm_pinned *harts = arg;
	unsigned long swaps = 0;

	while (!READ_ONCE(finished)) {
		usleep(migrate_ms * 1000);
		rvkvm_pinned_swap(harts, &swaps);
	}
	ksft_print_msg("vCPU threads swapped %lu times\n", swaps);
	return NULL;
}

/* The module's AIA counters, where it has them. */
static void print_aia_stats(struct kvm_vm *vm)
{
	static const char * const names[] = {
		"aia_msi_hw", "aia_msi_sw", "aia_msi_dropped",
		"aia_vsfile_moves", "aia_vsfile_fallbacks",
	};
	u64 v;
	int i;

	for (i = 0; i < 5; i++)
		if (rvkvm_vm_stat(vm, names[i], &v))
			ksft_print_msg("%s %lu\n", names[i], (unsigned long)v);
}

/* Sum a per-vCPU counter of the guest. */
static u64 guest_sum(struct kvm_vm *vm, u64 *counter)
{
	u64 *v = addr_gva2hva(vm, (rvkvm_gva_t)counter);

	return v[0] + v[1];
}

int main(int argc, char **argv)
{
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	struct rvkvm_pinned harts[2];
	struct kvm_vcpu *vcpus[2];
	pthread_t mig;
	struct kvm_vm *vm;
	int cpus[2], opt, i, aia_fd = -1;
	u64 lost_total;
	double t0, t_print, secs;

	nr_ipis = DEFAULT_IPIS;
	seed = time(NULL);
	while ((opt = getopt(argc, argv, "n:s:m:M:x:")) != -1) {
		switch (opt) {
		case 'n':
			nr_ipis = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			use_imsic = !strcmp(optarg, "imsic");
			TEST_ASSERT(use_imsic || !strcmp(optarg, "sbi"),
				    "-m sbi or -m imsic");
			break;
		case 'M':
			aia_mode = rvkvm_aia_mode(optarg);
			TEST_ASSERT(aia_mode >= 0, "-M emul, hwaccel or auto");
			break;
		case 'x':
			migrate_ms = strtoul(optarg, NULL, 0);
			break;
		default:
			TEST_FAIL("usage: ipi_stress [-n IPIS] [-s SEED] [-m sbi|imsic]\n"
				  "                  [-M emul|hwaccel|auto] [-x MS]");
		}
	}
	ksft_print_header();
	ksft_set_plan(1);
	ksft_print_msg("seed %lu, %lu IPIs by %s\n", seed, nr_ipis,
		       use_imsic ? "IMSIC MSIs" : "SBI");
	TEST_REQUIRE(rvkvm_two_host_cpus(cpus) == 2);
	if (use_imsic && !kvm_check_cap(KVM_CAP_IRQCHIP))
		ksft_exit_skip("KVM_CAP_IRQCHIP is 0: the host has no Ssaia\n");

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	vm_init_vector_tables(vm);
	vm_install_interrupt_handler(vm, guest_irq);
	for (i = 0; i < 2; i++)
		vcpu_init_vector_tables(vcpus[i]);
	rvkvm_get_reg(vcpus[0], RISCV_TIMER_REG(frequency), &ticks_per_ms);
	ticks_per_ms /= 1000;
	sync_global_to_guest(vm, nr_ipis);
	sync_global_to_guest(vm, ticks_per_ms);
	sync_global_to_guest(vm, seed);
	sync_global_to_guest(vm, use_imsic);
	if (use_imsic)
		aia_fd = imsic_setup(vm);

	/* vCPU 1 starts stopped, for SBI HSM: start it from here. */
	vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE, &runnable);

	t0 = rvkvm_now();
	t_print = t0;
	for (i = 0; i < 2; i++)
		rvkvm_pinned_start(&harts[i], vcpus[i], cpus[i]);
	if (migrate_ms)
		pthread_create(&mig, NULL, migrator, harts);
	/* Progress every 10 s: a hang shows where it stopped. */
	while (pthread_tryjoin_np(harts[0].thr, NULL)) {
		usleep(100 * 1000);
		if (rvkvm_now() - t_print < 10)
			continue;
		t_print = rvkvm_now();
		ksft_print_msg("%.0f s: at %lu, late %lu, lost %lu\n",
			       t_print - t0,
			       *(u64 *)addr_gva2hva(vm, (rvkvm_gva_t)&acked),
			       guest_sum(vm, late), guest_sum(vm, lost));
	}
	pthread_join(harts[1].thr, NULL);
	secs = rvkvm_now() - t0;
	WRITE_ONCE(finished, true);
	if (migrate_ms)
		pthread_join(mig, NULL);

	lost_total = guest_sum(vm, lost);
	ksft_print_msg("%lu IPIs in %.1f s (%.1f us each): handled %lu, spurious %lu\n",
		       nr_ipis, secs, secs * 1e6 / nr_ipis,
		       guest_sum(vm, handled), guest_sum(vm, spurious));
	ksft_print_msg("late (> %d ms) %lu, lost (> %d ms) %lu, resent %lu\n",
		       LATE_MS, guest_sum(vm, late), LOST_MS, lost_total,
		       guest_sum(vm, resent));
	if (aia_fd >= 0)
		print_aia_stats(vm);
	ksft_test_result(lost_total == 0 && guest_sum(vm, handled) == nr_ipis,
			 "every IPI of the ping-pong arrived\n");
	if (aia_fd >= 0)
		close(aia_fd);
	kvm_vm_free(vm);
	ksft_finished();
}
