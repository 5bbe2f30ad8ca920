// SPDX-License-Identifier: GPL-2.0
/*
 * vm_cycle [-n CYCLES] [-s SEED]: create, run and destroy VMs in a loop.
 *
 * Each cycle makes a VM with one or two vCPUs, a code memslot and a
 * second memslot of 1 to 32 fresh pages, runs every vCPU until it calls
 * out to us (a second vCPU on a thread of its own, at the same time) and
 * destroys the VM.  The guest, a few instructions at guest-physical 0
 * with translation off, writes a token into its share of the second
 * memslot's pages, taking a G-stage fault on each, then makes an SBI
 * call in the experimental range, which KVM forwards to us: the same
 * exit a library ucall is.  The host checks every page.
 *
 * Half the cycles free the VM as the library does (memslots deleted, then
 * the fds closed); the other half run in a child process that exits with
 * the VM still live, so the VM goes away with the process (mm teardown,
 * then file release), as when a VMM dies.  The seed (printed first)
 * picks the vCPU count, the page count and the teardown of each cycle.
 *
 * The guest needs no page tables on purpose: the library's full setup
 * (this program loaded into the guest, page tables) costs ~150 ms a VM
 * here, five times the KVM work a cycle is meant to repeat.
 *
 * Leaks are judged from outside (tests/modcycle.sh and tests/vm_cycle.sh
 * compare memory before and after); this program fails on any error and
 * prints the rate.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kvm_util.h"
#include "rvkvm_test.h"

#define CODE_SIZE	0x1000
#define SLOT		2		/* rvkvm_vm_with_code() takes 1 */
#define SLOT_GPA	0x40000000ul
#define MAX_PAGES	32
/* A private call in the experimental range: forwarded to us. */
#define DONE_EID	0x08000043

/*
 * a0 = this vCPU's index, a1 = vCPUs, a2 = pages, a3 = token, a4 = the
 * memslot's address: write token ^ page into every a1-th page from a0.
 */
asm(".pushsection .rodata.vm_cycle, \"a\"\n"
"	.option push\n	.option norvc\n"
"cycle_code:\n"
"	bgeu	a0, a2, 2f\n"
"1:	slli	t0, a0, 12\n	add t0, t0, a4\n"
"	xor	t1, a3, a0\n	sd t1, 0(t0)\n"
"	add	a0, a0, a1\n	bltu a0, a2, 1b\n"
"2:	li	a7, 0x08000043\n	li a6, 0\n	ecall\n"
"	j	.\n"
"cycle_code_end:\n"
"	.option pop\n	.popsection\n");

struct cycle {
	unsigned int nr_vcpus;
	unsigned int nr_pages;
	bool in_child;
	u64 token;
};

static void *run_vcpu(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == DONE_EID,
		    "vCPU %u: exit %s instead of its call",
		    vcpu->id, exit_reason_str(run->exit_reason));
	return NULL;
}

static void check_pages(struct kvm_vm *vm, const struct cycle *c)
{
	u64 p, v;

	for (p = 0; p < c->nr_pages; p++) {
		v = *(u64 *)addr_gpa2hva(vm, SLOT_GPA + p * vm->page_size);
		TEST_ASSERT(v == (c->token ^ p),
			    "page %lu holds %lx, the guest wrote %lx",
			    p, v, c->token ^ p);
	}
}

/* Make, run and check one VM; it is left for the caller to destroy. */
static struct kvm_vm *run_one(const struct cycle *c)
{
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	const u8 *code;
	pthread_t thr;
	unsigned int i;
	size_t len;
	u8 *mem;

	code = rvkvm_asm_range(cycle_code, cycle_code_end, &len);
	vm = rvkvm_vm_with_code(code, len, CODE_SIZE, CODE_SIZE, &mem);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, SLOT_GPA, SLOT,
				    c->nr_pages, 0);
	for (i = 0; i < c->nr_vcpus; i++) {
		vcpus[i] = __vm_vcpu_add(vm, i);
		/* All but the first start stopped (SBI HSM). */
		vcpu_ioctl(vcpus[i], KVM_SET_MP_STATE, &runnable);
		vcpu_args_set(vcpus[i], 5, i, c->nr_vcpus, c->nr_pages,
			      c->token, SLOT_GPA);
	}
	if (c->nr_vcpus > 1)
		pthread_create(&thr, NULL, run_vcpu, vcpus[1]);
	run_vcpu(vcpus[0]);
	if (c->nr_vcpus > 1)
		pthread_join(thr, NULL);
	check_pages(vm, c);
	return vm;
}

/* The child's VM dies with it: no memslot deletion, no close. */
static void run_in_child(const struct cycle *c)
{
	int status;
	pid_t pid = fork();

	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		run_one(c);
		_exit(0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "cycle child failed (status %#x)", status);
}

int main(int argc, char *argv[])
{
	unsigned int cycles = 100, seed = time(NULL), i, two = 0, child = 0;
	struct cycle c;
	double t0, secs;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			cycles = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		default:
			TEST_FAIL("usage: vm_cycle [-n CYCLES] [-s SEED]");
		}
	}
	TEST_ASSERT(cycles > 0, "need at least one cycle");
	ksft_print_header();
	ksft_print_msg("seed %u (replay with -s %u)\n", seed, seed);
	ksft_set_plan(1);
	srandom(seed);

	t0 = rvkvm_now();
	for (i = 0; i < cycles; i++) {
		c.nr_vcpus = 1 + random() % 2;
		c.nr_pages = 1 + random() % MAX_PAGES;
		c.in_child = random() % 2;
		c.token = (u64)random() << 32 | i;
		two += c.nr_vcpus == 2;
		child += c.in_child;
		if (c.in_child)
			run_in_child(&c);
		else
			kvm_vm_free(run_one(&c));
	}
	secs = rvkvm_now() - t0;
	ksft_print_msg("%u cycles in %.1f s: %.1f cycles/s\n",
		       cycles, secs, cycles / secs);
	ksft_print_msg("%u with 2 vCPUs, %u torn down by the process's exit\n",
		       two, child);
	ksft_test_result_pass("%u VMs created, run to their call and destroyed\n",
			      cycles);
	ksft_finished();
}
