// SPDX-License-Identifier: GPL-2.0
/*
 * rfence_ranged: SBI remote fences with an address range, or an ASID,
 * drop the translations they name on the target harts, and the module
 * carries them out page by page, not by forgetting everything.
 *
 * The guest maps NPAGES test pages, each to a page of its own (A) or to
 * a shared page (B).  vCPU 1 reads all of them, so that its TLB holds
 * them, and tells vCPU 0, which then points a run of them at the other
 * page by storing their PTEs (through a mapping of the leaf table) and
 * makes one remote fence for exactly that run, in one of several forms:
 * SFENCE_VMA and SFENCE_VMA_ASID, an aligned or unaligned range, the
 * target named by hart_mask or by hart_mask_base, itself a target or
 * not, an ASID with bits above satp's ASID field.  vCPU 1 must then read
 * every page's new value.  Every eighth round is a fence the SBI says is
 * a full one (start_addr and size 0, or size 2^XLEN-1), or one longer
 * than the module's page-by-page limit (rfence_max_pages); and every
 * round also makes a fence of size 0, which names nothing.
 *
 * Then the vCPUs' binary stats must show one vvma_fence_range for each
 * ranged fence a vCPU was a target of and one vvma_fence_all for each
 * full one, exactly: no ranged fence may have been widened.  (An
 * emulated host's QEMU flushes its whole TLB when a hart leaves the
 * guest, so there the data check cannot catch a fence that does too
 * little; the counters are the evidence of what the module did.)
 * Debian's kvm.ko has no such counters: that part skips, saying so.
 *
 * With -b it measures instead: the guest time a fence to a spinning
 * vCPU 1 takes, ranged over 1 to 512 pages (the page-by-page limit
 * raised for the run) and full, printed as FIGURE lines.
 *
 *   rfence_ranged [-n ROUNDS] [-b]
 */
#include <stdlib.h>
#include "kvm_util.h"
#include "processor.h"
#include "sbi.h"
#include "ucall_common.h"
#include "rvkvm_test.h"

#define NPAGES		8
#define TPAGE		4096UL
#define VAL_A		0xa000UL	/* + page number: page i's own page */
#define VAL_B		0xb000UL	/* the shared page */
#define DEFAULT_ROUNDS	20000
#define SBI_EXT_RFENCE	0x52464e43
#define SFENCE_VMA	1
#define SFENCE_VMA_ASID	2
#define MAX_PAGES_PARAM	"/sys/module/kvm/parameters/rfence_max_pages"
#define BENCH_CALLS	1000

/* Set by the host before the run (sync_global_to_guest). */
static u64 rounds;
static u64 test_va;			/* NPAGES pages */
static u64 pte_va;			/* PTE of test page 0 */
static u64 pte_a[NPAGES], pte_b[NPAGES];
static u64 full_pages;			/* longer than the module's limit */
static bool bench;

/* Shared between the vCPUs; read back by the host. */
static u64 cur[NPAGES];			/* 1: page i maps B */
static u64 primed, fenced;		/* round numbers */
static u64 errors, first_error;
static u64 want_range[2], want_all[2];	/* fences each vCPU was a target of */
static u64 sbi_errors;
static u64 bench_ticks[16];
static bool stop;

static u64 guest_val(int i)
{
	return READ_ONCE(cur[i]) ? VAL_B : VAL_A + i;
}

/* vCPU 1's read of every test page: each must hold what its PTE says. */
static void guest_check(u64 r)
{
	u64 v;
	int i;

	for (i = 0; i < NPAGES; i++) {
		v = READ_ONCE(*(u64 *)(test_va + i * TPAGE));
		if (v != guest_val(i) && !errors++)
			WRITE_ONCE(first_error, r << 32 | i << 16 | v);
	}
}

static void guest_reader(void)
{
	u64 r;

	for (r = 1; r <= rounds; r++) {
		guest_check(r);
		WRITE_ONCE(primed, r);
		while (READ_ONCE(fenced) < r)
			asm volatile("nop");
		guest_check(r);
	}
}

static void guest_rfence(int fid, unsigned long mask, unsigned long base,
			 unsigned long start, unsigned long size,
			 unsigned long asid)
{
	struct sbiret ret = sbi_ecall(SBI_EXT_RFENCE, fid, mask, base, start,
				      size, asid, 0);

	if (ret.error)
		sbi_errors++;
}

/*
 * Round @r's fence for pages @first to @first + @n - 1, in the form @r
 * picks; it counts what each target should carry out.
 */
