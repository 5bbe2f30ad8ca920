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
 * An IPI that is not acknowledged within LATE_MS of guest time is late
 * (the emulated host is slow, or busy); one not acknowledged within
 * LOST_MS is lost: nothing but a new IPI would ever deliver it.  The
 * sender then sends it again, so the run goes on, and the test fails.
 *
 *   ipi_stress [-n IPIS] [-s SEED]
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

/* Shared with the guest (sync_global_to_guest). */
static u64 nr_ipis;
static u64 ticks_per_ms;
static u64 seed;

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
	struct sbiret r = sbi_ecall(SBI_EXT_IPI, 0, 1UL << to, 0, 0, 0, 0, 0);

	GUEST_ASSERT_EQ(r.error, 0);
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

	GUEST_ASSERT_EQ(regs->cause, CAUSE_IRQ_FLAG | IRQ_S_SOFT);
	csr_clear(CSR_SIP, IE_SIE);
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
	csr_set(CSR_SIE, IE_SIE);
	for (s = 1; s <= nr_ipis; s++) {
		if (guest_sender_of(s) == me)
			guest_send(me, s);
		else
			guest_receive(s);
	}
	GUEST_DONE();
}

struct pinned_vcpu {
	struct kvm_vcpu *vcpu;
	int cpu;
	pthread_t thr;
};

static void *vcpu_thread(void *arg)
{
	struct pinned_vcpu *p = arg;
	struct kvm_vcpu *vcpu = p->vcpu;
	struct ucall uc;

	rvkvm_pin(0, p->cpu);
	vcpu_run(vcpu);
	TEST_ASSERT(rvkvm_sync_or_done(vcpu, &uc) == UCALL_DONE,
		    "vCPU %u: unexpected sync", vcpu->id);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	struct pinned_vcpu harts[2];
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int cpus[2], opt, i;
	u64 lost_total;
	double t0, t_print, secs;

	nr_ipis = DEFAULT_IPIS;
	seed = time(NULL);
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			nr_ipis = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		default:
			TEST_FAIL("usage: ipi_stress [-n IPIS] [-s SEED]");
		}
	}
	ksft_print_header();
	ksft_set_plan(1);
	ksft_print_msg("seed %lu, %lu IPIs\n", seed, nr_ipis);
	TEST_REQUIRE(rvkvm_two_host_cpus(cpus) == 2);

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

	/* vCPU 1 starts stopped, for SBI HSM: start it from here. */
	vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE, &runnable);

	t0 = now_s();
	t_print = t0;
	for (i = 0; i < 2; i++) {
		harts[i].vcpu = vcpus[i];
		harts[i].cpu = cpus[i];
		pthread_create(&harts[i].thr, NULL, vcpu_thread, &harts[i]);
	}
	/* Progress every 10 s: a hang shows where it stopped. */
	while (pthread_tryjoin_np(harts[0].thr, NULL)) {
		usleep(100 * 1000);
		if (now_s() - t_print < 10)
			continue;
		t_print = now_s();
		ksft_print_msg("%.0f s: at %lu, late %lu, lost %lu\n",
			       t_print - t0,
			       *(u64 *)addr_gva2hva(vm, (rvkvm_gva_t)&acked),
			       guest_sum(vm, late), guest_sum(vm, lost));
	}
	pthread_join(harts[1].thr, NULL);
	secs = now_s() - t0;

	lost_total = guest_sum(vm, lost);
	ksft_print_msg("%lu IPIs in %.1f s (%.1f us each): handled %lu, spurious %lu\n",
		       nr_ipis, secs, secs * 1e6 / nr_ipis,
		       guest_sum(vm, handled), guest_sum(vm, spurious));
	ksft_print_msg("late (> %d ms) %lu, lost (> %d ms) %lu, resent %lu\n",
		       LATE_MS, guest_sum(vm, late), LOST_MS, lost_total,
		       guest_sum(vm, resent));
	ksft_test_result(lost_total == 0 && guest_sum(vm, handled) == nr_ipis,
			 "every IPI of the ping-pong arrived\n");
	kvm_vm_free(vm);
	ksft_finished();
}
