// SPDX-License-Identifier: GPL-2.0
/*
 * memfd_shrink [-p HOLES] [-s SEED]: a memfd-backed memslot loses its
 * pages under a running guest.
 *
 * The guest (a few instructions at guest-physical 0, translation off)
 * sweeps the 8 MiB memslot round after round: into each page it stores
 * (round << 32 | page) and loads it back, which must give that value or
 * 0 (the page was just taken away); after each round it calls out to us.
 *
 * 1. PUNCH_HOLE: once the guest has swept twice (every page mapped),
 *    another thread punches HOLES (default 300) random holes of 1 to 64
 *    pages, 1 to 5 ms apart, while the guest sweeps (10 times at least).
 *    KVM_RUN must go on without error (the holes fill with fresh pages);
 *    after two more rounds every page must hold the guest's last store,
 *    seen through the memfd: a G-stage mapping left on a punched page
 *    would have taken the guest's stores into a freed page instead.
 * 2. ftruncate to half the size while the guest sweeps: KVM_RUN must fail
 *    with EFAULT (or the thread get SIGBUS) before a whole round runs
 *    after the shrink, and again when retried; the guest must not write
 *    past the end of the file.  Grown back, the guest finishes its round
 *    and the memory is coherent again.
 * 3. The memfd shrinks to nothing and the VM is freed with the slot in
 *    place.
 *
 * The kernel log is judged by the runner; tests/memfd_shrink.sh unloads
 * the module afterwards.  The seed is printed first.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "kvm_util.h"
#include "rvkvm_test.h"

#define CODE_SIZE	0x1000
#define MEM_SLOT	2		/* rvkvm_vm_with_code() takes 1 */
#define MEM_GPA		0x40000000ul
#define MEM_SIZE	(8ul << 20)
#define MEM_PAGES	(MEM_SIZE / 4096)
#define MAX_HOLE	64		/* pages */
#define MIN_ROUNDS	10		/* swept while holes are punched */
#define REPORT_EID	0x08000044
#define R_ROUND		0		/* a0 = round */
#define R_BAD		1		/* a0 = page, a1 = read, a2 = stored */

/* a0 = the memslot's address, a1 = its pages. */
asm(".pushsection .rodata.memfd_shrink, \"a\"\n"
"	.option push\n	.option norvc\n"
"shrink_code:\n"
"	mv	s0, a0\n	mv s1, a1\n	li s2, 0\n"
"3:	addi	s2, s2, 1\n	li t0, 0\n	slli t4, s2, 32\n"
"1:	slli	t1, t0, 12\n	add t1, t1, s0\n"
"	or	t2, t4, t0\n	sd t2, 0(t1)\n	ld t3, 0(t1)\n"
"	beq	t3, t2, 2f\n	beqz t3, 2f\n"
"	li	a7, 0x08000044\n	li a6, 1\n"
"	mv	a0, t0\n	mv a1, t3\n	mv a2, t2\n	ecall\n"
"2:	addi	t0, t0, 1\n	bltu t0, s1, 1b\n"
"	li	a7, 0x08000044\n	li a6, 0\n	mv a0, s2\n	ecall\n"
"	j	3b\n"
"shrink_code_end:\n"
"	.option pop\n	.popsection\n");

struct memfd_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int fd;
	u64 *mem;
	u64 round;		/* the guest's last reported round */
};

static sig_atomic_t sigbus_seen;

static void on_sigbus(int sig)
{
	WRITE_ONCE(sigbus_seen, 1);
}

static void make_vm(struct memfd_vm *m)
{
	const u8 *code;
	size_t len;
	u8 *mem;

	code = rvkvm_asm_range(shrink_code, shrink_code_end, &len);
	m->vm = rvkvm_vm_with_code(code, len, CODE_SIZE, CODE_SIZE, &mem);
	m->fd = memfd_create("memfd_shrink", MFD_CLOEXEC);
	TEST_ASSERT(m->fd >= 0, "memfd_create");
	TEST_ASSERT(!ftruncate(m->fd, MEM_SIZE), "ftruncate");
	m->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m->fd, 0);
	TEST_ASSERT(m->mem != MAP_FAILED, "mmap");
	/* Raw, so the library never touches it after a shrink. */
	vm_set_user_memory_region(m->vm, MEM_SLOT, 0, MEM_GPA, MEM_SIZE, m->mem);
	m->vcpu = __vm_vcpu_add(m->vm, 0);
	vcpu_args_set(m->vcpu, 2, MEM_GPA, MEM_PAGES);
	m->round = 0;
}

/*
 * KVM_RUN once: 0 with m->round updated for a round report, else the
 * errno of a failed KVM_RUN.  A bad read-back fails the test here.
 */
static int run_once(struct memfd_vm *m)
{
	struct kvm_run *run = m->vcpu->run;
	u64 *a;

	if (__vcpu_run(m->vcpu))
		return errno;
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == REPORT_EID,
		    "unexpected exit %s", exit_reason_str(run->exit_reason));
	a = (u64 *)run->riscv_sbi.args;
	TEST_ASSERT(run->riscv_sbi.function_id == R_ROUND,
		    "page %lu read back %lx, stored %lx", a[0], a[1], a[2]);
	TEST_ASSERT(a[0] == m->round + 1, "round %lu after %lu", a[0], m->round);
	m->round = a[0];
	return 0;
}

/* KVM_RUN until the guest has swept @rounds more times. */
static void run_rounds(struct memfd_vm *m, u64 rounds, const char *when)
{
	u64 end = m->round + rounds;
	int err;

	while (m->round < end) {
		err = run_once(m);
		TEST_ASSERT(!err, "KVM_RUN failed (errno %d) %s", err, when);
	}
}