static void guest_fence(u64 r, int first, int n)
{
	unsigned long start = test_va + first * TPAGE, size = n * TPAGE;
	unsigned long mask = 2, base = 0;	/* vCPU 1 */
	int fid = SFENCE_VMA, kind = r % 8;
	unsigned long asid = 0;
	bool full = false;

	switch (kind) {
	case 1:			/* itself too, by ASID */
		mask = 3;
		fid = SFENCE_VMA_ASID;
		break;
	case 2:			/* unaligned: the same pages, no more */
		start += 0x800;
		size -= 0x800;
		break;
	case 3:			/* by hart_mask_base; ASID's upper bits */
		mask = 1;
		base = 1;
		fid = SFENCE_VMA_ASID;
		asid = 1UL << 63;
		break;
	case 4:			/* every hart */
		mask = 0;
		base = -1UL;
		break;
	case 7:			/* the SBI's full fences, and a long one */
		full = true;
		switch ((r / 8) % 3) {
		case 0:
			start = 0;
			size = 0;
			break;
		case 1:
			size = -1UL;
			break;
		default:
			start = test_va;
			size = full_pages * TPAGE;
			break;
		}
		break;
	}
	guest_rfence(fid, mask, base, start, size, asid);
	if (mask == 0 || mask == 3) {
		want_range[0] += !full;
		want_all[0] += full;
	}
	want_range[1] += !full;
	want_all[1] += full;
	/* Names no page: nothing to carry out, nothing counted. */
	guest_rfence(SFENCE_VMA, 2, 0, start + TPAGE, 0, 0);
}

static void guest_writer(void)
{
	u64 r, x = 0x9e3779b97f4a7c15UL;
	int first, n, i;

	for (r = 1; r <= rounds; r++) {
		while (READ_ONCE(primed) < r)
			asm volatile("nop");
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		first = x % NPAGES;
		n = 1 + (x >> 8) % (NPAGES - first);
		for (i = first; i < first + n; i++) {
			cur[i] ^= 1;
			WRITE_ONCE(((u64 *)pte_va)[i], cur[i] ? pte_b[i] : pte_a[i]);
		}
		guest_fence(r, first, n);
		WRITE_ONCE(fenced, r);
	}
}

/* -b: vCPU 0 fences vCPU 1, which keeps its test pages in its TLB. */
static void guest_bench(void)
{
	static const unsigned long pages[] = { 1, 4, 16, 64, 128, 256, 512 };
	unsigned long size;
	u64 t;
	int k, i;

	for (k = 0; k <= ARRAY_SIZE(pages); k++) {
		size = k < ARRAY_SIZE(pages) ? pages[k] * TPAGE : -1UL;
		t = csr_read(CSR_TIME);
		for (i = 0; i < BENCH_CALLS; i++)
			guest_rfence(SFENCE_VMA, 2, 0, test_va, size, 0);
		bench_ticks[k] = csr_read(CSR_TIME) - t;
	}
	WRITE_ONCE(stop, true);
}

static void guest_spinner(void)
{
	while (!READ_ONCE(stop))
		guest_check(0);
}

static void guest_code(void)
{
	u32 me = guest_get_vcpuid();

	if (bench)
		me ? guest_spinner() : guest_bench();
	else
		me ? guest_reader() : guest_writer();
	GUEST_DONE();
}

/* The guest's view: NPAGES test pages, their B page, and their PTEs. */
static void map_pages(struct kvm_vm *vm)
{
	u64 b_gpa, table_gpa, *pte, va;
	int i;

	test_va = rvkvm_alloc(vm, NPAGES * TPAGE, KVM_UTIL_MIN_VADDR);
	va = rvkvm_alloc_page(vm);
	b_gpa = addr_gva2gpa(vm, va);
	*(u64 *)addr_gpa2hva(vm, b_gpa) = VAL_B;
	for (i = 0; i < NPAGES; i++) {
		*(u64 *)addr_gva2hva(vm, test_va + i * TPAGE) = VAL_A + i;
		pte = rvkvm_leaf_pte(vm, test_va + i * TPAGE);
		pte_a[i] = *pte;
		pte_b[i] = (*pte & 0x3ff) | (b_gpa >> 12) << 10;
	}
	pte = rvkvm_leaf_pte(vm, test_va);
	TEST_ASSERT(rvkvm_leaf_pte(vm, test_va + (NPAGES - 1) * TPAGE) ==
		    pte + NPAGES - 1, "test pages cross a leaf table");
	table_gpa = addr_hva2gpa(vm, pte) & ~(TPAGE - 1UL);
	/* A page of the guest's own, then pointed at the leaf table. */
	va = rvkvm_alloc_page(vm);
	virt_pg_map(vm, va, table_gpa);
	pte_va = va + ((u64)(uintptr_t)pte & (TPAGE - 1));
}

static u64 get_guest(struct kvm_vm *vm, void *p)
{
	return *(u64 *)addr_gva2hva(vm, (rvkvm_gva_t)p);
}

