// SPDX-License-Identifier: GPL-2.0
/*
 * host_mm_race: the host changes guest memory under two running vCPUs
 * with MADV_DONTNEED, mprotect, munmap (and a fresh mapping in its
 * place) and compaction, and the guest never sees stale data.
 *
 * Each vCPU owns half of a THP-advised 4 MiB slot.  Pass after pass it
 * reads each of its pages, compares the word with the last value it
 * stored there (kept in its own record, in the code slot, which the host
 * leaves alone), and stores a new value.  A page the host dropped reads
 * zero, which is counted; any other value is an error the guest reports.
 * A write to a page the host made read-only or unmapped makes KVM_RUN
 * fail with EFAULT, and the vCPU's thread runs it again once the host has
 * put the page back.
 *
 * After the host stops, each vCPU makes one more pass, and then every
 * page must hold exactly what the vCPU last stored: a G-stage leaf left
 * pointing at the page the host dropped would have taken those stores.
 *
 *   host_mm_race [seconds]	default 20
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include "rvkvm_test.h"

#define PAGE		4096UL
#define BLOCK		(2UL << 20)
#define NR_VCPUS	2
#define VCPU_PAGES	512
#define SLOT_SIZE	(NR_VCPUS * VCPU_PAGES * PAGE)
#define SLOT_GPA	BIT_ULL(30)
#define RACE_SLOT	2
#define MBOX		0x400	/* slot base, pages per vCPU */
#define RECORD		0x1000	/* + vCPU * VCPU_PAGES * 8: last values */
#define REPORT_EID	0x08000042
#define CHUNK		32	/* pages per host operation at most */

/*
 * s0 id, s1 my first page, s2 my record, s3 the value counter.  A pass
 * checks and rewrites every page, then reports (a0 0, a1 pages found
 * zero); a stale value reports a0 1, a1 page, a2 value, a3 expected.
 */
asm(".pushsection .rodata.host_mm_race, \"a\"\n"
"	.option push\n	.option norvc\n"
"mm_code:\n"
"	mv	s0, a0\n"
"	ld	t0, 0x400(zero)\n	ld t1, 0x408(zero)\n"
"	mul	t2, s0, t1\n	slli t2, t2, 12\n	add s1, t0, t2\n"
"	mul	t2, s0, t1\n	slli t2, t2, 3\n"
"	li	t3, 0x1000\n	add s2, t2, t3\n"
"	slli	s3, s0, 48\n"
"1:	li	t4, 0\n	li a1, 0\n"
"2:	bgeu	t4, t1, 4f\n"
"	slli	t5, t4, 12\n	add t5, t5, s1\n"
"	slli	t6, t4, 3\n	add t6, t6, s2\n"
"	ld	a2, 0(t5)\n	ld a3, 0(t6)\n"
"	beq	a2, a3, 3f\n"
"	bnez	a2, 5f\n"
"	addi	a1, a1, 1\n"
"3:	addi	s3, s3, 1\n	sd s3, 0(t5)\n	sd s3, 0(t6)\n"
"	addi	t4, t4, 1\n	j 2b\n"
"4:	li	a0, 0\n	li a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	1b\n"
"5:	li	a0, 1\n	mv a1, t4\n	li a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	5b\n"
"mm_code_end:\n"
"	.option pop\n	.popsection\n");

struct mm_race {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu[NR_VCPUS];
	u8 *code_mem, *mem;
	atomic_bool stop;
	atomic_ulong passes, zeros, efaults;
	atomic_int stale;
};

static struct mm_race *race;

/*
 * One pass of @vcpu: run until its report, again after each EFAULT (a
 * page the host took away; it is back soon).  Returns false on a stale
 * value, which is printed.
 */
static bool vcpu_pass(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	while (_vcpu_run(vcpu)) {
		TEST_ASSERT(errno == EFAULT, "vCPU %u: KVM_RUN: %s", vcpu->id,
			    strerror(errno));
		atomic_fetch_add(&race->efaults, 1);
		usleep(20);
	}
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == REPORT_EID,
		    "vCPU %u: exit %u, not its report", vcpu->id, run->exit_reason);
	if (run->riscv_sbi.args[0]) {
		ksft_print_msg("vCPU %u, page %llu: read 0x%llx, had stored 0x%llx\n",
			       vcpu->id, (unsigned long long)run->riscv_sbi.args[1],
			       (unsigned long long)run->riscv_sbi.args[2],
			       (unsigned long long)run->riscv_sbi.args[3]);
		return false;
	}
	atomic_fetch_add(&race->passes, 1);
	atomic_fetch_add(&race->zeros, run->riscv_sbi.args[1]);
	return true;
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	while (!atomic_load(&race->stop))
		if (!vcpu_pass(vcpu)) {
			atomic_fetch_add(&race->stale, 1);
			break;
		}
	return NULL;
}

