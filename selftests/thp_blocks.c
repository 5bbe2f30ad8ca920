// SPDX-License-Identifier: GPL-2.0
/*
 * thp_blocks: guest memory backed by transparent huge pages is mapped
 * with 2 MiB G-stage blocks, which split where they must.
 *
 *  1. First touch: the guest writes one word in every 4 KiB page of a
 *     64 MiB slot, once backed by 4 KiB pages (MADV_NOHUGEPAGE) and once
 *     by THPs (MADV_HUGEPAGE); the fault-in rate of each is printed.  On
 *     the THP slot the VM's gstage_table_pages stat (rvkvm's) may grow
 *     by one table for the slot plus one per 2 MiB block the host did not
 *     back with a THP (AnonHugePages in smaps), where 4 KiB mappings take
 *     a table per block.
 *  2. Dirty logging on the THP slot: the guest writes every third page of
 *     the first 8 MiB, twice with a different phase; each KVM_GET_DIRTY_LOG
 *     must name exactly the pages written, not whole blocks.
 *  3. A partial unmap: MADV_DONTNEED on one 4 KiB page inside a block
 *     (the host splits its THP): the guest reads zero there and its own
 *     data in the page beside it.
 *
 *   thp_blocks [MiB]	slot size, default 64
 *
 * The first-touch rates are also printed as FIGURE lines for make bench.
 */
#include <sys/mman.h>
#include "rvkvm_test.h"

#define PAGE		4096UL
#define BLOCK		(2UL << 20)
#define MBOX		0x400	/* start, end, stride, op, salt */
#define REPORT_EID	0x08000042
#define SLOT_GPA	BIT_ULL(30)
#define THP_SLOT	2
#define SMALL_SLOT	3
#define OP_WRITE	0
#define OP_READ		1
#define LOG_SPAN	(8UL << 20)

/*
 * For a1 from start to end by stride: store a1 ^ salt (OP_WRITE), or
 * add the word there to a0 (OP_READ).  Then report a0 and start over.
 */
asm(".pushsection .rodata.thp_blocks, \"a\"\n"
"	.option push\n	.option norvc\n"
"thp_code:\n"
"1:	li	a0, 0\n"
"	ld	a1, 0x400(zero)\n	ld a2, 0x408(zero)\n"
"	ld	a3, 0x410(zero)\n	ld a4, 0x418(zero)\n"
"	ld	a5, 0x420(zero)\n"
"2:	bgeu	a1, a2, 4f\n"
"	bnez	a4, 3f\n"
"	xor	t0, a1, a5\n	sd t0, 0(a1)\n"
"	add	a1, a1, a3\n	j 2b\n"
"3:	ld	t0, 0(a1)\n	add a0, a0, t0\n"
"	add	a1, a1, a3\n	j 2b\n"
"4:	li	a7, 0x08000042\n	li a6, 0\n	ecall\n"
"	j	1b\n"
"thp_code_end:\n"
"	.option pop\n	.popsection\n");

struct thp {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	u64 *mbox;
	size_t size;
};

/* Run the guest over [start, end) by stride; returns its a0. */
static u64 guest_pass(struct thp *t, u64 start, u64 end, u64 stride, u64 op,
		      u64 salt)
{
	struct kvm_run *run = t->vcpu->run;

	t->mbox[0] = start;
	t->mbox[1] = end;
	t->mbox[2] = stride;
	t->mbox[3] = op;
	t->mbox[4] = salt;
	vcpu_run(t->vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == REPORT_EID,
		    "guest: exit %u, not its report", run->exit_reason);
	return run->riscv_sbi.args[0];
}

