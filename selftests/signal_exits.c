// SPDX-License-Identifier: GPL-2.0
/*
 * signal_exits: signals delivered while KVM_RUN spins in the guest.
 *
 * The host kernel's built-in entry code, not kvm.ko, turns a pending
 * signal into KVM_EXIT_INTR: it writes vcpu->run->exit_reason and
 * increments vcpu->stat.signal_exits at the offsets the host was built
 * with.  If our struct kvm_vcpu put them elsewhere, the exit reason would
 * be wrong, the statistic would not move, or memory next to them would
 * be corrupted.  Every EINTR must come with KVM_EXIT_INTR, and the
 * statistic must count exactly the EINTRs userspace saw.
 *
 * signal_exits [SECONDS [VCPUS]]: the storm's length (default 2 s) and
 * how many vCPUs spin, each on its own thread (default 1).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include "kvm_util.h"
#include "rvkvm_test.h"

#define MAX_VCPUS	8
#define STORM_GAP_US	100
/*
 * Standard signals coalesce while one is pending, and under TCG a guest
 * exit is slow, so only a fraction of the sends end a KVM_RUN (about one
 * in seven with Debian's own kvm.ko): ask for a floor, not a ratio.
 */
#define MIN_EINTRS	20

static bool stop;

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t thr;
	u64 eintrs, wrong_reason;
};

static void on_sigusr1(int sig)
{
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;
	struct kvm_vcpu *vcpu = t->vcpu;
	int r;

	while (!READ_ONCE(stop)) {
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINTR,
			    "KVM_RUN returned %d (errno %d), expected EINTR",
			    r, errno);
		if (vcpu->run->exit_reason == KVM_EXIT_INTR)
			t->eintrs++;
		else
			t->wrong_reason++;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool all_joined(struct vcpu_thread *t, int n)
{
	bool all = true;
	int i;

	for (i = 0; i < n; i++) {
		if (!t[i].vcpu)
			continue;
		if (pthread_tryjoin_np(t[i].thr, NULL))
			all = false;
		else
			t[i].vcpu = NULL;
	}
	return all;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	struct vcpu_thread t[MAX_VCPUS] = {};
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	int seconds = argc > 1 ? atoi(argv[1]) : 2;
	int n = argc > 2 ? atoi(argv[2]) : 1;
	u64 sent = 0, stat = 0, eintrs = 0, wrong_reason = 0;
	struct kvm_vm *vm;
	u32 *code;
	double end;
	int i;

	TEST_ASSERT(n >= 1 && n <= MAX_VCPUS && seconds >= 1,
		    "usage: signal_exits [SECONDS [VCPUS (1..%d)]]", MAX_VCPUS);
	ksft_print_header();
	ksft_set_plan(3);

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	vm = vm_create_barebones();
	/* The vCPUs start at guest-physical 0: make that a spin loop. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 0, 1, 1, 0);
	code = addr_gpa2hva(vm, 0);
	for (i = 0; i < vm->page_size / sizeof(*code); i++)
		code[i] = RVKVM_INSN_SPIN;
	for (i = 0; i < n; i++) {
		vcpus[i] = __vm_vcpu_add(vm, i);
		/* All but the first start stopped (SBI HSM): start them. */
		vcpu_ioctl(vcpus[i], KVM_SET_MP_STATE, &runnable);
		t[i].vcpu = vcpus[i];
		pthread_create(&t[i].thr, NULL, vcpu_thread, &t[i]);
	}

	end = now() + seconds;
	while (now() < end) {
		pthread_kill(t[sent % n].thr, SIGUSR1);
		sent++;
		usleep(STORM_GAP_US);
	}
	WRITE_ONCE(stop, true);
	/* A signal taken in userspace just before KVM_RUN would be lost. */
	do {
		for (i = 0; i < n; i++)
			if (t[i].vcpu)
				pthread_kill(t[i].thr, SIGUSR1);
		sent++;
		usleep(1000);
	} while (!all_joined(t, n));

	for (i = 0; i < n; i++) {
		stat += rvkvm_vcpu_stat(vcpus[i], "signal_exits");
		eintrs += t[i].eintrs;
		wrong_reason += t[i].wrong_reason;
	}
	ksft_print_msg("%d vCPUs, %d s: signals sent %lu, EINTR exits %lu, signal_exits stat %lu\n",
		       n, seconds, sent, eintrs, stat);
	ksft_test_result(eintrs >= MIN_EINTRS,
			 "KVM_RUN was interrupted by the signals (%lu >= %d)\n",
			 eintrs, MIN_EINTRS);
	ksft_test_result(!wrong_reason,
			 "every EINTR carried KVM_EXIT_INTR (%lu did not)\n",
			 wrong_reason);
	ksft_test_result(stat == eintrs + wrong_reason,
			 "signal_exits counts each interrupted KVM_RUN\n");

	kvm_vm_free(vm);
	ksft_finished();
}