/* A fresh anonymous mapping at @addr: the old pages go. */
static void remap(u8 *addr, size_t len)
{
	TEST_ASSERT(!munmap(addr, len), "munmap");
	TEST_ASSERT(mmap(addr, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == addr,
		    "mmap MAP_FIXED");
}

static void compact(void)
{
	FILE *f = fopen("/proc/sys/vm/compact_memory", "w");

	if (f) {
		fputs("1", f);
		fclose(f);
	}
}

/* The host's side: random operations on random chunks for @secs. */
static void host_ops(struct mm_race *r, double secs, unsigned long ops[4])
{
	double end = rvkvm_now() + secs, next_compact = 0;
	unsigned int seed = 1;

	while (rvkvm_now() < end && !atomic_load(&r->stale)) {
		size_t pages = 1 + rand_r(&seed) % CHUNK;
		size_t first = rand_r(&seed) % (SLOT_SIZE / PAGE - pages + 1);
		u8 *addr = r->mem + first * PAGE;
		size_t len = pages * PAGE;
		int op = rand_r(&seed) % 3;

		if (op == 0) {
			TEST_ASSERT(!madvise(addr, len, MADV_DONTNEED), "madvise");
		} else if (op == 1) {
			TEST_ASSERT(!mprotect(addr, len, PROT_READ), "mprotect");
			usleep(200);
			TEST_ASSERT(!mprotect(addr, len, PROT_READ | PROT_WRITE),
				    "mprotect back");
		} else {
			remap(addr, len);
		}
		ops[op]++;
		if (rvkvm_now() >= next_compact) {
			compact();
			ops[3]++;
			next_compact = rvkvm_now() + 2;
		}
		usleep(100);
	}
}

static struct mm_race *mm_setup(void)
{
	struct mm_race *r = calloc(1, sizeof(*r));
	size_t len;
	const u8 *code = rvkvm_asm_range(mm_code, mm_code_end, &len);
	u64 *mbox;
	u8 *raw;
	int i;

	TEST_ASSERT(r, "calloc");
	r->vm = rvkvm_vm_with_code(code, len, MBOX,
				   RECORD + NR_VCPUS * VCPU_PAGES * 8, &r->code_mem);
	raw = mmap(NULL, SLOT_SIZE + BLOCK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(raw != MAP_FAILED, "mmap");
	r->mem = (u8 *)(((unsigned long)raw + BLOCK - 1) & ~(BLOCK - 1));
	madvise(r->mem, SLOT_SIZE, MADV_HUGEPAGE);
	vm_set_user_memory_region(r->vm, RACE_SLOT, 0, SLOT_GPA, SLOT_SIZE,
				  r->mem);
	mbox = (u64 *)(r->code_mem + MBOX);
	mbox[0] = SLOT_GPA;
	mbox[1] = VCPU_PAGES;
	for (i = 0; i < NR_VCPUS; i++)
		r->vcpu[i] = rvkvm_vcpu_add_running(r->vm, i);
	return r;
}

/* Pages whose word differs from the owner's last store. */
static unsigned long final_mismatches(struct mm_race *r)
{
	const u64 *rec = (u64 *)(r->code_mem + RECORD);
	unsigned long p, bad = 0;

	for (p = 0; p < SLOT_SIZE / PAGE; p++) {
		u64 got = *(u64 *)(r->mem + p * PAGE);

		if (got != rec[p] && bad++ < 5)
			ksft_print_msg("page %lu: the host sees 0x%llx, the guest stored 0x%llx\n",
				       p, (unsigned long long)got,
				       (unsigned long long)rec[p]);
	}
	return bad;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 20;
	unsigned long ops[4] = { 0 }, bad;
	pthread_t thr[NR_VCPUS];
	int i;

	ksft_print_header();
	ksft_set_plan(2);
	race = mm_setup();
	for (i = 0; i < NR_VCPUS; i++)
		pthread_create(&thr[i], NULL, vcpu_thread, race->vcpu[i]);
	host_ops(race, secs, ops);
	atomic_store(&race->stop, true);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(thr[i], NULL);
	ksft_print_msg("%.0f s: %lu MADV_DONTNEED, %lu mprotect, %lu remaps, %lu compactions\n",
		       secs, ops[0], ops[1], ops[2], ops[3]);
	ksft_print_msg("%lu guest passes, %lu zero pages found, %lu EFAULT exits\n",
		       atomic_load(&race->passes), atomic_load(&race->zeros),
		       atomic_load(&race->efaults));
	ksft_test_result(!atomic_load(&race->stale),
			 "the guest read only its own last values or fresh zeros\n");

	for (i = 0; i < NR_VCPUS && !atomic_load(&race->stale); i++)
		TEST_ASSERT(vcpu_pass(race->vcpu[i]), "a stale value in the last pass");
	bad = final_mismatches(race);
	ksft_test_result(!bad, "after a last pass the host sees every store (%lu pages differ)\n",
			 bad);
	kvm_vm_free(race->vm);
	ksft_finished();
}
