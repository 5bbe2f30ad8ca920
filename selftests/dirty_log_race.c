// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_log_race: two vCPUs write pseudo-random pages of a THP-backed
 * slot at full speed while the host fetches KVM_GET_DIRTY_LOG over and
 * over; each round, what the fetches gathered must be exactly the pages
 * the guest's own records say it wrote, and each page must hold the
 * round's value.
 *
 * Round 0 runs without logging, so the slot is mapped with 2 MiB blocks
 * (where the host gave THPs); logging is then switched on and every
 * later round is checked.  Each vCPU keeps its record, a bitmap of the
 * pages it wrote this round, in the code slot (not logged); the host
 * clears the records between rounds, while no vCPU runs.  A write racing
 * a fetch must show in that fetch or a later one of the same round.
 *
 *   dirty_log_race [rounds [writes [MiB]]]
 *	default 100 rounds, 4096 writes per vCPU per round, a 64 MiB slot.
 * The last line gives a figure for make bench: the mean time of a round
 * (the writes and the fetches during and after them).
 */
#include <stdatomic.h>
#include <sys/mman.h>
#include "rvkvm_test.h"

#define PAGE		4096UL
#define BLOCK		(2UL << 20)
#define SLOT_GPA	BIT_ULL(30)
#define LOG_SLOT	2
#define MBOX		0x400	/* round, writes, slot base, page mask, record size */
#define RECORD		0x1000	/* + vCPU * record size: its bitmap */
#define REPORT_EID	0x08000042
#define NR_VCPUS	2

/*
 * s0: the vCPU's id (a0 at the first entry), s1: its generator.  Per
 * write: p = next random page; store (id << 32 | round) at word id of
 * page p; set bit p of the record.  Then report and wait for a round.
 */
asm(".pushsection .rodata.dirty_log_race, \"a\"\n"
"	.option push\n	.option norvc\n"
"dl_code:\n"
"	mv	s0, a0\n"
"	addi	s1, a0, 1\n"
"1:	ld	t0, 0x400(zero)\n	ld t1, 0x408(zero)\n"
"	ld	t2, 0x410(zero)\n	ld t3, 0x418(zero)\n"
"	ld	t4, 0x420(zero)\n	mul t4, t4, s0\n"
"	li	t5, 0x1000\n	add t4, t4, t5\n"
"	slli	a1, s0, 32\n	or a1, a1, t0\n"
"	slli	a5, s0, 3\n"
"2:	beqz	t1, 3f\n"
"	li	t5, 6364136223846793005\n	mul s1, s1, t5\n"
"	li	t5, 1442695040888963407\n	add s1, s1, t5\n"
"	srli	t5, s1, 33\n	and t5, t5, t3\n"
"	slli	t6, t5, 12\n	add t6, t6, t2\n	add t6, t6, a5\n"
"	sd	a1, 0(t6)\n"
"	srli	a2, t5, 6\n	slli a2, a2, 3\n	add a2, a2, t4\n"
"	ld	a3, 0(a2)\n	li a4, 1\n	sll a4, a4, t5\n"
"	or	a3, a3, a4\n	sd a3, 0(a2)\n"
"	addi	t1, t1, -1\n	j 2b\n"
"3:	li	a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	1b\n"
"dl_code_end:\n"
"	.option pop\n	.popsection\n");

/* The slot's size and pages, and the bytes of each vCPU's record. */
static unsigned long slot_size = 64UL << 20, pages, record_size;

struct race {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu[NR_VCPUS];
	u64 *mbox;
	u8 *code_mem, *mem;
	pthread_barrier_t go;
	atomic_int done;
	bool quit;
};

static struct race *race;

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct race *r = race;

	for (;;) {
		pthread_barrier_wait(&r->go);
		if (r->quit)
			return NULL;
		vcpu_run(vcpu);
		TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_RISCV_SBI &&
			    vcpu->run->riscv_sbi.extension_id == REPORT_EID,
			    "vCPU %u: exit %u, not its report", vcpu->id,
			    vcpu->run->exit_reason);
		atomic_fetch_add(&r->done, 1);
	}
}

static void fetch_or(struct race *r, unsigned long *log, unsigned long *acc)
{
	size_t i;

	kvm_vm_get_dirty_log(r->vm, LOG_SLOT, log);
	for (i = 0; i < pages / 64; i++)
		acc[i] |= log[i];
}

/*
 * One round: the vCPUs write while the host keeps fetching the log (from
 * round 1 on, when the slot logs).  Returns the number of fetches.
 */
static unsigned long race_round(struct race *r, u64 round, u64 writes,
				unsigned long *log, unsigned long *acc)
{
	unsigned long fetches = 0;

	memset(r->code_mem + RECORD, 0, NR_VCPUS * record_size);
	memset(acc, 0, pages / 8);
	r->mbox[0] = round;
	r->mbox[1] = writes;
	atomic_store(&r->done, 0);
	pthread_barrier_wait(&r->go);
	while (atomic_load(&r->done) < NR_VCPUS) {
		if (!round)
			continue;
		fetch_or(r, log, acc);
		fetches++;
	}
	if (!round)
		return 0;
	fetch_or(r, log, acc);
	return fetches + 1;
}

