// SPDX-License-Identifier: GPL-2.0
/*
 * timer_sstc: the guest's supervisor timer wakes it from WFI, also when
 * its vCPU thread moves between host CPUs while the timer is armed.
 *
 * The guest arms its timer (stimecmp with Sstc, SBI TIME set_timer in a
 * second run, and only that without Sstc), enables the timer interrupt
 * with interrupts globally off, and waits in WFI; it then takes the
 * interrupt and checks that it came no earlier than its compare.  Before
 * each WFI it exits to the host, which moves the vCPU thread to the
 * other CPU, so the compare is saved on one hart and restored on another;
 * meanwhile a second thread keeps moving the vCPU thread while it sleeps.
 * A timer lost in either move leaves the guest in WFI until the alarm.
 *
 * Then ONE_REG: a timer restored as compare plus state=ON fires at that
 * compare (6.12 arms it at 1 without Sstc: at once), and the TIMER
 * registers refuse a foreign frequency, a wrong size and an index past
 * struct kvm_riscv_timer, with 6.12's errnos.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define NR_IRQS			8
#define PERIOD_MS		40
#define DEADLINE_S		30
#define MIGRATE_EVERY_US	3000
#define RESTORE_IN_MS		200

/* SBI TIME: "TIME", set_timer is function 0. */
#define RVKVM_SBI_EXT_TIME	0x54494D45
#define RVKVM_SBI_SET_TIMER	0

/* Shared with the guest. */
static u64 timer_freq;
static bool use_sbi;
static u64 armed_cmp;
static unsigned int nr_irqs;
static u64 max_late;
static unsigned int nr_early;

static u64 guest_time(void)
{
	return csr_read(CSR_TIME);
}

static void guest_set_timer(u64 cmp)
{
	if (use_sbi)
		sbi_ecall(RVKVM_SBI_EXT_TIME, RVKVM_SBI_SET_TIMER, cmp,
			  0, 0, 0, 0, 0);
	else
		csr_write(CSR_STIMECMP, cmp);
}

/* The level stays high until the next compare: mask it to return. */
static void guest_irq(struct rvkvm_ex_regs *regs)
{
	u64 now = guest_time();

	csr_clear(CSR_SIE, IE_TIE);
	GUEST_ASSERT_EQ(regs->cause, CAUSE_IRQ_FLAG | IRQ_S_TIMER);
	if (now < armed_cmp)
		nr_early++;
	else if (now - armed_cmp > max_late)
		max_late = now - armed_cmp;
	WRITE_ONCE(nr_irqs, nr_irqs + 1);
}

static void guest_code(void)
{
	unsigned int i;

	csr_clear(CSR_SSTATUS, SR_SIE);
	for (i = 0; i < NR_IRQS; i++) {
		armed_cmp = guest_time() + timer_freq * PERIOD_MS / 1000;
		guest_set_timer(armed_cmp);
		csr_set(CSR_SIE, IE_TIE);
		/* The host moves us to the other CPU, timer armed. */
		GUEST_SYNC(i);
		while (READ_ONCE(nr_irqs) == i) {
			asm volatile("wfi");
			/* Take what woke us, if it is ours. */
			csr_set(CSR_SSTATUS, SR_SIE);
			csr_clear(CSR_SSTATUS, SR_SIE);
		}
	}
	GUEST_DONE();
}

/* The host restored the timer through ONE_REG: just wait for it. */
static void guest_restored_code(void)
{
	csr_clear(CSR_SSTATUS, SR_SIE);
	csr_set(CSR_SIE, IE_TIE);
	while (!READ_ONCE(nr_irqs)) {
		asm volatile("wfi");
		csr_set(CSR_SSTATUS, SR_SIE);
		csr_clear(CSR_SSTATUS, SR_SIE);
	}
	GUEST_DONE();
}

static int host_cpus[2];
static int nr_host_cpus;
static pid_t vcpu_tid;
static bool migrating;
static unsigned long nr_moves;