/* @size bytes of anonymous memory aligned to 2 MiB, with @advice. */
static u8 *thp_alloc(size_t size, int advice)
{
	u8 *raw = mmap(NULL, size + BLOCK, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	u8 *mem;

	TEST_ASSERT(raw != MAP_FAILED, "mmap");
	mem = (u8 *)(((unsigned long)raw + BLOCK - 1) & ~(BLOCK - 1));
	TEST_ASSERT(!madvise(mem, size, advice), "madvise");
	return mem;
}

/* AnonHugePages of the mapping that holds @addr, in bytes. */
static u64 anon_huge_bytes(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi, kb;
	bool in = false;
	char line[256];
	u64 bytes = 0;

	TEST_ASSERT(f, "/proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (unsigned long)addr >= lo && (unsigned long)addr < hi;
		else if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			bytes = (u64)kb << 10;
	}
	fclose(f);
	return bytes;
}

static u64 table_pages(struct thp *t)
{
	u64 v = 0;

	return rvkvm_vm_stat(t->vm, "gstage_table_pages", &v) ? v : (u64)-1;
}

/* Part 1 for one slot: first touch by the guest, timed. */
static double first_touch(struct thp *t, int slot, u8 *mem, u64 *tables)
{
	u64 before, gpa = SLOT_GPA + (slot - THP_SLOT) * (2ULL << 30);
	double t0, secs;
	size_t i;

	vm_set_user_memory_region(t->vm, slot, 0, gpa, t->size, mem);
	before = table_pages(t);
	t0 = rvkvm_now();
	guest_pass(t, gpa, gpa + t->size, PAGE, OP_WRITE, 0);
	secs = rvkvm_now() - t0;
	*tables = table_pages(t) - before;
	for (i = 0; i < t->size; i += PAGE)
		TEST_ASSERT(*(u64 *)(mem + i) == (gpa + i),
			    "page %zu: the host sees 0x%llx", i / PAGE,
			    (unsigned long long)*(u64 *)(mem + i));
	return t->size / secs / (1 << 20);
}

/* Part 2: the pages of the first LOG_SPAN with (page % 3 == phase). */
static bool dirty_pass(struct thp *t, u8 *mem, unsigned int phase,
		       unsigned long *bitmap)
{
	unsigned long pages = t->size / PAGE, i, wrong = 0;

	guest_pass(t, SLOT_GPA + phase * PAGE, SLOT_GPA + LOG_SPAN, 3 * PAGE,
		   OP_WRITE, phase + 1);
	memset(bitmap, 0, pages / 8);
	kvm_vm_get_dirty_log(t->vm, THP_SLOT, bitmap);
	for (i = 0; i < pages; i++) {
		bool want = i < LOG_SPAN / PAGE && i % 3 == phase;
		bool got = bitmap[i / 64] & BIT_ULL(i % 64);

		if (want != got && wrong++ < 4)
			ksft_print_msg("phase %u: page %lu %s\n", phase, i,
				       got ? "logged, not written" : "written, not logged");
	}
	return !wrong;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	u64 small_tables, thp_tables, huge, blocks, hole;
	struct thp t = { .size = mib << 20 };
	double small_rate, thp_rate;
	unsigned long *bitmap;
	u8 *code_mem, *small, *big;
	size_t len;
	const u8 *code = rvkvm_asm_range(thp_code, thp_code_end, &len);

	ksft_print_header();
	if (!thp_configured() || get_trans_hugepagesz() != BLOCK)
		ksft_exit_skip("the host has no 2 MiB transparent huge pages\n");
	ksft_set_plan(4);
	blocks = t.size / BLOCK;
	t.vm = rvkvm_vm_with_code(code, len, MBOX, 2 * PAGE, &code_mem);
	t.mbox = (u64 *)(code_mem + MBOX);
	t.vcpu = __vm_vcpu_add(t.vm, 0);
	small = thp_alloc(t.size, MADV_NOHUGEPAGE);
	big = thp_alloc(t.size, MADV_HUGEPAGE);

	/* 1. First touch. */
	small_rate = first_touch(&t, SMALL_SLOT, small, &small_tables);
	thp_rate = first_touch(&t, THP_SLOT, big, &thp_tables);
	huge = anon_huge_bytes(big) / BLOCK;
	ksft_print_msg("first touch of %zu MiB: 4 KiB pages %.1f MiB/s, THP %.1f MiB/s\n",
		       mib, small_rate, thp_rate);
	ksft_print_msg("%llu of %llu blocks THP-backed\n", (unsigned long long)huge,
		       (unsigned long long)blocks);
	/* For make bench (tests/bench.sh). */
	printf("FIGURE first_touch_4k MiB/s %.1f\n", small_rate);
	printf("FIGURE first_touch_thp MiB/s %.1f\n", thp_rate);
	if (table_pages(&t) == (u64)-1) {
		ksft_test_result_skip("the module has no gstage_table_pages stat\n");
	} else if (huge < blocks / 2) {
		ksft_test_result_skip("the host backed only %llu of %llu blocks with THPs\n",
				      (unsigned long long)huge,
				      (unsigned long long)blocks);
	} else {
		ksft_print_msg("G-stage table pages added: 4 KiB slot %llu, THP slot %llu\n",
			       (unsigned long long)small_tables,
			       (unsigned long long)thp_tables);
		ksft_test_result(thp_tables <= 1 + blocks - huge,
				 "THP-backed blocks map as 2 MiB leaves\n");
	}

	/* 2. Dirty logging splits the blocks into pages. */
	bitmap = calloc(t.size / PAGE / 64, sizeof(long));
	TEST_ASSERT(bitmap, "calloc");
	vm_set_user_memory_region(t.vm, THP_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
				  SLOT_GPA, t.size, big);
	kvm_vm_get_dirty_log(t.vm, THP_SLOT, bitmap);
	ksft_test_result(dirty_pass(&t, big, 0, bitmap) &&
			 dirty_pass(&t, big, 1, bitmap),
			 "the dirty log names each 4 KiB page written, not its block\n");
	vm_set_user_memory_region(t.vm, THP_SLOT, 0, SLOT_GPA, t.size, big);

	/* 3. One page dropped from the middle of a block. */
	hole = BLOCK + 5 * PAGE;
	TEST_ASSERT(!madvise(big + hole, PAGE, MADV_DONTNEED), "MADV_DONTNEED");
	ksft_test_result(!guest_pass(&t, SLOT_GPA + hole, SLOT_GPA + hole + 1,
				     PAGE, OP_READ, 0),
			 "the guest reads zero from a page dropped inside a block\n");
	ksft_test_result(guest_pass(&t, SLOT_GPA + hole + PAGE,
				    SLOT_GPA + hole + PAGE + 1, PAGE, OP_READ, 0) ==
			 *(u64 *)(big + hole + PAGE),
			 "the page beside it keeps the guest's data\n");
	kvm_vm_free(t.vm);
	ksft_finished();
}