/* Two full rounds, then every page must hold the guest's last store. */
static void check_coherent(struct memfd_vm *m, const char *when)
{
	u64 p, v, want;

	run_rounds(m, 2, when);
	for (p = 0; p < MEM_PAGES; p++) {
		v = m->mem[p * 512];
		want = m->round << 32 | p;
		TEST_ASSERT(v == want, "%s: page %lu holds %lx, the guest stored %lx",
			    when, p, v, want);
	}
}

struct puncher {
	int fd;
	unsigned int seed;
	u64 holes, pages;
	bool done;
};

static void *punch_holes(void *arg)
{
	struct puncher *p = arg;
	off_t off, len;

	for (; p->holes; p->holes--) {
		usleep(1000 + rand_r(&p->seed) % 4000);
		off = (off_t)(rand_r(&p->seed) % MEM_PAGES) * 4096;
		len = (off_t)(1 + rand_r(&p->seed) % MAX_HOLE) * 4096;
		TEST_ASSERT(!fallocate(p->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       off, len), "fallocate(PUNCH_HOLE)");
		p->pages += len / 4096;
	}
	WRITE_ONCE(p->done, true);
	return NULL;
}

static void test_punch(struct memfd_vm *m, unsigned int holes,
		       unsigned int seed)
{
	struct puncher p = { .fd = m->fd, .seed = seed, .holes = holes };
	double t0 = rvkvm_now();
	u64 start;
	pthread_t thr;

	run_rounds(m, 2, "before the holes");
	ksft_print_msg("2 rounds mapping the memslot: %.2f s\n", rvkvm_now() - t0);
	start = m->round;
	t0 = rvkvm_now();
	pthread_create(&thr, NULL, punch_holes, &p);
	while (!READ_ONCE(p.done) || m->round - start < MIN_ROUNDS)
		run_rounds(m, 1, "with holes punched");
	pthread_join(thr, NULL);
	ksft_print_msg("%u holes (%lu pages) punched over %lu guest rounds, %.2f s\n",
		       holes, p.pages, m->round - start, rvkvm_now() - t0);
	check_coherent(m, "after the holes");
	ksft_test_result_pass("holes punched under the guest: KVM_RUN went on, memory coherent\n");
}

struct shrinker {
	int fd;
	unsigned int delay_us;
	bool done;
};

static void *shrink_file(void *arg)
{
	struct shrinker *s = arg;

	usleep(s->delay_us);
	TEST_ASSERT(!ftruncate(s->fd, MEM_SIZE / 2), "ftruncate(shrink)");
	WRITE_ONCE(s->done, true);
	return NULL;
}

/* KVM_RUN's answer to a guest touching past the end: EFAULT or SIGBUS. */
static bool is_fault(int err)
{
	return err == EFAULT || (err == EINTR && READ_ONCE(sigbus_seen));
}

static void test_shrink(struct memfd_vm *m, unsigned int seed)
{
	struct shrinker s = { m->fd, 5000 + seed % 20000, false };
	struct sigaction sa = { .sa_handler = on_sigbus };
	u64 at = 0;
	pthread_t thr;
	bool armed;
	int err;

	TEST_ASSERT(!sigaction(SIGBUS, &sa, NULL), "sigaction");
	pthread_create(&thr, NULL, shrink_file, &s);
	for (;;) {
		armed = READ_ONCE(s.done);
		err = run_once(m);
		if (err)
			break;
		TEST_ASSERT(!armed, "round %lu ran whole after the shrink: past EOF",
			    m->round);
		at = m->round;
	}
	pthread_join(thr, NULL);
	ksft_print_msg("shrunk during round %lu: KVM_RUN errno %d (%s)\n",
		       at + 1, err, strerror(err));
	ksft_print_msg("exit reason %u, SIGBUS %s\n", m->vcpu->run->exit_reason,
		       READ_ONCE(sigbus_seen) ? "seen" : "not seen");
	TEST_ASSERT(READ_ONCE(s.done), "KVM_RUN failed (errno %d) before the shrink", err);
	ksft_test_result(is_fault(err),
			 "shrunk under the guest: KVM_RUN fails with EFAULT or SIGBUS\n");
	err = run_once(m);
	ksft_test_result(is_fault(err), "and again when retried (errno %d)\n", err);

	TEST_ASSERT(!ftruncate(m->fd, MEM_SIZE), "ftruncate(grow)");
	check_coherent(m, "grown back");
	ksft_test_result_pass("grown back: the guest finished its rounds, memory coherent\n");
}

int main(int argc, char *argv[])
{
	unsigned int holes = 300, seed = time(NULL);
	struct memfd_vm m;
	int opt;

	while ((opt = getopt(argc, argv, "p:s:")) != -1) {
		switch (opt) {
		case 'p':
			holes = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		default:
			TEST_FAIL("usage: memfd_shrink [-p HOLES] [-s SEED]");
		}
	}
	ksft_print_header();
	ksft_print_msg("seed %u (replay with -s %u)\n", seed, seed);
	ksft_set_plan(5);

	make_vm(&m);
	TEST_ASSERT(holes, "punch at least one hole");
	test_punch(&m, holes, seed);
	test_shrink(&m, seed);

	TEST_ASSERT(!ftruncate(m.fd, 0), "ftruncate(0)");
	kvm_vm_free(m.vm);
	TEST_ASSERT(!munmap(m.mem, MEM_SIZE) && !close(m.fd), "munmap, close");
	ksft_test_result_pass("the VM was freed with its memfd truncated to nothing\n");
	ksft_finished();
}