/* Keep moving the vCPU thread, asleep in WFI or not. */
static void *migrator(void *arg)
{
	unsigned long n = 0;

	while (READ_ONCE(migrating)) {
		rvkvm_pin(vcpu_tid, host_cpus[n++ & 1]);
		usleep(MIGRATE_EVERY_US);
	}
	nr_moves += n;
	return NULL;
}

static void on_alarm(int sig)
{
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct phase_result {
	bool done;		/* every interrupt arrived before the alarm */
	double secs;
	u64 wfis, wakeups, late_us;
	unsigned int early;
	unsigned long sync_moves;
};

/* A VM with one vCPU running @code, its timer interrupt handled. */
static struct kvm_vm *timer_vm(struct kvm_vcpu **vcpu, void *code)
{
	struct kvm_vm *vm = vm_create_with_one_vcpu(vcpu, code);

	vm_init_vector_tables(vm);
	vcpu_init_vector_tables(*vcpu);
	vm_install_interrupt_handler(vm, guest_irq);
	rvkvm_get_reg(*vcpu, RISCV_TIMER_REG(frequency), &timer_freq);
	sync_global_to_guest(vm, timer_freq);
	return vm;
}

static void run_phase(bool sbi, struct phase_result *res)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t thr;
	double t0;
	int r;

	memset(res, 0, sizeof(*res));
	vm = timer_vm(&vcpu, guest_code);
	use_sbi = sbi;
	sync_global_to_guest(vm, use_sbi);

	vcpu_tid = gettid();
	nr_moves = 0;
	migrating = nr_host_cpus > 1;
	if (migrating)
		pthread_create(&thr, NULL, migrator, NULL);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN ends */
	alarm(DEADLINE_S);

	t0 = now_s();
	for (;;) {
		r = __vcpu_run(vcpu);
		if (r && errno == EINTR) {
			ksft_print_msg("no timer interrupt within %d s\n",
				       DEADLINE_S);
			break;
		}
		TEST_ASSERT(!r, "KVM_RUN: %s", strerror(errno));
		r = get_ucall(vcpu, &uc);
		if (r == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		if (r == UCALL_DONE) {
			res->done = true;
			break;
		}
		TEST_ASSERT(r == UCALL_SYNC, "unexpected exit: %s",
			    exit_reason_str(vcpu->run->exit_reason));
		if (nr_host_cpus > 1) {
			rvkvm_pin(0, host_cpus[(uc.args[1] + 1) & 1]);
			res->sync_moves++;
		}
	}
	res->secs = now_s() - t0;
	alarm(0);
	WRITE_ONCE(migrating, false);
	if (nr_host_cpus > 1)
		pthread_join(thr, NULL);

	sync_global_from_guest(vm, max_late);
	sync_global_from_guest(vm, nr_early);
	res->early = nr_early;
	res->late_us = max_late * 1000000 / timer_freq;
	res->wfis = rvkvm_vcpu_stat(vcpu, "wfi_exit_stat");
	res->wakeups = rvkvm_vcpu_stat(vcpu, "halt_wakeup");
	kvm_vm_free(vm);
}

static void report(const char *how, const struct phase_result *res)
{
	ksft_print_msg("%s: %.3f s, latest interrupt %lu us after its compare\n",
		       how, res->secs, res->late_us);
	ksft_print_msg("%s: %lu WFI exits, %lu wakeups, %lu moves at exits, %lu between\n",
		       how, res->wfis, res->wakeups, res->sync_moves, nr_moves);
	ksft_test_result(res->done && !res->early &&
			 res->secs >= NR_IRQS * PERIOD_MS / 1000.0,
			 "%s: %d timer interrupts woke WFI, none before its compare\n",
			 how, NR_IRQS);
	ksft_test_result(res->done && res->wfis >= NR_IRQS && res->wakeups >= 1,
			 "%s: the vCPU slept in the host until its timer\n", how);
	if (nr_host_cpus > 1)
		ksft_test_result(res->done && res->sync_moves == NR_IRQS,
				 "%s: the timer fired after every move to another CPU\n",
				 how);
	else
		ksft_test_result_skip("%s: one host CPU, nothing to move to\n",
				      how);
}

static int timer_reg_errno(struct kvm_vcpu *vcpu, u64 id, u64 val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (u64)&val };

	return __vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg) ? errno : 0;
}

