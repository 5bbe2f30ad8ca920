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
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include "kvm_util.h"
#include "rvkvm_test.h"

#define STORM_SECONDS	2
#define STORM_GAP_US	100
/*
 * Standard signals coalesce while one is pending, and under TCG a guest
 * exit is slow, so only a fraction of the sends end a KVM_RUN (about one
 * in seven with Debian's own kvm.ko): ask for a floor, not a ratio.
 */
#define MIN_EINTRS	20

static bool stop;
static u64 eintrs, wrong_reason;

static void on_sigusr1(int sig)
{
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	int r;

	while (!READ_ONCE(stop)) {
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINTR,
			    "KVM_RUN returned %d (errno %d), expected EINTR",
			    r, errno);
		if (vcpu->run->exit_reason == KVM_EXIT_INTR)
			eintrs++;
		else
			wrong_reason++;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u64 sent = 0, stat;
	u32 *code;
	pthread_t thr;
	double end;
	int i;

	ksft_print_header();
	ksft_set_plan(3);

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	vm = vm_create_barebones();
	/* The vCPU starts at guest-physical 0: make that a spin loop. */
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, 0, 1, 1, 0);
	code = addr_gpa2hva(vm, 0);
	for (i = 0; i < vm->page_size / sizeof(*code); i++)
		code[i] = RVKVM_INSN_SPIN;
	vcpu = __vm_vcpu_add(vm, 0);

	pthread_create(&thr, NULL, vcpu_thread, vcpu);
	end = now() + STORM_SECONDS;
	while (now() < end) {
		pthread_kill(thr, SIGUSR1);
		sent++;
		usleep(STORM_GAP_US);
	}
	WRITE_ONCE(stop, true);
	/* A signal taken in userspace just before KVM_RUN would be lost. */
	do {
		pthread_kill(thr, SIGUSR1);
		sent++;
		usleep(1000);
	} while (pthread_tryjoin_np(thr, NULL));

	stat = rvkvm_vcpu_stat(vcpu, "signal_exits");
	ksft_print_msg("signals sent %lu, EINTR exits %lu, signal_exits stat %lu\n",
		       sent, eintrs, stat);
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