static long read_param(void)
{
	FILE *f = fopen(MAX_PAGES_PARAM, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void write_param(long v)
{
	FILE *f = fopen(MAX_PAGES_PARAM, "w");

	TEST_ASSERT(f && fprintf(f, "%ld\n", v) > 0 && !fclose(f),
		    "cannot write " MAX_PAGES_PARAM);
}

static void run_vcpus(struct kvm_vcpu *vcpus[2])
{
	struct rvkvm_pinned harts[2];
	int cpus[2], i;

	rvkvm_two_host_cpus(cpus);
	for (i = 0; i < 2; i++)
		rvkvm_pinned_start(&harts[i], vcpus[i], cpus[i]);
	for (i = 0; i < 2; i++)
		pthread_join(harts[i].thr, NULL);
}

static void report_bench(struct kvm_vm *vm, u64 freq)
{
	static const int pages[] = { 1, 4, 16, 64, 128, 256, 512 };
	u64 t;
	int k;

	for (k = 0; k <= ARRAY_SIZE(pages); k++) {
		t = get_guest(vm, &bench_ticks[k]);
		if (k < ARRAY_SIZE(pages))
			printf("FIGURE rfence_range_%d us %.1f\n", pages[k],
			       t * 1e6 / freq / BENCH_CALLS);
		else
			printf("FIGURE rfence_full us %.1f\n",
			       t * 1e6 / freq / BENCH_CALLS);
	}
}

int main(int argc, char *argv[])
{
	u64 before[2][2], d[2][2], freq, want[2][2];
	struct kvm_vcpu *vcpus[2];
	long max_pages;
	struct kvm_vm *vm;
	bool counters;
	double t0;
	int opt, i;

	rounds = DEFAULT_ROUNDS;
	while ((opt = getopt(argc, argv, "n:b")) != -1) {
		switch (opt) {
		case 'n':
			rounds = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			bench = true;
			break;
		default:
			TEST_FAIL("usage: rfence_ranged [-n ROUNDS] [-b]");
		}
	}
	ksft_print_header();
	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	vcpu_ioctl(vcpus[1], KVM_SET_MP_STATE,
		   &(struct kvm_mp_state){ KVM_MP_STATE_RUNNABLE });
	map_pages(vm);
	max_pages = read_param();
	full_pages = max_pages > 0 ? max_pages + 1 : 4096;
	sync_global_to_guest(vm, pte_a);
	sync_global_to_guest(vm, pte_b);
	sync_global_to_guest(vm, rounds);
	sync_global_to_guest(vm, test_va);
	sync_global_to_guest(vm, pte_va);
	sync_global_to_guest(vm, full_pages);
	sync_global_to_guest(vm, bench);
	rvkvm_get_reg(vcpus[0], RISCV_TIMER_REG(frequency), &freq);

	if (bench) {
		ksft_set_plan(1);
		if (max_pages >= 0)
			write_param(1024);
		run_vcpus(vcpus);
		if (max_pages >= 0)
			write_param(max_pages);
		ksft_print_msg("fences of 1 to 512 pages by page (limit raised: %s), and full\n",
			       max_pages >= 0 ? "yes" : "no such parameter");
		report_bench(vm, freq);
		ksft_test_result_pass("measured\n");
		kvm_vm_free(vm);
		ksft_finished();
	}

	ksft_set_plan(4);
	counters = rvkvm_stat(vcpu_get_stats_fd(vcpus[0]), "vvma_fence_all",
			      &before[0][1]);
	for (i = 0; i < 2 && counters; i++) {
		before[i][0] = rvkvm_vcpu_stat(vcpus[i], "vvma_fence_range");
		before[i][1] = rvkvm_vcpu_stat(vcpus[i], "vvma_fence_all");
	}
	ksft_print_msg("%lu rounds over %d pages; long fences: %lu pages (limit %ld)\n",
		       rounds, NPAGES, full_pages, max_pages);
	t0 = rvkvm_now();
	run_vcpus(vcpus);
	ksft_print_msg("%.1f s, %.0f fences/s\n", rvkvm_now() - t0,
		       2 * rounds / (rvkvm_now() - t0));

	ksft_test_result(!get_guest(vm, &sbi_errors), "every fence call succeeded (%lu errors)\n",
			 get_guest(vm, &sbi_errors));
	ksft_test_result(!get_guest(vm, &errors),
			 "vCPU 1 read every page's new mapping after each fence (%lu stale, first %#lx)\n",
			 get_guest(vm, &errors), get_guest(vm, &first_error));
	for (i = 0; i < 2; i++) {
		want[i][0] = get_guest(vm, &want_range[i]);
		want[i][1] = get_guest(vm, &want_all[i]);
	}
	if (!counters) {
		ksft_test_result_skip("no vvma_fence_range/_all vCPU stats in this kvm.ko\n");
		ksft_test_result_skip("no vvma_fence_range/_all vCPU stats in this kvm.ko\n");
		kvm_vm_free(vm);
		ksft_finished();
	}
	for (i = 0; i < 2; i++) {
		d[i][0] = rvkvm_vcpu_stat(vcpus[i], "vvma_fence_range") - before[i][0];
		d[i][1] = rvkvm_vcpu_stat(vcpus[i], "vvma_fence_all") - before[i][1];
		ksft_print_msg("vCPU %d: ranged %lu (want %lu), full %lu (want %lu)\n",
			       i, d[i][0], want[i][0], d[i][1], want[i][1]);
	}
	ksft_test_result(d[0][0] == want[0][0] && d[1][0] == want[1][0],
			 "each ranged fence was carried out by range, once per target\n");
	ksft_test_result(d[0][1] == want[0][1] && d[1][1] == want[1][1],
			 "full flushes only for the full fences\n");
	kvm_vm_free(vm);
	ksft_finished();
}