static void test_onereg(bool sstc)
{
	const char *what = "ONE_REG: state=ON fires at the restored compare, not at once";
	u64 freq, t0, state, id32;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	double start, secs;

	vm = timer_vm(&vcpu, guest_restored_code);
	freq = timer_freq;

	rvkvm_get_reg(vcpu, RISCV_TIMER_REG(time), &t0);
	armed_cmp = t0 + freq * RESTORE_IN_MS / 1000;
	nr_irqs = 0;
	max_late = 0;
	sync_global_to_guest(vm, armed_cmp);
	sync_global_to_guest(vm, nr_irqs);
	sync_global_to_guest(vm, max_late);
	start = now_s();
	vcpu_set_reg(vcpu, RISCV_TIMER_REG(compare), armed_cmp);
	vcpu_set_reg(vcpu, RISCV_TIMER_REG(state), KVM_RISCV_TIMER_STATE_ON);
	rvkvm_get_reg(vcpu, RISCV_TIMER_REG(state), &state);
	/* 6.12 with Sstc reports ON only while its vCPU sleeps. */
	if (rvkvm_module_is_ours())
		ksft_test_result(state == KVM_RISCV_TIMER_STATE_ON,
				 "ONE_REG: state reads ON after compare and state=ON\n");
	else
		ksft_test_result_skip("in-tree kvm.ko: state is its hrtimer's\n");

	vcpu_run(vcpu);
	secs = now_s() - start;
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	sync_global_from_guest(vm, nr_early);
	ksft_print_msg("restored timer: fired after %.3f s, %u before its compare\n",
		       secs, nr_early);
	if (uc.cmd == UCALL_DONE && !nr_early &&
	    secs >= RESTORE_IN_MS / 1000.0 * 0.9)
		ksft_test_result_pass("%s\n", what);
	else if (!rvkvm_module_is_ours() && !sstc)
		ksft_test_result_xfail("in-tree kvm.ko arms state=ON at 1 without Sstc\n");
	else
		ksft_test_result_fail("%s\n", what);

	id32 = (RISCV_TIMER_REG(frequency) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32;
	ksft_test_result(timer_reg_errno(vcpu, RISCV_TIMER_REG(frequency), freq) == 0 &&
			 timer_reg_errno(vcpu, RISCV_TIMER_REG(frequency), freq + 1) == EINVAL &&
			 timer_reg_errno(vcpu, RISCV_TIMER_REG(state) + 1, 0) == ENOENT &&
			 timer_reg_errno(vcpu, id32, freq) == EINVAL,
			 "ONE_REG: frequency is read-only, bad index ENOENT, bad size EINVAL\n");
	kvm_vm_free(vm);
}

int main(void)
{
	struct phase_result res;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool sstc;

	ksft_print_header();
	ksft_set_plan(9);

	nr_host_cpus = rvkvm_two_host_cpus(host_cpus);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	sstc = __vcpu_has_isa_ext(vcpu, KVM_RISCV_ISA_EXT_SSTC);
	kvm_vm_free(vm);
	ksft_print_msg("Sstc %s, %d host CPUs to move between\n",
		       sstc ? "on" : "off", nr_host_cpus);

	if (sstc) {
		run_phase(false, &res);
		report("stimecmp", &res);
	} else {
		ksft_test_result_skip("stimecmp: no Sstc\n");
		ksft_test_result_skip("stimecmp: no Sstc\n");
		ksft_test_result_skip("stimecmp: no Sstc\n");
	}
	run_phase(true, &res);
	report("SBI set_timer", &res);
	test_onereg(sstc);

	ksft_finished();
}