/* Compare what was fetched with the records and the memory; count errors. */
static unsigned long race_check(struct race *r, u64 round,
				const unsigned long *acc)
{
	const unsigned long *rec = (void *)(r->code_mem + RECORD);
	unsigned long p, bad = 0;
	int v;

	for (p = 0; p < pages; p++) {
		unsigned long bit = BIT_ULL(p % 64);
		bool written = false;

		for (v = 0; v < NR_VCPUS; v++) {
			const u64 *word = (u64 *)(r->mem + p * PAGE) + v;

			if (!(rec[v * pages / 64 + p / 64] & bit))
				continue;
			written = true;
			if (*word != ((u64)v << 32 | round) && bad++ < 5)
				ksft_print_msg("round %llu, page %lu: vCPU %d's word is 0x%llx\n",
					       (unsigned long long)round, p, v,
					       (unsigned long long)*word);
		}
		if (written != !!(acc[p / 64] & bit) && bad++ < 5)
			ksft_print_msg("round %llu, page %lu: %s\n",
				       (unsigned long long)round, p,
				       written ? "written, not logged" : "logged, not written");
	}
	return bad;
}

static struct race *race_setup(void)
{
	struct race *r = calloc(1, sizeof(*r));
	size_t len;
	const u8 *code = rvkvm_asm_range(dl_code, dl_code_end, &len);
	u8 *raw;
	int i;

	TEST_ASSERT(r, "calloc");
	r->vm = rvkvm_vm_with_code(code, len, MBOX,
				   RECORD + NR_VCPUS * record_size, &r->code_mem);
	r->mbox = (u64 *)(r->code_mem + MBOX);
	raw = mmap(NULL, slot_size + BLOCK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(raw != MAP_FAILED, "mmap");
	r->mem = (u8 *)(((unsigned long)raw + BLOCK - 1) & ~(BLOCK - 1));
	madvise(r->mem, slot_size, MADV_HUGEPAGE);
	vm_set_user_memory_region(r->vm, LOG_SLOT, 0, SLOT_GPA, slot_size, r->mem);
	r->mbox[2] = SLOT_GPA;
	r->mbox[3] = pages - 1;
	r->mbox[4] = record_size;
	pthread_barrier_init(&r->go, NULL, NR_VCPUS + 1);
	for (i = 0; i < NR_VCPUS; i++)
		r->vcpu[i] = rvkvm_vcpu_add_running(r->vm, i);
	return r;
}

int main(int argc, char **argv)
{
	u64 rounds = argc > 1 ? strtoull(argv[1], NULL, 0) : 100;
	u64 writes = argc > 2 ? strtoull(argv[2], NULL, 0) : 4096;
	double secs;
	unsigned long *log, *acc, bad = 0, fetches = 0, logged = 0;
	pthread_t thr[NR_VCPUS];
	struct race *r;
	double t0;
	u64 round;
	int i;

	if (argc > 3)
		slot_size = strtoul(argv[3], NULL, 0) << 20;
	pages = slot_size / PAGE;
	record_size = pages / 8;
	TEST_ASSERT(pages >= 64 && !(pages & (pages - 1)),
		    "the slot must be a power of two of at least 256 KiB");
	ksft_print_header();
	ksft_set_plan(1);
	r = race_setup();
	race = r;
	log = calloc(pages / 64, sizeof(long));
	acc = calloc(pages / 64, sizeof(long));
	TEST_ASSERT(log && acc, "calloc");
	for (i = 0; i < NR_VCPUS; i++)
		pthread_create(&thr[i], NULL, vcpu_thread, r->vcpu[i]);

	/* Round 0 maps the slot, with blocks where the host has THPs. */
	race_round(r, 0, writes * 4, log, acc);
	vm_set_user_memory_region(r->vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				  SLOT_GPA, slot_size, r->mem);
	kvm_vm_get_dirty_log(r->vm, LOG_SLOT, log);

	t0 = rvkvm_now();
	for (round = 1; round <= rounds; round++) {
		fetches += race_round(r, round, writes, log, acc);
		bad += race_check(r, round, acc);
		for (i = 0; i < pages / 64; i++)
			logged += __builtin_popcountl(acc[i]);
	}
	secs = rvkvm_now() - t0;
	ksft_print_msg("%llu rounds, %llu writes per vCPU each, %.1f s: %lu fetches, %lu logged\n",
		       (unsigned long long)rounds, (unsigned long long)writes,
		       secs, fetches, logged);
	printf("FIGURE dirty_log_round_%luM s %.3f\n", slot_size >> 20,
	       secs / rounds);

	r->quit = true;
	pthread_barrier_wait(&r->go);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(thr[i], NULL);
	ksft_test_result(!bad, "the logs are exactly the pages written (%lu errors)\n", bad);
	kvm_vm_free(r->vm);
	ksft_finished();
}
